// Lab 13: the preface decides the protocol (see protocol_sniffer.hpp).
#include "protocol_sniffer.hpp"

#include <algorithm>
#include "syslab/todo.hpp"

namespace h2 {

Protocol sniff(std::string_view first_bytes) noexcept {
  SYSLAB_TODO("compare the bytes with kPreface as far as both go: a difference is HTTP/1.1; the whole preface is HTTP/2; a prefix of it is not enough yet");
}

ProtocolSniffer::ProtocolSniffer(reactor::Connection& conn, Decided decided,
                                 std::chrono::milliseconds timeout)
    : conn_(conn), decided_(std::move(decided)), timeout_(timeout) {}

void ProtocolSniffer::start() {
  timer_ = conn_.start_timer(timeout_, [](reactor::Connection& conn) {
    if (conn.context<ProtocolSniffer>()) conn.close();  // still undecided: not a client of ours
  });
}

void ProtocolSniffer::on_input(reactor::IoBuffer& input) {
  SYSLAB_TODO("add the input to what was seen (the input is consumed); once sniff decides: cancel the timer and call decided_ with the protocol and every byte seen");
}

}  // namespace h2
