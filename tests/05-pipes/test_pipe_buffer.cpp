// Lab 05, tasks 1 and 2: the pipe as a kernel buffer (close-on-exec, its capacity), and what a
// writer gets when nobody can read any more: SIGPIPE, or EPIPE where SIGPIPE is ignored.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <string>

#include "broken_pipe.hpp"
#include "fd_io.hpp"
#include "pipe_buffer.hpp"
#include "pipes_test_util.hpp"

using namespace pipes_test;

namespace {}  // namespace

SYSLAB_TEST(PipeBuffer, CloseOnExecAndHoldsItsCapacity, 2,
            "pipe2(2) takes the flags: O_CLOEXEC always, plus what the caller adds (O_NONBLOCK)",
            "F_SETPIPE_SZ (fcntl(2), \"Changing the capacity of a pipe\") sets the size; "
            "F_GETPIPE_SZ reads it back; the kernel rounds up to whole pages",
            "pipe2(ends, O_CLOEXEC | extra_flags); then if (capacity > 0) "
            "fcntl(write_end, F_SETPIPE_SZ, capacity), and throw_errno when either fails") {
  fdio::Pipe pipe = pipes::make_sized_pipe(16384, O_NONBLOCK);
  ASSERT_TRUE(pipe.read_end.ok() && pipe.write_end.ok());
  for (const int fd : {pipe.read_end.get(), pipe.write_end.get()}) {
    const int flags = kernel_flags(fd);
    EXPECT_NE(flags & O_CLOEXEC, 0) << "fd " << fd << " is not close-on-exec: a child that execs "
                                    << "would inherit it and hold the pipe open";
    EXPECT_NE(flags & O_NONBLOCK, 0) << "fd " << fd << ": the extra flag O_NONBLOCK was not set";
  }
  EXPECT_EQ(kernel_flags(pipe.read_end.get()) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(kernel_flags(pipe.write_end.get()) & O_ACCMODE, O_WRONLY);

  const std::size_t capacity = pipes::pipe_capacity(pipe.read_end);
  EXPECT_EQ(static_cast<long>(capacity), ::fcntl(pipe.write_end.get(), F_GETPIPE_SZ));
  // The kernel rounds up to a power-of-two number of pages: 4 pages of 4 KiB, or 1 of 64 KiB.
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::size_t pages = 1;
  while (pages * page < 16384) pages *= 2;
  EXPECT_EQ(capacity, pages * page) << "F_SETPIPE_SZ(16384) was not applied";

  // The buffer takes exactly its capacity; then a non-blocking writer is told to wait.
  const std::string big(capacity * 4, 'x');
  std::size_t held = 0;
  for (;;) {
    const fdio::IoResult step =
        fdio::write_some(pipe.write_end, std::string_view(big).substr(held));
    held += step.count;
    if (!step.done()) {
      EXPECT_TRUE(step.would_block()) << step;
      break;
    }
  }
  EXPECT_EQ(held, capacity) << "a full pipe holds its capacity, no more and no less";

  const fdio::Pipe plain = pipes::make_sized_pipe(0);
  EXPECT_NE(kernel_flags(plain.write_end.get()) & O_CLOEXEC, 0);
  EXPECT_EQ(kernel_flags(plain.write_end.get()) & O_NONBLOCK, 0) << "O_NONBLOCK was not asked for";
  EXPECT_EQ(static_cast<long>(pipes::pipe_capacity(plain.write_end)),
            ::fcntl(plain.read_end.get(), F_GETPIPE_SZ))
      << "capacity 0 keeps the kernel's default size";
}

SYSLAB_TEST(
    BrokenPipe, DefaultSigpipeKillsTheWriter, 2,
    "pipe(7): a write to a pipe whose read ends are all closed raises SIGPIPE, and its "
    "default action ends the process",
    "the writer must be a child (fork_child): close the pipe's read end there, set SIGPIPE "
    "to SIG_DFL and unblock it, then write_all into the pipe",
    "the parent reads the writer's report with read_exact after closing its own copy of the "
    "report pipe's write end: EOF and no bytes means the writer died before it could say "
    "anything; then wait() gives \"killed by SIGPIPE\"") {
  const ChildAnswer answer = ask_child([] {
    const pipes::BrokenPipeWrite outcome =
        pipes::write_after_reader_closed(pipes::SigpipeAction::kDefault);
    return outcome.writer.describe() + "|" +
           (outcome.result ? fdio::to_string(*outcome.result) : "none");
  });
  ASSERT_TRUE(answer.text) << answer.problem;
  EXPECT_EQ(*answer.text, "killed by SIGPIPE|none")
      << "expected the writer killed by SIGPIPE, with no result to report (writer status|result)";
}

SYSLAB_TEST(BrokenPipe, IgnoredSigpipeGivesEpipe, 2,
            "with SIGPIPE ignored (SIG_IGN), the same write fails with EPIPE: fdio::write_all "
            "returns kPeerClosed with error EPIPE",
            "the writer sends its IoResult back to the parent through a second pipe (it is plain "
            "data: write its bytes with write_all, read them with read_exact)",
            "set SIGPIPE's action with sigaction before the write, in the child only: the parent's "
            "disposition must stay as it was") {
  // The parent ignores SIGPIPE too (as the test runner may): the child must set it as asked.
  const ChildAnswer answer = ask_child([] {
    const ScopedIgnoreSigpipe parent_ignores;
    const pipes::BrokenPipeWrite with_default =
        pipes::write_after_reader_closed(pipes::SigpipeAction::kDefault);
    const pipes::BrokenPipeWrite ignored =
        pipes::write_after_reader_closed(pipes::SigpipeAction::kIgnore);
    std::string text = with_default.writer.describe() + "|" + ignored.writer.describe() + "|";
    if (ignored.result) {
      text +=
          fdio::to_string(*ignored.result) + "|" + std::to_string(ignored.result->error == EPIPE);
    }
    return text;
  });
  ASSERT_TRUE(answer.text) << answer.problem;
  EXPECT_EQ(*answer.text, "killed by SIGPIPE|exited 0|peer closed (EPIPE) after 0 bytes|1")
      << "expected: SIG_DFL kills the writer even when its parent ignores SIGPIPE; SIG_IGN lets "
         "it live, and write_all reports kPeerClosed (EPIPE) after 0 bytes "
         "(kDefault writer|kIgnore writer|kIgnore result|error is EPIPE)";
}

SYSLAB_TEST(BrokenPipe, CallerBlockingSigpipeDoesNotSaveTheWriter, 2,
            "the writer inherits its parent's signal mask through fork: if the caller blocks "
            "SIGPIPE, the signal stays pending in the writer and its write fails with EPIPE",
            "in the writer, after setting SIGPIPE's action, unblock it: "
            "pthread_sigmask(SIG_UNBLOCK, {SIGPIPE})",
            "only in the child: the caller's own mask must still block SIGPIPE afterwards") {
  const ChildAnswer answer = ask_child([] {
    sigset_t sigpipe;
    ::sigemptyset(&sigpipe);
    ::sigaddset(&sigpipe, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &sigpipe, nullptr);  // as a program with threads may
    const pipes::BrokenPipeWrite outcome =
        pipes::write_after_reader_closed(pipes::SigpipeAction::kDefault);
    sigset_t after;
    ::pthread_sigmask(SIG_BLOCK, nullptr, &after);
    return outcome.writer.describe() + "|" +
           (outcome.result ? fdio::to_string(*outcome.result) : "none") + "|" +
           (::sigismember(&after, SIGPIPE) == 1 ? "blocked" : "unblocked");
  });
  ASSERT_TRUE(answer.text) << answer.problem;
  EXPECT_EQ(*answer.text, "killed by SIGPIPE|none|blocked")
      << "expected: with kDefault the writer dies of SIGPIPE even though its parent blocks "
         "SIGPIPE, and the parent's mask is left as it was (writer status|result|the caller's "
         "SIGPIPE mask bit afterwards)";
}

// The tests above wait with deadlines of 10 s, so that a hang fails there and says what is
// stuck; the runner's own deadline must be longer. (Declared after the tests they name.)
SYSLAB_TIMEOUT(BrokenPipe, DefaultSigpipeKillsTheWriter, 30);
SYSLAB_TIMEOUT(BrokenPipe, IgnoredSigpipeGivesEpipe, 30);
SYSLAB_TIMEOUT(BrokenPipe, CallerBlockingSigpipeDoesNotSaveTheWriter, 30);
