// Lab 04: fork, wait and exec. ChildProcess reaps what it owns, so no zombie outlives it; spawn
// learns whether the exec worked from a close-on-exec pipe: end of file means the exec closed
// the pipe (success), 8 bytes mean the child failed and says where and with which errno.
// Look at: strace -f -e trace=clone,execve,wait4,exit_group ./zombies --count 2
#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <stdexcept>
#include <string_view>

#include "fd_io.hpp"
#include "syslab/error.hpp"

extern char** environ;

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

// ---------------------------------------------------------------------------------------------
// spawn: fork + exec, with the exec's failure reported back through a close-on-exec pipe.

namespace {

// Where the child's set-up failed. The child writes one SpawnFailure to the report pipe: 8 bytes,
// fewer than PIPE_BUF, so the write is atomic and the parent reads all of it or nothing.
enum class SpawnStep : std::int32_t { kSignals, kProcessGroup, kDirectory, kRedirect, kExec };
struct SpawnFailure {
  SpawnStep step = SpawnStep::kExec;
  std::int32_t error = 0;  // the errno
};

// Everything the child needs, prepared before fork. Between fork and exec the child of a
// process with threads may only make async-signal-safe calls (signal-safety(7)): no malloc, so
// no std::string. The pointers point into the strings held here and in the caller's argv.
struct ExecPlan {
  std::string program;                  // argv[0] as given, for the error message
  std::vector<std::string> candidates;  // the paths to try in turn ($PATH search)
  std::vector<char*> argv;              // null-terminated
  std::vector<std::string> env_strings;
  std::vector<char*> envp;         // null-terminated, pointing into env_strings
  int redirect[3] = {-1, -1, -1};  // the fd to put on 0, 1 and 2, or -1
  std::optional<pid_t> process_group;
  std::string working_directory;
  bool reset_signals = true;
};

// The paths execvp(3) would try for name: name itself if it holds a '/', else each $PATH entry.
std::vector<std::string> exec_candidates(const std::string& name, bool search_path) {
  if (!search_path || name.empty() || name.find('/') != std::string::npos) return {name};
  const char* path = std::getenv("PATH");
  const std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::vector<std::string> candidates;
  for (size_t start = 0; start <= dirs.size();) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string_view dir = dirs.substr(start, end - start);
    candidates.push_back((dir.empty() ? std::string(".") : std::string(dir)) + "/" + name);
    start = end + 1;
  }
  return candidates;
}

// The parent's environment with options.env added; an added NAME=value replaces NAME.
std::vector<std::string> child_environment(const std::vector<std::string>& additions) {
  auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    bool replaced = false;
    for (const std::string& added : additions) replaced |= name_of(added) == name_of(*entry);
    if (!replaced) env.emplace_back(*entry);
  }
  env.insert(env.end(), additions.begin(), additions.end());
  return env;
}

ExecPlan plan_exec(const std::vector<std::string>& argv, const SpawnOptions& options) {
  ExecPlan plan;
  plan.program = argv.front();
  plan.candidates = exec_candidates(argv.front(), options.search_path);
  for (const std::string& arg : argv) plan.argv.push_back(const_cast<char*>(arg.c_str()));
  plan.argv.push_back(nullptr);
  plan.env_strings = child_environment(options.env);
  for (std::string& entry : plan.env_strings) plan.envp.push_back(entry.data());
  plan.envp.push_back(nullptr);
  plan.redirect[0] = options.stdin_fd.get();
  plan.redirect[1] = options.stdout_fd.get();
  plan.redirect[2] = options.stderr_fd.get();
  plan.process_group = options.process_group;
  plan.working_directory = options.working_directory;
  plan.reset_signals = options.reset_signals;
  return plan;
}

// BEGIN SOLUTION
// In the child: tells the parent which step failed and with which errno, then ends. 127 is what
// a shell reports for a command it could not run.
[[noreturn]] void report_failure(int report_fd, SpawnStep step, int error) noexcept {
  const SpawnFailure failure{step, error};
  while (::write(report_fd, &failure, sizeof failure) < 0 && errno == EINTR) {
  }
  ::_exit(127);
}

// In the child: every signal back to its default action. sigaction fails with EINVAL for
// SIGKILL, SIGSTOP and the signals glibc keeps for itself; those are skipped on purpose.
void reset_signal_dispositions() noexcept {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  ::sigemptyset(&default_action.sa_mask);
  for (int signal = 1; signal < NSIG; ++signal) ::sigaction(signal, &default_action, nullptr);
}

// In the child: puts redirect[i] on fd i. Each source is first copied above 2, so that a source
// that is itself 0, 1 or 2 cannot be overwritten by an earlier dup2; the copies are close-on-exec
// and vanish at exec. dup2 clears close-on-exec on the fd it makes, so 0, 1 and 2 survive exec.
bool redirect_standard_fds(const int (&redirect)[3]) noexcept {
  int copies[3] = {-1, -1, -1};
  for (int i = 0; i < 3; ++i) {
    if (redirect[i] < 0) continue;
    copies[i] = ::fcntl(redirect[i], F_DUPFD_CLOEXEC, 3);
    if (copies[i] < 0) return false;
  }
  for (int i = 0; i < 3; ++i) {
    if (copies[i] >= 0 && ::dup2(copies[i], i) < 0) return false;
  }
  return true;
}

// In the child: execve each candidate in turn, as execvp(3) does. Returns only if all failed,
// with the errno to report: EACCES if any candidate was found but not executable, else the last
// error (ENOENT when the program is nowhere on the path).
int exec_candidates_in_turn(const ExecPlan& plan) noexcept {
  int error = ENOENT;
  bool denied = false;
  for (const std::string& path : plan.candidates) {
    ::execve(path.c_str(), plan.argv.data(), plan.envp.data());
    error = errno;  // execve returns only on failure
    if (error == EACCES) {
      denied = true;
    } else if (error != ENOENT && error != ENOTDIR) {
      break;  // found, but cannot run it (ENOEXEC, E2BIG, ...): searching on would hide that
    }
  }
  return denied ? EACCES : error;
}
// END SOLUTION

// [slide:exec_child-1]
// In the child, after fork: sets up signals, process group, directory and fds, then execs. Never
// returns: on failure it reports the step and errno to report_fd and _exits.
[[noreturn]] void exec_child(const ExecPlan& plan, const sigset_t& parent_mask,
                             int report_fd) noexcept {
  // BEGIN SOLUTION: reset signals, set the group, chdir, dup2 onto 0-2, execve; on any failure write a SpawnFailure to report_fd and _exit(127)
  sigset_t mask = parent_mask;
  if (plan.reset_signals) {
    reset_signal_dispositions();
    ::sigemptyset(&mask);
  }
  if (plan.process_group && ::setpgid(0, *plan.process_group) < 0) {
    report_failure(report_fd, SpawnStep::kProcessGroup, errno);
  }
  // [/slide]
  // [slide:exec_child-2]
  if (!plan.working_directory.empty() && ::chdir(plan.working_directory.c_str()) < 0) {
    report_failure(report_fd, SpawnStep::kDirectory, errno);
  }
  if (!redirect_standard_fds(plan.redirect)) {
    report_failure(report_fd, SpawnStep::kRedirect, errno);
  }
  // Unblock last: with the dispositions reset, a pending signal acts as it would in the program.
  if (::sigprocmask(SIG_SETMASK, &mask, nullptr) < 0) {
    report_failure(report_fd, SpawnStep::kSignals, errno);
  }
  report_failure(report_fd, SpawnStep::kExec, exec_candidates_in_turn(plan));
  // END SOLUTION
}
// [/slide]

// BEGIN SOLUTION
// The parent's error for a failure the child reported: exec "nosuch": No such file ... (ENOENT)
syslab::SystemError failure_error(const SpawnFailure& failure, const ExecPlan& plan) {
  switch (failure.step) {
    case SpawnStep::kSignals: return syslab::errno_error(failure.error, "sigprocmask");
    case SpawnStep::kProcessGroup:
      return syslab::errno_error(failure.error, "setpgid", std::to_string(*plan.process_group));
    case SpawnStep::kDirectory:
      return syslab::errno_error(failure.error, "chdir", plan.working_directory);
    case SpawnStep::kRedirect: return syslab::errno_error(failure.error, "dup2", "standard fds");
    case SpawnStep::kExec: break;
  }
  return syslab::errno_error(failure.error, "exec", plan.program);
}
// END SOLUTION

// [slide:await_exec]
// In the parent: reads the child's report. End of file means the exec closed the pipe: the
// program runs. A SpawnFailure means the child could not get there: reap it and throw its errno.
void await_exec(ChildProcess& child, fdio::BorrowedFd report, const ExecPlan& plan) {
  // BEGIN SOLUTION: read the report pipe: EOF with no bytes means the exec worked; a SpawnFailure means reap the child and throw its errno, naming the step and object
  SpawnFailure failure;
  const fdio::IoResult got =
      fdio::read_exact(report, std::as_writable_bytes(std::span(&failure, 1)));
  if (got.eof() && got.count == 0) return;
  child.wait();  // it has _exited(127): reap it, so that a failed spawn leaves no zombie
  if (!got.done()) {
    throw std::runtime_error("spawn " + plan.program + ": a short report from the child");
  }
  throw failure_error(failure, plan);
  // END SOLUTION
}
// [/slide]

}  // namespace

// [slide:spawn]
ChildProcess spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  if (argv.empty()) throw std::invalid_argument("spawn: argv is empty");
  const ExecPlan plan = plan_exec(argv, options);  // it allocates: do it before fork
  fdio::Pipe report = fdio::make_pipe();           // O_CLOEXEC: a successful exec closes it
  // Block every signal across fork, so that none of the parent's handlers can run in the child
  // before exec_child has reset them (a handler that writes to a self-pipe would wake the parent).
  sigset_t all, saved;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(plan, saved, report.write_end.get());
  const int fork_error = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) syslab::throw_error(fork_error, "fork");
  ChildProcess child(pid, options.kill_policy, options.grace);
  report.write_end.reset();  // ours must be closed, or the read below never sees end of file
  await_exec(child, report.read_end, plan);
  return child;
}
// [/slide]

}  // namespace proc
