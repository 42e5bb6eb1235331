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

// BEGIN SOLUTION
namespace {

// "RLIMIT_NOFILE" -> "NOFILE", as prlimit(1) shows it.
std::string_view short_name(const Resource& resource) {
  return resource.name.substr(std::string_view("RLIMIT_").size());
}

// "--nofile" -> RLIMIT_NOFILE: every resource is an option. -1 when arg is none of them.
int resource_option(std::string_view arg) {
  for (const Resource& resource : known_resources()) {
    std::string option = "--";
    for (const char c : short_name(resource)) {
      option += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (arg == option) return resource.id;
  }
  return -1;
}

// The value after the option at args[i]; moves i onto it.
const std::string& value_after(const std::vector<std::string>& args, std::size_t& i) {
  if (i + 1 >= args.size()) throw UsageError(fmt::format("{} needs a value", args[i]));
  return args[++i];
}

rlim_t parse_limit(const std::string& option, const std::string& text) {
  try {
    return parse_value(text);
  } catch (const std::invalid_argument& error) {
    throw UsageError(fmt::format("{}: {}", option, error.what()));
  }
}

pid_t parse_pid(const std::string& text) {
  pid_t pid = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, pid);
  if (error != std::errc() || stop != end || pid <= 0) {
    throw UsageError(fmt::format("--pid: not a process id: \"{}\"", text));
  }
  return pid;
}

// What to do, once every option is read; the combinations that make no sense are refused.
Options::Action choose_action(const Options& options, bool emfile) {
  const bool pid = options.pid != 0;
  if (!options.command.empty()) {
    if (pid || emfile) throw UsageError("--pid and --emfile take no command");
    return Options::Action::kRun;
  }
  if (!options.soft_limits.empty()) {
    throw UsageError("a limit needs a command to run under it: limits --nofile N -- COMMAND");
  }
  if (pid && emfile) throw UsageError("--pid and --emfile do not go together");
  return emfile ? Options::Action::kEmfile : Options::Action::kShow;
}

}  // namespace
// END SOLUTION

Options parse_args(const std::vector<std::string>& args) {
  // BEGIN SOLUTION: read --help, --pid N, --emfile N, --nofile N ... and -- COMMAND; UsageError if wrong
  Options options;
  bool emfile = false;
  std::size_t i = 0;
  for (; i < args.size() && args[i] != "--"; ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      options.action = Options::Action::kHelp;
      return options;
    }
    if (arg == "--pid") {
      options.pid = parse_pid(value_after(args, i));
    } else if (arg == "--emfile") {
      options.emfile_limit = parse_limit(arg, value_after(args, i));
      emfile = true;
    } else if (const int resource = resource_option(arg); resource >= 0) {
      options.soft_limits.push_back({resource, parse_limit(arg, value_after(args, i))});
    } else {
      throw UsageError(fmt::format("unknown argument \"{}\"", arg));
    }
  }
  if (i < args.size()) {  // args[i] is "--"
    options.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
    if (options.command.empty()) throw UsageError("no command after --");
  }
  options.action = choose_action(options, emfile);
  return options;
  // END SOLUTION
}

std::string format_limits_table(pid_t pid) {
  // BEGIN SOLUTION: a header, then per resource: short name, soft, hard (of pid), unit ("-" if none), what
  constexpr std::string_view kRow = "{:<11}{:>12} {:>12}  {:<9} {}\n";
  std::string table = fmt::format(kRow, "RESOURCE", "SOFT", "HARD", "UNITS", "WHAT");
  for (const Resource& resource : known_resources()) {
    const Limit limit = get_limit(resource.id, pid);
    table +=
        fmt::format(kRow, short_name(resource), format_value(limit.soft), format_value(limit.hard),
                    resource.unit.empty() ? "-" : resource.unit, resource.what);
  }
  return table;
  // END SOLUTION
}

// [slide:run_with_soft_limits]
int run_with_soft_limits(const std::vector<SoftLimit>& limits,
                         const std::vector<std::string>& command) {
  // BEGIN SOLUTION: set each soft limit, then execvp; if it returns, say why and return 127 (ENOENT) or 126
  for (const SoftLimit& limit : limits) set_soft_limit(limit.resource, limit.value);
  std::vector<char*> argv;
  for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());  // on success, never returns: the command runs in this process
  const int error = errno;
  fmt::print(stderr, "limits: {}\n", syslab::errno_error(error, "execvp", command[0]).what());
  return error == ENOENT ? 127 : 126;
  // END SOLUTION
}
// [/slide]

}  // namespace rlim
