// Lab 04: spawn, fork + exec with the exec's failure reported back. The parent learns whether the
// exec worked from a close-on-exec pipe: end of file means the exec closed the pipe (success),
// 8 bytes mean the child failed and say where and with which errno. (Declared in
// child_process.hpp.) Look at: strace -f -e trace=clone,execve,wait4 ./zombies --spawn /nonexistent
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "child_process.hpp"
#include "fd_io.hpp"
#include "syslab/error.hpp"
#include "syslab/todo.hpp"

extern char** environ;

namespace proc {

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

// In the child, after fork: sets up signals, process group, directory and fds, then execs. Never
// returns: on failure it reports the step and errno to report_fd and _exits.
[[noreturn]] void exec_child(const ExecPlan& plan, const sigset_t& parent_mask,
                             int report_fd) noexcept {
  SYSLAB_TODO("reset signals, set the group, chdir, dup2 onto 0-2, execve; on any failure write a SpawnFailure to report_fd and _exit(127)");
}

// In the parent: reads the child's report. End of file means the exec closed the pipe: the
// program runs. A SpawnFailure means the child could not get there: reap it and throw its errno.
void await_exec(ChildProcess& child, fdio::BorrowedFd report, const ExecPlan& plan) {
  SYSLAB_TODO("read the report pipe: EOF with no bytes means the exec worked; a SpawnFailure means reap the child and throw its errno, naming the step and object");
}

}  // namespace

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

}  // namespace proc
