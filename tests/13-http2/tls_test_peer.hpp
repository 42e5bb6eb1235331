// Lab 13 tests: the peers of the TLS server. Real ones (curl, openssl s_client) as a user would
// run them, a raw TCP socket for what no TLS client would send, and the tests' own small TLS
// client (OpenSSL, blocking, with a deadline) for a reader that takes its time.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "syslab/files.hpp"
#include "syslab/process.hpp"

namespace tls_test {

// The first error in this thread's OpenSSL queue, as text; the queue is cleared.
std::string openssl_errors();

// The absolute path of a command on PATH (run_program executes a path); throws naming it if absent.
std::string find_command(const std::string& name);

// curl ARGS https://localhost:PORT/TARGET, trusting the kit's certificate, localhost resolved to
// 127.0.0.1 (no IPv6 attempt first), --http1.1, a 10 s limit.
syslab::test::ProgramResult curl(std::uint16_t port, std::string_view target,
                                 const std::vector<std::string>& args = {});

// openssl s_client -connect 127.0.0.1:PORT ARGS, SNI localhost, verifying the kit's certificate;
// stdin is empty, so it leaves once the handshake is done (or failed). Its report is on stdout
// ("ALPN protocol: h2", "No ALPN negotiated", "Protocol  : TLSv1.3").
syslab::test::ProgramResult s_client(std::uint16_t port, const std::vector<std::string>& args);

// A connected TCP socket to 127.0.0.1:port, blocking, nothing sent.
syslab::test::OwnedFd connect_tcp(std::uint16_t port);

// True when the peer closes fd within 5 s (reading and dropping what it sends first).
bool closed_within_5s(int fd);

// The tests' TLS client: blocking, every call with a 10 s limit (SO_RCVTIMEO/SO_SNDTIMEO), so a
// stalled server fails the test instead of hanging it.
class TlsClient {
 public:
  // Connects, with a receive buffer of receive_buffer bytes when not 0 (set before connect, so
  // that the window the server sees is small), offering the one ALPN protocol alpn when not
  // empty, and completes the handshake; throws if it fails.
  explicit TlsClient(std::uint16_t port, int receive_buffer = 0, std::string_view alpn = {});
  // The protocol ALPN agreed on; empty when none was.
  [[nodiscard]] std::string selected_protocol() const;
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  void send(std::string_view bytes);
  // Up to max bytes; empty at the end of the stream (close_notify or EOF). Throws on an error.
  std::string read_some(std::size_t max);
  // Everything up to the end of the stream, read max_piece bytes at a time.
  std::string read_to_end(std::size_t max_piece);

 private:
  syslab::test::OwnedFd socket_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace tls_test
