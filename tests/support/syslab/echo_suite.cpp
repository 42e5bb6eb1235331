#include "syslab/echo_suite.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace syslab::test::echo {

using namespace std::chrono_literals;

namespace {

[[noreturn]] void fail(const std::string& what, int error = 0) {
  throw std::runtime_error(error == 0 ? what : what + ": " + std::strerror(error));
}

// poll for events on fd until the deadline: the revents, or 0 when the deadline passed.
short wait_for(int fd, short events, const Deadline& deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int n = ::poll(&entry, 1, deadline.remaining_ms());
    if (n > 0) return entry.revents;
    if (n == 0) return 0;
    if (errno != EINTR) fail("poll", errno);
  }
}

void set_nodelay(int fd) {
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) fail("TCP_NODELAY", errno);
}

}  // namespace

// ---- client ------------------------------------------------------------------------------------

int try_connect(std::uint16_t port, const Deadline& deadline, OwnedFd& conn) {
  OwnedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) fail("socket", errno);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    if (errno != EINPROGRESS) return errno;
    if (wait_for(fd.get(), POLLOUT, deadline) == 0) return ETIMEDOUT;
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) < 0) fail("SO_ERROR", errno);
    if (error != 0) return error;
  }
  conn = std::move(fd);
  return 0;
}

OwnedFd connect_loopback(std::uint16_t port, const Deadline& deadline) {
  OwnedFd conn;
  const int error = try_connect(port, deadline, conn);
  if (error != 0) fail("connect 127.0.0.1:" + std::to_string(port), error);
  return conn;
}

void send_all(int fd, std::string_view bytes, const Deadline& deadline) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n =
        ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN) {
      if (wait_for(fd, POLLOUT, deadline) == 0) {
        fail("send: deadline passed after " + std::to_string(sent) + " of " +
             std::to_string(bytes.size()) + " bytes (the server does not read?)");
      }
    } else if (errno != EINTR) {
      fail("send", errno);
    }
  }
}

std::string recv_exact(int fd, std::size_t n, const Deadline& deadline) {
  std::string got = recv_until(fd, n, deadline);
  if (got.size() < n) {
    fail("recv: " + std::to_string(got.size()) + " of " + std::to_string(n) +
         " bytes came back before EOF or the deadline");
  }
  return got;
}

std::string recv_until(int fd, std::size_t max, const Deadline& deadline) {
  std::string got;
  char buffer[65536];
  while (got.size() < max) {
    const ssize_t n = ::recv(fd, buffer, std::min(sizeof buffer, max - got.size()), MSG_DONTWAIT);
    if (n > 0) {
      got.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno == ECONNRESET) {
      break;
    } else if (errno == EAGAIN) {
      if (wait_for(fd, POLLIN, deadline) == 0) break;
    } else if (errno != EINTR) {
      fail("recv", errno);
    }
  }
  return got;
}

bool wait_for_close(int fd, const Deadline& deadline) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n < 0 && errno == EAGAIN && wait_for(fd, POLLIN, deadline) == 0) return false;
    if (n < 0 && errno != EAGAIN && errno != EINTR) fail("recv", errno);
  }
}

std::string exchange(int fd, std::string_view payload, const Deadline& deadline,
                     const std::vector<std::size_t>& pieces) {
  std::string got;
  got.reserve(payload.size());
  std::size_t sent = 0;
  std::size_t piece = 0;
  char buffer[65536];
  while (got.size() < payload.size()) {
    const short want = static_cast<short>(POLLIN | (sent < payload.size() ? POLLOUT : 0));
    const short ready = wait_for(fd, want, deadline);
    if (ready == 0) {
      fail("exchange: deadline passed; sent " + std::to_string(sent) + ", received " +
           std::to_string(got.size()) + " of " + std::to_string(payload.size()) + " bytes");
    }
    if (sent < payload.size() && (ready & POLLOUT) != 0) {
      std::size_t size = payload.size() - sent;
      if (!pieces.empty()) size = std::min(size, pieces[piece++ % pieces.size()]);
      const ssize_t n = ::send(fd, payload.data() + sent, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) sent += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) fail("send", errno);
    }
    if ((ready & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n == 0) {
        fail("exchange: EOF after " + std::to_string(got.size()) + " of " +
             std::to_string(payload.size()) + " bytes");
      }
      if (n > 0) got.append(buffer, static_cast<std::size_t>(n));
      if (n < 0 && errno != EAGAIN && errno != EINTR) fail("recv", errno);
    }
  }
  return got;
}

std::size_t send_until_full(int fd, std::chrono::milliseconds quiet, std::size_t limit) {
  const std::string chunk(65536, 's');
  std::size_t sent = 0;
  while (sent < limit) {
    const ssize_t n =
        ::send(fd, chunk.data(), std::min(chunk.size(), limit - sent), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EAGAIN) {
      if (wait_for(fd, POLLOUT, Deadline(quiet)) == 0) break;  // not writable for `quiet`: full
    } else if (n < 0 && errno != EINTR) {
      fail("send", errno);
    }
  }
  return sent;
}

std::string payload(std::size_t n, std::uint32_t seed) {
  std::string bytes(n, '\0');
  std::uint32_t state = seed == 0 ? 1 : seed;
  for (char& byte : bytes) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

std::optional<std::size_t> first_difference(std::string_view a, std::string_view b) {
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  if (ia == a.end() && ib == b.end()) return std::nullopt;
  return static_cast<std::size_t>(ia - a.begin());
}

// ---- the server under test ---------------------------------------------------------------------

ServerProcess::ServerProcess(std::vector<std::string> argv, std::chrono::milliseconds startup)
    : argv_(std::move(argv)) {
  TestPipe out = make_pipe();
  std::vector<char*> args;
  for (std::string& arg : argv_) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) fail("fork", errno);
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec.
    ::dup2(out.write_end.get(), STDOUT_FILENO);  // the copy is not close-on-exec
    ::close_range(3, ~0U, 0);  // the server starts with 0, 1 and 2 only: its fd counts are its own
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  out.write_end.reset();
  stdout_ = std::move(out.read_end);

  const Deadline deadline(startup);
  std::string text;
  while (text.find('\n') == std::string::npos) {
    char buffer[256];
    if (!wait_readable(stdout_.get(), deadline)) {
      stop(100ms);
      fail("server " + argv_[0] + ": no \"listening on\" line within " +
           std::to_string(startup.count()) + " ms; it printed: \"" + text + "\"");
    }
    const ssize_t n = ::read(stdout_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const ExitStatus status = stop(2s);
      fail("server " + argv_[0] + " ended (" + status.describe() +
           ") before it printed \"listening on ADDRESS:PORT\"; it printed: \"" + text + "\"");
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  line_ = text.substr(0, text.find('\n'));
  const std::string prefix = "listening on ";
  const std::size_t colon = line_.rfind(':');
  int port = 0;
  if (line_.rfind(prefix, 0) == 0 && colon != std::string::npos) {
    try {
      port = std::stoi(line_.substr(colon + 1));
    } catch (const std::exception&) {
      port = 0;
    }
  }
  if (port <= 0 || port > 65535) {
    stop(2s);
    fail("server " + argv_[0] +
         ": expected \"listening on ADDRESS:PORT\" with a real port, got \"" + line_ + "\"");
  }
  port_ = static_cast<std::uint16_t>(port);
}

ServerProcess::~ServerProcess() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; stop reaps even when /proc misbehaves
  }
}

int ServerProcess::thread_count() const {
  const std::string status = read_file("/proc/" + std::to_string(pid_) + "/status");
  const std::size_t at = status.find("\nThreads:");
  if (at == std::string::npos)
    fail("no Threads: line in /proc/" + std::to_string(pid_) + "/status");
  return std::stoi(status.substr(at + 9));
}

std::vector<pid_t> ServerProcess::children() const { return children_of(pid_); }

std::size_t ServerProcess::open_fd_count() const { return fds_of(pid_).size(); }

void ServerProcess::signal(int signal) const {
  if (!status_ && ::kill(pid_, signal) < 0) fail("kill", errno);
}

bool ServerProcess::running() {
  if (status_) return false;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) status_ = decode_wait_status(status);
  return !status_;
}

std::optional<ExitStatus> ServerProcess::wait(const Deadline& deadline) {
  (void)poll_until(deadline, [this] { return !running(); });
  return status_;
}

ExitStatus ServerProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return {};
  if (status_) return *status_;
  ::kill(pid_, SIGTERM);
  if (wait(Deadline(grace))) return *status_;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = decode_wait_status(status);
  status_->timed_out = true;
  return *status_;
}

// ---- the checks --------------------------------------------------------------------------------

namespace {

// The server's argv with "--port 0" added.
std::vector<std::string> on_port_zero(std::vector<std::string> server) {
  server.push_back("--port");
  server.push_back("0");
  return server;
}

void expect_same_bytes(std::string_view sent, std::string_view got, std::string_view what) {
  EXPECT_EQ(got.size(), sent.size()) << what << ": the echo has a different length";
  const std::optional<std::size_t> at = first_difference(sent, got);
  EXPECT_FALSE(at.has_value()) << what << ": the echo differs first at byte " << at.value_or(0);
}

}  // namespace

void check_echo_exact(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(20s);
  {
    OwnedFd conn = connect_loopback(server.port(), deadline);
    send_all(conn.get(), "hello, echo\n", deadline);
    EXPECT_EQ(recv_exact(conn.get(), 12, deadline), "hello, echo\n") << "a short line";
  }
  {
    OwnedFd conn = connect_loopback(server.port(), deadline);
    set_nodelay(conn.get());
    const std::string bytes = payload(100003, 11);
    const std::string got =
        exchange(conn.get(), bytes, deadline, {1, 2, 3, 7, 13, 4093, 1, 65537, 8191, 5});
    expect_same_bytes(bytes, got, "100003 bytes in odd pieces");
  }
  {
    OwnedFd conn = connect_loopback(server.port(), deadline);
    const std::string bytes = payload(16 << 20, 16);
    expect_same_bytes(bytes, exchange(conn.get(), bytes, deadline), "16 MiB");
  }
  {
    OwnedFd conn = connect_loopback(server.port(), deadline);
    if (::shutdown(conn.get(), SHUT_WR) < 0) fail("shutdown", errno);
    EXPECT_TRUE(wait_for_close(conn.get(), deadline))
        << "a client that sends nothing and shuts down its side: the server should close too";
  }
  OwnedFd conn = connect_loopback(server.port(), deadline);
  EXPECT_EQ(exchange(conn.get(), "still here", deadline), "still here");
}

void check_concurrent_reverse_order(const std::vector<std::string>& server_argv, int n) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(10s);
  std::vector<OwnedFd> conns;
  for (int i = 0; i < n; ++i) conns.push_back(connect_loopback(server.port(), deadline));
  for (int i = n - 1; i >= 0; --i) {
    const std::string message = "connection " + std::to_string(i) + "\n";
    send_all(conns[i].get(), message, deadline);
    ASSERT_EQ(recv_until(conns[i].get(), message.size(), Deadline(3s)), message)
        << "connection " << i << " of " << n << " (opened all first, written last first) was not "
        << "echoed within 3 s: the server serves one connection at a time?";
  }
}

void check_stalled_client_does_not_block_others(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(10s);
  OwnedFd stalled = connect_loopback(server.port(), deadline);
  // Never read: the server's write to it fills every buffer and blocks (or would block).
  const std::size_t sent = send_until_full(stalled.get(), 200ms, 64 << 20);
  EXPECT_GT(sent, 0U);
  for (int i = 0; i < 3; ++i) {
    OwnedFd other = connect_loopback(server.port(), deadline);
    const std::string message = "client " + std::to_string(i) + " while one is stalled\n";
    send_all(other.get(), message, deadline);
    ASSERT_EQ(recv_until(other.get(), message.size(), Deadline(3s)), message)
        << "a client stalled mid-message (" << sent
        << " bytes sent, nothing read) blocks the others";
  }
  stalled.reset();
  OwnedFd after = connect_loopback(server.port(), deadline);
  EXPECT_EQ(exchange(after.get(), "after the stalled one left", deadline),
            "after the stalled one left");
}

void check_reset_and_disconnect_mid_stream(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(15s);
  const std::size_t fds_at_start = server.open_fd_count();
  {  // A reset mid-stream: some echo read, then RST (SO_LINGER with a zero timeout)
    OwnedFd conn = connect_loopback(server.port(), deadline);
    (void)send_until_full(conn.get(), 100ms, 1 << 20);
    (void)recv_exact(conn.get(), 1, deadline);  // the server is echoing now
    const linger reset{1, 0};
    if (::setsockopt(conn.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset) < 0) {
      fail("SO_LINGER", errno);
    }
  }
  {  // A close while the server writes to us: it was blocked writing the echo we never read
    OwnedFd conn = connect_loopback(server.port(), deadline);
    (void)send_until_full(conn.get(), 100ms, 4 << 20);
  }
  {  // A client that sends, shuts down its side and leaves with the echo unread
    OwnedFd conn = connect_loopback(server.port(), deadline);
    send_all(conn.get(), payload(100000, 3), deadline);
    if (::shutdown(conn.get(), SHUT_WR) < 0) fail("shutdown", errno);
  }
  OwnedFd conn = connect_loopback(server.port(), deadline);
  const std::string bytes = payload(300000, 5);
  expect_same_bytes(bytes, exchange(conn.get(), bytes, deadline),
                    "a client after three that left early");
  conn.reset();
  ASSERT_TRUE(server.running()) << "the server died: SIGPIPE not ignored, or EPIPE/ECONNRESET "
                                   "treated as fatal? ("
                                << server.stop().describe() << ")";
  std::size_t fds_now = 0;
  EXPECT_TRUE(poll_until(Deadline(5s),
                         [&] {
                           fds_now = server.open_fd_count();
                           return fds_now <= fds_at_start;
                         }))
      << "the server had " << fds_at_start << " fds open at the start and still has " << fds_now
      << ": a connection's fd was not closed";
}

void check_graceful_stop(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(15s);
  OwnedFd conn = connect_loopback(server.port(), deadline);
  ASSERT_EQ(exchange(conn.get(), "before the stop", deadline), "before the stop");
  const std::vector<pid_t> children = server.children();
  server.signal(SIGTERM);

  int last_error = 0;
  const bool refused = poll_until(Deadline(5s), [&] {
    OwnedFd probe;
    last_error = try_connect(server.port(), Deadline(1s), probe);
    return last_error == ECONNREFUSED;
  });
  EXPECT_TRUE(refused) << "after SIGTERM, a new connect should be refused once the server stops "
                          "accepting (close the listener); the last attempt gave: "
                       << (last_error == 0 ? "connected" : std::strerror(last_error));
  EXPECT_EQ(exchange(conn.get(), "after the stop", deadline), "after the stop")
      << "the connection open at SIGTERM must still be served";
  conn.reset();
  const std::optional<ExitStatus> status = server.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value())
      << "the server did not exit within 5 s of its last client leaving";
  EXPECT_TRUE(status->success()) << "a graceful stop exits 0; it " << status->describe();
  for (const pid_t child : children) {
    EXPECT_TRUE(
        poll_until(Deadline(5s), [child] { return ::kill(child, 0) < 0 && errno == ESRCH; }))
        << "the server's child " << child << " is still there after the server exited";
  }
}

void check_serialises(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(10s);
  OwnedFd first = connect_loopback(server.port(), deadline);
  ASSERT_EQ(exchange(first.get(), "first client", deadline), "first client");
  // The kernel completes the handshake for the second client (it waits in the listen backlog).
  OwnedFd second = connect_loopback(server.port(), deadline);
  send_all(second.get(), "second client", deadline);
  EXPECT_EQ(recv_until(second.get(), 13, Deadline(300ms)), "")
      << "the second client was echoed while the first was still connected: not iterative";
  EXPECT_EQ(exchange(first.get(), "first again", deadline), "first again")
      << "the first client is still the one being served";
  first.reset();
  EXPECT_EQ(recv_until(second.get(), 13, Deadline(5s)), "second client")
      << "once the first client left, the second one must be served";
}

}  // namespace syslab::test::echo
