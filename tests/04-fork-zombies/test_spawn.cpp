// Lab 04, task 7: spawn, fork + exec. A failed exec comes back to the parent as an exception with
// the child's errno, through a close-on-exec pipe; the set-up between fork and exec (fds, process
// group, directory, environment, signals) is checked through /proc and the program's output.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>
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
            "block every signal in the parent around fork, so that no handler runs in the child "
            "before the reset") {
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
