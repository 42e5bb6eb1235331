// Lab 13: the preface decides the protocol (see protocol_sniffer.hpp).
#include "protocol_sniffer.hpp"

#include <algorithm>

namespace h2 {

// [slide:sniff]
Protocol sniff(std::string_view first_bytes) noexcept {
  // BEGIN SOLUTION: compare the bytes with kPreface as far as both go: a difference is HTTP/1.1; the whole preface is HTTP/2; a prefix of it is not enough yet
  const std::size_t n = std::min(first_bytes.size(), kPreface.size());
  if (first_bytes.substr(0, n) != kPreface.substr(0, n)) return Protocol::kHttp1;
  return n == kPreface.size() ? Protocol::kHttp2 : Protocol::kUndecided;
  // END SOLUTION
}
// [/slide]

ProtocolSniffer::ProtocolSniffer(reactor::Connection& conn, Decided decided,
                                 std::chrono::milliseconds timeout)
    : conn_(conn), decided_(std::move(decided)), timeout_(timeout) {}

void ProtocolSniffer::start() {
  timer_ = conn_.start_timer(timeout_, [](reactor::Connection& conn) {
    if (conn.context<ProtocolSniffer>()) conn.close();  // still undecided: not a client of ours
  });
}

void ProtocolSniffer::on_input(reactor::IoBuffer& input) {
  // BEGIN SOLUTION: add the input to what was seen (the input is consumed); once sniff decides: cancel the timer and call decided_ with the protocol and every byte seen
  seen_.append(input.readable());
  input.clear();
  const Protocol protocol = sniff(seen_.readable());
  if (protocol == Protocol::kUndecided) return;
  conn_.cancel_timer(timer_);
  timer_ = 0;
  decided_(conn_, protocol, seen_);
  // END SOLUTION
}

}  // namespace h2
