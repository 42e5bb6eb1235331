// Lab 06: graceful shutdown as a small state machine, kept apart from signals and processes so
// that it can be read (and tested) on its own:
//
//   running ──stop request──▶ draining ──second stop request──▶ escalated
//   (taking work)             (no new work;  ──grace period over──▶ (kill what still runs)
//                              running work finishes)
//
// A program feeds it the events (a SIGTERM read from its event loop, the time now) and does what
// each returned Action says. The clock is passed in, so a test needs no sleep.
#pragma once

#include <chrono>
#include <optional>

namespace sig {

class GracefulShutdown {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Phase {
    kRunning,    // taking work
    kDraining,   // a stop was requested: no new work; running work may finish until the deadline
    kEscalated,  // a second stop request, or the deadline: what still runs is to be killed
  };

  // What the caller must do now.
  enum class Action {
    kNothing,
    kStopAccepting,  // entered kDraining: stop taking work, let (or ask) running work finish
    kKillWorkers,    // entered kEscalated: SIGKILL whatever still runs
  };

  // grace: how long running work may take after the first stop request.
  explicit GracefulShutdown(std::chrono::milliseconds grace) : grace_(grace) {}

  // A stop request (SIGTERM, SIGINT) at time now. The first one starts draining and sets the
  // deadline now + grace; the second escalates; later ones change nothing.
  [[nodiscard]] Action request_stop(Clock::time_point now);

  // Time has passed: escalates (once) when draining and the deadline has come.
  [[nodiscard]] Action check_deadline(Clock::time_point now);

  // How long poll(2) may sleep before check_deadline has something to do: milliseconds until the
  // deadline (rounded up, 0 when it has passed) while draining, else -1 (no deadline: forever).
  [[nodiscard]] int poll_timeout_ms(Clock::time_point now) const;

  [[nodiscard]] Phase phase() const noexcept { return phase_; }
  [[nodiscard]] bool accepting_work() const noexcept { return phase_ == Phase::kRunning; }
  [[nodiscard]] std::optional<Clock::time_point> deadline() const noexcept { return deadline_; }
  [[nodiscard]] std::chrono::milliseconds grace() const noexcept { return grace_; }

 private:
  std::chrono::milliseconds grace_;
  Phase phase_ = Phase::kRunning;
  std::optional<Clock::time_point> deadline_;
};

// Milliseconds from now until `when`, rounded up, for poll(2): 0 once it has passed, -1 for
// nullopt (no deadline). Saturates at INT_MAX.
[[nodiscard]] int poll_timeout_until(std::optional<GracefulShutdown::Clock::time_point> when,
                                     GracefulShutdown::Clock::time_point now);

// The shorter of two poll(2) timeouts, where -1 means "forever".
[[nodiscard]] int earlier_timeout(int a_ms, int b_ms);

}  // namespace sig
