// Lab 06: the graceful-shutdown state machine: running, draining, escalated.
#include "graceful_shutdown.hpp"

#include <algorithm>
#include <climits>
#include "syslab/todo.hpp"

namespace sig {

GracefulShutdown::Action GracefulShutdown::request_stop(Clock::time_point now) {
  SYSLAB_TODO("running: start draining with deadline now + grace (kStopAccepting); draining: escalate (kKillWorkers); escalated: kNothing");
}

GracefulShutdown::Action GracefulShutdown::check_deadline(Clock::time_point now) {
  SYSLAB_TODO("when draining and now has reached the deadline: escalate and return kKillWorkers (once); else kNothing");
}

int GracefulShutdown::poll_timeout_ms(Clock::time_point now) const {
  SYSLAB_TODO("draining: the milliseconds left until the deadline (poll_timeout_until); otherwise -1");
}

int poll_timeout_until(std::optional<GracefulShutdown::Clock::time_point> when,
                       GracefulShutdown::Clock::time_point now) {
  if (!when) return -1;
  if (*when <= now) return 0;
  // Rounded up: rounding down would wake poll a little before the deadline, to find nothing
  // to do yet, and go round again with a timeout of 0 (a busy loop for up to a millisecond).
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*when - now).count();
  return static_cast<int>(std::min<long long>(left, INT_MAX));
}

int earlier_timeout(int a_ms, int b_ms) {
  if (a_ms < 0) return b_ms;
  if (b_ms < 0) return a_ms;
  return std::min(a_ms, b_ms);
}

}  // namespace sig
