// Lab 09: a bounded blocking queue, the heart of a thread pool. Producers push, consumers pop;
// a full queue is the moment to decide what back-pressure means: push waits for room, try_push
// says "full" at once and lets the caller choose (reject, drop, wait elsewhere).
// Look at: tests/09-thread-models/test_queue.cpp (every case a handshake, none a sleep).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>
#include "syslab/todo.hpp"

namespace tmodels {

// What try_push did with the item.
enum class PushResult {
  kPushed,  // it is in the queue now
  kFull,    // capacity items are waiting: the item was NOT taken (it is still the caller's)
  kClosed,  // close() was called: nothing is taken any more
};

// A FIFO of at most `capacity` items, for any number of producer and consumer threads. Every
// member is thread-safe. close() ends it: pushes fail, pops drain what is left, then return
// nullopt, and every thread waiting in push or pop wakes up.
// ([[maybe_unused]]: the skeleton's stubs do not use them, and tests compile it with -Werror.)
template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Waits while the queue is full; false (item not taken) once the queue is closed or the
  // stop token is stopped. The back-pressure of "wait": a fast producer is slowed to the pace of
  // the consumers.
  [[nodiscard]] bool push([[maybe_unused]] T& item, [[maybe_unused]] std::stop_token stop = {}) {
    SYSLAB_TODO("wait (with the stop token) until there is room or the queue is closed; then push and wake one consumer");
  }

  // Never waits: kFull leaves the item with the caller, who decides what a full queue means.
  [[nodiscard]] PushResult try_push([[maybe_unused]] T& item) {
    SYSLAB_TODO("kClosed after close(), kFull at capacity (item untouched), else push, wake a consumer, kPushed");
  }

  // Waits for an item and takes the oldest. nullopt when the queue is closed and empty, or the
  // stop token is stopped: the signal for a worker to end.
  [[nodiscard]] std::optional<T> pop([[maybe_unused]] std::stop_token stop = {}) {
    SYSLAB_TODO("wait (with the stop token) for an item or close; take the front, wake a producer; nullopt when closed and empty or stopped");
  }

  // No more pushes; wakes every waiting thread. Items already queued can still be popped.
  void close() {
    SYSLAB_TODO("set closed under the lock, then wake every waiter");
  }

  [[nodiscard]] std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return items_.size();
  }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  // _any: only condition_variable_any can wait on a std::stop_token (C++20).
  std::condition_variable_any changed_;  // "an item came, an item left, or closed"
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace tmodels
