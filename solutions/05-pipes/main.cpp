// pipeline: runs commands connected by pipes, as a shell runs a | b | c, and exits as bash would.
//   pipeline 'printf "b\na\n"' sort 'head -1'    prints a
//   pipeline --status yes 'head -1'               prints y, and PIPESTATUS: 141 0 on stderr
// Look at: strace -f -e trace=pipe2,dup2,close,execve ./pipeline ls 'wc -l', and
// ls -l /proc/PID/fd of a stage while it runs (./pipeline cat cat, then look from another shell).
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "pipeline.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: pipeline [--status] [--pipefail] [--] COMMAND...\n"
    "Runs COMMAND | COMMAND | ..., each COMMAND one argument that is split into words as sh\n"
    "would, with quotes and backslashes only (run \"sh -c '...'\" for more), and exits with the\n"
    "status bash gives a pipeline: the last command's, 128 + N when signal N ended it.\n"
    "  --status    print every command's status on stderr, like ${PIPESTATUS[@]} in bash:\n"
    "              PIPESTATUS: 141 0\n"
    "  --pipefail  exit with the last non-zero status instead (bash's set -o pipefail)\n"
    "  --          every argument after it is a command, even one that starts with --\n"
    "A command that cannot be run gets the status 127 (not found) or 126, as in bash.\n";

struct Options {
  bool status = false;
  bool pipefail = false;
  std::vector<pipes::Command> commands;
};

bool wants_help(std::span<char*> args) {
  for (const std::string_view arg : args) {
    if (arg == "--") return false;
    if (arg == "--help" || arg == "-h") return true;
  }
  return false;
}

// The options and commands; nullopt (with the reason on stderr) for a command line that makes no
// sense. Options may come anywhere, as in ./pipeline yes 'head -1' --status.
std::optional<Options> parse_options(std::span<char*> args) {
  Options options;
  bool only_commands = false;
  for (const std::string_view arg : args) {
    if (!only_commands && arg == "--status") {
      options.status = true;
    } else if (!only_commands && arg == "--pipefail") {
      options.pipefail = true;
    } else if (!only_commands && arg == "--") {
      only_commands = true;
    } else if (!only_commands && arg.starts_with("--")) {
      fmt::print(stderr, "pipeline: unknown option {}\n", arg);
      return std::nullopt;
    } else {
      try {
        options.commands.push_back(pipes::split_command(arg));
      } catch (const std::invalid_argument& error) {
        fmt::print(stderr, "pipeline: {}\n", error.what());
        return std::nullopt;
      }
    }
  }
  if (options.commands.empty()) {
    fmt::print(stderr, "pipeline: no command to run\n");
    return std::nullopt;
  }
  return options;
}

// [slide:run]
// Starts the stages, says which could not start, waits for all: the exit status bash would give.
int run(const Options& options) {
  pipes::Pipeline pipeline = pipes::start_pipeline(options.commands);
  for (std::size_t i = 0; i < pipeline.size(); ++i) {
    const std::string& error = pipeline.stages()[i].error;
    if (!error.empty()) fmt::print(stderr, "pipeline: stage {}: {}\n", i + 1, error);
  }
  const std::vector<proc::WaitStatus> statuses = pipeline.wait();
  if (options.status) fmt::print(stderr, "{}\n", pipes::pipestatus_line(statuses));
  return pipes::pipeline_exit_code(statuses, options.pipefail);
}
// [/slide]

}  // namespace

int main(int argc, char** argv) {
  const std::span<char*> args(argv + 1, static_cast<std::size_t>(argc - 1));
  if (wants_help(args)) {
    fmt::print("{}", kUsage);
    return 0;
  }
  try {
    const std::optional<Options> options = parse_options(args);
    if (!options) {
      fmt::print(stderr, "{}", kUsage);
      return 2;
    }
    return run(*options);
  } catch (const std::exception& error) {
    fmt::print(stderr, "pipeline: {}\n", error.what());
    return 1;
  }
}
