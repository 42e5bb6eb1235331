// Lab 03: running out of fd numbers on purpose, and leaving nothing behind.
#include "emfile.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <vector>

#include "fd_table.hpp"
#include "rlimits.hpp"
#include "unique_fd.hpp"

namespace rlim {

// BEGIN SOLUTION
namespace {

// The open fds numbered below limit: each takes a number the experiment cannot have. Counted
// before the limit is lowered, because listing /proc/self/fd takes an fd of its own.
std::size_t count_fds_below(rlim_t limit) {
  const std::vector<fdio::FdInfo> fds = fdio::list_fds();
  return static_cast<std::size_t>(std::ranges::count_if(
      fds, [limit](const fdio::FdInfo& info) { return static_cast<rlim_t>(info.fd) < limit; }));
}

struct OpenFailure {
  int error = 0;
  std::string message;
};

// Opens /dev/null into fds until open(2) fails with EMFILE (or ENFILE), and returns that failure.
// Any other error is not the experiment's outcome but a real failure: it is thrown.
OpenFailure open_until_failure(std::vector<fdio::UniqueFd>& fds) {
  for (;;) {
    try {
      fds.push_back(fdio::open_file("/dev/null", O_RDONLY));
    } catch (const std::system_error& error) {
      const int code = error.code().value();
      if (code != EMFILE && code != ENFILE) throw;
      return {code, error.what()};
    }
  }
}

}  // namespace
// END SOLUTION

// [slide:open_until_emfile]
EmfileReport open_until_emfile(rlim_t soft_limit) {
  // BEGIN SOLUTION: lower the soft RLIMIT_NOFILE (a guard), open /dev/null until EMFILE, report the count and the error; everything opened is closed and the limit restored on return
  EmfileReport report;
  report.soft_limit = soft_limit;
  report.already_open = count_fds_below(soft_limit);
  const ScopedLimit lowered = scoped_soft_limit(RLIMIT_NOFILE, soft_limit);
  // Declared after the guard, so destroyed before it: every fd is closed, then the limit restored.
  std::vector<fdio::UniqueFd> fds;
  const OpenFailure failure = open_until_failure(fds);
  report.opened = fds.size();
  // open(2) returns the lowest free number, so each fd is above the last: the last is the highest.
  report.highest_fd = fds.empty() ? -1 : fds.back().get();
  report.error = failure.error;
  report.message = failure.message;
  return report;
  // END SOLUTION
}
// [/slide]

std::string to_string(const EmfileReport& report) {
  const std::string last =
      report.opened > 0 ? fmt::format(" (the last was fd {})", report.highest_fd) : "";
  return fmt::format("soft limit {}: {} fds were already open below it; opened {} more{}, then {}",
                     report.soft_limit, report.already_open, report.opened, last, report.message);
}

}  // namespace rlim
