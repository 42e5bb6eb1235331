// Lab 03: running out of fd numbers on purpose, and leaving nothing behind.
#include "emfile.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "fd_table.hpp"
#include "rlimits.hpp"
#include "syslab/error.hpp"
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

// Opens /dev/null into fds until open(2) fails, and returns its errno. EMFILE is this loop's
// expected outcome, so it is a value here, not an exception (fdio::open_file would throw one):
// and with every fd number taken, even building an exception may fail, since UBSan's type check
// needs a pipe. Each fd is owned from the moment it exists, so a failing push_back leaks nothing.
int open_until_failure(std::vector<fdio::UniqueFd>& fds) {
  for (;;) {
    fdio::UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!fd.ok()) {
      if (errno == EINTR) continue;
      return errno;
    }
    fds.push_back(std::move(fd));
  }
}

}  // namespace
// END SOLUTION

// [slide:open_until_emfile]
EmfileReport open_until_emfile(rlim_t soft_limit) {
  // BEGIN SOLUTION: lower the soft limit with a guard, open(2) /dev/null until EMFILE, fill the report; close all, restore
  EmfileReport report;
  report.soft_limit = soft_limit;
  report.already_open = count_fds_below(soft_limit);
  {
    const ScopedLimit lowered = scoped_soft_limit(RLIMIT_NOFILE, soft_limit);
    // Declared after the guard, so destroyed before it: fds closed first, then the limit restored.
    std::vector<fdio::UniqueFd> fds;
    report.error = open_until_failure(fds);
    report.opened = fds.size();
    // open(2) takes the lowest free number, so the last fd opened is the highest.
    report.highest_fd = fds.empty() ? -1 : fds.back().get();
  }
  // Only now that fds are free again: an error message is an allocation, an exception, a log.
  const syslab::SystemError error = syslab::errno_error(report.error, "open", "/dev/null");
  if (report.error != EMFILE && report.error != ENFILE) throw error;
  report.message = error.what();
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
