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

#include "syslab/echo_suite.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
namespace echo = syslab::test::echo;

namespace {

constexpr int kConnections = 10000;
// Connects not yet accepted are capped below the listen backlog (somaxconn, 4096 by default):
// a full accept queue drops SYNs, and the client would retry only after a second.
constexpr std::size_t kMaxUnaccepted = 1000;

// The soft RLIMIT_NOFILE raised to the hard limit for one scope (setrlimit, not the lab's code).
class RaisedFdLimit {
 public:
  RaisedFdLimit() {
    ::getrlimit(RLIMIT_NOFILE, &previous_);
    rlimit raised = previous_;
    raised.rlim_cur = raised.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &raised);
  }
  ~RaisedFdLimit() { ::setrlimit(RLIMIT_NOFILE, &previous_); }
  RaisedFdLimit(const RaisedFdLimit&) = delete;
  RaisedFdLimit& operator=(const RaisedFdLimit&) = delete;
  [[nodiscard]] rlim_t hard() const { return previous_.rlim_max; }

 private:
  rlimit previous_{};
};

// How many fds a process has: the entries of /proc/PID/fd (cheaper than reading each link).
std::size_t count_fds(pid_t pid) {
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return 0;
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
  ::closedir(dir);
  return count;
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

// Waits for events on epoll_fd, calling handle(index, events) for each, until done() or the
// deadline. False at the deadline.
template <typename Handle, typename Done>
bool pump(int epoll_fd, const Deadline& deadline, Handle handle, Done done) {
  std::vector<epoll_event> events(1024);
  while (!done()) {
    if (deadline.expired()) return false;
    const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()),
                               std::min(deadline.remaining_ms(), 200));
    if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait failed");
    for (int i = 0; i < n; ++i)
      handle(events[static_cast<std::size_t>(i)].data.u32,
             events[static_cast<std::size_t>(i)].events);
  }
  return true;
}

void check_c10k(std::vector<std::string> argv) {
  const RaisedFdLimit raised;
  ASSERT_GE(raised.hard(), static_cast<rlim_t>(kConnections + 100))
      << "the hard RLIMIT_NOFILE (ulimit -Hn) is too low for this test";
  argv.insert(argv.end(), {"--port", "0"});
  echo::ServerProcess srv(argv);
  const Deadline deadline(90s);
  OwnedFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  const std::size_t server_fds_at_start = count_fds(srv.pid());
  std::vector<OwnedFd> conns;
  conns.reserve(kConnections);
  std::vector<int> state(kConnections, 0);  // 0 connecting, 1 connected, 2 echoed
  std::vector<std::string> got(kConnections);
  int connected = 0;
  const auto on_connect = [&](std::uint32_t i, std::uint32_t events) {
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(conns[i].get(), SOL_SOCKET, SO_ERROR, &error, &length);
    ASSERT_TRUE(error == 0 && (events & EPOLLOUT))
        << "connect " << i << ": " << std::strerror(error);
    epoll_event event{EPOLLIN, {.u32 = i}};
    ::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, conns[i].get(), &event);
    if (state[i] == 0) ++connected;
    state[i] = 1;
  };
  for (int i = 0; i < kConnections; ++i) {
    if (i % 250 == 0) {  // pace: let the server accept before the backlog fills
      ASSERT_TRUE(poll_until(
          deadline,
          [&] {
            return static_cast<std::size_t>(i) <
                   kMaxUnaccepted + count_fds(srv.pid()) - server_fds_at_start;
          },
          1ms))
          << "the server accepted only " << count_fds(srv.pid()) - server_fds_at_start << " of "
          << i << " connections";
    }
    conns.push_back(start_connect(epoll.get(), srv.port(), static_cast<std::uint32_t>(i)));
  }
  ASSERT_TRUE(pump(epoll.get(), deadline, on_connect, [&] { return connected == kConnections; }))
      << connected << " of " << kConnections << " connects completed";
  std::size_t open_on_server = 0;
  EXPECT_TRUE(poll_until(
      deadline,
      [&] {
        open_on_server = count_fds(srv.pid()) - server_fds_at_start;
        return open_on_server >= static_cast<std::size_t>(kConnections);
      },
      10ms))
      << "the server has " << open_on_server << " connections open at once, not " << kConnections;

  // Every connection at once: one message each, then every echo.
  for (int i = 0; i < kConnections; ++i) {
    const std::string message = "c10k #" + std::to_string(i) + "\n";
    ASSERT_EQ(::send(conns[i].get(), message.data(), message.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(message.size()));
  }
  int echoed = 0;
  const auto on_echo = [&](std::uint32_t i, std::uint32_t) {
    char buffer[64];
    const ssize_t n = ::recv(conns[i].get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) got[i].append(buffer, static_cast<std::size_t>(n));
    const std::string want = "c10k #" + std::to_string(i) + "\n";
    if (state[i] == 1 && got[i].size() >= want.size()) {
      ASSERT_EQ(got[i], want) << "connection " << i;
      state[i] = 2;
      ++echoed;
    }
    ASSERT_NE(n, 0) << "connection " << i << " closed by the server before its echo";
  };
  EXPECT_TRUE(pump(epoll.get(), deadline, on_echo, [&] { return echoed == kConnections; }))
      << echoed << " of " << kConnections << " connections got their echo";
  conns.clear();
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
