// Lab 03: EMFILE on purpose. The soft RLIMIT_NOFILE is not a count of open fds but a bound on fd
// numbers: open(2) returns the lowest free number, and fails with EMFILE when every number below
// the soft limit is taken, whoever took it (stdin, a library, a leak).
// Look at: ./limits --emfile 10, and ls /proc/self/fd under ulimit -n 10.
#pragma once

#include <sys/resource.h>

#include <cstddef>
#include <string>

namespace rlim {

// What open_until_emfile found.
struct EmfileReport {
  rlim_t soft_limit = 0;         // the soft RLIMIT_NOFILE during the experiment
  std::size_t already_open = 0;  // fds below soft_limit that were open before it began
  std::size_t opened = 0;        // fds it opened before the failure: soft_limit - already_open
  int highest_fd = -1;           // the largest fd number it got: always below soft_limit
  int error = 0;                 // the failing call's errno: EMFILE (ENFILE: the system ran out)
  std::string message;           // that error as the call reported it
};

// Lowers (or raises) the soft RLIMIT_NOFILE to soft_limit, opens /dev/null until open(2) fails
// with EMFILE, then closes everything it opened and restores the limit. Throws when the limit
// cannot be set (a soft limit above the hard one) or when open fails for another reason.
[[nodiscard]] EmfileReport open_until_emfile(rlim_t soft_limit);

// "soft limit 10: 3 fds were already open below it; opened 7 more (the last was fd 9), then
// open "/dev/null": Too many open files (EMFILE)"
std::string to_string(const EmfileReport& report);

}  // namespace rlim
