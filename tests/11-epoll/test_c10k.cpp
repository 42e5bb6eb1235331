// Lab 11 tests: C10K. 10,000 connections open at the same time, then each echoes a message, on
// both models. The test is a client of its own, on raw epoll (not the lab's code), with its soft
// RLIMIT_NOFILE raised to the hard limit (the server raises its own: lab 03).
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "epoll_test_util.hpp"
#include "syslab/echo_suite.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using epoll_test::RaisedFdLimit;
namespace echo = syslab::test::echo;

namespace {

constexpr int kConnections = 10000;
// Connects not yet accepted are capped below the listen backlog (somaxconn, 4096 by default):
// a full accept queue drops SYNs, and the client would retry only after a second.
constexpr std::size_t kMaxUnaccepted = 1000;

// How many fds a process has: the entries of /proc/PID/fd (cheaper than reading each link); 0
// when it is gone.
std::size_t count_fds(pid_t pid) {
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return 0;
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
  ::closedir(dir);
  return count;
}

// How many more fds than `start` a process has now (0 if fewer: a server that died has none).
std::size_t fds_beyond(pid_t pid, std::size_t start) {
  const std::size_t now = count_fds(pid);
  return now > start ? now - start : 0;
}

// Starts a non-blocking connect to 127.0.0.1:port and watches it for EPOLLOUT (data: index).
OwnedFd start_connect(int epoll_fd, std::uint16_t port, std::uint32_t index) {
  OwnedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0 &&
      errno != EINPROGRESS) {
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  }
  epoll_event event{};
  event.events = EPOLLOUT;
  event.data.u32 = index;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd.get(), &event) < 0) {
    throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  return fd;
}

// Waits for events on epoll_fd, calling handle(index, events) for each, until done() (true), the
// deadline or a failed assertion in handle (false).
template <typename Handle, typename Done>
bool pump(int epoll_fd, const Deadline& deadline, Handle handle, Done done) {
  std::vector<epoll_event> events(1024);
  while (!done()) {
    if (deadline.expired() || testing::Test::HasFatalFailure()) return false;
    const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()),
                               std::min(deadline.remaining_ms(), 200));
    if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait failed");
    for (int i = 0; i < n; ++i)
      handle(events[static_cast<std::size_t>(i)].data.u32,
             events[static_cast<std::size_t>(i)].events);
  }
  return true;
}

// The client side: kConnections sockets on one epoll instance of the test's own.
class C10kClient {
 public:
  C10kClient() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) { conns_.reserve(kConnections); }

  // Connects every socket, paced so that the server's accept queue never fills, and waits until
  // every connect has completed.
  void connect_all(const echo::ServerProcess& srv, const Deadline& deadline) {
    const std::size_t fds_at_start = count_fds(srv.pid());
    const auto accepted = [&] { return fds_beyond(srv.pid(), fds_at_start); };
    for (int i = 0; i < kConnections; ++i) {
      if (i % 250 == 0) {  // not more than kMaxUnaccepted connects ahead of the server's accepts
        const auto caught_up = [&] {
          return static_cast<std::size_t>(i) < kMaxUnaccepted + accepted();
        };
        ASSERT_TRUE(poll_until(deadline, caught_up, 1ms))
            << "the server accepted only " << accepted() << " of " << i << " connections";
      }
      conns_.push_back(start_connect(epoll_.get(), srv.port(), static_cast<std::uint32_t>(i)));
    }
    int connected = 0;
    const auto on_connect = [&](std::uint32_t i, std::uint32_t events) {
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(conns_[i].get(), SOL_SOCKET, SO_ERROR, &error, &length);
      ASSERT_TRUE(error == 0 && (events & EPOLLOUT) != 0)
          << "connect " << i << ": " << std::strerror(error);
      epoll_event event{EPOLLIN, {.u32 = i}};  // from now on: wait for the echo
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, conns_[i].get(), &event);
      ++connected;
    };
    ASSERT_TRUE(pump(epoll_.get(), deadline, on_connect, [&] { return connected == kConnections; }))
        << connected << " of " << kConnections << " connects completed";
  }

  // Sends one message on every connection, then reads every echo.
  void echo_all(const Deadline& deadline) {
    for (int i = 0; i < kConnections; ++i) {
      const std::string message = message_of(i);
      ASSERT_EQ(::send(conns_[i].get(), message.data(), message.size(), MSG_NOSIGNAL),
                static_cast<ssize_t>(message.size()));
    }
    std::vector<std::string> got(kConnections);
    int echoed = 0;
    const auto on_echo = [&](std::uint32_t i, std::uint32_t) {
      char buffer[64];
      const ssize_t n = ::recv(conns_[i].get(), buffer, sizeof buffer, MSG_DONTWAIT);
      ASSERT_NE(n, 0) << "connection " << i << " closed by the server before its echo";
      if (n < 0) return;
      const std::string want = message_of(static_cast<int>(i));
      const bool was_short = got[i].size() < want.size();
      got[i].append(buffer, static_cast<std::size_t>(n));
      if (!was_short || got[i].size() < want.size()) return;  // counted already, or more to come
      ASSERT_EQ(got[i], want) << "connection " << i;
      ++echoed;
    };
    EXPECT_TRUE(pump(epoll_.get(), deadline, on_echo, [&] { return echoed == kConnections; }))
        << echoed << " of " << kConnections << " connections got their echo";
  }

  void close_all() { conns_.clear(); }

 private:
  static std::string message_of(int i) { return "c10k #" + std::to_string(i) + "\n"; }

  OwnedFd epoll_;
  std::vector<OwnedFd> conns_;
};

void check_c10k(std::vector<std::string> argv) {
  const RaisedFdLimit raised;
  ASSERT_GE(raised.hard(), static_cast<rlim_t>(kConnections + 100))
      << "the hard RLIMIT_NOFILE (ulimit -Hn) is too low for this test";
  argv.insert(argv.end(), {"--port", "0"});
  echo::ServerProcess srv(argv);
  const std::size_t server_fds_at_start = count_fds(srv.pid());
  const Deadline deadline(90s);
  C10kClient client;
  client.connect_all(srv, deadline);
  if (testing::Test::HasFatalFailure()) return;
  // All open at the same time, as the server's fd table shows.
  std::size_t open_on_server = 0;
  EXPECT_TRUE(poll_until(
      deadline,
      [&] {
        open_on_server = fds_beyond(srv.pid(), server_fds_at_start);
        return open_on_server >= static_cast<std::size_t>(kConnections);
      },
      10ms))
      << "the server has " << open_on_server << " connections open at once, not " << kConnections;
  client.echo_all(deadline);
  client.close_all();
  const ExitStatus status = srv.stop(30s);
  EXPECT_TRUE(status.success()) << "after the clients left, SIGTERM: " << status.describe();
}

}  // namespace

SYSLAB_TEST(C10k, EpollServes10000ConcurrentConnections, 4,
            "10,000 connections at once: 10,000 fds (raise the soft RLIMIT_NOFILE to the hard "
            "limit with lab 03's raise_nofile_soft_limit) and a wait that does not look at all "
            "of them (epoll)",
            "a large listen backlog (4096, somaxconn's cap) so that bursts of connects are not "
            "dropped; accept until EAGAIN at each report",
            "nothing per connection may cost O(connections): no scan of every connection per "
            "event, 64 KiB read buffers on the stack, not in each connection") {
  check_c10k({program_path("echo-server"), "--host", "127.0.0.1", "--model=epoll"});
}
SYSLAB_TIMEOUT(C10k, EpollServes10000ConcurrentConnections, 120);

SYSLAB_TEST(C10k, EpollThreadsServes10000ConcurrentConnections, 3,
            "the same with an acceptor loop and 2 I/O loops",
            "the acceptor hands each connection to an I/O loop with run_in_loop: one eventfd "
            "write per connection at most",
            "the connection table is the base loop's: a close on an I/O loop hops back to it") {
  check_c10k({program_path("echo-server"), "--host", "127.0.0.1", "--model=epoll-threads",
              "--threads", "2"});
}
SYSLAB_TIMEOUT(C10k, EpollThreadsServes10000ConcurrentConnections, 120);
