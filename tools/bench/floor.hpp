// What make bench's floor servers share: their options, their listening socket, their stop signal
// and their one-thread epoll loop. A floor is the smallest correct server for its protocol, so
// that every model's CPU can be shown as a multiple of it; only what a floor does with a ready
// connection differs (echo-floor echoes, http-floor answers request heads), and that is the
// derived class's serve(). Every fd here lives until the process exits or close_connection: no
// RAII needed for the few that last the whole run, and the process's exit closes them.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "syslab/error.hpp"

namespace floor_server {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

// Takes a floor's own "--name value" option; false when name is not one of them.
using ExtraOption = std::function<bool(std::string_view name, std::string_view value)>;

// --host and --port, then any option extra takes; anything else throws usage. "--model=..." is
// skipped: make bench names every server's model on its command line.
Options parse_arguments(int argc, char** argv, std::string_view usage,
                        const ExtraOption& extra = {});

// result, or the errno of call as an exception.
int check(int result, std::string_view call);

// A non-blocking listening socket on options' address; prints "listening on HOST:PORT".
int listen_on(const Options& options);

// SIGTERM and SIGINT blocked and read from the returned signalfd: the loop's way out.
int stop_signal_fd();

void watch(int epoll, int op, int fd, std::uint32_t events);

// One thread, one level-triggered epoll set: accepts every client, hands each ready connection
// with its state to serve(), and returns when SIGTERM or SIGINT arrives.
template <class Connection>
class Loop {
 public:
  Loop(int listener, int stop) : listener_(listener), stop_(stop) {
    watch(epoll_, EPOLL_CTL_ADD, listener_, EPOLLIN);
    watch(epoll_, EPOLL_CTL_ADD, stop_, EPOLLIN);
  }
  virtual ~Loop() = default;
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void run() {
    std::array<epoll_event, 256> events{};
    for (;;) {
      const int ready = ::epoll_wait(epoll_, events.data(), events.size(), -1);
      if (ready < 0 && errno == EINTR) continue;
      check(ready, "epoll_wait");
      for (const epoll_event& event : std::span(events.data(), static_cast<std::size_t>(ready))) {
        if (event.data.fd == stop_) return;
        if (event.data.fd == listener_) {
          accept_all();
        } else {
          serve(event.data.fd, connections_[event.data.fd]);
        }
      }
    }
  }

 protected:
  // fd is readable, writable or hung up, as it asked with wait_for.
  virtual void serve(int fd, Connection& connection) = 0;

  // What fd waits for next: EPOLLIN or EPOLLOUT.
  void wait_for(int fd, std::uint32_t events) { watch(epoll_, EPOLL_CTL_MOD, fd, events); }

  // Forgets fd's state (any reference to it dangles from here) and closes it.
  void close_connection(int fd) {
    connections_.erase(fd);
    ::close(fd);  // also removes it from the epoll set
  }

 private:
  void accept_all() {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == ECONNABORTED || errno == EINTR) continue;  // that client gave up: next
        syslab::throw_errno("accept4");  // EMFILE and the like: the floor does not shed load
      }
      connections_[fd];
      watch(epoll_, EPOLL_CTL_ADD, fd, EPOLLIN);
    }
  }

  int epoll_ = check(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
  int listener_;
  int stop_;
  std::unordered_map<int, Connection> connections_;
};

}  // namespace floor_server
