// Helpers for lab 04's tests: waiting for a child with a deadline (a pidfd, never a sleep),
// children that block until told to go, and reading what a pipe or /proc says.
#pragma once

#include <dirent.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>

#include "child_process.hpp"
#include "syslab/test.hpp"

namespace fork_zombies_test {

using namespace syslab::test;
using namespace std::chrono_literals;

// Waits for child to end (watching a pidfd until the deadline), then reaps it with the lab's
// wait(). nullopt, with a test failure, when it does not end in time; it is left to the
// ChildProcess destructor then.
inline std::optional<proc::WaitStatus> wait_within(proc::ChildProcess& child,
                                                   std::chrono::milliseconds budget = 5s) {
  if (!child.ok()) {
    ADD_FAILURE() << "the ChildProcess owns no child to wait for";
    return std::nullopt;
  }
  const long pidfd = ::syscall(SYS_pidfd_open, child.pid(), 0);
  if (pidfd < 0) throw std::system_error(errno, std::generic_category(), "pidfd_open");
  const OwnedFd owned(static_cast<int>(pidfd));
  if (!wait_readable(owned.get(), Deadline(budget))) {
    ADD_FAILURE() << "child " << child.pid() << " did not end within " << budget.count() << " ms";
    return std::nullopt;
  }
  return child.wait();
}

// In a child: closes its copy of the pipe's write end, then blocks until the parent writes a
// byte (returns 0) or closes its write end (returns 1).
inline int block_until_told(OwnedFd& write_end, const OwnedFd& read_end) {
  write_end.reset();
  char byte = 0;
  ssize_t n;
  do {
    n = ::read(read_end.get(), &byte, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1 ? 0 : 1;
}

// Writes the whole string to fd (a test pipe: small writes, no short counts to fear).
inline bool send(int fd, const std::string& text) {
  return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// Reads exactly size bytes from fd, or fails the test at the deadline or at EOF.
inline bool receive_exact(int fd, void* into, std::size_t size, const Deadline& deadline) {
  auto* bytes = static_cast<char*>(into);
  std::size_t got = 0;
  while (got < size) {
    if (!wait_readable(fd, deadline)) {
      ADD_FAILURE() << "nothing to read on fd " << fd << " before the deadline";
      return false;
    }
    const ssize_t n = ::read(fd, bytes + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ADD_FAILURE() << "fd " << fd << ": end of file after " << got << " of " << size << " bytes";
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

// Everything up to EOF on fd, or what came before the deadline (with a test failure).
inline std::string receive_all(int fd, const Deadline& deadline) {
  std::string text;
  for (;;) {
    if (!wait_readable(fd, deadline)) {
      ADD_FAILURE() << "no end of file on fd " << fd << " before the deadline; got \"" << text
                    << "\"";
      return text;
    }
    char chunk[4096];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return text;
    text.append(chunk, static_cast<std::size_t>(n));
  }
}

// The process group of pid, from /proc/PID/stat ("pid (comm) state ppid pgrp ..."); -1 if gone.
inline pid_t process_group_of(pid_t pid) {
  std::string stat;
  try {
    stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const std::system_error&) {
    return -1;
  }
  std::istringstream fields(stat.substr(stat.rfind(')') + 1));
  char state = 0;
  pid_t ppid = 0, pgrp = -1;
  fields >> state >> ppid >> pgrp;
  return pgrp;
}

// What each fd of process pid refers to, from /proc/PID/fd (fd -> "pipe:[123]", "/dev/null" ...).
inline std::map<int, std::string> fds_of(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  std::map<int, std::string> fds;
  DIR* listing = ::opendir(dir.c_str());
  if (listing == nullptr) throw std::system_error(errno, std::generic_category(), "opendir " + dir);
  while (const dirent* entry = ::readdir(listing)) {
    if (entry->d_name[0] == '.') continue;
    char target[4096];
    const std::string link = dir + "/" + entry->d_name;
    const ssize_t n = ::readlink(link.c_str(), target, sizeof target);
    if (n >= 0) fds[std::atoi(entry->d_name)] = std::string(target, static_cast<std::size_t>(n));
  }
  ::closedir(listing);
  return fds;
}

// How many times needle occurs in text.
inline std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace fork_zombies_test
