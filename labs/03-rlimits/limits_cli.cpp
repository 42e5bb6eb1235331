// Lab 03: the limits program's parts: its command line, its table, and running a command under
// new soft limits.
#include "limits_cli.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <string_view>

#include "rlimits.hpp"
#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace rlim {

std::string usage() {
  return "usage: limits [--pid N]\n"
         "       limits [--nofile N] [--fsize BYTES] [--core BYTES] ... -- COMMAND [ARG...]\n"
         "       limits --emfile N\n"
         "       limits --help\n"
         "\n"
         "Without a command, print every resource limit of this process (of process N with\n"
         "--pid), soft and hard, like ulimit -a or prlimit. With a command, set the soft limits\n"
         "given (the hard limits stay) and run it: it inherits them across execve. Any resource\n"
         "works as an option: --stack, --cpu, --nproc ... A value is a number or \"unlimited\".\n"
         "--emfile N lowers the soft RLIMIT_NOFILE to N and opens files until EMFILE.\n"
         "\n"
         "Exit status: the command's own, 127 if it was not found, 126 if it could not be run,\n"
         "2 for a bad command line, 1 when a limit cannot be read or set.\n";
}

Options parse_args(const std::vector<std::string>& args) {
  SYSLAB_TODO("read --help, --pid N, --emfile N, --nofile N ... and -- COMMAND; UsageError if wrong");
}

std::string format_limits_table(pid_t pid) {
  SYSLAB_TODO("a header, then per resource: short name, soft, hard (of pid), unit (\"-\" if none), what");
}

int run_with_soft_limits(const std::vector<SoftLimit>& limits,
                         const std::vector<std::string>& command) {
  SYSLAB_TODO("set each soft limit, then execvp; if it returns, say why and return 127 (ENOENT) or 126");
}

}  // namespace rlim
