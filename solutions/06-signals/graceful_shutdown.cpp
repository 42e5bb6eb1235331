// Lab 06: the graceful-shutdown state machine: running, draining, escalated.
#include "graceful_shutdown.hpp"

#include <algorithm>
#include <climits>

namespace sig {

// [slide:request_stop]
GracefulShutdown::Action GracefulShutdown::request_stop(Clock::time_point now) {
  // BEGIN SOLUTION: running: start draining with deadline now + grace (kStopAccepting); draining: escalate (kKillWorkers); escalated: kNothing
  switch (phase_) {
    case Phase::kRunning:
      phase_ = Phase::kDraining;
      deadline_ = now + grace_;
      return Action::kStopAccepting;
    case Phase::kDraining:
      // The operator asked twice: whatever is still running is not worth waiting for.
      phase_ = Phase::kEscalated;
      return Action::kKillWorkers;
    case Phase::kEscalated: break;  // already killing: nothing more to do
  }
  return Action::kNothing;
  // END SOLUTION
}
// [/slide]

GracefulShutdown::Action GracefulShutdown::check_deadline(Clock::time_point now) {
  // BEGIN SOLUTION: when draining and now has reached the deadline: escalate and return kKillWorkers (once); else kNothing
  if (phase_ != Phase::kDraining || now < *deadline_) return Action::kNothing;
  phase_ = Phase::kEscalated;
  return Action::kKillWorkers;
  // END SOLUTION
}

int GracefulShutdown::poll_timeout_ms(Clock::time_point now) const {
  // BEGIN SOLUTION: draining: the milliseconds left until the deadline (poll_timeout_until); otherwise -1
  return phase_ == Phase::kDraining ? poll_timeout_until(deadline_, now) : -1;
  // END SOLUTION
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
