#include "syslab/deadline.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace syslab::test {

int Deadline::remaining_ms() const {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      end_ - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count()));
}

bool poll_until(const Deadline& deadline, const std::function<bool()>& condition,
                std::chrono::milliseconds interval) {
  while (!condition()) {
    if (deadline.expired()) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

bool wait_readable(int fd, const Deadline& deadline) {
  pollfd entry{fd, POLLIN, 0};
  for (;;) {
    const int ready = ::poll(&entry, 1, deadline.remaining_ms());
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace syslab::test
