// Lab 03: the pieces of the limits program, kept out of main so that they can be tested and read
// on their own. See limits.cpp for what the program does.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace rlim {

// One "--nofile 64": a resource and the soft limit to give it.
struct SoftLimit {
  int resource = -1;
  rlim_t value = 0;
};

// What the command line asks for.
struct Options {
  enum class Action { kShow, kRun, kEmfile, kHelp };
  Action action = Action::kShow;
  pid_t pid = 0;                       // kShow: whose limits (0: this process)
  std::vector<SoftLimit> soft_limits;  // kRun: set these first, in order
  std::vector<std::string> command;    // kRun: the command and its arguments (never empty)
  rlim_t emfile_limit = 0;             // kEmfile: the soft RLIMIT_NOFILE for the experiment
};

// A command line that makes no sense. main prints it with the usage and exits 2.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The usage text, ending with a newline.
std::string usage();

// Parses the arguments after the program's name. Throws UsageError for an unknown option, a
// missing or malformed value, limits without a command, or a command with --pid or --emfile.
Options parse_args(const std::vector<std::string>& args);

// One line per known resource: its short name, soft and hard limits, unit and what it does, for
// process pid (0: this process), after a header line:
//   RESOURCE           SOFT         HARD  UNITS     WHAT
//   NOFILE             1024       524288  files     fd numbers: open/pipe/accept fail, EMFILE
std::string format_limits_table(pid_t pid);

// Sets each soft limit (the hard limits stay), then replaces this process with the command,
// looked up in PATH (execvp). Returns only if the command could not be run: after saying why on
// stderr, it returns the exit status to use, 127 when it was not found and 126 otherwise (as
// env(1) and the shells do). Throws when a limit cannot be set.
[[nodiscard]] int run_with_soft_limits(const std::vector<SoftLimit>& limits,
                                       const std::vector<std::string>& command);

}  // namespace rlim
