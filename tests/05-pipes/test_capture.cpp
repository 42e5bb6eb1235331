// Lab 05, task 3: capturing a child's stdout and stderr separately, feeding it input, without the
// deadlock of reading one pipe to its end while the child fills the other. Every capture runs in
// a forked child with a deadline (ask_child): a capture that deadlocks fails its test in 10 s.
#include <signal.h>

#include <cerrno>
#include <map>
#include <sstream>
#include <string>
#include <system_error>

#include "capture.hpp"
#include "pipes_test_util.hpp"

using namespace pipes_test;

namespace {

// A Captured as text, to cross from the child that ran capture() to the test:
// "<status>\n<size of out>\n<out><err>".
std::string encode(const pipes::Captured& captured) {
  return captured.status.describe() + "\n" + std::to_string(captured.out.size()) + "\n" +
         captured.out + captured.err;
}

struct Decoded {
  std::string status, out, err;
};

Decoded decode(const std::string& text) {
  const auto first = text.find('\n');
  const auto second = text.find('\n', first + 1);
  const std::size_t out_size = std::stoul(text.substr(first + 1, second - first - 1));
  return {text.substr(0, first), text.substr(second + 1, out_size),
          text.substr(second + 1 + out_size)};
}

std::string repeat(const std::string& line, std::size_t times) {
  std::string text;
  text.reserve(line.size() * times);
  for (std::size_t i = 0; i < times; ++i) text += line;
  return text;
}

}  // namespace

SYSLAB_TEST(
    Capture, KeepsStdoutAndStderrApart, 2,
    "three pipes: the child's stdin, stdout and stderr; lab 04's spawn puts their ends on "
    "0, 1 and 2 (SpawnOptions)",
    "after spawn, close the parent's copies of the child's ends (the read end of stdin, the "
    "write ends of stdout and stderr): else your reads never see EOF",
    "read each output pipe until read_some says kEof, then wait() for the child; a program "
    "that cannot be run makes spawn throw: let that exception through") {
  const ChildAnswer answer = ask_child([] {
    return encode(
        pipes::capture({"sh", "-c", "echo to-out; echo to-err >&2; echo more-out; exit 4"}));
  });
  ASSERT_TRUE(answer.text) << answer.problem;
  const Decoded got = decode(*answer.text);
  EXPECT_EQ(got.out, "to-out\nmore-out\n");
  EXPECT_EQ(got.err, "to-err\n");
  EXPECT_EQ(got.status, "exited 4");

  const auto before = open_fds();
  try {
    (void)pipes::capture({"syslab-no-such-program"});
    ADD_FAILURE() << "capture of a program that does not exist did not throw";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), ENOENT) << error.what();
    EXPECT_NE(std::string(error.what()).find("syslab-no-such-program"), std::string::npos)
        << "the error must name the program: " << error.what();
  }
  EXPECT_EQ(new_fds(before), "") << "a failed capture left pipe ends open";
}

SYSLAB_TEST(
    Capture, FeedsInputWhileReadingOutput, 2,
    "the input goes to the child's stdin pipe; close that pipe's write end when all is "
    "written, so that the child sees EOF",
    "cat echoes what it reads: if you write 3 MiB before you read anything, cat fills its "
    "stdout pipe, stops reading, your write blocks, and both wait for ever",
    "poll the stdin pipe for POLLOUT along with the outputs for POLLIN; make the stdin write "
    "end non-blocking (POLLOUT promises some room, not room for everything) and write_some "
    "what it takes") {
  std::string input(3 * 1024 * 1024 + 5, '\0');
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>('a' + i % 26);
  const ChildAnswer answer = ask_child([&] {
    const pipes::Captured upper = pipes::capture({"tr", "a-z", "A-Z"}, "hello\n");
    return upper.out + encode(pipes::capture({"cat"}, input));
  });
  ASSERT_TRUE(answer.text) << answer.problem
                           << " (3 MiB through cat: write and read at the same time, with poll)";
  ASSERT_EQ(answer.text->substr(0, 6), "HELLO\n") << "tr did not get its input";
  const Decoded got = decode(answer.text->substr(6));
  EXPECT_EQ(got.status, "exited 0");
  EXPECT_EQ(got.out.size(), input.size());
  EXPECT_TRUE(got.out == input) << "cat's output differs from its input";
}

SYSLAB_TEST(Capture, MegabytesOnBothOutputsDoNotDeadlock, 3,
            "a pipe holds 64 KiB: a child that writes more to stderr while you wait for the end "
            "of stdout blocks, and so do you (the Python docs warn of this: use communicate())",
            "do not read one pipe to its end and then the other: poll(2) both for POLLIN, and read "
            "from whichever is ready",
            "loop while either output is open: poll, read_some from each ready one, close it on "
            "kEof (POLLHUP is ready too: the read then says EOF); wait() for the child after the "
            "loop") {
  // 1.1 MB on stdout, then 1.2 MB on stderr, then 0.3 MB on stdout: whichever pipe you read to
  // its end first, the child fills the other one meanwhile.
  const ChildAnswer answer = ask_child([] {
    return encode(pipes::capture({"sh", "-c",
                                  "yes out | head -c 1100000; yes err | head -c 1200000 >&2; "
                                  "yes out | head -c 300000"}));
  });
  ASSERT_TRUE(answer.text) << answer.problem << " (a capture that reads one pipe to its end "
                           << "while the child fills the other deadlocks)";
  const Decoded got = decode(*answer.text);
  EXPECT_EQ(got.status, "exited 0");
  EXPECT_EQ(got.out.size(), 1400000u);
  EXPECT_EQ(got.err.size(), 1200000u);
  EXPECT_TRUE(got.out == repeat("out\n", 350000)) << "stdout's bytes are not all \"out\\n\"";
  EXPECT_TRUE(got.err == repeat("err\n", 300000)) << "stderr's bytes are not all \"err\\n\"";
}

SYSLAB_TEST(Capture, ChildThatStopsReadingDoesNotKillTheCaller, 2,
            "a child may exit without reading all its input: your next write into its stdin pipe "
            "raises SIGPIPE, which kills the caller (pipe(7))",
            "a library must not change the program's SIGPIPE disposition: block SIGPIPE on this "
            "thread (pthread_sigmask) around the write; the write then fails with EPIPE",
            "on EPIPE, drop the rest of the input and close the pipe; before restoring the mask, "
            "take back the SIGPIPE you caused with sigtimedwait (zero timeout) if it is pending") {
  const ChildAnswer answer = ask_child([] {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGPIPE, &dfl, nullptr);  // as in most programs: SIGPIPE kills
    const std::string input(1024 * 1024, 'a');
    const pipes::Captured head = pipes::capture({"head", "-c", "10"}, input);
    const pipes::Captured never_reads = pipes::capture({"true"}, input);
    struct sigaction after {};
    ::sigaction(SIGPIPE, nullptr, &after);
    sigset_t blocked, pending;
    ::pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
    ::sigpending(&pending);
    return head.out + "|" + head.status.describe() + "|" + never_reads.status.describe() + "|" +
           (after.sa_handler == SIG_DFL ? "SIG_DFL" : "changed") + "|" +
           (sigismember(&blocked, SIGPIPE) == 1 ? "blocked" : "unblocked") + "|" +
           (sigismember(&pending, SIGPIPE) == 1 ? "pending" : "none");
  });
  ASSERT_TRUE(answer.text)
      << answer.problem
      << " (killed by SIGPIPE: a write into the stdin of a child that had exited)";
  EXPECT_EQ(*answer.text, "aaaaaaaaaa|exited 0|exited 0|SIG_DFL|unblocked|none")
      << "expected: head's 10 bytes|head's status|true's status|SIGPIPE's disposition after "
         "capture|its mask bit|a SIGPIPE left pending";
}

SYSLAB_TEST(Capture, LeavesTheCallersBlockedSigpipeAsItWas, 2,
            "a caller that blocks SIGPIPE, with a SIGPIPE of its own pending, must find both as "
            "they were after capture: the mask is the caller's, and so is that signal",
            "restore the mask you saved (SIG_SETMASK with the old set), do not SIG_UNBLOCK: "
            "unblocking delivers the caller's pending SIGPIPE, which kills it",
            "take back a pending SIGPIPE with sigtimedwait only if it was not pending before "
            "your write: look with sigpending when you block it") {
  const ChildAnswer answer = ask_child([] {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGPIPE, &dfl, nullptr);
    sigset_t sigpipe;
    ::sigemptyset(&sigpipe);
    ::sigaddset(&sigpipe, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &sigpipe, nullptr);
    ::raise(SIGPIPE);  // the caller's own, pending: not capture's to take
    const pipes::Captured never_reads = pipes::capture({"true"}, std::string(1024 * 1024, 'a'));
    sigset_t blocked, pending;
    ::pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
    ::sigpending(&pending);
    return never_reads.status.describe() + "|" +
           (sigismember(&blocked, SIGPIPE) == 1 ? "blocked" : "unblocked") + "|" +
           (sigismember(&pending, SIGPIPE) == 1 ? "pending" : "none");
  });
  ASSERT_TRUE(answer.text)
      << answer.problem
      << " (killed by SIGPIPE: capture unblocked SIGPIPE, and the caller's pending one was "
         "delivered)";
  EXPECT_EQ(*answer.text, "exited 0|blocked|pending")
      << "expected: true's status|SIGPIPE still blocked in the caller|the caller's SIGPIPE still "
         "pending (\"none\": capture took a signal it did not cause)";
}

SYSLAB_TEST(Capture, ChildHoldsOnlyItsOwnEnds, 2,
            "the child must hold each of its three pipes once, on 0, 1 and 2; any other copy of an "
            "end keeps a pipe open (pipe2 with O_CLOEXEC: exec closes the extra copies)",
            "make the pipes with fdio::make_pipe (close-on-exec); dup2 clears the flag only on the "
            "copy it makes on 0, 1 or 2",
            "the parent must close the child's ends right after spawn, and its own ends once done: "
            "no fd may be left open when capture returns") {
  const ChildAnswer answer = ask_child([] {
    const auto before = open_fds();
    const pipes::Captured listing = pipes::capture(
        {"find", "/proc/self/fd", "-mindepth", "1", "-maxdepth", "1", "-printf", "%f %l\n"});
    return new_fds(before) + "--\n" + listing.out;
  });
  ASSERT_TRUE(answer.text) << answer.problem;
  const std::string& text = *answer.text;
  const auto separator = text.find("--\n");
  ASSERT_NE(separator, std::string::npos) << text;
  EXPECT_EQ(text.substr(0, separator), "") << "capture left these fds open in the caller";

  std::map<int, std::string> child_fds;  // the fd table of find, a program capture ran
  std::istringstream lines(text.substr(separator + 3));
  for (std::string line; std::getline(lines, line);) {
    const auto space = line.find(' ');
    child_fds[std::stoi(line.substr(0, space))] = line.substr(space + 1);
  }
  for (int fd = 0; fd <= 2; ++fd) {
    ASSERT_TRUE(child_fds.contains(fd)) << "the child has no fd " << fd;
    EXPECT_EQ(child_fds[fd].rfind("pipe:[", 0), 0u) << "fd " << fd << " -> " << child_fds[fd];
    EXPECT_EQ(count_pointing_to(child_fds, child_fds[fd]), 1)
        << "the child holds " << child_fds[fd] << " (its fd " << fd << ") more than once: an "
        << "extra end was inherited through exec (not close-on-exec)";
  }
  EXPECT_NE(child_fds[0], child_fds[1]);
  EXPECT_NE(child_fds[1], child_fds[2]) << "stdout and stderr must be two pipes";
}

// The tests above wait with deadlines of 10 s, so that a hang fails there and says what is
// stuck; the runner's own deadline must be longer. (Declared after the tests they name.)
SYSLAB_TIMEOUT(Capture, KeepsStdoutAndStderrApart, 30);
SYSLAB_TIMEOUT(Capture, FeedsInputWhileReadingOutput, 30);
SYSLAB_TIMEOUT(Capture, MegabytesOnBothOutputsDoNotDeadlock, 30);
SYSLAB_TIMEOUT(Capture, ChildThatStopsReadingDoesNotKillTheCaller, 30);
SYSLAB_TIMEOUT(Capture, ChildHoldsOnlyItsOwnEnds, 30);
SYSLAB_TIMEOUT(Capture, LeavesTheCallersBlockedSigpipeAsItWas, 30);
