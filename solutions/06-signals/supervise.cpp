// Lab 06: the supervisor's event loop. Everything arrives through one signalfd: SIGCHLD (a child
// ended: reap), SIGTERM and SIGINT (stop: forward to the child's group, then escalate). Time
// arrives as poll's timeout: the end of a back-off, or the end of the grace period.
#include "supervise.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>

#include <cerrno>
#include <charconv>
#include <optional>
#include <utility>

#include "child_process.hpp"
#include "graceful_shutdown.hpp"
#include "process_group.hpp"
#include "reap_children.hpp"
#include "signal_fd.hpp"
#include "syslab/error.hpp"

namespace sig {

namespace {

constexpr std::string_view kUsage =
    "usage: supervisor [OPTIONS] -- COMMAND [ARGS...]\n"
    "Runs COMMAND in a process group of its own and restarts it when it fails, waiting twice\n"
    "as long after each failure. SIGTERM and SIGINT are forwarded to the command's group; a\n"
    "second one, or the grace period running out, kills the group. Every exit is reported on\n"
    "stderr.\n"
    "  --restarts N         restart at most N times (default 5)\n"
    "  --backoff-ms MS      the delay before the first restart; doubled each time (default 100)\n"
    "  --max-backoff-ms MS  the longest delay (default 30000)\n"
    "  --grace-ms MS        how long a stopped command may take before SIGKILL (default 5000)\n"
    "  --restart WHEN       on-failure: a signal or a non-zero exit (default);\n"
    "                       on-abnormal: a signal only; always\n"
    "  --help               this text\n"
    "Exit status: 0 when the command succeeded or stopped in time when asked to; 1 when it kept\n"
    "failing, had to be killed or could not be run; 2 for bad arguments.\n";

// Prints "supervisor: <message>" on stderr (unbuffered: each line leaves at once).
template <typename... Args>
void report(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "supervisor: {}\n", fmt::format(format, std::forward<Args>(args)...));
}

// A number of milliseconds or restarts: digits only, and not too many.
int parse_count(std::string_view option, std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    throw UsageError(fmt::format("{} needs a number, not \"{}\"", option, text));
  }
  return value;
}

RestartPolicy parse_policy(std::string_view text) {
  if (text == "on-failure") return RestartPolicy::kOnFailure;
  if (text == "on-abnormal") return RestartPolicy::kOnAbnormal;
  if (text == "always") return RestartPolicy::kAlways;
  throw UsageError(fmt::format("--restart is on-failure, on-abnormal or always, not \"{}\"", text));
}

// BEGIN SOLUTION
// "1 restart", "2 restarts".
std::string plural(int count, std::string_view word) {
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}
// END SOLUTION

}  // namespace

namespace detail {

// One run of the supervisor: the loop's state, and one small function per kind of event.
class Supervisor {
 public:
  explicit Supervisor(const SupervisorOptions& options)
      : options_(options), signals_({SIGCHLD, SIGTERM, SIGINT}), shutdown_(options.grace) {}

  int run();

 private:
  using Clock = GracefulShutdown::Clock;

  void start_child();
  void wait_for_event();
  void handle_signals();
  void reap();
  void on_child_exit(pid_t pid, const proc::WaitStatus& status);
  void on_stop_request(int signal);
  void kill_group(std::string_view why);
  void finish(int code) { exit_code_ = code; }

  const SupervisorOptions& options_;
  SignalFd signals_;  // made before the first child: its SIGCHLD cannot be missed
  GracefulShutdown shutdown_;
  proc::ChildProcess child_;  // the running child, leader of its own group; or nothing
  int runs_ = 0;
  int restarts_ = 0;
  std::optional<Clock::time_point> restart_at_;  // when the current back-off ends
  std::optional<int> exit_code_;                 // set: the loop ends
};

// [slide:supervisor_loop]
int Supervisor::run() {
  // BEGIN SOLUTION: start the child; until exit_code_ is set: wait_for_event, handle_signals, reap, kill the group at the deadline, restart when the back-off is over
  start_child();
  while (!exit_code_) {
    wait_for_event();
    handle_signals();
    reap();  // on every wake-up: one SIGCHLD may stand for several exits
    if (shutdown_.check_deadline(Clock::now()) == GracefulShutdown::Action::kKillWorkers) {
      kill_group(fmt::format("the grace period ({} ms) is over", options_.grace.count()));
    }
    if (!exit_code_ && restart_at_ && Clock::now() >= *restart_at_) {
      restart_at_.reset();
      start_child();
    }
  }
  return *exit_code_;
  // END SOLUTION
}
// [/slide]

// [slide:start_child]
void Supervisor::start_child() {
  // BEGIN SOLUTION: spawn the command as the leader of a new process group, with default signal actions and an empty mask; report its pid and run number
  proc::SpawnOptions spawn_options;
  // A group of its own: a signal to the group reaches everything the command starts, and a
  // Ctrl-C at the terminal reaches only the supervisor (which decides what to forward).
  spawn_options.process_group = 0;
  // Our blocked SIGCHLD, SIGTERM and SIGINT would be inherited through exec: the command
  // could then not be stopped with SIGTERM at all.
  spawn_options.reset_signals = true;
  child_ = proc::spawn(options_.command, spawn_options);
  ++runs_;
  report("child {} started (run {})", child_.pid(), runs_);
  // END SOLUTION
}
// [/slide]

void Supervisor::wait_for_event() {
  // BEGIN SOLUTION: poll the signalfd for POLLIN until the earlier of the back-off's end and the shutdown deadline; EINTR is fine
  const Clock::time_point now = Clock::now();
  const int timeout =
      earlier_timeout(poll_timeout_until(restart_at_, now), shutdown_.poll_timeout_ms(now));
  pollfd entry{signals_.fd().get(), POLLIN, 0};
  if (::poll(&entry, 1, timeout) < 0 && errno != EINTR) syslab::throw_errno("poll", "signalfd");
  // END SOLUTION
}

void Supervisor::handle_signals() {
  // BEGIN SOLUTION: read every pending signal from the signalfd; SIGCHLD needs nothing here (reap follows); the others are stop requests
  while (const std::optional<SignalInfo> info = signals_.read()) {
    if (info->signal != SIGCHLD) on_stop_request(info->signal);
  }
  // END SOLUTION
}

void Supervisor::reap() {
  for (const Reaped& ended : reap_children()) {
    if (child_.ok() && ended.pid == child_.pid()) {
      // Reaped already: the ChildProcess must forget the pid, which the kernel may now reuse.
      [[maybe_unused]] const pid_t reaped = child_.release();
      on_child_exit(ended.pid, ended.status);
    } else {
      report("reaped process {}, not our child: {}", ended.pid, ended.status.describe());
    }
  }
}

// [slide:on_child_exit]
void Supervisor::on_child_exit(pid_t pid, const proc::WaitStatus& status) {
  // BEGIN SOLUTION: report the exit; after a stop request finish; else restart after backoff_delay if wants_restart and restarts remain; else finish
  const std::string what = fmt::format("child {} {}", pid, status.describe());
  if (!shutdown_.accepting_work()) {  // we asked it to stop, and it has
    report("{}; stopped", what);
    return finish(shutdown_.phase() == GracefulShutdown::Phase::kEscalated ? kSupervisorFailed
                                                                           : kSupervisorOk);
  }
  const int result = status.success() ? kSupervisorOk : kSupervisorFailed;
  if (!wants_restart(options_.restart, status)) {
    report("{}; not restarting", what);
    return finish(result);
  }
  if (restarts_ >= options_.max_restarts) {
    report("{}; giving up after {}", what, plural(restarts_, "restart"));
    return finish(result);
  }
  ++restarts_;
  const auto delay = backoff_delay(restarts_, options_.backoff, options_.max_backoff);
  restart_at_ = Clock::now() + delay;  // no sleep: the loop's poll times out then
  report("{}; restarting in {} ms", what, delay.count());
  // END SOLUTION
}
// [/slide]

// [slide:on_stop_request]
void Supervisor::on_stop_request(int signal) {
  // BEGIN SOLUTION: first request: cancel any restart, forward the signal to the child's group and continue it (SIGCONT), or finish if none runs; second: kill the group
  const std::string name = proc::signal_name(signal);
  switch (shutdown_.request_stop(Clock::now())) {
    case GracefulShutdown::Action::kStopAccepting: {
      restart_at_.reset();
      if (!child_.ok()) {  // between runs: nothing to stop
        report("got {}; not restarting", name);
        return finish(kSupervisorOk);
      }
      report("got {}; forwarding it to group {}", name, child_.pid());
      // The child is not reaped yet, so its group id cannot have been reused. SIGCONT follows:
      // a stopped process (kill -STOP, Ctrl-Z) acts on a signal it handles only once continued.
      if (!signal_group(child_.pid(), signal)) return report("group {} is gone", child_.pid());
      [[maybe_unused]] const bool continued = signal_group(child_.pid(), SIGCONT);
      return;
    }
    case GracefulShutdown::Action::kKillWorkers:
      return kill_group(fmt::format("got {} again", name));
    case GracefulShutdown::Action::kNothing: return;
  }
  // END SOLUTION
}
// [/slide]

void Supervisor::kill_group(std::string_view why) {
  if (!child_.ok()) return;
  report("{}; killing group {}", why, child_.pid());
  [[maybe_unused]] const bool sent = signal_group(child_.pid(), SIGKILL);  // SIGCHLD follows
}

}  // namespace detail

std::string_view supervisor_usage() { return kUsage; }

SupervisorOptions parse_supervisor_args(const std::vector<std::string>& args) {
  SupervisorOptions options;
  std::size_t i = 0;
  auto value_of = [&](const std::string& option) -> const std::string& {
    if (++i >= args.size()) throw UsageError(option + " needs a value");
    return args[i];
  };
  for (; i < args.size() && args[i].starts_with("-"); ++i) {
    const std::string& option = args[i];
    if (option == "--") {
      ++i;
      break;
    } else if (option == "--help" || option == "-h") {
      options.help = true;
      return options;
    } else if (option == "--restarts") {
      options.max_restarts = parse_count(option, value_of(option));
    } else if (option == "--backoff-ms") {
      options.backoff = std::chrono::milliseconds(parse_count(option, value_of(option)));
    } else if (option == "--max-backoff-ms") {
      options.max_backoff = std::chrono::milliseconds(parse_count(option, value_of(option)));
    } else if (option == "--grace-ms") {
      options.grace = std::chrono::milliseconds(parse_count(option, value_of(option)));
    } else if (option == "--restart") {
      options.restart = parse_policy(value_of(option));
    } else {
      throw UsageError(fmt::format("unknown option \"{}\"", option));
    }
  }
  options.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  if (options.command.empty()) throw UsageError("no command to supervise");
  return options;
}

bool wants_restart(RestartPolicy policy, const proc::WaitStatus& status) {
  // BEGIN SOLUTION: on-failure: killed, or exited non-zero; on-abnormal: killed only; always: true
  switch (policy) {
    case RestartPolicy::kOnFailure: return !status.success();
    case RestartPolicy::kOnAbnormal: return status.killed();
    case RestartPolicy::kAlways: return true;
  }
  return true;  // not reached: the switch names every policy
  // END SOLUTION
}

std::chrono::milliseconds backoff_delay(int restart, std::chrono::milliseconds first,
                                        std::chrono::milliseconds max) {
  // BEGIN SOLUTION: first for restart 1, doubled for each restart after it, capped at max (beware of overflow)
  std::chrono::milliseconds delay = first;
  // Doubling step by step, stopping at max, cannot overflow the way first << (restart - 1) can.
  for (int n = 1; n < restart && delay < max; ++n) delay *= 2;
  return std::min(delay, max);
  // END SOLUTION
}

int supervise(const SupervisorOptions& options) {
  detail::Supervisor supervisor(options);
  return supervisor.run();
}

}  // namespace sig
