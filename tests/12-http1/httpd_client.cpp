// Lab 12 tests: httpd under test and a raw HTTP/1.1 client (see httpd_client.hpp).
#include "httpd_client.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>

#include "syslab/echo_client.hpp"
#include "syslab/files.hpp"
#include "syslab/process.hpp"

namespace httpd_test {

namespace echo = syslab::test::echo;
using Clock = std::chrono::steady_clock;

namespace {

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

syslab::test::Deadline deadline_at(Clock::time_point end) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
  return syslab::test::Deadline(std::max(left, std::chrono::milliseconds(0)));
}

// The number after "name: " in a lowercased head, or -1.
long long field_number(const std::string& head, std::string_view name) {
  const std::string key = "\r\n" + std::string(name) + ":";
  const std::size_t at = head.find(key);
  if (at == std::string::npos) return -1;
  return std::stoll(head.substr(at + key.size()));
}

}  // namespace

const std::string& web_root() {
  // It lives as long as the process (each test runs in a process of its own), so it outlives
  // every server the test starts.
  static const syslab::test::TempDir root;
  static const bool written = (syslab::test::write_file(root / "index.html", "hello\n"), true);
  (void)written;
  return root.path();
}

std::unique_ptr<ServerProcess> start_httpd(std::vector<std::string> extra, bool quiet) {
  std::vector<std::string> argv = {syslab::test::program_path("httpd"), "--root", web_root()};
  if (quiet) argv.push_back("--quiet");
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<ServerProcess>(std::move(argv));
}

std::uint16_t tls_port(const ServerProcess& server) {
  const std::string& line = server.listening_line();
  const std::string separator = " and ";
  const std::size_t start = line.find(separator);
  if (start == std::string::npos) {
    throw std::runtime_error("no TLS port in httpd's line \"" + line +
                             "\" (expected \"listening on ADDRESS:PORT and ADDRESS:TLSPORT "
                             "(TLS)\")");
  }
  const std::string second = line.substr(start + separator.size());
  const std::string address = second.substr(0, second.find(' '));
  const std::size_t colon = address.rfind(':');
  const int port = colon == std::string::npos ? 0 : std::atoi(address.c_str() + colon + 1);
  if (port <= 0 || port > 65535) {
    throw std::runtime_error("no TLS port in httpd's line \"" + line + "\"");
  }
  return static_cast<std::uint16_t>(port);
}

bool RawResponse::has(std::string_view field_line) const {
  return head.find("\r\n" + std::string(field_line) + "\r\n") != std::string::npos;
}

RawClient::RawClient(std::uint16_t port)
    : fd_(echo::connect_loopback(port, syslab::test::Deadline(std::chrono::seconds(5)))) {
  echo::set_nodelay(fd_.get());
}

void RawClient::send(std::string_view bytes) {
  echo::send_all(fd_.get(), bytes, syslab::test::Deadline(std::chrono::seconds(5)));
}

void RawClient::fill(Clock::time_point end) {
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, MSG_DONTWAIT);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return;
    }
    if (n == 0 || errno == ECONNRESET) {
      echo::fail("the server closed the connection; unread: \"" + buffer_ + "\"");
    }
    if (errno == EAGAIN && echo::wait_for(fd_.get(), POLLIN, deadline_at(end)) == 0) {
      echo::fail("no whole response before the deadline; got: \"" + buffer_ + "\"");
    }
    if (errno != EAGAIN && errno != EINTR) echo::fail("recv", errno);
  }
}

std::string RawClient::take(std::size_t n, Clock::time_point end) {
  while (buffer_.size() < n) fill(end);
  std::string got = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return got;
}

std::string RawClient::take_line(Clock::time_point end) {
  std::size_t at;
  while ((at = buffer_.find("\r\n")) == std::string::npos) fill(end);
  return take(at + 2, end);
}

RawResponse RawClient::read_response(bool to_head, std::chrono::milliseconds timeout) {
  const Clock::time_point end = Clock::now() + timeout;
  std::size_t at;
  while ((at = buffer_.find("\r\n\r\n")) == std::string::npos) fill(end);
  RawResponse response;
  response.head = lowercase(take(at + 4, end));
  response.status = std::stoi(response.head.substr(9, 3));
  if (to_head || response.status < 200 || response.status == 204 || response.status == 304) {
    return response;
  }
  const long long length = field_number(response.head, "content-length");
  if (length >= 0) {
    response.body = take(static_cast<std::size_t>(length), end);
  } else if (response.has("transfer-encoding: chunked")) {
    for (;;) {
      const std::size_t size = std::stoul(take_line(end), nullptr, 16);
      if (size == 0) break;
      response.body += take(size, end);
      (void)take(2, end);
    }
    (void)take_line(end);  // no trailers: the blank line
  } else {                 // until the close
    try {
      for (;;) fill(end);
    } catch (const std::runtime_error&) {
      response.body = std::move(buffer_);
      buffer_.clear();
    }
  }
  return response;
}

bool RawClient::closed_by_server(std::chrono::milliseconds timeout) {
  if (!buffer_.empty()) return false;
  return echo::wait_for_close(fd_.get(), syslab::test::Deadline(timeout));
}

std::string get(std::string_view target, std::string_view extra) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra) + "\r\n";
}

}  // namespace httpd_test
