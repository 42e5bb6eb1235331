// Lab 13 tests: lab 12's HTTP/1.1 server (its application, its Http1Connection) on lab 11's
// reactor with every accepted socket in a TlsTransport, run in a forked child: its fds are counted
// from /proc, and a crash or a stub costs the test, not the test process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "syslab/files.hpp"
#include "syslab/process.hpp"

namespace tls_test {

// The kit's self-signed pair for localhost and 127.0.0.1, made at build time beside the lab's
// programs (program_path).
std::string cert_path();
std::string key_path();

struct ServerSetup {
  static ServerSetup serving(std::string root) {
    ServerSetup setup;
    setup.root = std::move(root);
    return setup;
  }

  std::chrono::milliseconds handshake_timeout{10'000};  // the reactor's ConnectionOptions
  std::string root;     // served as static files (GET /NAME); empty: the application's routes only
  int threads = 0;      // the reactor's I/O loops on their own threads (0: one loop does all)
  int send_buffer = 0;  // SO_SNDBUF of each accepted socket when not 0: small, its writes block
  // When not empty: each connection, once open, appends the protocol ALPN agreed on (the
  // server's view, conn->transport().selected_protocol()) as a line to this file.
  std::string protocol_log;
};

class TlsServer {
 public:
  // Forks the server and waits for its port; throws when it does not come within 5 s (the child
  // died: a stub, or a context that could not load the certificate).
  explicit TlsServer(ServerSetup setup = {});
  ~TlsServer() = default;  // the ForkedChild kills and reaps it if stop() was not called
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return child_->pid(); }
  // Its open fds now, from /proc/PID/fd.
  [[nodiscard]] std::size_t open_fd_count() const;
  // True while it runs (not a zombie, not gone).
  [[nodiscard]] bool running() const;
  // Asks it to stop (closes the stop pipe: its loop quits) and waits; the exit status.
  syslab::test::ExitStatus stop();

 private:
  syslab::test::TestPipe stop_;
  std::unique_ptr<syslab::test::ForkedChild> child_;
  std::uint16_t port_ = 0;
};

// Polls until the server has exactly `baseline` fds open again (its connections closed), within
// 5 s; false, with the count left, when it does not.
[[nodiscard]] bool fds_back_to(const TlsServer& server, std::size_t baseline);

}  // namespace tls_test
