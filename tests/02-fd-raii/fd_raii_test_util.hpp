// Helpers for lab 02's tests: the kernel's view of one fd (/proc/self/fdinfo), raw descriptors
// made without the lab's code, and signals delivered while a thread is blocked in a system call.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <system_error>

#include "syslab/faults.hpp"  // without_faults
#include "syslab/proc.hpp"
#include "syslab/test.hpp"

namespace fd_raii_test {

using namespace syslab::test;

// True when fd is in this process's fd table, as /proc/self/fd shows it.
inline bool is_open(int fd) { return open_fds().contains(fd); }

// How many fds this process has open.
inline std::size_t fd_count() { return open_fds().size(); }

inline long long kernel_pos(int fd) { return fdinfo_field(fd, "pos", 10); }
inline bool has_cloexec(int fd) { return (kernel_flags(fd) & O_CLOEXEC) != 0; }

// A pipe made without the lab's code: {read end, write end}, not yet owned by anything.
inline std::array<int, 2> raw_pipe() {
  std::array<int, 2> ends{};
  if (::pipe2(ends.data(), O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  return ends;
}

// Counts the signals that the handler below has caught.
inline std::atomic<int> g_signals_caught{0};
extern "C" inline void count_signal(int) { g_signals_caught.fetch_add(1); }

// Installs count_signal for `signal` WITHOUT SA_RESTART, so that a blocking read or write that
// it interrupts fails with EINTR (or returns a short count). Restores the old action at the end.
class ScopedInterruptingHandler {
 public:
  explicit ScopedInterruptingHandler(int signal) : signal_(signal) {
    g_signals_caught = 0;
    struct sigaction action {};
    action.sa_handler = count_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: that is the point
    if (::sigaction(signal_, &action, &old_) != 0) {
      throw std::system_error(errno, std::generic_category(), "sigaction");
    }
  }
  ~ScopedInterruptingHandler() { ::sigaction(signal_, &old_, nullptr); }
  ScopedInterruptingHandler(const ScopedInterruptingHandler&) = delete;
  ScopedInterruptingHandler& operator=(const ScopedInterruptingHandler&) = delete;

 private:
  int signal_;
  struct sigaction old_ {};
};

// Waits until thread tid blocks in `call` (syslab/proc.hpp: read_call(), write_call()), then
// interrupts it with SIGUSR1 and waits for the handler to have run. Repeats `rounds` times; once
// the handler has run, the interrupted call has returned, so "blocked again" means "called again".
// False if a wait missed the deadline. Needs a ScopedInterruptingHandler(SIGUSR1).
inline bool interrupt_blocked_syscall(pid_t tid, const SystemCall& call, int rounds,
                                      const Deadline& deadline) {
  for (int round = 1; round <= rounds; ++round) {
    if (!poll_until(deadline, [&] { return blocked_in(tid, call); })) return false;
    if (::syscall(SYS_tgkill, ::getpid(), tid, SIGUSR1) != 0) return false;
    if (!poll_until(deadline, [&] { return g_signals_caught.load() >= round; })) return false;
  }
  return true;
}

// 0, 1, 2 ... 250, 0, 1 ...: a pattern in which a lost, doubled or reordered chunk shows.
inline std::string pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i % 251);
  return bytes;
}

}  // namespace fd_raii_test
