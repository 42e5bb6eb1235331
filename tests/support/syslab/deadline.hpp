// Deadlines for anything that can block. Tests never sleep to synchronise: they wait for an event
// (a byte on a pipe, a process state) and give up when the deadline passes.
#pragma once

#include <chrono>
#include <functional>

namespace syslab::test {

using namespace std::chrono_literals;

class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds budget)
      : end_(std::chrono::steady_clock::now() + budget), budget_(budget) {}

  [[nodiscard]] bool expired() const { return std::chrono::steady_clock::now() >= end_; }

  // Milliseconds left, for poll(2); 0 once expired.
  [[nodiscard]] int remaining_ms() const;

  // The time it was given, for messages ("still running after 5000 ms").
  [[nodiscard]] std::chrono::milliseconds budget() const { return budget_; }

 private:
  std::chrono::steady_clock::time_point end_;
  std::chrono::milliseconds budget_;
};

// Calls condition() until it is true (returns true) or the deadline passes (returns false),
// pausing `interval` between tries. For states the kernel cannot notify us of, such as
// "this process is now a zombie" in /proc.
[[nodiscard]] bool poll_until(const Deadline& deadline, const std::function<bool()>& condition,
                              std::chrono::milliseconds interval = 2ms);

// Waits until fd is readable (or at EOF). False when the deadline passed first.
[[nodiscard]] bool wait_readable(int fd, const Deadline& deadline);

}  // namespace syslab::test
