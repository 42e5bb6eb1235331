// Lab 06 tests: the supervisor program, run as a user would run it. Its children are small
// sh scripts that say "ready" on stdout once they run: the test's cue to send a signal. Runs are
// counted in a file the child writes, and back-off is checked in what the supervisor reports,
// never by the clock.
#include <signal.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "signals_test_util.hpp"
#include "supervise.hpp"
#include "syslab/test.hpp"

using namespace signals_test;

namespace {

std::vector<std::string> supervisor(std::vector<std::string> args) {
  args.insert(args.begin(), program_path("supervisor"));
  return args;
}

// The hex mask of one "SigBlk:" or "SigIgn:" line of a /proc/PID/status text (0 if absent).
unsigned long long status_mask(const std::string& status, const std::string& key) {
  const auto at = status.find("\n" + key + ":");
  return at == std::string::npos ? 0 : std::stoull(status.substr(at + key.size() + 2), nullptr, 16);
}

bool in_mask(unsigned long long mask, int signal) { return ((mask >> (signal - 1)) & 1U) != 0; }

// The lines of text that contain needle.
int lines_with(const std::string& text, std::string_view needle) { return count_of(text, needle); }

}  // namespace

SYSLAB_TEST(
    Supervisor, HelpUsageErrorsAndACleanExit, 1,
    "--help prints the usage on stdout and exits 0; no command is a usage error: exit 2",
    "a command that exits 0 is reported (\"child N exited 0\") and not restarted; the supervisor "
    "exits 0",
    "wants_restart(kOnFailure, status) is !status.success(); on_child_exit reports and finishes") {
  const ProgramResult help = run_program(supervisor({"--help"}));
  EXPECT_EQ(help.status.code, 0) << help.status;
  EXPECT_NE(help.out.find("usage: supervisor"), std::string::npos) << help.out;
  const ProgramResult usage = run_program(supervisor({"--restarts", "many", "--", "true"}));
  EXPECT_EQ(usage.status.code, 2) << usage.status << "\n" << usage.err;
  EXPECT_EQ(run_program(supervisor({})).status.code, 2) << "no command to run is a usage error";

  TempDir dir;
  const ProgramResult clean =
      run_program(supervisor({"--", "sh", "-c", "echo run >> " + dir / "runs"}));
  EXPECT_TRUE(clean.status.success()) << clean.status << "\n" << clean.err;
  EXPECT_EQ(read_file(dir / "runs"), "run\n") << "a clean exit must not be restarted";
  EXPECT_NE(clean.err.find("exited 0"), std::string::npos) << "every exit is reported:\n"
                                                           << clean.err;
}

SYSLAB_TEST(Supervisor, RestartsCrashesWithGrowingBackoff, 3,
            "a child killed by a signal is restarted, after backoff_delay(restart, first, max): "
            "first, 2 x first, ...",
            "report each exit with WaitStatus::describe() and the delay: \"child 1234 killed by "
            "SIGSEGV; restarting in 20 ms\"",
            "the delay is a poll timeout (restart_at_), not a sleep; after --restarts N restarts, "
            "give up and exit 1") {
  EXPECT_EQ(sig::backoff_delay(1, std::chrono::milliseconds(100), std::chrono::seconds(30)).count(),
            100);
  EXPECT_EQ(sig::backoff_delay(2, std::chrono::milliseconds(100), std::chrono::seconds(30)).count(),
            200);
  EXPECT_EQ(sig::backoff_delay(4, std::chrono::milliseconds(100), std::chrono::seconds(30)).count(),
            800);
  EXPECT_EQ(
      sig::backoff_delay(80, std::chrono::milliseconds(100), std::chrono::seconds(30)).count(),
      30000)
      << "the delay is capped at max (and must not overflow on the way)";

  TempDir dir;
  const std::string script = "ulimit -c 0; echo run >> " + dir / "runs" + "; kill -SEGV $$";
  RunOptions options;
  options.timeout = 20s;
  const ProgramResult result = run_program(
      supervisor({"--restarts", "3", "--backoff-ms", "10", "--", "sh", "-c", script}), options);
  EXPECT_EQ(read_file(dir / "runs"), "run\nrun\nrun\nrun\n") << "one run and three restarts:\n"
                                                             << result.err;
  EXPECT_TRUE(result.status.exited && result.status.code == 1)
      << "a command that keeps crashing makes the supervisor exit 1: " << result.status << "\n"
      << result.err;
  EXPECT_EQ(lines_with(result.err, "killed by SIGSEGV"), 4) << "every exit is reported:\n"
                                                            << result.err;
  EXPECT_NE(result.err.find("killed by SIGSEGV; restarting in 10 ms"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("killed by SIGSEGV; restarting in 20 ms"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("killed by SIGSEGV; restarting in 40 ms"), std::string::npos)
      << result.err;
  EXPECT_EQ(lines_with(result.err, "restarting in"), 3) << result.err;
}

SYSLAB_TEST(Supervisor, ForwardsSigtermToTheChildsGroupAndExitsZero, 3,
            "the child runs in a group of its own (spawn with process_group = 0), so that a signal "
            "can reach all it started",
            "on SIGTERM, forward it with signal_group(child's pid, SIGTERM), restart nothing, and "
            "exit 0 once the child is gone",
            "the supervisor's signals arrive on its SignalFd: SIGTERM and SIGINT are stop "
            "requests, SIGCHLD means reap") {
  const SubreaperGuard subreaper;  // the script's own child, orphaned when sh dies, comes to us
  ReapOnExit cleanup;
  Launched run(supervisor({"--", "sh", "-c", "sleep 100 & echo ready $!; wait"}));
  ASSERT_TRUE(run.wait_for_stdout("\n", Deadline(10s))) << "the child never said ready:\n"
                                                        << run.err();
  const pid_t grandchild = static_cast<pid_t>(number_after(run.out(), "ready "));
  cleanup.add(grandchild);
  ASSERT_TRUE(run.wait_for_stderr(" started", Deadline(10s))) << run.err();
  const pid_t child = static_cast<pid_t>(number_after(run.err(), "child "));
  ASSERT_GT(child, 0) << run.err();
  EXPECT_EQ(::getpgid(child), child) << "the child must lead a process group of its own";
  EXPECT_EQ(::getpgid(grandchild), child) << "the child's own child shares its group";
  EXPECT_NE(::getpgid(run.pid()), child) << "the supervisor stays out of the child's group";

  ASSERT_EQ(::kill(run.pid(), SIGTERM), 0);
  const std::optional<ExitStatus> status = run.wait(Deadline(10s));
  ASSERT_TRUE(status.has_value()) << "the supervisor did not stop:\n" << run.err();
  EXPECT_TRUE(status->success()) << "a graceful stop exits 0: " << *status << "\n" << run.err();
  EXPECT_NE(run.err().find("child " + std::to_string(child) + " killed by SIGTERM"),
            std::string::npos)
      << "the child's exit must be reported:\n"
      << run.err();
  EXPECT_EQ(lines_with(run.err(), " started"), 1) << "nothing may be restarted after SIGTERM:\n"
                                                  << run.err();
  // The grandchild got the group's SIGTERM too. It is ours to reap once sh has died, unless sh
  // reaped it first; either way it must be gone.
  if (const std::optional<ExitStatus> end = wait_for_pid(grandchild, Deadline(10s))) {
    EXPECT_TRUE(end->signaled && end->signal == SIGTERM) << "the script's child " << *end;
  }
  EXPECT_TRUE(ended(grandchild))
      << "the script's child still runs: SIGTERM went to the child only, not its group";
}

SYSLAB_TEST(
    Supervisor, ForwardsSigintToo, 2,
    "Ctrl-C sends SIGINT to the terminal's foreground group: the supervisor's, not the child's",
    "so the supervisor forwards SIGINT to the child's group as it does SIGTERM",
    "a SIGINT read from the SignalFd is a stop request: on_stop_request(SIGINT)") {
  Launched run(supervisor({"--", "sh", "-c", "echo ready; exec sleep 100"}));
  ASSERT_TRUE(run.wait_for_stdout("ready", Deadline(10s))) << "the child never said ready:\n"
                                                           << run.err();
  ASSERT_EQ(::kill(run.pid(), SIGINT), 0);
  const std::optional<ExitStatus> status = run.wait(Deadline(10s));
  ASSERT_TRUE(status.has_value()) << "the supervisor did not stop:\n" << run.err();
  EXPECT_TRUE(status->success()) << *status << "\n" << run.err();
  EXPECT_NE(run.err().find("killed by SIGINT"), std::string::npos) << run.err();
}

SYSLAB_TEST(
    Supervisor, EscalatesOnASecondSigtermOrAtTheDeadline, 2,
    "a child that ignores SIGTERM is killed (SIGKILL to its group) on a second SIGTERM, or when "
    "--grace-ms has passed",
    "request_stop returns kKillWorkers for the second; check_deadline for the deadline; poll's "
    "timeout is the time left",
    "after SIGKILL the supervisor still reaps and reports the child, and exits 1: it had to kill") {
  const std::string stubborn = "trap '' TERM; echo ready; exec sleep 100";
  {
    Launched run(supervisor({"--grace-ms", "60000", "--", "sh", "-c", stubborn}));
    ASSERT_TRUE(run.wait_for_stdout("ready", Deadline(10s))) << run.err();
    ASSERT_EQ(::kill(run.pid(), SIGTERM), 0);
    ASSERT_TRUE(run.wait_for_stderr("forwarding", Deadline(10s)))
        << "no report of the forwarded SIGTERM:\n"
        << run.err();
    ASSERT_EQ(::kill(run.pid(), SIGTERM), 0);
    const std::optional<ExitStatus> status = run.wait(Deadline(10s));
    ASSERT_TRUE(status.has_value()) << "the second SIGTERM did not end it:\n" << run.err();
    EXPECT_TRUE(status->exited && status->code == 1) << *status << "\n" << run.err();
    EXPECT_NE(run.err().find("killed by SIGKILL"), std::string::npos) << run.err();
  }
  {
    Launched run(supervisor({"--grace-ms", "100", "--", "sh", "-c", stubborn}));
    ASSERT_TRUE(run.wait_for_stdout("ready", Deadline(10s))) << run.err();
    ASSERT_EQ(::kill(run.pid(), SIGTERM), 0);
    const std::optional<ExitStatus> status = run.wait(Deadline(10s));
    ASSERT_TRUE(status.has_value()) << "the grace period passed and nothing happened:\n"
                                    << run.err();
    EXPECT_TRUE(status->exited && status->code == 1) << *status << "\n" << run.err();
    EXPECT_NE(run.err().find("killed by SIGKILL"), std::string::npos) << run.err();
  }
}

SYSLAB_TEST(Supervisor, CommandStartsWithDefaultSignalsAndAnEmptyMask, 2,
            "the supervisor blocks SIGCHLD, SIGTERM and SIGINT for its signalfd, and may itself "
            "have been started with SIGPIPE ignored: a mask and SIG_IGN both survive exec",
            "a command started with SIGTERM blocked cannot be stopped by the forwarded SIGTERM; "
            "one started with SIGPIPE ignored never dies of SIGPIPE",
            "spawn the command with reset_signals = true: SIG_DFL for every signal and an empty "
            "mask, set in the child just before exec") {
  const ScopedIgnoreSigpipe started_so;  // the supervisor inherits SIG_IGN, as from a Python parent
  const ProgramResult run = run_program(supervisor({"--", "cat", "/proc/self/status"}));
  ASSERT_TRUE(run.status.success()) << run.status << "\n" << run.err;
  ASSERT_NE(run.out.find("\nSigBlk:"), std::string::npos) << run.out;
  const unsigned long long blocked = status_mask(run.out, "SigBlk");
  const std::pair<int, const char*> watched[] = {
      {SIGCHLD, "SIGCHLD"}, {SIGTERM, "SIGTERM"}, {SIGINT, "SIGINT"}, {SIGPIPE, "SIGPIPE"}};
  for (const auto& [signal, name] : watched) {
    EXPECT_FALSE(in_mask(blocked, signal))
        << "the command started with " << name << " blocked (SigBlk " << std::hex << blocked
        << "): the supervisor's mask was inherited through exec";
  }
  EXPECT_FALSE(in_mask(status_mask(run.out, "SigIgn"), SIGPIPE))
      << "the command started with SIGPIPE ignored, as the supervisor had it: reset the signals";
}

SYSLAB_TEST(Supervisor, StopDuringTheBackoffEndsItAtOnce, 2,
            "a SIGTERM while the supervisor waits out a back-off (no child runs) ends it at once: "
            "nothing to forward, nothing to restart, exit 0",
            "the back-off must be a poll timeout (restart_at_), never a sleep: a supervisor asleep "
            "for the back-off hears no signal until it wakes",
            "on_stop_request with no child running: cancel the restart (restart_at_.reset()) and "
            "finish(kSupervisorOk)") {
  Launched run(supervisor({"--backoff-ms", "60000", "--max-backoff-ms", "60000", "--", "sh", "-c",
                           "ulimit -c 0; echo ready; kill -SEGV $$"}));
  ASSERT_TRUE(run.wait_for_stderr("restarting in 60000 ms", Deadline(10s)))
      << "the crash was not reported with a back-off of 60000 ms:\n"
      << run.err();
  ASSERT_EQ(::kill(run.pid(), SIGTERM), 0);
  const std::optional<ExitStatus> status = run.wait(Deadline(10s));
  ASSERT_TRUE(status.has_value())
      << "the supervisor did not stop within 10 s of a SIGTERM sent during a 60 s back-off: is "
         "it sleeping instead of polling its signalfd with a timeout?\n"
      << run.err();
  EXPECT_TRUE(status->success()) << "a stop with no child running exits 0: " << *status << "\n"
                                 << run.err();
  EXPECT_EQ(lines_with(run.err(), " started"), 1) << "nothing may be restarted after SIGTERM:\n"
                                                  << run.err();
}

SYSLAB_TEST(Supervisor, ForwardedStopReachesAStoppedChild, 2,
            "a stopped child (kill -STOP, or Ctrl-Z) does not act on a forwarded SIGTERM that it "
            "handles: the signal waits, pending, until the child is continued",
            "after forwarding the stop signal to the group, send SIGCONT to the group too; "
            "without it the child is killed at the end of the grace period instead of finishing",
            "signal_group(child_.pid(), signal), then signal_group(child_.pid(), SIGCONT)") {
  const SubreaperGuard subreaper;  // the script's own child, orphaned when sh ends, comes to us
  ReapOnExit cleanup;
  Launched run(supervisor({"--grace-ms", "5000", "--", "sh", "-c",
                           "trap 'exit 0' TERM; sleep 100 & echo ready $!; wait"}));
  ASSERT_TRUE(run.wait_for_stdout("\n", Deadline(10s))) << "the child never said ready:\n"
                                                        << run.err();
  cleanup.add(static_cast<pid_t>(number_after(run.out(), "ready ")));
  ASSERT_TRUE(run.wait_for_stderr(" started", Deadline(10s))) << run.err();
  const pid_t child = static_cast<pid_t>(number_after(run.err(), "child "));
  ASSERT_GT(child, 0) << run.err();
  ASSERT_EQ(::kill(-child, SIGSTOP), 0);
  ASSERT_TRUE(poll_until(Deadline(5s), [child] { return process_state(child) == 'T'; }))
      << "the child did not stop";

  ASSERT_EQ(::kill(run.pid(), SIGTERM), 0);
  const std::optional<ExitStatus> status = run.wait(Deadline(10s));
  ASSERT_TRUE(status.has_value()) << "the supervisor did not stop:\n" << run.err();
  EXPECT_TRUE(run.err().find("child " + std::to_string(child) + " exited 0") != std::string::npos)
      << "the child was stopped, and exits 0 on SIGTERM once it runs: the supervisor must "
         "continue its group (SIGCONT) after forwarding, not wait out the grace period:\n"
      << run.err();
  EXPECT_TRUE(status->success()) << "the supervisor " << *status << "\n" << run.err();
}

SYSLAB_TIMEOUT(Supervisor, HelpUsageErrorsAndACleanExit, 30);
SYSLAB_TIMEOUT(Supervisor, RestartsCrashesWithGrowingBackoff, 30);
SYSLAB_TIMEOUT(Supervisor, ForwardsSigtermToTheChildsGroupAndExitsZero, 30);
SYSLAB_TIMEOUT(Supervisor, ForwardsSigintToo, 30);
SYSLAB_TIMEOUT(Supervisor, EscalatesOnASecondSigtermOrAtTheDeadline, 30);
SYSLAB_TIMEOUT(Supervisor, CommandStartsWithDefaultSignalsAndAnEmptyMask, 30);
SYSLAB_TIMEOUT(Supervisor, StopDuringTheBackoffEndsItAtOnce, 30);
SYSLAB_TIMEOUT(Supervisor, ForwardedStopReachesAStoppedChild, 30);
