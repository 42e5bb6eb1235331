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
#include "syslab/todo.hpp"

namespace proc {

namespace {

void require_child(pid_t pid, std::string_view operation) {
  if (pid <= 0) {
    throw std::logic_error(std::string(operation) + ": this ChildProcess owns no process");
  }
}

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

WaitStatus ChildProcess::wait() {
  require_child(pid_, "wait");
  SYSLAB_TODO("block in waitpid until the child ends (restart after EINTR), own nothing, return its decoded status");
}

std::optional<WaitStatus> ChildProcess::try_wait() {
  require_child(pid_, "try_wait");
  SYSLAB_TODO("waitpid with WNOHANG: nullopt while the child runs; once it has ended, own nothing and return its status");
}

std::optional<WaitStatus> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  require_child(pid_, "wait_for");
  SYSLAB_TODO("wait up to timeout for the child to end, without a sleep loop (pidfd_open + poll); then try_wait");
}

void ChildProcess::kill(int signal) {
  require_child(pid_, "kill");
  SYSLAB_TODO("send signal to the child with kill(2); throw naming the pid when it fails");
}

WaitStatus ChildProcess::terminate(std::chrono::milliseconds grace) {
  require_child(pid_, "terminate");
  SYSLAB_TODO("SIGTERM (and SIGCONT), wait up to grace for it to end; if it has not, SIGKILL and wait");
}

void ChildProcess::reset() {
  if (!ok()) return;
  SYSLAB_TODO("end the child as the kill policy says and reap it; own nothing afterwards, even when that fails");
}

ChildProcess fork_child(const std::function<int()>& body, KillPolicy policy) {
  SYSLAB_TODO("flush stdio, fork; the child runs body and _exits with its result (kChildThrew if it throws)");
}

}  // namespace proc
