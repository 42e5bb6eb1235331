// Helpers for lab 04's tests: waiting for a child with a deadline (a pidfd, never a sleep),
// children that block until told to go, and reading what a pipe says (/proc: syslab/proc.hpp).
#pragma once

#include <poll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <system_error>

#include "child_process.hpp"
#include "syslab/faults.hpp"  // FaultsPaused: the helpers are the test's plumbing
#include "syslab/proc.hpp"    // process_group_of, count_of
#include "syslab/report.hpp"  // report_stuck
#include "syslab/test.hpp"

namespace fork_zombies_test {

using namespace syslab::test;
using namespace std::chrono_literals;

// Waits for child to end (watching a pidfd until the deadline), then reaps it with the lab's
// wait(). nullopt, with a test failure, when it does not end in time (and where it was stuck,
// for the runner's HANG); it is left to the ChildProcess destructor then.
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
    report_stuck(child.pid(), "the child", budget);  // the runner's HANG: where it is stuck
    ADD_FAILURE() << "child " << child.pid() << " did not end within " << budget.count() << " ms";
    return std::nullopt;
  }
  return child.wait();
}

// In a child: closes its copy of the pipe's write end, then blocks until the parent writes a
// byte (returns 0) or closes its write end (returns 1).
inline int block_until_told(OwnedFd& write_end, const OwnedFd& read_end) {
  const FaultsPaused handshake;  // the test's own plumbing: no injected faults
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
  const FaultsPaused handshake;
  return ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// Reads exactly size bytes from fd, or fails the test at the deadline or at EOF.
inline bool receive_exact(int fd, void* into, std::size_t size, const Deadline& deadline) {
  const FaultsPaused handshake;
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
  const FaultsPaused handshake;
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

}  // namespace fork_zombies_test
