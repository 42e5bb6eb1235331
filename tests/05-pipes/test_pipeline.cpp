// Lab 05, tasks 4 to 7: splitting a stage into words, running a | b | c with every unused end
// closed, each stage's status (PIPESTATUS), and yes | head -1 ending by SIGPIPE. Every pipeline
// runs with a deadline (run_with_deadline): one that would hang on a leaked end fails in 10 s.
#include <signal.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "command_words.hpp"
#include "pipeline.hpp"
#include "pipes_test_util.hpp"

using namespace pipes_test;
using Statuses = std::vector<proc::WaitStatus>;

namespace {

constexpr const char* kStillRunning =
    "a stage was still running at the deadline: someone (the parent, or another stage) still "
    "holds an end of a pipe, so a reader never sees EOF or a writer never gets SIGPIPE";
constexpr const char* kNoEof =
    "no EOF on the pipeline's output within the deadline: a write end of the last pipe is still "
    "open (in the parent, or inherited by a stage)";

}  // namespace

SYSLAB_TEST(SplitCommand, WordsQuotesAndBackslashes, 2,
            "words are separated by blanks; quotes group blanks into one word and are removed",
            "'...' keeps everything; \"...\" keeps everything but \\\" and \\\\; outside quotes a "
            "backslash keeps the next character; '' is an empty word, no text is no word",
            "walk the text once, with the word being built and a flag \"inside a word\" (for ''); "
            "an unclosed quote, a final backslash or no word at all: throw std::invalid_argument") {
  using Words = std::vector<std::string>;
  EXPECT_EQ(pipes::split_command("head -1"), (Words{"head", "-1"}));
  EXPECT_EQ(pipes::split_command("  sort\t-r \n "), (Words{"sort", "-r"}));
  EXPECT_EQ(pipes::split_command("sh -c 'exit 3'"), (Words{"sh", "-c", "exit 3"}));
  EXPECT_EQ(pipes::split_command("printf \"b\\na\\n\""), (Words{"printf", "b\\na\\n"}));
  EXPECT_EQ(pipes::split_command(R"(echo "say \"hi\" \\o/" it\'s a'b c'd)"),
            (Words{"echo", "say \"hi\" \\o/", "it's", "ab cd"}));
  EXPECT_EQ(pipes::split_command("printf '%s|' '' x"), (Words{"printf", "%s|", "", "x"}));
  EXPECT_EQ(pipes::split_command(R"(a\ b "\$x")"), (Words{"a b", "\\$x"}));
  for (const char* bad : {"", "   ", "sh -c 'exit 3", "echo \"oops", "trailing\\"}) {
    EXPECT_THROW((void)pipes::split_command(bad), std::invalid_argument) << "[" << bad << "]";
  }
}

SYSLAB_TEST(
    Pipeline, SortThenHeadGivesExactOutput, 2,
    "one pipe between each two stages: stage i's stdout is its write end, stage i+1's stdin "
    "its read end (SpawnOptions.stdout_fd and stdin_fd); the first stage reads io.stdin_fd, "
    "the last writes io.stdout_fd",
    "make the pipe to the next stage before spawning stage i, and keep its read end for "
    "stage i+1",
    "after spawning stage i, close the parent's write end of the next pipe and its read end "
    "of the previous one: moving next.read_end into `previous` does the second") {
  const Ran sorted = run_with_deadline({{"printf", "b\\na\\n"}, {"sort"}, {"head", "-1"}});
  ASSERT_TRUE(sorted.out) << kNoEof;
  EXPECT_EQ(*sorted.out, "a\n") << "printf 'b\\na\\n' | sort | head -1";
  ASSERT_TRUE(sorted.statuses) << kStillRunning;
  EXPECT_EQ(*sorted.statuses, (Statuses{exited(0), exited(0), exited(0)}));

  const Ran fed =
      run_with_deadline({{"sort", "-r"}, {"tr", "a-z", "A-Z"}, {"head", "-2"}}, "a\nc\nb\nd\n");
  ASSERT_TRUE(fed.out) << kNoEof;
  EXPECT_EQ(*fed.out, "D\nC\n") << "sort -r | tr a-z A-Z | head -2, fed a c b d";
  ASSERT_TRUE(fed.statuses) << kStillRunning;

  const Ran single = run_with_deadline({{"tr", "a-z", "A-Z"}}, "one stage\n");
  ASSERT_TRUE(single.out) << kNoEof;
  EXPECT_EQ(*single.out, "ONE STAGE\n")
      << "a pipeline of one command: io's fds on stdin and stdout";
}

SYSLAB_TEST(
    Pipeline, EofNeedsEveryWriteEndClosed, 3,
    "read(2) returns 0 (EOF) only when every write end of the pipe is closed, in every "
    "process: one copy left in the parent and the next stage waits for ever",
    "this test lists the fds the parent holds when start_pipeline returns: there must be none "
    "of the pipeline's; and the pipes must be close-on-exec (fdio::make_pipe), or a stage "
    "spawned later inherits, through exec, the ends the parent still holds at its fork",
    "when start_pipeline returns, the parent must hold no end of any pipe it made: "
    "next.write_end.reset() after the spawn, and the read end only until the next stage "
    "has been spawned") {
  TestPipe in = make_pipe();
  TestPipe out = make_pipe();
  const auto before = open_fds();
  pipes::PipelineIo io;
  io.stdin_fd = fdio::BorrowedFd(in.read_end.get());
  io.stdout_fd = fdio::BorrowedFd(out.write_end.get());
  pipes::Pipeline pipeline = pipes::start_pipeline({{"cat"}, {"cat"}, {"cat"}}, io);
  EXPECT_EQ(new_fds(before), "") << "start_pipeline left these fds open in the parent";
  in.read_end.reset();
  out.write_end.reset();

  write_text(in.write_end.get(), "through three cats\n");
  in.write_end.reset();  // the last write end of the first pipe: the first cat sees EOF, and so on
  const Deadline deadline(10s);
  const std::optional<std::string> text = read_until_eof(out.read_end.get(), deadline);
  ASSERT_TRUE(text) << kNoEof;
  EXPECT_EQ(*text, "through three cats\n");
  const auto statuses = pipeline.wait_for(std::chrono::milliseconds(deadline.remaining_ms()));
  ASSERT_TRUE(statuses) << kStillRunning;
  EXPECT_EQ(*statuses, (Statuses{exited(0), exited(0), exited(0)}));
}

SYSLAB_TEST(Pipeline, EachStageHoldsOnlyItsOwnEnds, 2,
            "look at ls -l /proc/PID/fd of a stage: its stdin and stdout, and no other end of any "
            "pipe of the pipeline",
            "a stage inherits every fd the parent has at fork; exec closes the close-on-exec ones; "
            "dup2 makes 0 and 1 (without close-on-exec), so the originals must be close-on-exec",
            "make every pipe with fdio::make_pipe (pipe2 with O_CLOEXEC), and let spawn's "
            "stdin_fd/stdout_fd do the dup2") {
  TestPipe in = make_pipe();
  TestPipe out = make_pipe();
  pipes::PipelineIo io;
  io.stdin_fd = fdio::BorrowedFd(in.read_end.get());
  io.stdout_fd = fdio::BorrowedFd(out.write_end.get());
  pipes::Pipeline pipeline = pipes::start_pipeline({{"cat"}, {"cat"}}, io);
  const std::string outer_in = open_fds().at(in.read_end.get());
  const std::string outer_out = open_fds().at(out.write_end.get());
  in.read_end.reset();
  out.write_end.reset();
  ASSERT_GT(pipeline.pid(0), 0);
  ASSERT_GT(pipeline.pid(1), 0);

  // Both cats are blocked in read(2) now: the first on the test's pipe, the second on the middle.
  const std::map<int, std::string> first = fds_of(pipeline.pid(0));
  const std::map<int, std::string> second = fds_of(pipeline.pid(1));
  ASSERT_TRUE(first.contains(0) && first.contains(1) && second.contains(0) && second.contains(1));
  const std::string middle = first.at(1);
  EXPECT_EQ(first.at(0), outer_in) << "the first stage's stdin must be io.stdin_fd";
  EXPECT_EQ(second.at(1), outer_out) << "the last stage's stdout must be io.stdout_fd";
  EXPECT_EQ(second.at(0), middle) << "the second stage must read the pipe the first writes";
  EXPECT_NE(middle, outer_in);
  EXPECT_NE(middle, outer_out);
  EXPECT_EQ(count_pointing_to(first, middle), 1)
      << "the first stage holds the middle pipe " << middle << " more than once (an extra end)";
  EXPECT_EQ(count_pointing_to(second, middle), 1)
      << "the second stage holds the middle pipe " << middle << " more than once: its own write "
      << "end would keep it from ever seeing EOF";
  EXPECT_EQ(count_pointing_to(first, outer_out), 0) << "the first stage holds the output pipe";
  EXPECT_EQ(count_pointing_to(second, outer_in), 0) << "the second stage holds the input pipe";
  EXPECT_EQ(count_pointing_to(open_fds(), middle), 0) << "the parent still holds the middle pipe";

  in.write_end.reset();
  const Deadline deadline(10s);
  EXPECT_EQ(read_until_eof(out.read_end.get(), deadline), std::optional<std::string>("")) << kNoEof;
  EXPECT_TRUE(pipeline.wait_for(std::chrono::milliseconds(deadline.remaining_ms())))
      << kStillRunning;
}

SYSLAB_TEST(
    Pipeline, ReportsEveryStagesStatus, 3,
    "PIPESTATUS has one entry per stage, in order: wait for every stage, not just the last",
    "a command that cannot be run does not stop the pipeline: spawn throws; keep that "
    "stage with status 127 (ENOENT: not found) or 126 (anything else), and its error",
    "catch std::system_error around spawn: error.code().value() is the errno; the pipe "
    "ends of that stage are closed as for any other, so its neighbours see EOF or SIGPIPE") {
  EXPECT_EQ(pipes::run_pipeline({{"false"}, {"true"}}), (Statuses{exited(1), exited(0)}))
      << "false | true";

  const Ran three = run_with_deadline({{"sh", "-c", "exit 3"}, {"cat"}});
  ASSERT_TRUE(three.statuses) << kStillRunning;
  EXPECT_EQ(*three.statuses, (Statuses{exited(3), exited(0)})) << "sh -c 'exit 3' | cat";

  const Ran killed = run_with_deadline({{"true"}, {"sh", "-c", "kill -TERM $$"}, {"cat"}});
  ASSERT_TRUE(killed.statuses) << kStillRunning;
  EXPECT_EQ(*killed.statuses, (Statuses{exited(0), killed_by(SIGTERM), exited(0)}))
      << "true | sh -c 'kill -TERM $$' | cat";

  TestPipe in = make_pipe();
  pipes::PipelineIo io;
  io.stdin_fd = fdio::BorrowedFd(in.read_end.get());
  pipes::Pipeline pipeline =
      pipes::start_pipeline({{"syslab-no-such-command"}, {"true"}, {"/dev/null"}}, io);
  in.read_end.reset();
  in.write_end.reset();
  const auto missing = pipeline.wait_for(10s);
  ASSERT_TRUE(missing) << kStillRunning;
  EXPECT_EQ(*missing, (Statuses{exited(127), exited(0), exited(126)}))
      << "syslab-no-such-command | true | /dev/null: not found is 127, not executable 126";
  EXPECT_NE(pipeline.stages()[0].error.find("syslab-no-such-command"), std::string::npos)
      << "the stage's error must name the command: [" << pipeline.stages()[0].error << "]";
  EXPECT_NE(pipeline.stages()[2].error.find("EACCES"), std::string::npos)
      << "[" << pipeline.stages()[2].error << "]";
  EXPECT_EQ(pipeline.stages()[1].error, "");
}

SYSLAB_TEST(Pipeline, YesHeadEndsBySigpipe, 2,
            "yes never stops by itself: it ends when head has exited and the pipe has no reader "
            "left, because its next write raises SIGPIPE (PIPESTATUS 141 in bash: 128 + 13)",
            "if yes runs for ever, a read end of its pipe is still open: in the parent (close it "
            "as soon as head is spawned) or in another stage (close-on-exec)",
            "the stages must get SIGPIPE's default action and an empty mask even when the parent "
            "ignores or blocks it: spawn resets every signal to SIG_DFL and empties the mask "
            "unless SpawnOptions.reset_signals is false") {
  {
    const ScopedIgnoreSigpipe parent_ignores;  // as a test runner or a Python parent may
    const Ran ran = run_with_deadline({{"yes"}, {"head", "-1"}});
    ASSERT_TRUE(ran.out) << kNoEof;
    EXPECT_EQ(*ran.out, "y\n");
    ASSERT_TRUE(ran.statuses) << "yes | head -1 did not end: yes never got SIGPIPE. "
                              << kStillRunning;
    EXPECT_EQ(*ran.statuses, (Statuses{killed_by(SIGPIPE), exited(0)}))
        << "yes | head -1, with SIGPIPE ignored in the parent";
  }
  const ChildAnswer blocked = ask_child([] {  // a blocked signal must not outlive the test
    sigset_t sigpipe;
    ::sigemptyset(&sigpipe);
    ::sigaddset(&sigpipe, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &sigpipe, nullptr);
    const Ran ran = run_with_deadline({{"yes"}, {"head", "-1"}});
    if (!ran.statuses) return std::string("still running at the deadline");
    std::string text;
    for (const proc::WaitStatus& status : *ran.statuses) text += status.describe() + "|";
    return text;
  });
  ASSERT_TRUE(blocked.text) << blocked.problem;
  EXPECT_EQ(*blocked.text, "killed by SIGPIPE|exited 0|")
      << "yes | head -1, with SIGPIPE blocked in the parent: the mask is inherited through exec, "
         "and yes, with SIGPIPE blocked, gets EPIPE instead (exits 1) unless spawn empties it";
}

SYSLAB_TEST(
    ExitCode, LikeBash, 2,
    "bash(1), \"EXIT STATUS\" and \"Pipelines\": a command killed by signal N has status "
    "128 + N; a pipeline's status is its last command's",
    "with set -o pipefail, the pipeline's status is the LAST command (from the right) whose "
    "status is not zero, or 0 when all succeeded",
    "pipestatus_line joins the shell statuses with spaces after \"PIPESTATUS:\"") {
  EXPECT_EQ(pipes::shell_status(exited(0)), 0);
  EXPECT_EQ(pipes::shell_status(exited(3)), 3);
  EXPECT_EQ(pipes::shell_status(killed_by(SIGPIPE)), 141);
  EXPECT_EQ(pipes::shell_status(killed_by(SIGTERM)), 143);

  const Statuses yes_head{killed_by(SIGPIPE), exited(0)};
  EXPECT_EQ(pipes::pipeline_exit_code(yes_head, false), 0);
  EXPECT_EQ(pipes::pipeline_exit_code(yes_head, true), 141);
  const Statuses mixed{exited(2), exited(0), exited(5), exited(0)};
  EXPECT_EQ(pipes::pipeline_exit_code(mixed, false), 0);
  EXPECT_EQ(pipes::pipeline_exit_code(mixed, true), 5) << "pipefail: the rightmost non-zero";
  const Statuses last_fails{exited(0), exited(1)};
  EXPECT_EQ(pipes::pipeline_exit_code(last_fails, false), 1);
  EXPECT_EQ(pipes::pipeline_exit_code(Statuses{}, true), 0);

  EXPECT_EQ(pipes::pipestatus_line(yes_head), "PIPESTATUS: 141 0");
  EXPECT_EQ(pipes::pipestatus_line(mixed), "PIPESTATUS: 2 0 5 0");
}

// The tests above wait with deadlines of 10 s, so that a hang fails there and says what is
// stuck; the runner's own deadline must be longer. (Declared after the tests they name.)
SYSLAB_TIMEOUT(Pipeline, SortThenHeadGivesExactOutput, 30);
SYSLAB_TIMEOUT(Pipeline, EofNeedsEveryWriteEndClosed, 30);
SYSLAB_TIMEOUT(Pipeline, EachStageHoldsOnlyItsOwnEnds, 30);
SYSLAB_TIMEOUT(Pipeline, ReportsEveryStagesStatus, 30);
SYSLAB_TIMEOUT(Pipeline, YesHeadEndsBySigpipe, 30);
