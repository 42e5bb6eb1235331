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

  // [slide:queue_push]
  // Waits while the queue is full; false (item not taken) once the queue is closed or the
  // stop token is stopped. The back-pressure of "wait": a fast producer is slowed to the pace of
  // the consumers.
  [[nodiscard]] bool push([[maybe_unused]] T& item, [[maybe_unused]] std::stop_token stop = {}) {
    // BEGIN SOLUTION: wait (with the stop token) until there is room or the queue is closed; then push and wake one consumer
    std::unique_lock lock(mutex_);
    if (!changed_.wait(lock, stop, [this] { return closed_ || items_.size() < capacity_; })) {
      return false;  // stopped while waiting
    }
    if (closed_) return false;
    items_.push_back(std::move(item));
    lock.unlock();
    changed_.notify_all();
    return true;
    // END SOLUTION
  }
  // [/slide]

  // Never waits: kFull leaves the item with the caller, who decides what a full queue means.
  [[nodiscard]] PushResult try_push([[maybe_unused]] T& item) {
    // BEGIN SOLUTION: kClosed after close(), kFull at capacity (item untouched), else push, wake a consumer, kPushed
    std::unique_lock lock(mutex_);
    if (closed_) return PushResult::kClosed;
    if (items_.size() >= capacity_) return PushResult::kFull;
    items_.push_back(std::move(item));
    lock.unlock();
    changed_.notify_all();
    return PushResult::kPushed;
    // END SOLUTION
  }

  // [slide:queue_pop]
  // Waits for an item and takes the oldest. nullopt when the queue is closed and empty, or the
  // stop token is stopped: the signal for a worker to end.
  [[nodiscard]] std::optional<T> pop([[maybe_unused]] std::stop_token stop = {}) {
    // BEGIN SOLUTION: wait (with the stop token) for an item or close; take the front, wake a producer; nullopt when closed and empty or stopped
    std::unique_lock lock(mutex_);
    if (!changed_.wait(lock, stop, [this] { return closed_ || !items_.empty(); })) {
      return std::nullopt;  // stopped while waiting
    }
    if (items_.empty()) return std::nullopt;  // closed and drained
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return item;
    // END SOLUTION
  }
  // [/slide]

  // No more pushes; wakes every waiting thread. Items already queued can still be popped.
  void close() {
    // BEGIN SOLUTION: set closed under the lock, then wake every waiter
    {
      const std::lock_guard lock(mutex_);
      closed_ = true;
    }
    changed_.notify_all();
    // END SOLUTION
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
