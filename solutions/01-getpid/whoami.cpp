// whoami: who is this process (or, with --pid N, process N), as the kernel sees it.
//   whoami             this process, asked with the system calls
//   whoami --pid N     process N, read from /proc/N/stat and /proc/N/status
//   whoami --tree      the chain of parents up to init, read from /proc
// Run it in a pipeline (./whoami | cat), under setsid and under sudo: watch pgid, sid and the ids.
#include <getopt.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "identity.hpp"

namespace {

constexpr int kFailed = 1;      // the process could not be read, or stdout could not be written
constexpr int kUsageError = 2;  // the command line was wrong

constexpr std::string_view kUsage = R"usage(usage: whoami [--pid N] [--tree]
Prints who a process is, one "key value" line each: pid, ppid, pgid, sid, comm,
then ruid, euid, suid (real, effective, saved user ids) and rgid, egid, sgid,
an id followed by its name when it has one: "ruid 1000(alice)".

  (no option)  this process, asked with getpid, getppid, getpgrp, getsid, getresuid, ...
  --pid N      process N instead, read from /proc/N/stat and /proc/N/status
  --tree       the chain of parents, from the oldest down to the process:
               PID PPID PGID SID COMM, the command indented by its depth
  --help       this text

Exit status: 0 on success, 1 if the process cannot be read, 2 for a bad command line.
)usage";

struct Options {
  std::optional<pid_t> pid;  // another process; none: this one
  bool tree = false;
  bool help = false;
};

// A positive decimal pid filling the whole text, or nullopt.
std::optional<pid_t> parse_pid(std::string_view text) {
  pid_t pid = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (error != std::errc() || end != text.data() + text.size() || pid <= 0) return std::nullopt;
  return pid;
}

// The options, or nullopt after saying on stderr what was wrong.
std::optional<Options> parse_options(int argc, char** argv) {
  static const option kLongOptions[] = {
      {"pid", required_argument, nullptr, 'p'},
      {"tree", no_argument, nullptr, 't'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  Options options;
  for (int opt; (opt = ::getopt_long(argc, argv, "p:th", kLongOptions, nullptr)) != -1;) {
    if (opt == 'p') {
      options.pid = parse_pid(optarg);
      if (!options.pid) {
        std::fprintf(stderr, "whoami: --pid: not a process id: \"%s\"\n", optarg);
        return std::nullopt;
      }
    } else if (opt == 't') {
      options.tree = true;
    } else if (opt == 'h') {
      options.help = true;
    } else {
      return std::nullopt;  // getopt_long has printed what it did not understand
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "whoami: unexpected argument \"%s\"\n", argv[optind]);
    return std::nullopt;
  }
  return options;
}

// What to print for these options; throws what the lab's functions throw.
std::string report(const Options& options) {
  if (options.tree) return ids::format_ancestry(ids::ancestry(options.pid.value_or(::getpid())));
  return ids::format_identity(options.pid ? ids::read_proc_identity(*options.pid)
                                          : ids::current_identity());
}

void print_failure(const Options& options, const std::exception& error) {
  const auto* system_error = dynamic_cast<const std::system_error*>(&error);
  if (options.pid && system_error != nullptr && system_error->code().value() == ENOENT) {
    std::fprintf(stderr, "whoami: there is no process %d (%s)\n", *options.pid, error.what());
  } else {
    std::fprintf(stderr, "whoami: %s\n", error.what());
  }
}

// Writes text to stdout and flushes it: a full disk or a closed pipe must not exit with 0.
bool print(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) == text.size() && std::fflush(stdout) == 0) {
    return true;
  }
  std::fprintf(stderr, "whoami: write stdout: %s\n", std::strerror(errno));
  return false;
}

}  // namespace

// [slide:whoami_main]
int main(int argc, char** argv) {
  const std::optional<Options> options = parse_options(argc, argv);
  if (!options) {
    std::fputs("Try 'whoami --help'.\n", stderr);
    return kUsageError;
  }
  if (options->help) return print(kUsage) ? 0 : kFailed;
  try {
    return print(report(*options)) ? 0 : kFailed;
  } catch (const std::exception& error) {
    print_failure(*options, error);
    return kFailed;
  }
}
// [/slide]
