// Lab 05, task 8: the pipeline program, run as a learner would run it from a shell.
#include <string>
#include <vector>

#include "pipes_test_util.hpp"

using namespace pipes_test;

namespace {

ProgramResult pipeline(const std::vector<std::string>& args, const std::string& input = "") {
  std::vector<std::string> argv{program_path("pipeline")};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.input = input;
  options.timeout = std::chrono::seconds(15);  // ASan-built, and a loaded machine may be slow
  return run_program(argv, options);
}

}  // namespace

SYSLAB_TEST(
    PipelineProgram, ConnectsTheCommands, 2,
    "each argument is one stage: split_command turns it into argv; start_pipeline runs them "
    "with the program's own stdin and stdout at the two ends",
    "the stages inherit the program's stderr: pass -1 in PipelineIo to leave an fd as it is",
    "run() in main.cpp is given: if it fails, look at split_command and start_pipeline") {
  const ProgramResult sorted = pipeline({"printf 'b\\na\\nc\\n'", "sort", "head -1"});
  ASSERT_TRUE(sorted.status.success()) << sorted.status << "\n" << sorted.err;
  EXPECT_EQ(sorted.out, "a\n");

  const ProgramResult fed =
      pipeline({"cat", "tr a-z A-Z", "sh -c 'cat; echo done >&2'"}, "hello\n");
  ASSERT_TRUE(fed.status.success()) << fed.status << "\n" << fed.err;
  EXPECT_EQ(fed.out, "HELLO\n") << "the first stage must read the program's stdin";
  EXPECT_EQ(fed.err, "done\n") << "a stage's stderr is the program's stderr";
}

SYSLAB_TEST(
    PipelineProgram, ExitsAsBashWould, 2,
    "the exit status is the last stage's (128 + N when signal N ended it); with --pipefail, "
    "the rightmost non-zero one",
    "--status prints pipestatus_line on stderr: PIPESTATUS: 141 0",
    "compare with bash: yes | head -1; echo ${PIPESTATUS[@]}, and set -o pipefail") {
  EXPECT_EQ(pipeline({"sh -c 'exit 3'"}).status.code, 3);
  EXPECT_EQ(pipeline({"false", "true"}).status.code, 0) << "pipeline false true";
  EXPECT_EQ(pipeline({"true", "false"}).status.code, 1) << "pipeline true false";
  EXPECT_EQ(pipeline({"--pipefail", "false", "true"}).status.code, 1)
      << "pipeline --pipefail false true";
  EXPECT_EQ(pipeline({"sh -c 'kill -TERM $$'"}).status.code, 143) << "killed by SIGTERM: 128 + 15";

  // The program inherits an ignored SIGPIPE (as from a Python parent, or a shell's trap ''):
  // its stages must not. (The runner itself starts the tests with SIGPIPE at its default.)
  const ScopedIgnoreSigpipe ignored;
  const ProgramResult yes_head = pipeline({"yes", "head -1", "--status"});
  EXPECT_EQ(yes_head.status.code, 0) << yes_head.status << "\n" << yes_head.err;
  EXPECT_EQ(yes_head.out, "y\n");
  EXPECT_EQ(yes_head.err, "PIPESTATUS: 141 0\n");
  const ProgramResult pipefail = pipeline({"--pipefail", "--status", "yes", "head -1"});
  EXPECT_EQ(pipefail.status.code, 141) << pipefail.status << "\n" << pipefail.err;
  EXPECT_EQ(pipefail.err, "PIPESTATUS: 141 0\n");
}

SYSLAB_TEST(PipelineProgram, MissingCommandHelpAndUsage, 1,
            "a command that cannot be run gets 127 (not found) or 126, and a message naming it; "
            "the other stages still run",
            "--help prints the usage on stdout and exits 0; no command, an unknown option or an "
            "unclosed quote: the usage on stderr and exit 2",
            "split_command throws std::invalid_argument for an unclosed quote: main turns it into "
            "exit 2") {
  const ProgramResult missing = pipeline({"echo hi", "syslab-no-such-command", "--status"});
  EXPECT_EQ(missing.status.code, 127) << missing.status << "\n" << missing.err;
  EXPECT_NE(missing.err.find("syslab-no-such-command"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("PIPESTATUS: "), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find(" 127\n"), std::string::npos) << missing.err;

  const ProgramResult first_missing = pipeline({"syslab-no-such-command", "echo still runs"});
  EXPECT_EQ(first_missing.status.code, 0) << first_missing.status << "\n" << first_missing.err;
  EXPECT_EQ(first_missing.out, "still runs\n");

  const ProgramResult help = pipeline({"--help"});
  EXPECT_EQ(help.status.code, 0) << help.status;
  EXPECT_NE(help.out.find("usage: pipeline"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--pipefail"), std::string::npos) << help.out;

  EXPECT_EQ(pipeline({}).status.code, 2) << "no command";
  EXPECT_EQ(pipeline({"--bogus", "true"}).status.code, 2) << "an unknown option";
  const ProgramResult unclosed = pipeline({"sh -c 'exit 3"});
  EXPECT_EQ(unclosed.status.code, 2) << unclosed.status << "\n" << unclosed.err;
  EXPECT_NE(unclosed.err.find("never closed"), std::string::npos) << unclosed.err;
}

// Each run of the program above has a deadline of 15 s, so that a hang fails there and says what
// is stuck; the runner's own deadline must be longer. (Declared after the tests they name.)
SYSLAB_TIMEOUT(PipelineProgram, ConnectsTheCommands, 60);
SYSLAB_TIMEOUT(PipelineProgram, ExitsAsBashWould, 60);
SYSLAB_TIMEOUT(PipelineProgram, MissingCommandHelpAndUsage, 60);
