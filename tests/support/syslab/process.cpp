#include "syslab/process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "syslab/faults.hpp"
#include "syslab/files.hpp"
#include "syslab/report.hpp"

extern char** environ;

namespace syslab::test {

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string signal_name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);  // glibc 2.32+: "SEGV"
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

int open_pidfd(pid_t pid) {
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) throw_errno("pidfd_open " + std::to_string(pid));
  return static_cast<int>(fd);
}

// Waits for pid to end, up to the deadline, using a pidfd so that no sleep is needed.
std::optional<ExitStatus> wait_with_deadline(pid_t pid, int pidfd, const Deadline& deadline) {
  const FaultsPaused plumbing;
  if (!wait_readable(pidfd, deadline)) return std::nullopt;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid " + std::to_string(pid));
  }
  return decode_wait_status(status);
}

// pid and all its descendants, parents before children, from the ppid links in /proc.
std::vector<pid_t> process_tree(pid_t root) {
  std::vector<pid_t> tree{root};
  for (size_t i = 0; i < tree.size(); ++i) {
    for (const pid_t child : children_of(tree[i])) tree.push_back(child);
  }
  return tree;
}

void kill_and_reap(pid_t pid) {
  const FaultsPaused plumbing;
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// Repeats the lines of a program's stderr that the runner must see (a stub was reached).
void forward_todo_lines(const std::string& err) {
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("syslab TODO:") != std::string::npos) {
      line += '\n';
      [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    }
  }
}

// In the child, after fork: wire the pipes to 0, 1, 2 and exec. Never returns.
[[noreturn]] void exec_child(const std::vector<std::string>& argv,
                             const std::vector<std::string>& extra_env, int in, int out, int err) {
  if (::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
      ::dup2(err, STDERR_FILENO) < 0) {
    ::_exit(127);
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  for (const std::string& assignment : extra_env) ::putenv(const_cast<char*>(assignment.c_str()));
  ::execve(args[0], args.data(), environ);
  const std::string message = "exec " + argv[0] + ": " + std::strerror(errno) + "\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, message.data(), message.size());
  ::_exit(127);
}

// Feeds input to `in` and drains `out` and `err` until both reach EOF or the deadline passes.
bool pump(OwnedFd& in, OwnedFd& out, OwnedFd& err, std::string input, ProgramResult& result,
          const Deadline& deadline) {
  size_t written = 0;
  if (input.empty()) in.reset();
  while (out.get() >= 0 || err.get() >= 0) {
    pollfd fds[3] = {{in.get(), POLLOUT, 0}, {out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 3, deadline.remaining_ms());
    if (ready == 0) return false;
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    if (fds[0].revents != 0) {
      const ssize_t n = ::write(in.get(), input.data() + written, input.size() - written);
      if (n < 0 && errno != EINTR && errno != EAGAIN) in.reset();  // EPIPE: it stopped reading
      if (n > 0) written += static_cast<size_t>(n);
      if (written == input.size()) in.reset();
    }
    OwnedFd* sources[2] = {&out, &err};
    std::string* sinks[2] = {&result.out, &result.err};
    for (int i = 0; i < 2; ++i) {
      if (fds[i + 1].revents == 0) continue;
      char buffer[65536];
      const ssize_t n = ::read(sources[i]->get(), buffer, sizeof buffer);
      if (n > 0) sinks[i]->append(buffer, static_cast<size_t>(n));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) sources[i]->reset();
    }
  }
  return true;
}

}  // namespace

std::string ExitStatus::describe() const {
  if (timed_out) return "timed out (killed at the deadline)";
  if (exited) return "exited " + std::to_string(code);
  if (signaled) return "killed by " + signal_name(signal);
  return "still running";
}

std::ostream& operator<<(std::ostream& out, const ExitStatus& status) {
  return out << status.describe();
}

ExitStatus decode_wait_status(int status) {
  ExitStatus decoded;
  if (WIFEXITED(status)) {
    decoded.exited = true;
    decoded.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    decoded.signaled = true;
    decoded.signal = WTERMSIG(status);
  }
  return decoded;
}

ProgramResult run_program(const std::vector<std::string>& argv, const RunOptions& options) {
  const FaultsPaused plumbing;  // the program itself (a new image) gets its faults
  const Deadline deadline(options.timeout);
  TestPipe in = make_pipe(), out = make_pipe(), err = make_pipe();
  ProgramResult result;
  result.pid = ::fork();
  if (result.pid < 0) throw_errno("fork");
  if (result.pid == 0) {
    exec_child(argv, options.extra_env, in.read_end.get(), out.write_end.get(),
               err.write_end.get());
  }
  const int pidfd = open_pidfd(result.pid);
  in.read_end.reset();
  out.write_end.reset();
  err.write_end.reset();
  const ScopedIgnoreSigpipe sigpipe;  // a program that stops reading must not kill the test
  const bool drained =
      pump(in.write_end, out.read_end, err.read_end, options.input, result, deadline);
  std::optional<ExitStatus> status =
      drained ? wait_with_deadline(result.pid, pidfd, deadline) : std::nullopt;
  ::close(pidfd);
  if (!status && options.report_hang)
    report_stuck(result.pid, "the program " + argv[0], options.timeout);
  if (!status) {
    for (const pid_t pid : process_tree(result.pid)) ::kill(pid, SIGKILL);
    kill_and_reap(result.pid);
    result.status.timed_out = true;
  } else {
    result.status = *status;
  }
  forward_todo_lines(result.err);
  return result;
}

namespace {

// The line "tests-05-pipes-learner /abs/build/labs/05-pipes" of program-dirs.txt, which meson
// writes beside the test binaries: looked up at run time, so that this file is compiled once for
// every test binary rather than once per binary with the directory compiled in.
std::string find_program_dir() {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe");
  const std::string directory = self.substr(0, self.rfind('/'));
  const std::string name = self.substr(self.rfind('/') + 1);
  const std::string listing = directory + "/program-dirs.txt";
  std::istringstream lines(read_file(listing));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(name + ' ')) return line.substr(name.size() + 1);
  }
  throw std::runtime_error(listing + " has no line for " + name + " (run meson setup again)");
}

}  // namespace

std::string program_path(const std::string& name) {
  static const std::string directory = find_program_dir();  // thread-safe, once per process
  return directory + "/" + name;
}

ForkedChild::ForkedChild(const std::function<int()>& body) {
  std::fflush(nullptr);  // or the child would print the parent's buffered output again
  pause_faults();
  pid_ = ::fork();
  const int fork_error = errno;
  resume_faults();  // in both: the child runs the code under test, with faults as its parent
  if (pid_ < 0) {
    errno = fork_error;
    throw_errno("fork");
  }
  if (pid_ == 0) {
    int code = kThrew;
    try {
      code = body();
    } catch (...) {
      // One line the runner shows before the parent's assertions ("exited 70" says little).
      std::fprintf(stderr, "syslab CHILD THREW: %d %s\n", ::getpid(),
                   current_exception_text().c_str());
    }
    pause_faults();  // what the child says must reach the runner
    std::fflush(nullptr);
    ::_exit(code);  // not exit(): the parent's atexit handlers and GoogleTest must not run here
  }
  pidfd_ = open_pidfd(pid_);
}

ForkedChild::~ForkedChild() {
  if (pid_ > 0) kill_and_reap(pid_);
  if (pidfd_ >= 0) ::close(pidfd_);
}

std::optional<ExitStatus> ForkedChild::wait(const Deadline& deadline) {
  if (pid_ <= 0) return std::nullopt;
  std::optional<ExitStatus> status = wait_with_deadline(pid_, pidfd_, deadline);
  if (status) {
    pid_ = -1;  // reaped: nothing left for the destructor
  } else {
    report_stuck(pid_, "the forked child", deadline.budget());
  }
  return status;
}

ScopedIgnoreSigpipe::ScopedIgnoreSigpipe() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, &previous_);
}

ScopedIgnoreSigpipe::~ScopedIgnoreSigpipe() { ::sigaction(SIGPIPE, &previous_, nullptr); }

std::vector<pid_t> child_pids() { return children_of(::getpid()); }

std::vector<pid_t> children_of(pid_t parent) {
  const FaultsPaused plumbing;
  std::vector<pid_t> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) throw_errno("opendir /proc");
  while (const dirent* entry = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::string stat;
    try {
      stat = read_file("/proc/" + std::string(entry->d_name) + "/stat");
    } catch (const std::system_error&) {
      continue;  // it ended while we looked
    }
    // "pid (comm) S ppid ...": comm may hold spaces and ')', so parse after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == parent) {
      children.push_back(pid);
    }
  }
  ::closedir(proc);
  return children;
}

char process_state(pid_t pid) {
  std::string stat;
  try {
    stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  } catch (const std::system_error&) {
    return '?';
  }
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
}

}  // namespace syslab::test
