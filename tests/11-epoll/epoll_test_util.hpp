// Lab 11 tests: small helpers shared by the test files (socket pairs, the kernel's view of an
// epoll fd, CPU time of a process).
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <string>
#include <vector>

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

// The threads of a process (pid 0: this one) that are its own: Threads: in /proc/PID/status,
// minus the background thread that ThreadSanitizer's runtime starts in a process the first time
// it starts a thread (the tests and the server are built with the same sanitizer).
int own_threads(pid_t pid = 0);

// utime + stime of a process in clock ticks, from /proc/PID/stat (fields 14 and 15).
long long cpu_ticks(pid_t pid);

}  // namespace epoll_test
