// Lab 04, tasks 2-4: fork_child, and ChildProcess: waiting, the kill policies, moves and release.
// Children tell the test where they are through pipes; the test never sleeps to let them run.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "fork_zombies_test_util.hpp"
#include "syslab/test.hpp"

using namespace fork_zombies_test;
using proc::ChildProcess;
using proc::KillPolicy;
using Kind = proc::WaitStatus::Kind;

namespace {

// In a child: dies of SIGSEGV by the kernel's default action, without a core file.
int die_of_sigsegv() {
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // no core even where core_pattern pipes to a helper
  ::signal(SIGSEGV, SIG_DFL);            // the sanitizers catch SIGSEGV; we want the default
  ::raise(SIGSEGV);
  return 0;
}

// In a child: ignores SIGTERM, says so on `ready`, then blocks until told (or killed).
int ignore_sigterm_and_block(TestPipe& ready, TestPipe& gate) {
  ::signal(SIGTERM, SIG_IGN);
  if (!send(ready.write_end.get(), "r")) return 2;
  return block_until_told(gate.write_end, gate.read_end);
}

// In a child: takes SIGTERM as a request to finish: says "bye" on `said` and exits 0.
int finish_on_sigterm(TestPipe& said) {
  sigset_t term;
  ::sigemptyset(&term);
  ::sigaddset(&term, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &term, nullptr);  // from here SIGTERM waits for sigwait below
  if (!send(said.write_end.get(), "r")) return 2;
  int signal = 0;
  ::sigwait(&term, &signal);
  return send(said.write_end.get(), "bye") ? 0 : 3;
}

// An exit handler that marks the fd g_atexit_mark when it runs in a process other than the one
// that registered it: a fork_child child that ends with exit() instead of _exit() runs it.
int g_atexit_mark = -1;
pid_t g_atexit_owner = -1;
void mark_atexit_in_a_child() {
  if (g_atexit_mark >= 0 && ::getpid() != g_atexit_owner) {
    (void)send(g_atexit_mark, "the parent's atexit handler ran in the child\n");
  }
}

// Temporarily points this process's stderr at a pipe, to see what a child prints there.
class StderrCapture {
 public:
  StderrCapture() : pipe_(make_pipe()), saved_(::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) {
    ::dup2(pipe_.write_end.get(), STDERR_FILENO);
  }
  // Puts stderr back and returns what was written to it; it is repeated on the real stderr, so
  // that a stub's TODO line still reaches the runner.
  std::string finish() {
    if (saved_.get() < 0) return text_;
    ::dup2(saved_.get(), STDERR_FILENO);
    saved_.reset();
    pipe_.write_end.reset();
    text_ = receive_all(pipe_.read_end.get(), Deadline(5s));
    (void)send(STDERR_FILENO, text_);
    return text_;
  }
  ~StderrCapture() { finish(); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

 private:
  TestPipe pipe_;
  OwnedFd saved_;
  std::string text_;
};

}  // namespace

SYSLAB_TEST(ChildProcess, WaitReturnsHowTheChildEnded, 3,
            "fork_child: fork(2), then in the child _exit(body()); ChildProcess::wait: waitpid(2) "
            "with the pid, then decode_wait_status",
            "only the low 8 bits of an exit code reach the parent: 256 arrives as 0",
            "after waitpid returned the pid, the child is reaped: set pid_ to -1 (release()) so "
            "that nothing waits for it again") {
  for (const int code : {0, 3, 255, 256}) {
    ChildProcess child = proc::fork_child([code] { return code; });
    ASSERT_GT(child.pid(), 0);
    EXPECT_TRUE(child.ok());
    const std::optional<proc::WaitStatus> status = wait_within(child);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, (proc::WaitStatus{Kind::kExited, code & 0xff, 0, false}))
        << "the child returned " << code << "; wait() said " << *status;
  }

  ChildProcess segv = proc::fork_child(die_of_sigsegv);
  const std::optional<proc::WaitStatus> crashed = wait_within(segv);
  ASSERT_TRUE(crashed);
  EXPECT_EQ(*crashed, (proc::WaitStatus{Kind::kKilled, 0, SIGSEGV, false})) << *crashed;

  TestPipe gate = make_pipe();
  ChildProcess blocked =
      proc::fork_child([&] { return block_until_told(gate.write_end, gate.read_end); });
  const pid_t pid = blocked.pid();
  blocked.kill(SIGTERM);
  const std::optional<proc::WaitStatus> terminated = wait_within(blocked);
  ASSERT_TRUE(terminated);
  EXPECT_EQ(terminated->describe(), "killed by SIGTERM");
  EXPECT_EQ(blocked.pid(), -1) << "once reaped, the ChildProcess owns nothing";
  EXPECT_FALSE(blocked.ok());
  EXPECT_EQ(process_state(pid), '?') << "a reaped child is gone from /proc";
  EXPECT_THROW(blocked.wait(), std::logic_error) << "waiting again: there is nothing to wait for";
  EXPECT_THROW(blocked.kill(SIGTERM), std::logic_error);
}

SYSLAB_TEST(ChildProcess, TryWaitAndWaitForDoNotBlock, 2,
            "try_wait: waitpid(pid, &raw, WNOHANG) returns 0 while the child runs",
            "wait_for: a pidfd (pidfd_open(2)) becomes readable when the child ends: poll(2) it "
            "with the timeout",
            "only a call that reaped the child may forget its pid; nullopt leaves it owned") {
  TestPipe gate = make_pipe();
  ChildProcess child =
      proc::fork_child([&] { return block_until_told(gate.write_end, gate.read_end); });
  EXPECT_FALSE(child.try_wait()) << "the child is blocked: try_wait must say 'still running'";
  EXPECT_FALSE(child.wait_for(20ms)) << "the child is blocked: wait_for must time out";
  EXPECT_TRUE(child.ok()) << "a child still running is still owned";

  ASSERT_TRUE(send(gate.write_end.get(), "g"));  // the child may exit now
  std::optional<proc::WaitStatus> status;
  ASSERT_TRUE(poll_until(Deadline(5s), [&] { return (status = child.try_wait()).has_value(); }))
      << "try_wait never saw the child end";
  EXPECT_TRUE(status->success()) << *status;
  EXPECT_FALSE(child.ok());

  TestPipe gate2 = make_pipe();
  ChildProcess second =
      proc::fork_child([&] { return block_until_told(gate2.write_end, gate2.read_end); });
  gate2.write_end.reset();  // end of file: it exits with 1
  const std::optional<proc::WaitStatus> ended = second.wait_for(5s);
  ASSERT_TRUE(ended) << "wait_for(5s) returned before the child ended";
  EXPECT_EQ(ended->describe(), "exited 1");
  EXPECT_FALSE(second.ok());
}

SYSLAB_TEST(ChildProcess, DestructorLeavesNoZombie, 3,
            "~ChildProcess calls reset(): with kKillThenWait, kill(SIGKILL) then wait()",
            "a child that has already ended (a zombie) must be reaped too: SIGKILL to a zombie "
            "is harmless",
            "reset(): if (policy_ == KillPolicy::kKillThenWait) kill(SIGKILL); then wait()") {
  pid_t ended = -1, running = -1;
  {
    ChildProcess finished = proc::fork_child([] { return 0; });
    ended = finished.pid();
    ASSERT_TRUE(poll_until(Deadline(5s), [&] { return process_state(ended) == 'Z'; }))
        << "child " << ended << " exited but never showed as a zombie";
    TestPipe gate = make_pipe();
    ChildProcess blocked =
        proc::fork_child([&] { return block_until_told(gate.write_end, gate.read_end); });
    running = blocked.pid();
    EXPECT_EQ(blocked.kill_policy(), KillPolicy::kKillThenWait) << "the default policy";
  }  // blocked goes first, while gate is still open: it must be killed; finished must be reaped
  EXPECT_EQ(process_state(ended), '?') << "the zombie " << ended << " outlived its ChildProcess";
  EXPECT_EQ(process_state(running), '?') << "child " << running << " outlived its ChildProcess";
  EXPECT_TRUE(child_pids().empty());
}

SYSLAB_TEST(ChildProcess, WaitOnlyPolicyLetsTheChildFinish, 2,
            "kWaitOnly: the destructor waits for the child to end by itself; it sends no signal",
            "reset(): for kWaitOnly, no kill(): just wait()") {
  TestPipe gate = make_pipe(), done = make_pipe();
  pid_t pid = -1;
  // The go-ahead comes from another thread once this one is blocked in the destructor (its state
  // in /proc turns to S): a destructor that kills instead never lets the child finish.
  std::thread go;
  {
    ChildProcess child = proc::fork_child(
        [&] {
          if (block_until_told(gate.write_end, gate.read_end) != 0) return 1;
          return send(done.write_end.get(), "finished") ? 0 : 2;
        },
        KillPolicy::kWaitOnly);
    pid = child.pid();
    EXPECT_EQ(child.kill_policy(), KillPolicy::kWaitOnly);
    go = std::thread([&] {
      const auto blocked_in_destructor = [] { return process_state(::getpid()) == 'S'; };
      if (poll_until(Deadline(5s), blocked_in_destructor, 1ms)) {
        (void)send(gate.write_end.get(), "g");
      }
    });
  }
  go.join();
  EXPECT_EQ(process_state(pid), '?') << "the child was not reaped";
  done.write_end.reset();
  EXPECT_EQ(receive_all(done.read_end.get(), Deadline(5s)), "finished")
      << "the child did not get to finish: was it killed?";
}

SYSLAB_TEST(ChildProcess, TerminateEscalatesToSigkill, 3,
            "terminate(grace): kill(SIGTERM), wait_for(grace), and only if it is still running "
            "kill(SIGKILL) and wait()",
            "a child that ignores SIGTERM must still end: SIGKILL cannot be ignored",
            "kTerminateThenKill in reset() is terminate(grace_); a child that takes SIGTERM as a "
            "request to finish must get the chance") {
  const Deadline deadline(8s);
  {
    TestPipe ready = make_pipe(), gate = make_pipe();
    ChildProcess stubborn = proc::fork_child([&] { return ignore_sigterm_and_block(ready, gate); });
    char byte;
    ASSERT_TRUE(receive_exact(ready.read_end.get(), &byte, 1, deadline));
    const proc::WaitStatus status = stubborn.terminate(100ms);
    EXPECT_EQ(status.describe(), "killed by SIGKILL") << "SIGTERM is ignored: only SIGKILL ends it";
    EXPECT_FALSE(stubborn.ok());
  }
  {
    TestPipe said = make_pipe();
    ChildProcess polite = proc::fork_child([&] { return finish_on_sigterm(said); });
    char ready;
    ASSERT_TRUE(receive_exact(said.read_end.get(), &ready, 1, deadline));
    const proc::WaitStatus status = polite.terminate(5s);
    EXPECT_EQ(status.describe(), "exited 0")
        << "a child that finishes on SIGTERM must be let finish";
  }
  pid_t stubborn_pid = -1;
  {
    TestPipe ready = make_pipe(), gate = make_pipe();
    ChildProcess stubborn = proc::fork_child([&] { return ignore_sigterm_and_block(ready, gate); },
                                             KillPolicy::kTerminateThenKill);
    stubborn.set_kill_policy(KillPolicy::kTerminateThenKill, 100ms);
    stubborn_pid = stubborn.pid();
    char byte;
    ASSERT_TRUE(receive_exact(ready.read_end.get(), &byte, 1, deadline));
  }  // the destructor: SIGTERM (ignored), 100 ms, SIGKILL, wait
  EXPECT_EQ(process_state(stubborn_pid), '?');
  {
    TestPipe said = make_pipe();
    {
      ChildProcess polite =
          proc::fork_child([&] { return finish_on_sigterm(said); }, KillPolicy::kTerminateThenKill);
      char ready;
      ASSERT_TRUE(receive_exact(said.read_end.get(), &ready, 1, deadline));
    }
    said.write_end.reset();
    EXPECT_EQ(receive_all(said.read_end.get(), deadline), "bye")
        << "with kTerminateThenKill the destructor must send SIGTERM first";
  }
  EXPECT_TRUE(child_pids().empty());
  EXPECT_FALSE(deadline.expired()) << "terminating took longer than the deadline";
}

SYSLAB_TEST(ChildProcess, TerminateContinuesAStoppedChild, 2,
            "a stopped child (SIGSTOP, or Ctrl-Z) does not act on SIGTERM: the signal stays "
            "pending until the child is continued",
            "terminate must send SIGCONT as well as SIGTERM, or a stopped child that would have "
            "finished politely is killed with SIGKILL at the end of the grace period",
            "kill(SIGTERM) then kill(SIGCONT): the child wakes up with SIGTERM waiting for it") {
  TestPipe said = make_pipe();
  ChildProcess polite = proc::fork_child([&] { return finish_on_sigterm(said); });
  const pid_t pid = polite.pid();
  char ready;
  ASSERT_TRUE(receive_exact(said.read_end.get(), &ready, 1, Deadline(5s)));
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  ASSERT_TRUE(poll_until(Deadline(5s), [pid] { return process_state(pid) == 'T'; }))
      << "the child did not stop: state " << process_state(pid);
  const proc::WaitStatus status = polite.terminate(3s);
  EXPECT_EQ(status.describe(), "exited 0")
      << "the child was stopped (state T) and finishes on SIGTERM once it runs: terminate must "
         "continue it (SIGCONT), not wait out the grace period and kill it";
  said.write_end.reset();
  EXPECT_EQ(receive_all(said.read_end.get(), Deadline(5s)), "bye")
      << "the stopped child never got to act on SIGTERM";
}

SYSLAB_TEST(ChildProcess, MoveAndReleaseHandOverOwnership, 2,
            "the move constructor and release() are given; a moved-from object owns nothing",
            "move assignment first ends the child the target owned (its kill policy), then takes "
            "the other's",
            "after release() the caller must waitpid the pid itself") {
  TestPipe gate = make_pipe();
  auto blocked = [&] { return block_until_told(gate.write_end, gate.read_end); };
  ChildProcess first = proc::fork_child(blocked);
  const pid_t first_pid = first.pid();
  ChildProcess owner = std::move(first);
  EXPECT_EQ(first.pid(), -1);  // NOLINT(bugprone-use-after-move): that is the point
  EXPECT_FALSE(first.ok());
  EXPECT_THROW(first.wait(), std::logic_error);
  EXPECT_EQ(owner.pid(), first_pid);

  ChildProcess second = proc::fork_child(blocked);
  const pid_t second_pid = second.pid();
  second = std::move(owner);  // second's own child is killed and reaped first
  EXPECT_EQ(process_state(second_pid), '?') << "move assignment left the old child behind";
  EXPECT_EQ(second.pid(), first_pid);

  const pid_t released = second.release();
  EXPECT_EQ(released, first_pid);
  EXPECT_FALSE(second.ok());
  EXPECT_NE(process_state(released), '?') << "release() must neither kill nor reap";
  ::kill(released, SIGKILL);  // now ours to end and reap
  int raw = 0;
  ASSERT_EQ(::waitpid(released, &raw, 0), released);
  EXPECT_TRUE(WIFSIGNALED(raw));
}

SYSLAB_TEST(ForkChild, ChildNeverReturnsToTheCaller, 2,
            "in the child, call body() and then _exit(2): never return from fork_child",
            "exit(3) would run the parent's atexit handlers and flush its stdio buffers a second "
            "time; _exit does neither",
            "fflush(nullptr) before fork(), so that the child inherits no unwritten output, and "
            "again in the child before _exit(), or what the child itself printed is lost") {
  TestPipe marks = make_pipe();
  std::unique_ptr<FILE, int (*)(FILE*)> buffered(
      ::fdopen(::fcntl(marks.write_end.get(), F_DUPFD_CLOEXEC, 3), "w"), &std::fclose);
  ASSERT_NE(buffered, nullptr);
  ASSERT_EQ(std::setvbuf(buffered.get(), nullptr, _IOFBF, 4096), 0);
  std::fputs("written before fork\n", buffered.get());  // still in the buffer
  static const bool registered = std::atexit(mark_atexit_in_a_child) == 0;
  ASSERT_TRUE(registered);
  g_atexit_owner = ::getpid();
  g_atexit_mark = marks.write_end.get();
  std::optional<proc::WaitStatus> status;
  {
    ChildProcess child = proc::fork_child([&] {
      std::fputs("written by the child\n", buffered.get());  // buffered: _exit does not flush
      return 5;
    });
    // A child that returned from fork_child would get here too and write this a second time.
    (void)send(marks.write_end.get(), "after fork_child\n");
    status = wait_within(child);
  }
  g_atexit_mark = -1;
  buffered.reset();  // fclose flushes what is left
  marks.write_end.reset();
  const std::string text = receive_all(marks.read_end.get(), Deadline(5s));
  EXPECT_EQ(count_of(text, "after fork_child\n"), 1) << text;
  EXPECT_EQ(count_of(text, "written before fork\n"), 1)
      << "the parent's unwritten output must be written once: flush stdio before fork\n"
      << text;
  EXPECT_EQ(count_of(text, "written by the child\n"), 1)
      << "what the child printed (still in its stdio buffer) must reach the pipe: flush in the "
         "child before _exit\n"
      << text;
  EXPECT_EQ(count_of(text, "atexit handler ran in the child"), 0)
      << "the child ended with exit(), which runs the parent's atexit handlers (and static "
         "destructors): end it with _exit()";
  ASSERT_TRUE(status);
  EXPECT_EQ(status->describe(), "exited 5");
}

SYSLAB_TEST(ForkChild, ExceptionExitsWithChildThrew, 1,
            "catch everything around body() in the child: an exception must not unwind into the "
            "parent's code",
            "print \"child PID: what()\" to stderr and _exit(kChildThrew)") {
  StderrCapture capture;
  std::optional<proc::WaitStatus> status;
  {
    ChildProcess child = proc::fork_child([]() -> int { throw std::runtime_error("boom"); });
    status = wait_within(child);
  }
  const std::string err = capture.finish();
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, (proc::WaitStatus{Kind::kExited, proc::kChildThrew, 0, false})) << *status;
  EXPECT_NE(err.find("boom"), std::string::npos) << "stderr: " << err;
}

SYSLAB_TEST(ForkChild, CopyOnWriteKeepsTheParentsMemory, 2,
            "after fork the child has a copy of the parent's memory: same addresses, own pages",
            "the kernel copies a page only when one side writes to it (copy-on-write)",
            "this test only needs fork_child to run the body in a real child") {
  struct View {
    const int* counter_address;
    const char* buffer_address;
    int counter;
    char first, last;
  };
  int counter = 1;
  std::vector<char> buffer(4 << 20, 'p');
  TestPipe report = make_pipe();
  ChildProcess child = proc::fork_child([&] {
    counter = 2;
    std::fill(buffer.begin(), buffer.end(), 'c');
    const View view{&counter, buffer.data(), counter, buffer.front(), buffer.back()};
    const ssize_t sent =
        without_faults([&] { return ::write(report.write_end.get(), &view, sizeof view); });
    return sent == sizeof view ? 0 : 1;
  });
  View seen{};
  ASSERT_TRUE(receive_exact(report.read_end.get(), &seen, sizeof seen, Deadline(5s)));
  const std::optional<proc::WaitStatus> status = wait_within(child);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->success()) << *status;
  EXPECT_EQ(seen.counter, 2) << "the child saw its own write";
  EXPECT_EQ(seen.first, 'c');
  EXPECT_EQ(seen.last, 'c');
  EXPECT_EQ(seen.counter_address, &counter) << "the same virtual address in both processes...";
  EXPECT_EQ(seen.buffer_address, buffer.data());
  EXPECT_EQ(counter, 1) << "...but the child's write did not reach the parent";
  EXPECT_EQ(std::count(buffer.begin(), buffer.end(), 'p'), static_cast<long>(buffer.size()));
}
