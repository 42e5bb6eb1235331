// Lab 02, tasks 4-5: read_some / write_some report what one system call did; read_exact /
// write_all finish the job through short counts and EINTR. Short writes are forced with a small
// non-blocking pipe, and EINTR with a signal whose handler has no SA_RESTART, sent while the test's
// thread is blocked in read(2) or write(2) (seen in /proc, syslab/proc.hpp).
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "fd_io.hpp"
#include "fd_raii_test_util.hpp"
#include "syslab/proc.hpp"
#include "unique_fd.hpp"

using namespace fd_raii_test;
using fdio::BorrowedFd;
using fdio::IoResult;
using fdio::IoStatus;
using fdio::UniqueFd;

namespace {

// Reads fd (blocking or not) until EOF in chunks of at most `chunk` bytes, waiting with a
// deadline. Written with plain read(2) so that it tests the writer, not the lab's read functions.
std::string drain(int fd, std::size_t chunk, const Deadline& deadline) {
  std::string got;
  std::vector<char> buffer(chunk);
  for (;;) {
    if (!wait_readable(fd, deadline)) return got;  // the caller sees the missing bytes
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n == 0) return got;
    if (n < 0 && errno != EINTR && errno != EAGAIN) return got;
    if (n > 0) got.append(buffer.data(), static_cast<std::size_t>(n));
  }
}

// Shrinks a pipe's buffer to one page, so that a few KiB fill it.
void shrink_pipe(const UniqueFd& end) {
  ASSERT_GT(::fcntl(end.get(), F_SETPIPE_SZ, 4096), 0) << "F_SETPIPE_SZ: " << std::strerror(errno);
}

}  // namespace

SYSLAB_TEST(ReadSome, ReportsDataWouldBlockAndEofAsValues, 2,
            "read(2) returns a count, 0 at end of file, or -1 with errno: map each to an IoResult",
            "0 from read means EOF (kEof) unless you asked for 0 bytes; EAGAIN means kWouldBlock",
            "kDone with n bytes for n > 0; EAGAIN -> kWouldBlock, EINTR -> kInterrupted, "
            "EPIPE/ECONNRESET -> kPeerClosed, each with error = errno; throw for the rest") {
  fdio::Pipe pipe = fdio::make_pipe(O_NONBLOCK);
  char buffer[16];
  const IoResult nothing_yet = fdio::read_some(pipe.read_end, buffer);
  EXPECT_EQ(nothing_yet, (IoResult{IoStatus::kWouldBlock, 0, EAGAIN}));

  ASSERT_EQ(::write(pipe.write_end.get(), "abc", 3), 3);
  const IoResult some = fdio::read_some(pipe.read_end, buffer);
  EXPECT_EQ(some, (IoResult{IoStatus::kDone, 3, 0})) << "asked for 16 bytes with 3 in the pipe";
  EXPECT_EQ(std::string(buffer, 3), "abc");

  ASSERT_EQ(::write(pipe.write_end.get(), "d", 1), 1);
  pipe.write_end.reset();
  EXPECT_EQ(fdio::read_some(pipe.read_end, buffer), (IoResult{IoStatus::kDone, 1, 0}));
  EXPECT_EQ(fdio::read_some(pipe.read_end, buffer), (IoResult{IoStatus::kEof, 0, 0}))
      << "read(2) returned 0 with the writer closed: that is end of file";
  EXPECT_EQ(fdio::read_some(pipe.read_end, std::span<char>()), (IoResult{IoStatus::kDone, 0, 0}))
      << "asking for 0 bytes is not end of file";
}

SYSLAB_TEST(
    WriteSome, StopsShortOnAFullNonBlockingPipe, 2,
    "a non-blocking write(2) takes what fits in the pipe and returns that count",
    "a short count is success (kDone with a smaller count); only when nothing fits is it EAGAIN",
    "kDone{n} for n >= 0, EAGAIN -> {kWouldBlock, 0, EAGAIN}") {
  fdio::Pipe pipe = fdio::make_pipe(O_NONBLOCK);
  shrink_pipe(pipe.write_end);
  const std::string data = pattern(64 * 1024);
  const IoResult first = fdio::write_some(pipe.write_end, data);
  EXPECT_TRUE(first.done()) << first;
  EXPECT_GT(first.count, 0u);
  EXPECT_LT(first.count, data.size()) << "a 4 KiB pipe cannot take 64 KiB at once";
  const IoResult second =
      fdio::write_some(pipe.write_end, std::string_view(data).substr(first.count));
  EXPECT_EQ(second, (IoResult{IoStatus::kWouldBlock, 0, EAGAIN})) << "the pipe was full";

  pipe.write_end.reset();
  const std::string got = drain(pipe.read_end.get(), 4096, Deadline(5s));
  EXPECT_EQ(got.size(), first.count);
  EXPECT_TRUE(got == data.substr(0, got.size()))
      << "the bytes in the pipe differ from those written";
}

SYSLAB_TEST(WriteAll, GetsEverythingThroughASmallPipeAndASlowReader, 2,
            "loop: write_some the rest (bytes.subspan(sent)) until sent == bytes.size()",
            "a short write is progress, not an error; on kWouldBlock wait with poll(2) for POLLOUT",
            "on kInterrupted just loop; on kPeerClosed stop and return it with the count so far") {
  const ScopedIgnoreSigpipe no_sigpipe;  // if the reader gives up, write_all sees EPIPE, not death
  fdio::Pipe pipe = fdio::make_pipe(O_NONBLOCK);
  shrink_pipe(pipe.write_end);
  const std::string data = pattern(1024 * 1024 + 7);
  std::string got;
  {
    std::jthread reader([&] {
      got = drain(pipe.read_end.get(), 1000, Deadline(5s));  // 1000 bytes at a time: slowly
      pipe.read_end.reset();
    });
    const IoResult result = fdio::write_all(pipe.write_end, data);
    EXPECT_EQ(result, (IoResult{IoStatus::kDone, data.size(), 0}));
    pipe.write_end.reset();  // EOF for the reader
  }
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data) << "the reader got the bytes out of order, doubled or with gaps";
}

SYSLAB_TEST(WriteAll, CarriesOnAfterASignalCutsAWriteShort, 2,
            "a signal that interrupts a blocking write(2) after some bytes moved makes it return "
            "that short count; one that comes before any byte moved gives EINTR",
            "both mean: write the rest. Only kPeerClosed (or an exception) ends write_all early",
            "the test sends SIGUSR1 (handler without SA_RESTART) three times while write blocks") {
  const ScopedInterruptingHandler handler(SIGUSR1);
  fdio::Pipe pipe = fdio::make_pipe();  // blocking: write(2) sleeps while the pipe is full
  const std::string data = pattern(512 * 1024);
  const pid_t writer_tid = ::gettid();
  bool interrupted = false;
  std::string got;
  {
    std::jthread reader([&] {
      const Deadline deadline(3s);
      interrupted = interrupt_blocked_syscall(writer_tid, write_call(), 3, deadline) &&
                    poll_until(deadline, [&] { return blocked_in(writer_tid, write_call()); });
      got = drain(pipe.read_end.get(), 64 * 1024, Deadline(3s));  // always: never leave it stuck
    });
    const IoResult result = fdio::write_all(pipe.write_end, data);
    EXPECT_EQ(result, (IoResult{IoStatus::kDone, data.size(), 0}));
    pipe.write_end.reset();
  }
  EXPECT_TRUE(interrupted) << "write_all did not call write(2) again after a signal interrupted it";
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data) << "bytes were lost or doubled around the interruptions";
}

SYSLAB_TEST(ReadExact, RestartsAfterEintrAndReturnsTheData, 3,
            "read_some makes ONE read(2): a signal while it blocks gives kInterrupted, a value",
            "read_exact calls read_some again after kInterrupted and after a short read",
            "keep a running count: read_some(fd, buffer.subspan(got)), got += result.count") {
  const ScopedInterruptingHandler handler(SIGUSR1);
  fdio::Pipe pipe = fdio::make_pipe();
  const pid_t reader_tid = ::gettid();

  // read_some reports the interruption and returns.
  {
    bool sent = false;
    std::atomic<bool> returned{false};
    std::jthread interrupter([&] {
      const Deadline deadline(5s);
      sent = interrupt_blocked_syscall(reader_tid, read_call(), 1, deadline);
      // A read_some that retries by itself blocks again: give it a byte so that it returns.
      if (poll_until(deadline, [&] { return returned || blocked_in(reader_tid, read_call()); }) &&
          !returned) {
        ASSERT_EQ(::write(pipe.write_end.get(), "!", 1), 1);
      }
    });
    char buffer[8];
    const IoResult result = fdio::read_some(pipe.read_end, buffer);
    returned = true;
    interrupter.join();
    ASSERT_TRUE(sent) << "read_some never blocked in read(2)";
    ASSERT_EQ(result, (IoResult{IoStatus::kInterrupted, 0, EINTR}))
        << "read_some must make one read(2) and report EINTR, not retry it";
  }

  // read_exact goes on after two interruptions and a short read, and returns all the data.
  bool restarted = false;
  std::jthread interrupter([&] {
    const Deadline deadline(5s);
    restarted = interrupt_blocked_syscall(reader_tid, read_call(), 1, deadline);
    restarted = restarted && ::write(pipe.write_end.get(), "sys", 3) == 3;  // a short read
    restarted = restarted && interrupt_blocked_syscall(reader_tid, read_call(), 2, deadline) &&
                poll_until(deadline, [&] { return blocked_in(reader_tid, read_call()); });
    ASSERT_EQ(::write(pipe.write_end.get(), "lab!", 4), 4);  // always, so that no read hangs
  });
  char buffer[7];
  const IoResult result = fdio::read_exact(pipe.read_end, buffer);
  interrupter.join();
  EXPECT_TRUE(restarted) << "read_exact did not call read(2) again after EINTR or a short read";
  EXPECT_EQ(result, (IoResult{IoStatus::kDone, 7, 0}));
  EXPECT_EQ(std::string(buffer, result.count), "syslab!");
}

SYSLAB_TEST(ReadExact, ReportsEofBeforeTheBufferIsFull, 1,
            "EOF before the buffer is full is a value: kEof, with count = the bytes read so far",
            "stop looping when read_some says kEof, and return how many bytes you have",
            "return IoResult{IoStatus::kEof, got, 0}") {
  fdio::Pipe pipe = fdio::make_pipe();
  ASSERT_EQ(without_faults([&] { return ::write(pipe.write_end.get(), "ab", 2); }), 2);
  pipe.write_end.reset();
  char buffer[4] = {};
  const IoResult result = fdio::read_exact(pipe.read_end, buffer);
  EXPECT_EQ(result, (IoResult{IoStatus::kEof, 2, 0})) << "2 of 4 bytes, then end of file";
  EXPECT_EQ(std::string(buffer, 2), "ab");
  EXPECT_EQ(fdio::read_exact(pipe.read_end, std::span<char>()), (IoResult{IoStatus::kDone, 0, 0}))
      << "0 bytes are always there";
}

SYSLAB_TEST(
    PeerGone, IsAValueAndOtherErrorsAreThrown, 2,
    "EPIPE (no reader left) and ECONNRESET (the peer reset) are outcomes: kPeerClosed",
    "write_all stops at kPeerClosed and returns it with the count written before",
    "anything else (EBADF here) is thrown: syslab::throw_errno / errno_error(\"write\", ...)") {
  const ScopedIgnoreSigpipe no_sigpipe;
  {
    fdio::Pipe pipe = fdio::make_pipe();
    pipe.read_end.reset();
    EXPECT_EQ(fdio::write_some(pipe.write_end, "x"), (IoResult{IoStatus::kPeerClosed, 0, EPIPE}));
    EXPECT_EQ(fdio::write_all(pipe.write_end, "xyz"), (IoResult{IoStatus::kPeerClosed, 0, EPIPE}));
  }
  {
    // A socket closed with unread data resets the connection: the peer's next read sees it.
    int ends[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), 0);
    const UniqueFd mine(ends[0]);
    OwnedFd theirs(ends[1]);
    ASSERT_EQ(::write(mine.get(), "unread", 6), 6);
    theirs.reset();
    char buffer[8];
    EXPECT_EQ(fdio::read_some(mine, buffer), (IoResult{IoStatus::kPeerClosed, 0, ECONNRESET}));
  }
  {
    fdio::Pipe pipe = fdio::make_pipe();
    const int closed = pipe.write_end.get();
    pipe.write_end.reset();
    try {
      [[maybe_unused]] const IoResult result = fdio::write_some(BorrowedFd(closed), "x");
      ADD_FAILURE() << "writing to a closed fd gave " << result << " instead of an exception";
    } catch (const std::system_error& error) {
      EXPECT_EQ(error.code(), std::errc::bad_file_descriptor) << error.what();
      EXPECT_NE(std::string(error.what()).find("write"), std::string::npos)
          << "the error must name the call: " << error.what();
    }
  }
}

SYSLAB_TEST(DupFd, TwoFdsShareOneOffset, 2,
            "dup gives a second fd for the same open file description: one offset, one set of "
            "status flags (O_NONBLOCK, O_APPEND); only close-on-exec belongs to each fd",
            "fcntl(fd, F_DUPFD_CLOEXEC, 0) returns the lowest free fd, with close-on-exec set",
            "set_nonblocking: flags = fcntl(F_GETFL); fcntl(F_SETFL, flags | O_NONBLOCK)") {
  TempDir dir;
  write_file(dir / "text", "hello, world");
  const UniqueFd first = fdio::open_file(dir / "text", O_RDONLY);
  const UniqueFd second = fdio::dup_fd(first);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second.get(), first.get());

  char head[5], rest[7];
  ASSERT_EQ(without_faults([&] { return ::read(first.get(), head, sizeof head); }), 5);
  EXPECT_EQ(kernel_pos(second.get()), 5) << "the dup did not move with the original's offset";
  ASSERT_EQ(without_faults([&] { return ::read(second.get(), rest, sizeof rest); }), 7);
  EXPECT_EQ(std::string(rest, 7), ", world") << "the dup read from its own offset";
  EXPECT_EQ(kernel_pos(first.get()), 12);

  const UniqueFd separate = fdio::open_file(dir / "text", O_RDONLY);
  EXPECT_EQ(kernel_pos(separate.get()), 0) << "a second open(2) has an offset of its own";

  fdio::set_nonblocking(second);
  EXPECT_TRUE(kernel_flags(first.get()) & O_NONBLOCK) << "status flags are shared with the dup";
  EXPECT_FALSE(kernel_flags(separate.get()) & O_NONBLOCK) << "but not with another open(2)";
  fdio::set_nonblocking(first, false);
  EXPECT_FALSE(kernel_flags(second.get()) & O_NONBLOCK);
}

SYSLAB_TEST(SetNonblocking, KeepsTheOtherStatusFlags, 1,
            "F_SETFL replaces every status flag at once: O_APPEND is one of them",
            "read the flags with F_GETFL first, then add or clear O_NONBLOCK in that value",
            "fcntl(fd, F_SETFL, flags | O_NONBLOCK), and flags & ~O_NONBLOCK to clear it") {
  TempDir dir;
  const UniqueFd log = fdio::open_file(dir / "log", O_WRONLY | O_CREAT | O_APPEND, 0600);
  fdio::set_nonblocking(log);
  EXPECT_EQ(kernel_flags(log.get()) & (O_APPEND | O_NONBLOCK), O_APPEND | O_NONBLOCK)
      << "set_nonblocking(fd) dropped O_APPEND: F_SETFL was given O_NONBLOCK alone";
  fdio::set_nonblocking(log, false);
  EXPECT_EQ(kernel_flags(log.get()) & (O_APPEND | O_NONBLOCK), O_APPEND)
      << "set_nonblocking(fd, false) dropped O_APPEND or kept O_NONBLOCK";
}

SYSLAB_TEST(ReadToEof, WaitsOnANonBlockingFdUntilTheRealEnd, 2,
            "on a non-blocking fd, EAGAIN means 'nothing yet', not 'the end': only EOF ends it",
            "when read_some says kWouldBlock, wait until the fd is readable (poll(2)) and go on",
            "the loop ends on kEof alone; kDone and kInterrupted read again, kWouldBlock waits") {
  const auto [read_end, write_end] = raw_pipe();
  const UniqueFd reader(read_end);
  UniqueFd writer(write_end);
  fdio::set_nonblocking(reader);
  ASSERT_EQ(without_faults([&] { return ::write(writer.get(), "first ", 6); }), 6);

  std::atomic<pid_t> reader_tid{0};
  std::atomic<bool> returned{false};
  std::string text;
  std::jthread reading([&] {
    reader_tid = static_cast<pid_t>(::syscall(SYS_gettid));
    text = fdio::read_to_eof(reader);
    returned = true;
  });
  // The reader has taken "first " and met an empty pipe: it has either returned (taking EAGAIN
  // for the end) or it is asleep waiting for more. Only then does the rest come.
  const Deadline deadline(5s);
  ASSERT_TRUE(poll_until(deadline, [&] {
    int queued = 0;
    return reader_tid != 0 && ::ioctl(read_end, FIONREAD, &queued) == 0 && queued == 0 &&
           (returned || read_stat(reader_tid).value_or(StatLine{}).state == 'S');
  })) << "read_to_eof neither returned nor waited within 5 s of an empty pipe";
  ASSERT_EQ(without_faults([&] { return ::write(writer.get(), "second", 6); }), 6);
  writer.reset();
  reading.join();
  EXPECT_EQ(text, "first second")
      << "read_to_eof returned at the first EAGAIN: the writer had not closed its end yet";
}
