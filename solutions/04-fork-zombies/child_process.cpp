// Lab 04: fork and wait. ChildProcess reaps what it owns, so no zombie outlives it; fork_child
// runs a function in a child. (fork + exec: spawn.cpp.)
// Look at: strace -f -e trace=clone,wait4,exit_group ./zombies --count 2
#include "child_process.hpp"

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string_view>

#include "fd_io.hpp"
#include "syslab/error.hpp"

namespace proc {

namespace {

void require_child(pid_t pid, std::string_view operation) {
  if (pid <= 0) {
    throw std::logic_error(std::string(operation) + ": this ChildProcess owns no process");
  }
}

// BEGIN SOLUTION
// waitpid(2) for one child, restarted after EINTR (a signal handler ran while we waited).
// Returns the pid, or 0 when WNOHANG was given and the child is still running.
pid_t waitpid_restarting(pid_t pid, int& raw, int options) {
  for (;;) {
    const pid_t got = ::waitpid(pid, &raw, options);
    if (got >= 0) return got;
    if (errno != EINTR) syslab::throw_errno("waitpid", std::to_string(pid));
  }
}

// A pidfd (pidfd_open(2), Linux 5.3) becomes readable when the process ends: a way to wait with
// a timeout that needs neither a sleep loop nor a SIGCHLD handler.
fdio::UniqueFd open_pidfd(pid_t pid) {
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) syslab::throw_errno("pidfd_open", std::to_string(pid));
  return fdio::UniqueFd(static_cast<int>(fd));
}

// Polls fd for POLLIN until it is readable or the deadline passes; restarts after EINTR.
void wait_readable_until(fdio::BorrowedFd fd, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    pollfd entry{fd.get(), POLLIN, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready > 0) return;
    if (ready < 0 && errno != EINTR) syslab::throw_errno("poll", "pidfd");
  }
}
// END SOLUTION

}  // namespace

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  const KillPolicy policy = other.policy_;
  const std::chrono::milliseconds grace = other.grace_;
  const pid_t pid = other.release();  // first: a self-move then finds nothing to end below
  try {
    reset();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ChildProcess: %s\n", error.what());
  }
  pid_ = pid;
  policy_ = policy;
  grace_ = grace;
  return *this;
}

// A destructor must not throw; what reset() could not do is said on stderr instead.
ChildProcess::~ChildProcess() {
  try {
    reset();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "~ChildProcess: %s\n", error.what());
  }
}

// [slide:wait]
WaitStatus ChildProcess::wait() {
  require_child(pid_, "wait");
  // BEGIN SOLUTION: block in waitpid until the child ends (restart after EINTR), own nothing, return its decoded status
  // Forget the pid first: once waitpid has reaped it (or failed with ECHILD), it is not ours.
  const pid_t pid = release();
  int raw = 0;
  waitpid_restarting(pid, raw, 0);
  return decode_wait_status(raw);
  // END SOLUTION
}
// [/slide]

std::optional<WaitStatus> ChildProcess::try_wait() {
  require_child(pid_, "try_wait");
  // BEGIN SOLUTION: waitpid with WNOHANG: nullopt while the child runs; once it has ended, own nothing and return its status
  int raw = 0;
  pid_t got = 0;
  try {
    got = waitpid_restarting(pid_, raw, WNOHANG);
  } catch (...) {
    pid_ = -1;  // ECHILD: someone else reaped it; it is not ours any more
    throw;
  }
  if (got == 0) return std::nullopt;
  pid_ = -1;
  return decode_wait_status(raw);
  // END SOLUTION
}

std::optional<WaitStatus> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  require_child(pid_, "wait_for");
  // BEGIN SOLUTION: wait up to timeout for the child to end, without a sleep loop (pidfd_open + poll); then try_wait
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (auto status = try_wait()) return status;
  const fdio::UniqueFd pidfd = open_pidfd(pid_);  // safe: an unreaped child's pid is not reused
  wait_readable_until(pidfd, deadline);
  return try_wait();
  // END SOLUTION
}

void ChildProcess::kill(int signal) {
  require_child(pid_, "kill");
  // BEGIN SOLUTION: send signal to the child with kill(2); throw naming the pid when it fails
  if (::kill(pid_, signal) < 0) syslab::throw_errno("kill", std::to_string(pid_));
  // END SOLUTION
}

// [slide:terminate]
WaitStatus ChildProcess::terminate(std::chrono::milliseconds grace) {
  require_child(pid_, "terminate");
  // BEGIN SOLUTION: SIGTERM (and SIGCONT), wait up to grace for it to end; if it has not, SIGKILL and wait
  kill(SIGTERM);
  kill(SIGCONT);  // a stopped child would not act on SIGTERM until it is continued
  if (std::optional<WaitStatus> status = wait_for(grace)) return *status;
  kill(SIGKILL);  // cannot be caught, blocked or ignored
  return wait();
  // END SOLUTION
}
// [/slide]

// [slide:reset]
void ChildProcess::reset() {
  if (!ok()) return;
  // BEGIN SOLUTION: end the child as the kill policy says and reap it; own nothing afterwards, even when that fails
  try {
    if (policy_ == KillPolicy::kTerminateThenKill) {
      terminate(grace_);  // SIGTERM, the grace period, SIGKILL if need be; it waits too
      return;
    }
    if (policy_ == KillPolicy::kKillThenWait) kill(SIGKILL);  // harmless to a zombie
    wait();  // kWaitOnly: for as long as the child runs
  } catch (...) {
    pid_ = -1;  // whatever failed, this object no longer claims the pid
    throw;
  }
  // END SOLUTION
}
// [/slide]

// BEGIN SOLUTION
namespace {

// Runs body in the child; never lets an exception unwind out of it, because above this frame
// lies the parent's code (a test runner, a server loop) that the child must never run.
int run_body(const std::function<int()>& body) noexcept {
  try {
    return body();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "child %d: %s\n", ::getpid(), error.what());
  } catch (...) {
    std::fprintf(stderr, "child %d: an exception that is not a std::exception\n", ::getpid());
  }
  return kChildThrew;
}

}  // namespace
// END SOLUTION

// [slide:fork_child]
ChildProcess fork_child(const std::function<int()>& body, KillPolicy policy) {
  // BEGIN SOLUTION: flush stdio, fork; the child runs body and _exits with its result (kChildThrew if it throws)
  std::fflush(nullptr);  // or the child inherits unwritten output and writes it a second time
  const pid_t pid = ::fork();
  if (pid < 0) syslab::throw_errno("fork");
  if (pid == 0) {
    const int code = run_body(body);
    std::fflush(nullptr);  // _exit does not flush: write what the child itself printed
    ::_exit(code);         // not exit(): the parent's atexit handlers and destructors must not run
  }
  return ChildProcess(pid, policy);
  // END SOLUTION
}
// [/slide]

}  // namespace proc
