// Lab 13: TLS under lab 11's transport seam. A TlsTransport owns an accepted non-blocking socket
// and an OpenSSL SSL on it; the reactor drives the handshake and the records with the same calls
// as a plain socket, and the HTTP code above never knows. OpenSSL's "want read" and "want write"
// become kWouldBlock plus the readiness to wait for, which may be the other one: the handshake
// reads and writes, and OpenSSL's contract lets a read want to write and a write want to read.
// Look at: strace -e trace=network,read,write httpd ...: each SSL_read is a read(2) of a record
// header and one of its body; the handshake's SSL_accept returns after each flight.
#pragma once

#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "tls_context.hpp"
#include "transport.hpp"
#include "unique_fd.hpp"

namespace tls {

// One TLS connection, server side. Every call is for the owning connection's loop thread.
// Results as lab 11's Transport: kWouldBlock (then waits_for says for what), kInterrupted,
// kEof (read: the peer's close_notify: a clean end), kPeerClosed (a reset, or a TCP end without
// close_notify: the peer's bytes may have been cut short). Protocol errors throw std::system_error
// with OpenSSL's text (openssl_category).
class TlsTransport final : public reactor::Transport {
 public:
  // socket: accepted and non-blocking. The SSL takes its settings from context (and keeps the
  // SSL_CTX alive itself).
  TlsTransport(const TlsContext& context, fdio::UniqueFd socket);

  [[nodiscard]] fdio::BorrowedFd fd() const noexcept override { return socket_; }
  // One step of SSL_accept: kDone once the handshake is complete.
  fdio::IoResult handshake() override;
  fdio::IoResult read_some(std::span<char> buffer) override;
  fdio::IoResult write_some(std::string_view bytes) override;
  // send_file: the Transport's default, which copies the file through write_some: the bytes must
  // pass through OpenSSL to be encrypted. (Kernel TLS, SSL_sendfile, goes further.)
  // Our close_notify, then shutdown(2) of the socket's write side; kWouldBlock while the socket
  // has no room for close_notify (the FIN must not overtake it).
  fdio::IoResult shutdown_write() override;
  // What the last kWouldBlock of this call waits for.
  [[nodiscard]] mux::Interest waits_for(Call call) const noexcept override;
  // The protocol ALPN agreed on: "h2", "http/1.1", or empty (the client sent no ALPN: HTTP/1.1).
  [[nodiscard]] std::string_view selected_protocol() const noexcept override;

 private:
  struct FreeSsl {
    void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
  };
  // The outcome of an SSL call of kind `call` that did not succeed (result: its return value).
  fdio::IoResult outcome_of(int result, Call call);
  fdio::IoResult wait_for(Call call, mux::Interest interest);

  fdio::UniqueFd socket_;  // declared first: closed after the SSL that reads it is freed
  std::unique_ptr<SSL, FreeSsl> ssl_;
  mux::Interest handshake_waits_ = mux::Interest::kRead;  // the ClientHello comes first
  mux::Interest read_waits_ = mux::Interest::kRead;
  mux::Interest write_waits_ = mux::Interest::kWrite;
};

// For reactor::ServerOptions::make_transport: every accepted socket in a TlsTransport.
[[nodiscard]] std::function<std::unique_ptr<reactor::Transport>(fdio::UniqueFd)> tls_transports(
    std::shared_ptr<const TlsContext> context);

}  // namespace tls
