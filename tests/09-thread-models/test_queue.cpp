// Lab 09 tests: BoundedQueue on its own. Every wait is a handshake (a thread's state in /proc,
// a future) with a deadline; nothing sleeps to let another thread get somewhere.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "bounded_queue.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using tmodels::BoundedQueue;
using tmodels::PushResult;
using namespace std::chrono_literals;

namespace {

// Runs body on a new thread; tid() is its kernel thread id once it started.
template <typename T>
class Helper {
 public:
  explicit Helper(std::function<T()> body)
      : result_(std::async(std::launch::async, [this, body = std::move(body)] {
          tid_.set_value(::gettid());
          return body();
        })) {}
  pid_t tid() { return tid_future_.get(); }
  // The result, or nullopt when the thread has not finished by the deadline.
  std::optional<T> result(std::chrono::milliseconds within) {
    if (result_.wait_for(within) != std::future_status::ready) return std::nullopt;
    return result_.get();
  }

 private:
  std::promise<pid_t> tid_;
  std::future<pid_t> tid_future_ = tid_.get_future();
  std::future<T> result_;
};

// True once the thread sleeps in the kernel (state S: a futex wait for a blocked push or pop).
bool sleeps_within(pid_t tid, std::chrono::milliseconds budget) {
  return poll_until(Deadline(budget), [tid] { return process_state(tid) == 'S'; });
}

}  // namespace

SYSLAB_TEST(BoundedQueue, IsFifoAndTryPushSaysFull, 2,
            "items come out in the order they went in; at capacity try_push returns kFull",
            "kFull must leave the item with the caller: move from it only when it is pushed",
            "a std::deque under a std::mutex: push_back, front + pop_front; compare size() with "
            "capacity_ before moving the item") {
  BoundedQueue<std::unique_ptr<int>> queue(3);
  for (int i = 1; i <= 3; ++i) {
    auto item = std::make_unique<int>(i);
    ASSERT_EQ(queue.try_push(item), PushResult::kPushed);
  }
  auto extra = std::make_unique<int>(4);
  EXPECT_EQ(queue.try_push(extra), PushResult::kFull);
  ASSERT_NE(extra, nullptr) << "try_push took the item although the queue was full";
  EXPECT_EQ(queue.size(), 3U);
  for (int i = 1; i <= 3; ++i) {
    std::optional<std::unique_ptr<int>> item = queue.pop();
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(**item, i) << "not first in, first out";
  }
  EXPECT_EQ(queue.try_push(extra), PushResult::kPushed) << "room again after the pops";
  EXPECT_EQ(**queue.pop(), 4);
}

SYSLAB_TEST(BoundedQueue, PushWaitsForRoom, 2,
            "push on a full queue waits until a pop makes room, then pushes",
            "wait on a condition variable for \"closed or size < capacity\"; pop must notify it",
            "changed_.wait(lock, stop, predicate) in push; notify_all after pop_front") {
  BoundedQueue<int> queue(1);
  int first = 1;
  ASSERT_TRUE(queue.push(first));
  Helper<bool> producer([&queue] {
    int second = 2;
    return queue.push(second);
  });
  ASSERT_TRUE(sleeps_within(producer.tid(), 5s)) << "the producer never blocked in push";
  EXPECT_FALSE(producer.result(0ms).has_value()) << "push returned although the queue was full";
  EXPECT_EQ(queue.size(), 1U);
  EXPECT_EQ(queue.pop(), 1);
  const std::optional<bool> pushed = producer.result(5s);
  if (!pushed) queue.close();  // let it go, so that the test can end
  ASSERT_EQ(pushed, true) << "push did not wake up when a pop made room";
  EXPECT_EQ(queue.pop(), 2);
}

SYSLAB_TEST(BoundedQueue, AStopTokenEndsAWaitingPush, 2,
            "push(item, stop) gives up when the stop token is stopped: it returns false and the "
            "item stays with the caller",
            "std::condition_variable_any::wait(lock, stop_token, predicate) returns false when "
            "it woke for the stop",
            "if (!changed_.wait(lock, stop, ...)) return false; before touching the item") {
  BoundedQueue<std::unique_ptr<int>> queue(1);
  auto first = std::make_unique<int>(1);
  ASSERT_TRUE(queue.push(first));
  std::stop_source stop;
  auto second = std::make_unique<int>(2);
  Helper<bool> producer([&] { return queue.push(second, stop.get_token()); });
  ASSERT_TRUE(sleeps_within(producer.tid(), 5s)) << "the producer never blocked in push";
  stop.request_stop();
  const std::optional<bool> pushed = producer.result(5s);
  if (!pushed) queue.close();
  ASSERT_TRUE(pushed.has_value()) << "request_stop() did not wake the push";
  EXPECT_FALSE(*pushed) << "push returned true for a stopped wait";
  EXPECT_NE(second, nullptr) << "a push that gave up took the item anyway";
  EXPECT_EQ(queue.size(), 1U);
}

SYSLAB_TEST(
    BoundedQueue, CloseWakesEveryWaiter, 3,
    "close() wakes every thread waiting in pop (nullopt) and in push (false)",
    "set closed_ under the lock, then notify_all: notify_one would wake only one",
    "pop: wait for \"closed or not empty\"; closed and empty gives nullopt. push: wait for "
    "\"closed or room\"; closed gives false. Items queued before close can still be popped") {
  BoundedQueue<int> empty(2);
  Helper<std::optional<int>> consumer1([&] { return empty.pop(); });
  Helper<std::optional<int>> consumer2([&] { return empty.pop(); });
  BoundedQueue<int> full(1);
  int item = 7;
  ASSERT_TRUE(full.push(item));
  Helper<bool> producer([&] {
    int more = 8;
    return full.push(more);
  });
  for (const pid_t tid : {consumer1.tid(), consumer2.tid(), producer.tid()}) {
    ASSERT_TRUE(sleeps_within(tid, 5s)) << "thread " << tid << " never blocked";
  }
  empty.close();
  full.close();
  const auto got1 = consumer1.result(5s);
  const auto got2 = consumer2.result(5s);
  const auto pushed = producer.result(5s);
  ASSERT_TRUE(got1.has_value() && got2.has_value()) << "close() did not wake both consumers";
  EXPECT_EQ(*got1, std::nullopt);
  EXPECT_EQ(*got2, std::nullopt);
  ASSERT_TRUE(pushed.has_value()) << "close() did not wake the producer";
  EXPECT_FALSE(*pushed) << "push into a closed queue returned true";
  EXPECT_EQ(full.pop(), 7) << "what was queued before close() must still come out";
  EXPECT_EQ(full.pop(), std::nullopt) << "closed and empty: pop returns nullopt at once";
  int late = 9;
  EXPECT_EQ(full.try_push(late), PushResult::kClosed);
}

SYSLAB_TEST(BoundedQueue, ManyProducersAndConsumers, 3,
            "4 producers and 4 consumers through a queue of 8: every item arrives exactly once, "
            "and each producer's items in the order it pushed them",
            "every access to the deque under the one mutex; waits in a loop on the predicate "
            "(wakeups can be spurious); notify after each push and each pop",
            "producers and consumers wait on different conditions: notify_all, or two condition "
            "variables, else a push may wake only another producer") {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 2000;
  BoundedQueue<int> queue(8);
  std::vector<std::future<std::vector<int>>> consumers;
  for (int c = 0; c < 4; ++c) {
    consumers.push_back(std::async(std::launch::async, [&queue] {
      std::vector<int> got;
      while (const std::optional<int> item = queue.pop()) got.push_back(*item);
      return got;
    }));
  }
  std::vector<std::future<void>> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.push_back(std::async(std::launch::async, [&queue, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        int item = p * kPerProducer + i;
        if (!queue.push(item)) return;
      }
    }));
  }
  for (auto& producer : producers) {
    if (producer.wait_for(20s) != std::future_status::ready) {
      queue.close();
      FAIL() << "the producers did not finish within 20 s (a lost wake-up?)";
    }
  }
  queue.close();
  std::vector<int> all;
  for (auto& consumer : consumers) {
    ASSERT_EQ(consumer.wait_for(10s), std::future_status::ready) << "a consumer never ended";
    const std::vector<int> got = consumer.get();
    for (std::size_t i = 1; i < got.size(); ++i) {
      if (got[i] / kPerProducer == got[i - 1] / kPerProducer) {
        ASSERT_LT(got[i - 1], got[i]) << "one producer's items came out of order";
      }
    }
    all.insert(all.end(), got.begin(), got.end());
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kProducers * kPerProducer));
  for (int i = 0; i < kProducers * kPerProducer; ++i) {
    ASSERT_EQ(all[static_cast<std::size_t>(i)], i) << "an item was lost or delivered twice";
  }
}
SYSLAB_TIMEOUT(BoundedQueue, ManyProducersAndConsumers, 40);
