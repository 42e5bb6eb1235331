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
#include "syslab/todo.hpp"

namespace rlim {

EmfileReport open_until_emfile(rlim_t soft_limit) {
  SYSLAB_TODO("lower the soft limit with a guard, open(2) /dev/null until EMFILE, fill the report; close all, restore");
}

std::string to_string(const EmfileReport& report) {
  const std::string last =
      report.opened > 0 ? fmt::format(" (the last was fd {})", report.highest_fd) : "";
  return fmt::format("soft limit {}: {} fds were already open below it; opened {} more{}, then {}",
                     report.soft_limit, report.already_open, report.opened, last, report.message);
}

}  // namespace rlim
