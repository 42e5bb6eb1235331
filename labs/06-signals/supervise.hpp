// Lab 06: the supervisor. It runs a command in a process group of its own, restarts it when it
// fails (waiting twice as long after each failure), forwards SIGTERM and SIGINT to the group,
// and reports every exit on stderr. One thread and one poll(2) loop on a signalfd: the back-off
// and the grace period are poll timeouts, not sleeps.
// Look at: ./supervisor -- sh -c 'sleep 1; kill -SEGV $$', and ps -o pid,pgid,stat,comm meanwhile.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "wait_status.hpp"

namespace sig {

// When a child that ended is started again (the names of systemd's Restart= setting).
enum class RestartPolicy {
  kOnFailure,   // killed by a signal, or exited non-zero (the default)
  kOnAbnormal,  // killed by a signal only
  kAlways,      // whatever the exit
};

struct SupervisorOptions {
  std::vector<std::string> command;  // argv of the child; argv[0] searched in $PATH
  RestartPolicy restart = RestartPolicy::kOnFailure;
  int max_restarts = 5;                          // after that many restarts, give up
  std::chrono::milliseconds backoff{100};        // the delay before the first restart
  std::chrono::milliseconds max_backoff{30000};  // the delay doubles up to this
  std::chrono::milliseconds grace{5000};         // after forwarding a stop signal, before SIGKILL
  bool help = false;                             // --help: print the usage, run nothing
};

// The supervisor's exit codes.
inline constexpr int kSupervisorOk = 0;      // the command succeeded, or stopped in time on request
inline constexpr int kSupervisorFailed = 1;  // it kept failing, had to be killed, or could not run
inline constexpr int kSupervisorUsage = 2;   // bad arguments

// A command line that cannot be understood; what() says why.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The text --help prints.
[[nodiscard]] std::string_view supervisor_usage();

// Parses the arguments after the program name:
//   [--restarts N] [--backoff-ms MS] [--max-backoff-ms MS] [--grace-ms MS]
//   [--restart on-failure|on-abnormal|always] [--help] [--] COMMAND [ARGS...]
// Throws UsageError for an unknown option, a bad number or a missing command.
[[nodiscard]] SupervisorOptions parse_supervisor_args(const std::vector<std::string>& args);

// Whether a child that ended with status is restarted under policy.
[[nodiscard]] bool wants_restart(RestartPolicy policy, const proc::WaitStatus& status);

// The delay before restart number `restart` (1, 2, 3 ...): first, 2 x first, 4 x first ...,
// never more than max.
[[nodiscard]] std::chrono::milliseconds backoff_delay(int restart, std::chrono::milliseconds first,
                                                      std::chrono::milliseconds max);

// Runs the supervisor until the command ends for good or a stop request has ended it (a stop
// request is forwarded to the command's group, followed by SIGCONT for a stopped group); reports
// each start and exit on stderr ("supervisor: child 1234 killed by SIGSEGV; restarting in 200
// ms"). Returns kSupervisorOk or kSupervisorFailed. Blocks SIGCHLD, SIGTERM and SIGINT in the
// calling thread while it runs. Throws syslab::SystemError when the command cannot be started.
[[nodiscard]] int supervise(const SupervisorOptions& options);

}  // namespace sig
