// Lab 13: one port, two protocols: the first bytes a client sends decide. HTTP/2 with prior
// knowledge starts with the connection preface "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (RFC 9113
// §3.4), which no HTTP/1.1 request can begin with ("PRI" is not a method anyone serves, and
// "HTTP/2.0" is not an HTTP/1.x version); anything else is HTTP/1.1. The same holds after a TLS
// handshake: a client that chose "h2" by ALPN sends the preface too, so a TLS listener needs no
// other rule. Until the bytes are enough to tell, they wait here.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "io_buffer.hpp"
#include "tcp_connection.hpp"

namespace h2 {

// The connection preface of HTTP/2 (RFC 9113 §3.4), 24 bytes.
inline constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class Protocol { kUndecided, kHttp1, kHttp2 };

// What the first bytes of a connection say: kHttp2 once they begin with the whole preface,
// kHttp1 as soon as one byte differs from it, kUndecided while they are a proper prefix of it.
[[nodiscard]] Protocol sniff(std::string_view first_bytes) noexcept;

// The context of a connection whose protocol is not known yet: it keeps the first bytes and,
// once sniff decides, calls `decided` (which installs the codec) and hands it every byte so far.
// A client that sends too little for too long (a slowloris that stops inside the preface) is
// closed after `timeout`.
class ProtocolSniffer {
 public:
  // Installs the codec for protocol as conn's context and gives it the bytes read so far.
  using Decided = std::function<void(reactor::Connection&, Protocol, reactor::IoBuffer& bytes)>;

  ProtocolSniffer(reactor::Connection& conn, Decided decided, std::chrono::milliseconds timeout);

  void start();                             // arms the timeout
  void on_input(reactor::IoBuffer& input);  // the bytes so far decide, or wait for more

 private:
  reactor::Connection& conn_;  // owns this object
  Decided decided_;
  std::chrono::milliseconds timeout_;
  reactor::IoBuffer seen_;
  reactor::Connection::TimerHandle timer_ = 0;
};

}  // namespace h2
