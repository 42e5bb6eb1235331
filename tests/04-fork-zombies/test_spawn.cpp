// Lab 04, task 7: spawn, fork + exec. A failed exec comes back to the parent as an exception with
// the child's errno, through a close-on-exec pipe; the set-up between fork and exec (fds, process
// group, directory, environment, signals) is checked through /proc and the program's output.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "child_process.hpp"
#include "fork_zombies_test_util.hpp"
#include "syslab/error.hpp"
#include "syslab/test.hpp"

using namespace fork_zombies_test;
using proc::ChildProcess;
using proc::SpawnOptions;

namespace {

fdio::BorrowedFd lend(const OwnedFd& fd) { return fdio::BorrowedFd(fd.get()); }

// Runs spawn, which must fail: returns the error it threw (errno 0 and a test failure if none).
syslab::SystemError spawn_error(const std::vector<std::string>& argv,
                                const SpawnOptions& options = {}) {
  try {
    ChildProcess child = proc::spawn(argv, options);
    ADD_FAILURE() << "spawn of " << argv[0] << " succeeded (pid " << child.pid() << ")";
  } catch (const syslab::SystemError& error) {
    return error;
  }
  return {0, "no error"};
}

// The hex mask of one "SigIgn:" or "SigBlk:" line of a /proc/PID/status text.
unsigned long long status_mask(const std::string& status, const std::string& key) {
  const auto at = status.find("\n" + key + ":");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no " << key << " line in:\n" << status;
    return 0;
  }
  return std::strtoull(status.c_str() + at + key.size() + 2, nullptr, 16);
}

bool has_signal(unsigned long long mask, int signal) { return (mask >> (signal - 1)) & 1U; }

// What `cat /proc/self/status` says of the signal state of a spawned program.
std::string spawned_status(const SpawnOptions& base) {
  TestPipe out = make_pipe();
  SpawnOptions options = base;
  options.stdout_fd = lend(out.write_end);
  ChildProcess cat = proc::spawn({"cat", "/proc/self/status"}, options);
  out.write_end.reset();
  const std::string status = receive_all(out.read_end.get(), Deadline(5s));
  const std::optional<proc::WaitStatus> ended = wait_within(cat);
  EXPECT_TRUE(ended && ended->success());
  return status;
}

// Sets SIGUSR1 to SIG_IGN and blocks SIGUSR2 in this process for a scope.
class IgnoreUsr1BlockUsr2 {
 public:
  IgnoreUsr1BlockUsr2() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGUSR1, &ignore, &old_usr1_);
    sigset_t usr2;
    ::sigemptyset(&usr2);
    ::sigaddset(&usr2, SIGUSR2);
    ::pthread_sigmask(SIG_BLOCK, &usr2, &old_mask_);
  }
  ~IgnoreUsr1BlockUsr2() {
    ::sigaction(SIGUSR1, &old_usr1_, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  IgnoreUsr1BlockUsr2(const IgnoreUsr1BlockUsr2&) = delete;
  IgnoreUsr1BlockUsr2& operator=(const IgnoreUsr1BlockUsr2&) = delete;

 private:
  struct sigaction old_usr1_ {};
  sigset_t old_mask_{};
};

// Points one of this process's standard fds at target for a scope (stdout flushed first), and
// puts the original back at the end of the scope or on an exception: for a spawn that must find
// the caller's own 0 or 1 as its source.
class ScopedStandardFd {
 public:
  ScopedStandardFd(int standard_fd, int target)
      : fd_(standard_fd), saved_(::fcntl(standard_fd, F_DUPFD_CLOEXEC, 3)) {
    std::fflush(stdout);
    if (::dup2(target, fd_) < 0) ADD_FAILURE() << "dup2 onto fd " << fd_ << " failed";
  }
  ~ScopedStandardFd() { restore(); }
  ScopedStandardFd(const ScopedStandardFd&) = delete;
  ScopedStandardFd& operator=(const ScopedStandardFd&) = delete;

  // The original back on the fd (closed, if it was not open before).
  void restore() {
    if (restored_) return;
    restored_ = true;
    std::fflush(stdout);
    if (saved_.get() >= 0) {
      ::dup2(saved_.get(), fd_);
      saved_.reset();
    } else {
      ::close(fd_);
    }
  }

 private:
  int fd_;
  OwnedFd saved_;
  bool restored_ = false;
};

// Sets $PATH for a scope; the old value (or its absence) comes back at the end.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& path) {
    if (const char* old = std::getenv("PATH")) old_ = old;
    ::setenv("PATH", path.c_str(), 1);
  }
  ~ScopedPath() {
    if (old_) {
      ::setenv("PATH", old_->c_str(), 1);
    } else {
      ::unsetenv("PATH");
    }
  }
  ScopedPath(const ScopedPath&) = delete;
  ScopedPath& operator=(const ScopedPath&) = delete;

 private:
  std::optional<std::string> old_;
};

// A shell script at path that prints `says`, with the given mode (0644: found, not executable).
void write_script(const std::string& path, const std::string& says, mode_t mode) {
  write_file(path, "#!/bin/sh\necho " + says + "\n");
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

// What a spawned program wrote to a pipe on its stdout, and how it ended ("" and a test failure
// if spawn threw).
std::string spawned_output(const std::vector<std::string>& argv) {
  TestPipe out = make_pipe();
  SpawnOptions options;
  options.stdout_fd = lend(out.write_end);
  ChildProcess child;
  try {
    child = proc::spawn(argv, options);
  } catch (const syslab::SystemError& error) {
    ADD_FAILURE() << "spawn of " << argv[0] << " threw: " << error.what();
    return "";
  }
  out.write_end.reset();
  std::string text = receive_all(out.read_end.get(), Deadline(5s));
  const std::optional<proc::WaitStatus> status = wait_within(child);
  if (status && !status->success()) text += "(" + status->describe() + ")";
  return text;
}

}  // namespace

SYSLAB_TEST(Spawn, ReportsExecErrorsWithTheirErrno, 3,
            "the child writes errno to a close-on-exec pipe when execve fails; the parent reads "
            "it: end of file means the exec worked",
            "make the pipe O_CLOEXEC and close the parent's write end before reading, or the "
            "read never sees end of file",
            "after reading a failure, wait() for the child (no zombie) and throw "
            "syslab::errno_error(error, \"exec\", argv[0])") {
  const std::map<int, std::string> fds_before = open_fds();

  const syslab::SystemError missing = spawn_error({"syslab-no-such-program", "--flag"});
  EXPECT_EQ(missing.code().value(), ENOENT) << missing.what();
  EXPECT_STREQ(missing.what(),
               "exec \"syslab-no-such-program\": No such file or directory (ENOENT)");

  const syslab::SystemError absent = spawn_error({"/nonexistent/syslab-program"});
  EXPECT_EQ(absent.code().value(), ENOENT) << absent.what();
  EXPECT_STREQ(absent.what(),
               "exec \"/nonexistent/syslab-program\": No such file or directory (ENOENT)");

  TempDir dir;
  const std::string script = dir / "not-executable";
  write_file(script, "#!/bin/sh\necho should not run\n");
  ASSERT_EQ(::chmod(script.c_str(), 0644), 0);
  const syslab::SystemError denied = spawn_error({script});
  EXPECT_EQ(denied.code().value(), EACCES) << denied.what();
  EXPECT_EQ(std::string(denied.what()), "exec \"" + script + "\": Permission denied (EACCES)");

  SpawnOptions nowhere;
  nowhere.working_directory = dir / "missing";
  const syslab::SystemError chdir_error = spawn_error({"true"}, nowhere);
  EXPECT_EQ(chdir_error.code().value(), ENOENT) << chdir_error.what();
  EXPECT_EQ(std::string(chdir_error.what()),
            "chdir \"" + nowhere.working_directory + "\": No such file or directory (ENOENT)");

  EXPECT_TRUE(child_pids().empty()) << "a failed spawn must reap its child";
  EXPECT_EQ(open_fds(), fds_before) << "a failed spawn must close both ends of its pipe";
}

SYSLAB_TEST(Spawn, RedirectsStandardInputAndOutput, 2,
            "in the child, dup2(options.stdin_fd, 0) and dup2(options.stdout_fd, 1) before execve",
            "dup2 makes the new fd without close-on-exec, so 0 and 1 survive the exec",
            "close the parent's copies of the child's ends after spawn, or the reader never sees "
            "end of file") {
  TestPipe in = make_pipe(), out = make_pipe();
  SpawnOptions options;
  options.stdin_fd = lend(in.read_end);
  options.stdout_fd = lend(out.write_end);
  ChildProcess tr = proc::spawn({"tr", "a-z", "A-Z"}, options);
  in.read_end.reset();
  out.write_end.reset();
  ASSERT_TRUE(send(in.write_end.get(), "hello, pipes\n"));
  in.write_end.reset();
  EXPECT_EQ(receive_all(out.read_end.get(), Deadline(5s)), "HELLO, PIPES\n");
  const std::optional<proc::WaitStatus> status = wait_within(tr);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->success()) << *status;
}

SYSLAB_TEST(Spawn, ExecErrorPipeIsCloseOnExec, 2,
            "fdio::make_pipe() makes O_CLOEXEC pipes: the exec closes the child's write end",
            "a program that inherits the report pipe keeps it open, and the parent would wait "
            "for end of file until the program exits") {
  std::set<std::string> ours;
  for (const auto& [fd, target] : open_fds()) ours.insert(target);
  ChildProcess sleeper = proc::spawn({"sleep", "30"});
  const std::map<int, std::string> theirs = fds_of(sleeper.pid());  // after the exec
  for (int fd = 0; fd <= 2; ++fd) EXPECT_TRUE(theirs.contains(fd)) << "no fd " << fd;
  // Only pipes count: right after the exec the dynamic loader may still hold a library open.
  for (const auto& [fd, target] : theirs) {
    if (target.rfind("pipe:", 0) != 0) continue;
    EXPECT_TRUE(ours.contains(target)) << "sleep inherited fd " << fd << " -> " << target
                                       << ", a pipe this process does not have open";
  }
  sleeper.kill(SIGKILL);
  const std::optional<proc::WaitStatus> status = wait_within(sleeper);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->describe(), "killed by SIGKILL");
}

SYSLAB_TEST(Spawn, SetsGroupDirectoryAndEnvironment, 2,
            "in the child: setpgid(0, group) (0: a new group led by the child), chdir, and an "
            "envp with the additions",
            "build the environment in the parent: between fork and exec the child should not "
            "allocate",
            "execve(path, argv, envp) takes the environment explicitly") {
  TempDir dir;
  char real_dir[PATH_MAX];
  ASSERT_NE(::realpath(dir.path().c_str(), real_dir), nullptr);
  TestPipe in = make_pipe(), out = make_pipe();
  SpawnOptions options;
  options.stdin_fd = lend(in.read_end);
  options.stdout_fd = lend(out.write_end);
  options.process_group = 0;
  options.working_directory = dir.path();
  options.env = {"SYSLAB_GREETING=hello from spawn", "HOME=/syslab-home"};
  ChildProcess leader = proc::spawn(
      {"/bin/sh", "-c", "pwd -P; echo \"$SYSLAB_GREETING\"; echo \"$HOME\"; exec cat"}, options);
  in.read_end.reset();
  out.write_end.reset();
  EXPECT_EQ(process_group_of(leader.pid()), leader.pid()) << "process_group = 0: a new group";

  SpawnOptions joining;
  joining.process_group = leader.pid();
  ChildProcess member = proc::spawn({"sleep", "30"}, joining);
  EXPECT_EQ(process_group_of(member.pid()), leader.pid()) << "process_group = pgid: join it";
  member.kill(SIGKILL);
  ASSERT_TRUE(wait_within(member));

  in.write_end.reset();  // cat sees end of file and exits
  EXPECT_EQ(receive_all(out.read_end.get(), Deadline(5s)),
            std::string(real_dir) + "\nhello from spawn\n/syslab-home\n");
  const std::optional<proc::WaitStatus> status = wait_within(leader);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->success()) << *status;
}

SYSLAB_TEST(Spawn, ResetsSignalsOnlyWhenAsked, 2,
            "SIG_IGN and the signal mask survive execve; handlers do not (they are reset to "
            "SIG_DFL)",
            "reset_signals: sigaction(SIG_DFL) for every signal 1..NSIG-1 (some fail: that is "
            "fine), then an empty mask just before execve",
            "sigaction fails for SIGKILL, SIGSTOP and a few signals glibc keeps: skip those and "
            "go on (a loop that stops at the first failure resets nothing above 9)") {
  const IgnoreUsr1BlockUsr2 changed;
  const std::string reset = spawned_status({});
  EXPECT_FALSE(has_signal(status_mask(reset, "SigIgn"), SIGUSR1))
      << "reset_signals: SIGUSR1 must be back to SIG_DFL in the child";
  EXPECT_FALSE(has_signal(status_mask(reset, "SigBlk"), SIGUSR2))
      << "reset_signals: the child's mask must be empty";
  EXPECT_EQ(status_mask(reset, "SigBlk"), 0U);

  SpawnOptions inherit;
  inherit.reset_signals = false;
  const std::string inherited = spawned_status(inherit);
  EXPECT_TRUE(has_signal(status_mask(inherited, "SigIgn"), SIGUSR1))
      << "without reset_signals the child keeps what the parent ignores";
  EXPECT_TRUE(has_signal(status_mask(inherited, "SigBlk"), SIGUSR2))
      << "without reset_signals the child keeps the parent's mask";
}

SYSLAB_TEST(Spawn, RedirectOntoTheSameFdKeepsIt, 2,
            "stdin_fd = 0 and stdout_fd = 1 are allowed: the caller's own 0 and 1 are then what "
            "the program gets, and they must still be open when it runs",
            "dup2(fd, fd) does nothing and returns fd: closing \"the old fd\" after it closes the "
            "very fd the program was to get",
            "do not close the sources in the child (they are the caller's, and close-on-exec "
            "or not is the caller's business); copy each above 2 first (F_DUPFD_CLOEXEC, 3), "
            "then dup2 the copies onto 0, 1 and 2: the copies vanish at exec") {
  const ScopedIgnoreSigpipe no_sigpipe;  // a cat that lost its stdin must not kill the test
  TestPipe in = make_pipe(), out = make_pipe();
  ChildProcess cat;
  {
    ScopedStandardFd stdin_is_a_pipe(STDIN_FILENO, in.read_end.get());
    ScopedStandardFd stdout_is_a_pipe(STDOUT_FILENO, out.write_end.get());
    SpawnOptions options;
    options.stdin_fd = fdio::BorrowedFd(STDIN_FILENO);  // the source is the target already
    options.stdout_fd = fdio::BorrowedFd(STDOUT_FILENO);
    cat = proc::spawn({"cat"}, options);
  }  // this process's own 0 and 1 are back
  in.read_end.reset();
  out.write_end.reset();
  [[maybe_unused]] const bool sent = send(in.write_end.get(), "through fds 0 and 1\n");
  in.write_end.reset();
  EXPECT_EQ(receive_all(out.read_end.get(), Deadline(5s)), "through fds 0 and 1\n")
      << "cat was spawned with stdin_fd = 0 and stdout_fd = 1 (the caller's own): it must read "
         "and write them; was fd 0 or 1 closed in the child after dup2(fd, fd)?";
  const std::optional<proc::WaitStatus> status = wait_within(cat);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->success()) << "cat " << *status << " (see its complaint above)";
}

SYSLAB_TEST(Spawn, RedirectsThatOverlapEachGetTheirOwnSource, 2,
            "each of 0, 1 and 2 must get the fd the caller named, as it was before the child "
            "changed anything: stdout_fd = a pipe with stderr_fd = 1 sends stderr to the "
            "caller's fd 1, not into the pipe",
            "dup2 one after the other (the pipe onto 1, then 1 onto 2) reads fd 1 after the first "
            "dup2 overwrote it; stdin_fd = 1 with stdout_fd = 0 is the same trap, twice",
            "copy every source above 2 first (F_DUPFD_CLOEXEC, 3), then dup2 the copies onto 0, "
            "1 and 2: no dup2 can overwrite a source any more") {
  const ScopedIgnoreSigpipe no_sigpipe;  // a cat that lost its stdin must not kill the test
  {
    TestPipe callers_stdout = make_pipe(), out = make_pipe();
    ChildProcess sh;
    {
      ScopedStandardFd stdout_is_a_pipe(STDOUT_FILENO, callers_stdout.write_end.get());
      SpawnOptions options;
      options.stdout_fd = lend(out.write_end);
      options.stderr_fd = fdio::BorrowedFd(STDOUT_FILENO);  // the caller's stdout, as it is now
      sh = proc::spawn({"sh", "-c", "echo to-stdout; echo to-stderr >&2"}, options);
    }
    callers_stdout.write_end.reset();
    out.write_end.reset();
    EXPECT_EQ(receive_all(out.read_end.get(), Deadline(5s)), "to-stdout\n")
        << "stdout_fd was a pipe: only stdout belongs in it";
    EXPECT_EQ(receive_all(callers_stdout.read_end.get(), Deadline(5s)), "to-stderr\n")
        << "stderr_fd = 1 means the caller's fd 1 (another pipe here), not the child's new 1";
    const std::optional<proc::WaitStatus> status = wait_within(sh);
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->success()) << "sh " << *status;
  }
  {
    // Crossed: the program reads the caller's fd 1 and writes the caller's fd 0.
    TestPipe to_cat = make_pipe(), from_cat = make_pipe();
    ChildProcess cat;
    {
      ScopedStandardFd zero_is_a_write_end(STDIN_FILENO, from_cat.write_end.get());
      ScopedStandardFd one_is_a_read_end(STDOUT_FILENO, to_cat.read_end.get());
      SpawnOptions options;
      options.stdin_fd = fdio::BorrowedFd(STDOUT_FILENO);
      options.stdout_fd = fdio::BorrowedFd(STDIN_FILENO);
      cat = proc::spawn({"cat"}, options);
    }
    to_cat.read_end.reset();
    from_cat.write_end.reset();
    [[maybe_unused]] const bool sent = send(to_cat.write_end.get(), "crossed\n");
    to_cat.write_end.reset();
    EXPECT_EQ(receive_all(from_cat.read_end.get(), Deadline(5s)), "crossed\n")
        << "stdin_fd = 1 and stdout_fd = 0: cat must read what was the caller's 1 and write "
           "what was its 0";
    const std::optional<proc::WaitStatus> status = wait_within(cat);
    ASSERT_TRUE(status);
    EXPECT_TRUE(status->success()) << "cat " << *status;
  }
}

SYSLAB_TEST(Spawn, PathSearchGoesPastANonExecutableMatch, 2,
            "execvp(3): a file in $PATH that exists but cannot be executed (EACCES) does not end "
            "the search: a later directory may hold a program of that name that runs",
            "when no candidate runs, the error is EACCES if one was found but not executable, "
            "and ENOENT only if none was found: the last candidate's error is not the answer",
            "in the loop over the candidates: on EACCES remember it and go on; on ENOENT or "
            "ENOTDIR go on; on anything else (ENOEXEC, E2BIG, ...) stop and report it") {
  TempDir dir;
  const std::string denied = dir / "denied", runs = dir / "runs", empty = dir / "empty";
  for (const std::string& each : {denied, runs, empty}) ASSERT_EQ(::mkdir(each.c_str(), 0755), 0);
  write_script(denied + "/syslab-probe", "from-the-first-match", 0644);
  write_script(runs + "/syslab-probe", "from-the-second-match", 0755);
  {
    const ScopedPath path(denied + ":" + runs);
    EXPECT_EQ(spawned_output({"syslab-probe"}), "from-the-second-match\n")
        << "PATH=" << denied << ":" << runs
        << ": the first syslab-probe is not executable, the second is; execvp runs the second";
  }
  {
    const ScopedPath path(denied + ":" + empty);
    const syslab::SystemError error = spawn_error({"syslab-probe"});
    EXPECT_EQ(error.code().value(), EACCES)
        << "PATH=" << denied << ":" << empty
        << ": found, but not executable, in the first directory, and absent from the last: "
           "execvp reports EACCES, not the last error (ENOENT)\n"
        << error.what();
  }
  EXPECT_TRUE(child_pids().empty()) << "a failed spawn must reap its child";
}
