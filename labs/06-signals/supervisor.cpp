// supervisor: runs a command, restarts it when it fails (waiting longer each time), forwards
// SIGTERM and SIGINT to its process group, and reports every exit.
//   supervisor -- sh -c 'sleep 1; kill -SEGV $$'    a crash, restarts with back-off, gives up
//   supervisor -- sleep 100                         then kill -TERM <supervisor's pid>
// Look at: ps -o pid,ppid,pgid,stat,comm while it runs, and grep Sig /proc/PID/status.
#include <fmt/format.h>

#include <exception>
#include <string>
#include <vector>

#include "supervise.hpp"

int main(int argc, char** argv) {
  try {
    const sig::SupervisorOptions options =
        sig::parse_supervisor_args(std::vector<std::string>(argv + 1, argv + argc));
    if (options.help) {
      fmt::print("{}", sig::supervisor_usage());
      return sig::kSupervisorOk;
    }
    return sig::supervise(options);
  } catch (const sig::UsageError& error) {
    fmt::print(stderr, "supervisor: {}\n(supervisor --help shows the usage)\n", error.what());
    return sig::kSupervisorUsage;
  } catch (const std::exception& error) {
    fmt::print(stderr, "supervisor: {}\n", error.what());
    return sig::kSupervisorFailed;
  }
}
