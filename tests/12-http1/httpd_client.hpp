// Lab 12 tests: httpd under test (a child process, as the echo labs run their servers) and a raw
// HTTP/1.1 client on a socket: bytes exactly as written, responses read with a deadline and
// framed by their own Content-Length or chunks, so that pipelined answers can be told apart.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "syslab/files.hpp"
#include "syslab/server_process.hpp"

namespace httpd_test {

using syslab::test::echo::ServerProcess;

// httpd --root DIR plus extra, --quiet unless asked not to: its stdout is a pipe nobody reads
// after the "listening on" line (an access log there would fill it); log to a file instead. DIR
// holds index.html, "hello\n", so GET / answers 200 with those 6 bytes.
std::unique_ptr<ServerProcess> start_httpd(std::vector<std::string> extra = {}, bool quiet = true);

// Lab 13's TLS port: the ADDRESS:PORT named after " and " in httpd's "listening on ADDRESS:PORT
// and ADDRESS:TLSPORT (TLS)" line (ServerProcess::port() is the first one). Throws when absent.
std::uint16_t tls_port(const ServerProcess& server);

// The directory start_httpd serves (a temporary directory of this test process): add files to it.
const std::string& web_root();

struct RawResponse {
  int status = 0;
  std::string head;  // the status line and the fields, lowercased, up to the blank line
  std::string body;  // de-chunked
  // True when the head has this field line, given in lowercase: "connection: close".
  [[nodiscard]] bool has(std::string_view field_line) const;
};

class RawClient {
 public:
  explicit RawClient(std::uint16_t port);
  [[nodiscard]] int fd() const { return fd_.get(); }
  void send(std::string_view bytes);
  // Closes our end.
  void close() { fd_.reset(); }
  // The next response (a 100 Continue is one: its head only). A HEAD request's answer has no
  // body: say so. Throws when it does not come whole within timeout.
  RawResponse read_response(bool to_head = false,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True when the server closes the connection within timeout, with no byte left unread.
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  [[nodiscard]] const std::string& unread() const { return buffer_; }

 private:
  void fill(std::chrono::steady_clock::time_point end);  // more bytes into buffer_, or throw
  std::string take(std::size_t n, std::chrono::steady_clock::time_point end);
  std::string take_line(std::chrono::steady_clock::time_point end);
  syslab::test::OwnedFd fd_;
  std::string buffer_;
};

// A GET request for target, HTTP/1.1, Host given; extra fields end with CRLF each.
std::string get(std::string_view target, std::string_view extra = "");

}  // namespace httpd_test
