// The load engine: non-blocking sockets on one epoll instance. Connect phase first (paced, with a
// deadline), then the measured phase, in which every connection keeps exactly one request in
// flight (closed-loop). Per-connection failures are counted by kind; only epoll failing throws.
#include "load.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "syslab/error.hpp"

namespace bench {
namespace {

using Clock = std::chrono::steady_clock;

enum class State { kUnused, kConnecting, kIdle, kWaiting, kClosed };

struct Connection {
  int fd = -1;  // owned by LoadRun, closed in its destructor
  State state = State::kUnused;
  std::size_t sent = 0;
  std::size_t received = 0;
  bool want_write = false;
  Clock::time_point started;
  std::uint64_t requests = 0;
};

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

// The server's address; only numeric loopback addresses (127.0.0.0/8, ::1) are accepted.
Address loopback_address(const std::string& host, std::uint16_t port) {
  Address address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) {
      throw std::invalid_argument(host + " is not a loopback address (127.0.0.0/8)");
    }
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    address.length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) {
      throw std::invalid_argument(host + " is not the loopback address ::1");
    }
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    address.length = sizeof(sockaddr_in6);
  } else {
    throw std::invalid_argument("\"" + host + "\" is not a numeric IPv4 or IPv6 address");
  }
  return address;
}

std::string errno_name(int error) {
  const char* name = ::strerrorname_np(error);
  return name != nullptr ? name : std::to_string(error);
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// User plus system CPU time of this process: near the wall time, the client is the bottleneck.
double cpu_seconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) < 0) syslab::throw_errno("getrusage");
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

class LoadRun {
 public:
  explicit LoadRun(const LoadOptions& options)
      : options_(options),
        address_(loopback_address(options.host, options.port)),
        epoll_(::epoll_create1(EPOLL_CLOEXEC)),
        connections_(static_cast<std::size_t>(options.connections)),
        message_(options.message_size, '\0'),
        buffer_(options.message_size, '\0') {
    if (epoll_ < 0) syslab::throw_errno("epoll_create1");
    for (std::size_t i = 0; i < message_.size(); ++i) message_[i] = static_cast<char>('a' + i % 26);
    result_.asked = options.connections;
  }
  ~LoadRun() {
    for (const Connection& c : connections_) {
      if (c.fd >= 0) ::close(c.fd);  // not retried on EINTR: the fd is gone either way
    }
    ::close(epoll_);
  }
  LoadRun(const LoadRun&) = delete;
  LoadRun& operator=(const LoadRun&) = delete;

  LoadResult run() {
    connect_all();
    if (options_.on_phase) options_.on_phase("connected");
    measure();
    if (options_.on_phase) options_.on_phase("measured");
    return result_;
  }

 private:
  // Opens every connection, at most connects_in_flight at a time, until the connect deadline.
  void connect_all() {
    const Clock::time_point begin = Clock::now();
    const Clock::time_point deadline =
        begin + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(options_.connect_timeout_s));
    std::size_t next = 0;
    while (result_.established + result_.failed < result_.asked) {
      while (in_flight_ < options_.connects_in_flight && next < connections_.size()) {
        start_connect(next++);
      }
      if (Clock::now() >= deadline) break;
      wait_and_dispatch(deadline);
    }
    for (Connection& c : connections_) {
      if (c.state == State::kConnecting || c.state == State::kUnused) {
        fail(c, c.state == State::kConnecting ? "connect: no answer before the connect deadline"
                                              : "connect: not tried before the connect deadline");
      }
    }
    result_.connect_s = seconds_between(begin, Clock::now());
  }

  // The measured phase: every connection sends; each echo completed before the end sends again.
  void measure() {
    const double cpu_before = cpu_seconds();
    const Clock::time_point begin = Clock::now();
    end_ = begin + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(options_.duration_s));
    measuring_ = true;
    for (Connection& c : connections_) {
      if (c.state == State::kIdle) send_request(c);
    }
    while (Clock::now() < end_) wait_and_dispatch(end_);
    const Clock::time_point finished = Clock::now();
    result_.duration_s = seconds_between(begin, finished);
    result_.cpu_s = cpu_seconds() - cpu_before;
    for (const Connection& c : connections_) {
      if (c.requests > 0) ++result_.served;
      if (c.state == State::kWaiting) {
        ++result_.pending_at_end;
        const auto age = std::chrono::duration_cast<std::chrono::nanoseconds>(finished - c.started);
        result_.oldest_pending_ns =
            std::max(result_.oldest_pending_ns, static_cast<std::uint64_t>(age.count()));
      }
    }
  }

  void start_connect(std::size_t index) {
    Connection& c = connections_[index];
    c.fd = ::socket(address_.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return fail(c, "socket: " + errno_name(errno));
    const int one = 1;  // small requests must not wait for Nagle's algorithm
    if (::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) {
      return fail(c, "setsockopt TCP_NODELAY: " + errno_name(errno));
    }
    c.state = State::kConnecting;
    if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&address_.storage), address_.length) ==
        0) {
      return connected(c, index, EPOLL_CTL_ADD);
    }
    if (errno != EINPROGRESS) return fail(c, "connect: " + errno_name(errno));
    watch(c, index, EPOLL_CTL_ADD, EPOLLOUT);
    ++in_flight_;
  }

  void connected(Connection& c, std::size_t index, int op) {
    c.state = State::kIdle;
    ++result_.established;
    watch(c, index, op, EPOLLIN);
  }

  void watch(Connection& c, std::size_t index, int op, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = index;
    if (::epoll_ctl(epoll_, op, c.fd, &event) < 0) syslab::throw_errno("epoll_ctl", "connection");
  }

  void wait_and_dispatch(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    const int timeout = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1000));
    std::array<epoll_event, 1024> events{};
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) syslab::throw_errno("epoll_wait");
    for (int i = 0; i < n; ++i) dispatch(events[i].data.u64, events[i].events);
  }

  void dispatch(std::size_t index, std::uint32_t events) {
    Connection& c = connections_[index];
    if (c.state == State::kConnecting) return finish_connect(c, index);
    if (c.state == State::kClosed) return;
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) on_readable(c);
    if (c.state == State::kWaiting && (events & EPOLLOUT) != 0) write_request(c, index);
  }

  void finish_connect(Connection& c, std::size_t index) {
    --in_flight_;
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) error = errno;
    if (error != 0) return fail(c, "connect: " + errno_name(error));
    connected(c, index, EPOLL_CTL_MOD);
  }

  void send_request(Connection& c) {
    c.state = State::kWaiting;
    c.sent = 0;
    c.received = 0;
    c.started = Clock::now();
    write_request(c, static_cast<std::size_t>(&c - connections_.data()));
  }

  // Writes what is left of the request; asks for EPOLLOUT only while the socket buffer is full.
  void write_request(Connection& c, std::size_t index) {
    while (c.sent < message_.size()) {
      const ssize_t n =
          ::send(c.fd, message_.data() + c.sent, message_.size() - c.sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n < 0) return fail(c, "send: " + errno_name(errno));
      c.sent += static_cast<std::size_t>(n);
    }
    const bool want_write = c.sent < message_.size();
    if (want_write != c.want_write) {
      c.want_write = want_write;
      watch(c, index, EPOLL_CTL_MOD, want_write ? EPOLLIN | EPOLLOUT : EPOLLIN);
    }
  }

  // One recv per readiness event: epoll is level-triggered, so bytes left unread are reported
  // again, and a second recv would nearly always be an EAGAIN (one request is in flight).
  void on_readable(Connection& c) {
    ssize_t n = 0;
    do {
      n = ::recv(c.fd, buffer_.data(), buffer_.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) return fail(c, "recv: " + errno_name(errno));
    if (n == 0) return fail(c, "the server closed the connection");
    const auto got = static_cast<std::size_t>(n);
    if (c.state != State::kWaiting || c.received + got > c.sent ||
        std::memcmp(buffer_.data(), message_.data() + c.received, got) != 0) {
      return fail(c, "bytes that are not the echo of what was sent");
    }
    c.received += got;
    if (c.received == message_.size()) complete_request(c);
  }

  void complete_request(Connection& c) {
    const Clock::time_point now = Clock::now();
    result_.latency.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.started).count()));
    ++result_.requests;
    ++c.requests;
    result_.bytes += message_.size();
    c.state = State::kIdle;
    if (measuring_ && now < end_) send_request(c);
  }

  void fail(Connection& c, const std::string& what) {
    if (c.state == State::kConnecting || c.state == State::kUnused) ++result_.failed;
    c.state = State::kClosed;
    ++result_.errors[what];
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
  }

  LoadOptions options_;
  Address address_;
  int epoll_;
  std::vector<Connection> connections_;
  std::string message_;
  std::string buffer_;
  LoadResult result_;
  int in_flight_ = 0;
  bool measuring_ = false;
  Clock::time_point end_;
};

}  // namespace

LoadResult run_load(const LoadOptions& options) {
  LoadRun run(options);
  return run.run();
}

}  // namespace bench
