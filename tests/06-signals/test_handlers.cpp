// Lab 06 tests: handlers installed with sigaction (and whether SA_RESTART is observable), the
// self-pipe, and signalfd. A helper thread interrupts a blocked read(2) only once
// /proc/self/task/TID shows the reader asleep in read: a handshake, not a sleep.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "scoped_signals.hpp"
#include "self_pipe.hpp"
#include "signal_fd.hpp"
#include "signals_test_util.hpp"
#include "syslab/test.hpp"

using namespace signals_test;

namespace {

std::atomic<int> g_usr1_runs{0};
void count_usr1(int) { g_usr1_runs.fetch_add(1); }
void other_handler(int) {}

// What a blocking read(2) of one byte came to, while a helper thread sent this thread SIGUSR1.
struct ReadOutcome {
  ssize_t result = 0;
  int error = 0;
  bool signal_sent = false;  // the helper saw us blocked in read and sent SIGUSR1
  int handler_runs = 0;
};

// Blocks in read(2) on an empty pipe. A helper thread waits until this thread sleeps in read,
// sends it SIGUSR1 (pthread_kill), and then:
//   restart_expected: waits until the handler has run and the read is blocked again (the kernel
//     restarted it), then writes one byte, which the restarted read returns;
//   otherwise: waits for the read to return (EINTR). If it does not return by the deadline, the
//     helper writes a byte to end it, and the test sees data instead of EINTR.
ReadOutcome interrupted_read(bool restart_expected) {
  g_usr1_runs = 0;
  TestPipe pipe = make_pipe();
  const pid_t reader_tid = static_cast<pid_t>(::syscall(SYS_gettid));
  const pthread_t reader = ::pthread_self();
  std::atomic<bool> returned{false};
  std::atomic<bool> sent{false};
  std::thread helper([&] {
    const Deadline deadline(5s);
    if (poll_until(deadline, [&] { return blocked_in(reader_tid, read_call()); })) {
      sent = ::pthread_kill(reader, SIGUSR1) == 0;
    }
    if (restart_expected) {
      [[maybe_unused]] const bool again = poll_until(deadline, [&] {
        return returned || (g_usr1_runs > 0 && blocked_in(reader_tid, read_call()));
      });
    } else {
      [[maybe_unused]] const bool back = poll_until(Deadline(3s), [&] { return returned.load(); });
    }
    if (!returned) {
      [[maybe_unused]] const ssize_t n = ::write(pipe.write_end.get(), "x", 1);
    }
  });
  char byte = 0;
  ReadOutcome outcome;
  outcome.result = ::read(pipe.read_end.get(), &byte, 1);
  outcome.error = outcome.result < 0 ? errno : 0;
  returned = true;
  helper.join();
  outcome.signal_sent = sent;
  outcome.handler_runs = g_usr1_runs;
  return outcome;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ScopedSigaction

SYSLAB_TEST(ScopedSigaction, InstallsWithTheRestartChoiceAndRestores, 2,
            "sigaction(2) with a struct sigaction: sa_handler, sa_mask (sigemptyset), sa_flags",
            "pass a struct sigaction to receive the old action, and give it back in the destructor",
            "sa_flags = restart == Restart::kYes ? SA_RESTART : 0; the move constructor sets the "
            "moved-from signal_ to 0 so that only the new owner restores") {
  const SignalStateGuard guard;
  g_usr1_runs = 0;
  ASSERT_EQ(current_action(SIGUSR1).sa_handler, SIG_DFL);
  {
    const sig::ScopedSigaction counting(SIGUSR1, count_usr1, sig::Restart::kYes);
    EXPECT_EQ(current_action(SIGUSR1).sa_handler, count_usr1);
    EXPECT_NE(current_action(SIGUSR1).sa_flags & SA_RESTART, 0)
        << "Restart::kYes must set SA_RESTART";
    ASSERT_EQ(::raise(SIGUSR1), 0);
    EXPECT_EQ(g_usr1_runs.load(), 1) << "the handler did not run on raise(SIGUSR1)";
    std::optional<sig::ScopedSigaction> outer;
    {
      sig::ScopedSigaction other(SIGUSR1, other_handler, sig::Restart::kNo);
      EXPECT_EQ(current_action(SIGUSR1).sa_handler, other_handler);
      EXPECT_EQ(current_action(SIGUSR1).sa_flags & SA_RESTART, 0)
          << "Restart::kNo must not set SA_RESTART";
      outer.emplace(std::move(other));
    }
    EXPECT_EQ(current_action(SIGUSR1).sa_handler, other_handler)
        << "a moved-from ScopedSigaction restored the old action: only the new owner may";
    outer.reset();
    EXPECT_EQ(current_action(SIGUSR1).sa_handler, count_usr1) << "the previous handler is not back";
    EXPECT_NE(current_action(SIGUSR1).sa_flags & SA_RESTART, 0)
        << "the previous flags are not back";
  }
  EXPECT_EQ(current_action(SIGUSR1).sa_handler, SIG_DFL) << "SIG_DFL is not back after destruction";
  EXPECT_THROW(sig::ScopedSigaction(SIGKILL, count_usr1, sig::Restart::kNo), std::system_error)
      << "SIGKILL cannot be caught: sigaction fails with EINVAL, which must be thrown";
}

SYSLAB_TEST(ScopedSigaction, WithoutRestartABlockedReadFailsWithEintr, 3,
            "with Restart::kNo, sa_flags has no SA_RESTART: a read(2) that a handler interrupts "
            "returns -1 with errno EINTR",
            "signal(7), \"Interruption of system calls and library functions by signal handlers\"",
            "the test blocks in read on an empty pipe; a thread sends SIGUSR1 once /proc shows it "
            "asleep in read") {
  const SignalStateGuard guard;
  const sig::ScopedSigaction handler(SIGUSR1, count_usr1, sig::Restart::kNo);
  const ReadOutcome outcome = interrupted_read(false);
  ASSERT_TRUE(outcome.signal_sent) << "the reader never showed up blocked in read(2)";
  EXPECT_EQ(outcome.handler_runs, 1);
  EXPECT_EQ(outcome.result, -1) << "read was restarted after the handler (is SA_RESTART set?)";
  EXPECT_EQ(outcome.error, EINTR);
}

SYSLAB_TEST(
    ScopedSigaction, WithRestartABlockedReadCompletes, 3,
    "with Restart::kYes, sa_flags has SA_RESTART: the kernel restarts the interrupted read(2)",
    "the handler runs, then read blocks again and returns the byte that comes later",
    "action.sa_flags = SA_RESTART (and nothing that clears it later)") {
  const SignalStateGuard guard;
  const sig::ScopedSigaction handler(SIGUSR1, count_usr1, sig::Restart::kYes);
  const ReadOutcome outcome = interrupted_read(true);
  ASSERT_TRUE(outcome.signal_sent) << "the reader never showed up blocked in read(2)";
  EXPECT_EQ(outcome.handler_runs, 1);
  EXPECT_EQ(outcome.result, 1) << "read failed with " << outcome.error
                               << " instead of being restarted: SA_RESTART missing?";
}

// ---------------------------------------------------------------------------------------------
// SelfPipe

SYSLAB_TEST(SelfPipe, OneBytePerSignalCarryingItsNumber, 2,
            "on_signal writes the signal number as one byte to the pipe's write end; read_signals "
            "reads until EAGAIN",
            "raise(2) runs the handler before it returns; a signal from another process arrives a "
            "little later: poll fd()",
            "read_signals: read_some until kWouldBlock, each byte pushed as an int") {
  const SignalStateGuard guard;
  sig::SelfPipe self_pipe({SIGUSR1, SIGUSR2}, sig::Restart::kYes);
  EXPECT_TRUE(self_pipe.read_signals().empty()) << "no signal yet, so nothing to read";
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_EQ(::raise(SIGUSR1), 0);
  EXPECT_EQ(self_pipe.read_signals(), (std::vector<int>{SIGUSR1, SIGUSR2, SIGUSR1}));
  EXPECT_TRUE(self_pipe.read_signals().empty()) << "read_signals must return what is new only";

  ForkedChild sender([] { return ::kill(::getppid(), SIGUSR2) == 0 ? 0 : 1; });
  const std::optional<ExitStatus> sent = sender.wait(Deadline(5s));
  ASSERT_TRUE(sent && sent->success()) << "the child could not send SIGUSR2";
  ASSERT_TRUE(wait_readable(self_pipe.fd().get(), Deadline(5s))) << "fd() never became readable";
  EXPECT_EQ(self_pipe.read_signals(), std::vector<int>{SIGUSR2});
}

SYSLAB_TEST(SelfPipe, HandlerPreservesErrnoWhenThePipeIsFull, 3,
            "a handler may run between a failed call and the caller's look at errno: it must put "
            "errno back",
            "when the pipe is full, the handler's write fails with EAGAIN and sets errno",
            "const int saved_errno = errno; ... write ...; errno = saved_errno;") {
  const SignalStateGuard guard;
  sig::SelfPipe self_pipe({SIGUSR1}, sig::Restart::kYes);
  const int read_end = self_pipe.fd().get();
  for (const int fd : fds_like(read_end)) {
    ASSERT_NE(kernel_flags(fd) & O_NONBLOCK, 0)
        << "fd " << fd << " of the pipe is blocking: the handler would hang when the pipe is full";
  }
  // The smallest pipe (a page), filled by the handler itself: one byte per raise.
  const int capacity = ::fcntl(read_end, F_SETPIPE_SZ, 4096);
  ASSERT_GT(capacity, 0);
  int queued = 0;
  for (int i = 0; i < capacity + 1; ++i) ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_EQ(::ioctl(read_end, FIONREAD, &queued), 0);
  ASSERT_EQ(queued, capacity) << "the pipe should be full now";

  constexpr int kSentinel = EDOM;  // nothing in the handler sets it
  errno = kSentinel;
  const int raised = ::raise(SIGUSR1);  // the handler's write fails with EAGAIN
  const int after = errno;
  ASSERT_EQ(raised, 0);
  EXPECT_EQ(after, kSentinel) << "errno was " << after
                              << " after the handler ran: save and restore it";
  EXPECT_EQ(self_pipe.read_signals().size(), static_cast<std::size_t>(capacity));
}

SYSLAB_TEST(
    SelfPipe, NonBlockingCloseOnExecOneAtATimeAndRestored, 1,
    "make the pipe with fdio::make_pipe(O_NONBLOCK): both ends close-on-exec and non-blocking",
    "publish the write end with target_.publish before installing the handlers: it refuses a "
    "second SelfPipe",
    "the handlers are ScopedSigactions in handlers_: they restore the old actions by themselves") {
  const SignalStateGuard guard;
  {
    sig::SelfPipe self_pipe({SIGUSR1, SIGUSR2}, sig::Restart::kNo);
    const std::vector<int> ends = fds_like(self_pipe.fd().get());
    EXPECT_EQ(ends.size(), 2u) << "a SelfPipe holds one pipe: a read end and a write end";
    for (const int fd : ends) {
      EXPECT_NE(kernel_flags(fd) & O_NONBLOCK, 0) << "fd " << fd << " is blocking";
      EXPECT_NE(kernel_flags(fd) & O_CLOEXEC, 0) << "fd " << fd << " is not close-on-exec";
    }
    for (const int signal : {SIGUSR1, SIGUSR2}) {
      EXPECT_NE(current_action(signal).sa_handler, SIG_DFL) << "no handler for signal " << signal;
      EXPECT_EQ(current_action(signal).sa_flags & SA_RESTART, 0) << "Restart::kNo was asked for";
    }
    EXPECT_THROW(sig::SelfPipe({SIGUSR1}, sig::Restart::kNo), std::logic_error)
        << "the handler can reach one pipe only: a second SelfPipe must be refused";
    EXPECT_NE(current_action(SIGUSR1).sa_handler, SIG_DFL)
        << "the refused second SelfPipe must leave the first one's handlers alone";
  }
  EXPECT_EQ(current_action(SIGUSR1).sa_handler, SIG_DFL);
  EXPECT_EQ(current_action(SIGUSR2).sa_handler, SIG_DFL);
  const sig::SelfPipe again({SIGUSR1}, sig::Restart::kNo);  // the first one let go of the handler
}

// ---------------------------------------------------------------------------------------------
// SignalFd

SYSLAB_TEST(
    SignalFd, ReportsTheSignalAndWhoSentIt, 2,
    "signalfd(2): read(2) gives one struct signalfd_siginfo per pending signal",
    "ssi_signo is the signal, ssi_pid and ssi_uid the sender; EAGAIN means nothing is pending",
    "signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK) after the signals are blocked") {
  const SignalStateGuard guard;
  sig::SignalFd signals({SIGUSR1, SIGUSR2});
  EXPECT_FALSE(signals.read().has_value()) << "nothing was sent yet: read must say so, not block";
  ForkedChild sender([] { return ::kill(::getppid(), SIGUSR2) == 0 ? 0 : 1; });
  const pid_t sender_pid = sender.pid();
  const std::optional<ExitStatus> sent = sender.wait(Deadline(5s));
  ASSERT_TRUE(sent && sent->success()) << "the child could not send SIGUSR2";
  ASSERT_TRUE(wait_readable(signals.fd().get(), Deadline(5s)))
      << "the signalfd never became readable";
  const std::optional<sig::SignalInfo> info = signals.read();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->signal, SIGUSR2);
  EXPECT_EQ(info->sender_pid, sender_pid);
  EXPECT_EQ(info->sender_uid, ::getuid());
  EXPECT_EQ(info->code, SI_USER) << "kill(2) sends with si_code SI_USER";
  EXPECT_FALSE(signals.read().has_value()) << "one signal was sent, one must be read";
}

SYSLAB_TEST(
    SignalFd, BlocksItsSignalsAndRestoresTheMask, 2,
    "a signalfd only sees signals that are blocked: block them first (ScopedSignalMask: "
    "pthread_sigmask SIG_BLOCK)",
    "the fd is close-on-exec and non-blocking; the destructor closes it, then restores the old "
    "mask",
    "ScopedSignalMask keeps the old mask from pthread_sigmask(SIG_BLOCK, &block, &previous_)") {
  const SignalStateGuard guard;
  ASSERT_FALSE(is_blocked(SIGUSR1));
  {
    sig::SignalFd signals({SIGUSR1});
    EXPECT_TRUE(is_blocked(SIGUSR1)) << "SIGUSR1 must be blocked while the SignalFd lives";
    EXPECT_FALSE(is_blocked(SIGUSR2)) << "only the signals asked for may be blocked";
    const int flags = kernel_flags(signals.fd().get());
    EXPECT_NE(flags & O_CLOEXEC, 0) << "SFD_CLOEXEC is missing";
    EXPECT_NE(flags & O_NONBLOCK, 0) << "SFD_NONBLOCK is missing";
    ASSERT_TRUE(is_blocked(SIGUSR1)) << "raising an unblocked SIGUSR1 would end the test";
    ASSERT_EQ(::raise(SIGUSR1), 0);  // blocked: it waits, pending, for the signalfd
    const std::optional<sig::SignalInfo> info = signals.read();
    ASSERT_TRUE(info.has_value()) << "the raised SIGUSR1 was not read";
    EXPECT_EQ(info->signal, SIGUSR1);
    EXPECT_EQ(info->sender_pid, ::getpid());
  }
  EXPECT_FALSE(is_blocked(SIGUSR1)) << "the destructor must put the previous mask back";
}

SYSLAB_TIMEOUT(ScopedSigaction, WithoutRestartABlockedReadFailsWithEintr, 30);
SYSLAB_TIMEOUT(ScopedSigaction, WithRestartABlockedReadCompletes, 30);
SYSLAB_TIMEOUT(SelfPipe, OneBytePerSignalCarryingItsNumber, 30);
SYSLAB_TIMEOUT(SignalFd, ReportsTheSignalAndWhoSentIt, 30);
