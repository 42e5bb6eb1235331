// Lab 11 tests: small helpers shared by the test files (socket pairs, the kernel's view of an
// epoll fd, the fd limit raised for a scope). Threads and CPU time of a process: syslab/proc.hpp.
#pragma once

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "syslab/proc.hpp"
#include "syslab/test.hpp"

namespace epoll_test {

using syslab::test::OwnedFd;

// A connected pair of non-blocking, close-on-exec Unix stream sockets.
struct SocketPair {
  OwnedFd a;
  OwnedFd b;
};
SocketPair make_socket_pair();

// write(2) all of text to a (non-blocking) fd that has room for it; fails the test otherwise.
void put(int fd, const std::string& text);
// Reads until EAGAIN: everything that is there now.
std::string drain(int fd);
// One read of at most n bytes ("" at EAGAIN).
std::string read_some(int fd, std::size_t n);

// The "tfd:" lines of /proc/PID/fdinfo/EPFD: the fds an epoll instance watches, with their
// event masks (what epoll_ctl was given, plus EPOLLERR | EPOLLHUP).
struct WatchedFd {
  int fd = -1;
  unsigned events = 0;
};
std::vector<WatchedFd> epoll_watch_list(int epoll_fd, pid_t pid = 0);

// The fds of a process whose /proc/PID/fd link is exactly target ("anon_inode:[eventpoll]").
std::vector<int> fds_pointing_to(pid_t pid, const std::string& target);

// The soft RLIMIT_NOFILE raised to the hard limit for one scope (setrlimit, not the lab's code);
// a server started meanwhile inherits it.
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

}  // namespace epoll_test
