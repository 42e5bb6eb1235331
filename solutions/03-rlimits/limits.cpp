// limits: shows resource limits, or runs a command under new soft limits.
//   limits                                  every limit of this process, like ulimit -a or prlimit
//   limits --pid N                          the limits of process N (prlimit(2))
//   limits --nofile 5 -- ls /proc/self/fd   run a command with the soft RLIMIT_NOFILE at 5
//   limits --emfile 10                      open files until EMFILE with the soft limit at 10
// Look at: the command inherits the limits across execve; compare with cat /proc/PID/limits.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "emfile.hpp"
#include "limits_cli.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    const rlim::Options options = rlim::parse_args(args);
    switch (options.action) {
      case rlim::Options::Action::kHelp: fmt::print("{}", rlim::usage()); return 0;
      case rlim::Options::Action::kShow:
        fmt::print("{}", rlim::format_limits_table(options.pid));
        return 0;
      case rlim::Options::Action::kEmfile:
        fmt::print("{}\n", rlim::to_string(rlim::open_until_emfile(options.emfile_limit)));
        return 0;
      case rlim::Options::Action::kRun:
        return rlim::run_with_soft_limits(options.soft_limits, options.command);
    }
  } catch (const rlim::UsageError& error) {
    fmt::print(stderr, "limits: {}\n{}", error.what(), rlim::usage());
    return 2;
  } catch (const std::exception& error) {
    fmt::print(stderr, "limits: {}\n", error.what());
    return 1;
  }
  return 1;
}
