// Lab 04: a child process as a resource. A child that ends stays a zombie (state Z in /proc)
// until its parent waits for it; ChildProcess owns one child and always waits for it, so no
// zombie can outlive the object. fork_child runs a function in a child; spawn runs a program
// (fork + exec) and reports a failed exec to the parent through a close-on-exec pipe.
// Look at: ./zombies --count 3 --step, and ps -o pid,ppid,stat,comm in another terminal.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "unique_fd.hpp"
#include "wait_status.hpp"

namespace proc {

// What ChildProcess's destructor (and reset) does with a child that may still be running.
// Whatever the policy, the child is waited for before the destructor returns.
enum class KillPolicy {
  kKillThenWait,       // SIGKILL, then wait: quick and certain (the default)
  kWaitOnly,           // wait for it to end by itself: blocks as long as the child runs
  kTerminateThenKill,  // SIGTERM, wait up to the grace period, then SIGKILL and wait
};

// The grace period of kTerminateThenKill unless one is given.
inline constexpr std::chrono::milliseconds kDefaultGrace{2000};

// Owns one child process, or none (pid -1), the way UniqueFd owns an fd. Move-only: one owner,
// one wait. Once wait() (or a try_wait() that saw the end) has reaped the child, the object owns
// nothing. Not thread-safe: one thread at a time may use an object.
//
// Someone else must not reap an owned child (a SIGCHLD handler calling waitpid(-1), or SIGCHLD
// set to SIG_IGN): its pid could then be reused for an unrelated process. Reap your children
// through their ChildProcess, with try_wait() where you must not block.
class ChildProcess {
 public:
  // Owns nothing.
  ChildProcess() noexcept = default;
  // Takes ownership of pid, which must be a child of this process that nobody has waited for.
  explicit ChildProcess(pid_t pid, KillPolicy policy = KillPolicy::kKillThenWait,
                        std::chrono::milliseconds grace = kDefaultGrace) noexcept
      : pid_(pid), policy_(policy), grace_(grace) {}
  // The moved-from object owns nothing afterwards.
  ChildProcess(ChildProcess&& other) noexcept
      : pid_(other.release()), policy_(other.policy_), grace_(other.grace_) {}
  // Ends and reaps the child this owned (by its policy), then owns what other owned.
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  // Ends and reaps the child by its kill policy. Never throws: an error is printed to stderr.
  ~ChildProcess();

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The child's pid, or -1 when this owns nothing.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  // True while it owns a child that has not been reaped (it may have ended: a zombie).
  [[nodiscard]] bool ok() const noexcept { return pid_ > 0; }
  bool operator!() const = delete;

  [[nodiscard]] KillPolicy kill_policy() const noexcept { return policy_; }
  [[nodiscard]] std::chrono::milliseconds grace() const noexcept { return grace_; }
  void set_kill_policy(KillPolicy policy,
                       std::chrono::milliseconds grace = kDefaultGrace) noexcept {
    policy_ = policy;
    grace_ = grace;
  }

  // Blocks until the child ends, reaps it and returns how it ended (exited or killed; stops are
  // not reported). Restarts after EINTR. Afterwards this owns nothing. Throws std::logic_error
  // when it owns nothing, and syslab::SystemError on ECHILD (someone else reaped it; the pid is
  // forgotten): waitpid "1234": No child processes (ECHILD).
  WaitStatus wait();

  // Reaps the child if it has ended (waitpid with WNOHANG): its status, after which this owns
  // nothing; nullopt while it is still running. Never blocks. Throws as wait() does.
  [[nodiscard]] std::optional<WaitStatus> try_wait();

  // Waits up to timeout for the child to end: its status, or nullopt if it is still running
  // then (and still owned). Throws as wait() does.
  [[nodiscard]] std::optional<WaitStatus> wait_for(std::chrono::milliseconds timeout);

  // Sends signal to the child (kill(2)). A zombie accepts signals and ignores them. Throws
  // std::logic_error when it owns nothing, syslab::SystemError when kill(2) fails.
  void kill(int signal);

  // SIGTERM, up to grace for the child to end by itself, then SIGKILL: returns how it ended.
  // A stopped child is continued (SIGCONT) too: stopped, it could not act on SIGTERM.
  // Afterwards this owns nothing. Throws as wait() does.
  WaitStatus terminate(std::chrono::milliseconds grace = kDefaultGrace);

  // Ends and reaps the child as the kill policy says; afterwards this owns nothing. Does nothing
  // when it owns nothing. Throws as wait() does (the pid is forgotten all the same).
  void reset();

  // Gives up ownership without waiting: returns the pid (or -1). The caller must now wait for
  // it (waitpid), or it stays a zombie when it ends.
  [[nodiscard]] pid_t release() noexcept {
    const pid_t pid = pid_;
    pid_ = -1;
    return pid;
  }

 private:
  pid_t pid_ = -1;
  KillPolicy policy_ = KillPolicy::kKillThenWait;
  std::chrono::milliseconds grace_ = kDefaultGrace;
};

// The exit code of a fork_child body that threw (EX_SOFTWARE from sysexits.h).
inline constexpr int kChildThrew = 70;

// Forks; the child runs body() and _exits with its return value (only the low 8 bits reach the
// parent). The child of a process with threads has only the thread that forked: there, keep
// body() to async-signal-safe calls (signal-safety(7)), since a lock another thread held at the
// fork (malloc's, stdio's) is never released in the child. An exception escaping body() is
// printed to stderr ("child 1234: <what>") and the child exits with kChildThrew. The child never
// returns into the caller's code, and it never runs exit handlers or flushes stdio buffers it
// inherited (stdio is flushed before the fork).
// Throws syslab::SystemError when fork fails: fork: Resource temporarily unavailable (EAGAIN).
[[nodiscard]] ChildProcess fork_child(const std::function<int()>& body,
                                      KillPolicy policy = KillPolicy::kKillThenWait);

// How spawn sets up the child between fork and exec.
struct SpawnOptions {
  // Standard input, output and error of the child: dup2'd onto 0, 1 and 2 in the child. -1 (the
  // default) leaves the parent's. The parent keeps its fds open: close your copies after spawn
  // (a pipe's write end that stays open in the parent means the reader never sees EOF).
  // Each names the caller's fd as it is before the child changes anything: stdout_fd = 1 keeps
  // the caller's stdout, and stdout_fd = a pipe with stderr_fd = 1 sends stderr to the caller's
  // stdout, not into the pipe.
  fdio::BorrowedFd stdin_fd{-1};
  fdio::BorrowedFd stdout_fd{-1};
  fdio::BorrowedFd stderr_fd{-1};

  // The child's process group: nullopt keeps the parent's; 0 puts the child in a new group that
  // it leads (pgid == its pid); a pgid joins that existing group. The child sets it before the
  // exec, and spawn returns after the exec: it holds before the caller can signal the group.
  std::optional<pid_t> process_group;

  // The child's working directory; empty keeps the parent's.
  std::string working_directory;

  // "NAME=value" entries added to the parent's environment (replacing a variable of that name).
  std::vector<std::string> env;

  // Every signal back to SIG_DFL and an empty signal mask in the child. Without it, signals the
  // parent ignores (SIG_IGN) and its blocked signals are inherited through exec.
  bool reset_signals = true;

  // argv[0] without a '/' is searched for in $PATH, as execvp(3) does: a match that cannot be
  // executed (EACCES) does not end the search; if nothing runs, the error is EACCES when such a
  // match was found, ENOENT when none was.
  bool search_path = true;

  // The kill policy of the returned ChildProcess.
  KillPolicy kill_policy = KillPolicy::kKillThenWait;
  std::chrono::milliseconds grace = kDefaultGrace;
};

// Runs the program argv[0] with arguments argv (fork, then execve in the child). Returns once
// the exec has succeeded (the kernel has loaded the program; its own start-up, such as the
// dynamic loader, may still be running). If the child cannot be set up or the program cannot be
// executed, the child reports the step and its errno through a close-on-exec pipe, the parent
// reaps it and throws syslab::SystemError with that errno:
//   exec "nosuch": No such file or directory (ENOENT)
//   chdir "/nowhere": No such file or directory (ENOENT)
// Throws std::invalid_argument for an empty argv.
[[nodiscard]] ChildProcess spawn(const std::vector<std::string>& argv,
                                 const SpawnOptions& options = {});

}  // namespace proc
