// Lab 09 tests: BoundedQueue on its own. Every wait is a handshake (a thread's state in /proc,
// a future) with a deadline; nothing sleeps to let another thread get somewhere.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "bounded_queue.hpp"
#include "syslab/proc.hpp"
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
  // True once body has returned (its result waits to be taken).
  bool finished() const { return result_.wait_for(0ms) == std::future_status::ready; }
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

// How many times the thread gave up the CPU of its own accord (voluntary_ctxt_switches in
// /proc/TID/status): it goes up each time the thread goes to sleep, so a thread that woke and
// slept again shows a bigger number than before.
// -1 once the thread is gone.
long long voluntary_switches(pid_t tid) {
  try {
    return std::stoll(status_field(tid, "voluntary_ctxt_switches").value_or("0"));
  } catch (const std::exception&) {
    return -1;
  }
}

// 4 producers push 2000 items each through a queue of `capacity`, 4 consumers pop until it is
// closed: every item arrives exactly once, each producer's in its order.
void check_producers_and_consumers(std::size_t capacity) {
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 2000;
  BoundedQueue<int> queue(capacity);
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
      FAIL() << "the producers did not finish within 20 s through a queue of " << capacity
             << ": a lost wake-up (a notify_one that woke a thread of the wrong kind)?";
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
            "changed_.wait(lock, stop, predicate) in push and pop, notify_all after each change "
            "(with 8 places a notify_one that wakes the wrong kind of thread is rare here: "
            "ManyProducersAndConsumersAtCapacityOne is the test that catches it)") {
  check_producers_and_consumers(8);
}
SYSLAB_TIMEOUT(BoundedQueue, ManyProducersAndConsumers, 40);

SYSLAB_TEST(BoundedQueue, ManyProducersAndConsumersAtCapacityOne, 3,
            "the same 4 producers and 4 consumers through a queue of one item: every push waits "
            "for a pop and every pop for a push, so each wake-up must reach the right kind of "
            "thread",
            "with one condition variable for both kinds, notify_one may wake a producer when a "
            "consumer should go on (or the reverse): it waits again, and the one that could go "
            "on was never told. Everyone sleeps: a lost wake-up",
            "one condition variable: notify_all after each push and each pop; or two (not full, "
            "not empty), each notified by the side that changes it") {
  check_producers_and_consumers(1);
}
SYSLAB_TIMEOUT(BoundedQueue, ManyProducersAndConsumersAtCapacityOne, 40);

SYSLAB_TEST(BoundedQueue, PopThatWakesToAnEmptyQueueWaitsAgain, 3,
            "two consumers wait in pop, one item is pushed: one consumer takes it; the other may "
            "be woken too, finds nothing and must wait again, not return nullopt (that means "
            "closed) nor take from an empty deque",
            "a wait on a condition variable can return with the condition false: woken by a "
            "notify meant for another thread, or spuriously. Check the condition again after "
            "every wake-up",
            "changed_.wait(lock, stop, [this] { return closed_ || !items_.empty(); }): the "
            "predicate form loops for you") {
  BoundedQueue<int> queue(4);
  Helper<std::optional<int>> consumer1([&] { return queue.pop(); });
  Helper<std::optional<int>> consumer2([&] { return queue.pop(); });
  struct CloseAtEnd {  // destroyed before the consumers: a failure cannot leave one waiting
    BoundedQueue<int>& queue;
    ~CloseAtEnd() {
      try {
        queue.close();
      } catch (const std::exception&) {  // a stub's TodoError: the test has failed already
      }
    }
  } close_at_end{queue};
  const pid_t tids[2] = {consumer1.tid(), consumer2.tid()};
  for (const pid_t tid : tids) ASSERT_TRUE(sleeps_within(tid, 5s)) << "thread " << tid;
  const long long switches[2] = {voluntary_switches(tids[0]), voluntary_switches(tids[1])};

  int first = 1;
  ASSERT_TRUE(queue.push(first));
  Helper<std::optional<int>>* consumers[2] = {&consumer1, &consumer2};
  ASSERT_TRUE(poll_until(Deadline(5s), [&] {
    return consumer1.finished() || consumer2.finished();
  })) << "neither consumer returned after a push";
  // If the push woke the other consumer too (notify_all), it has run since: its count of
  // voluntary context switches went up. Give it the time to do so and go back to sleep (or
  // return); a queue that woke only one consumer leaves the other asleep all along: as good.
  const auto settled = [&](int i) {
    return consumers[i]->finished() ||
           (voluntary_switches(tids[i]) > switches[i] && process_state(tids[i]) == 'S');
  };
  (void)poll_until(Deadline(1s), [&] { return settled(0) && settled(1); });
  int waiting = -1;
  for (int i = 0; i < 2; ++i) {
    if (!consumers[i]->finished()) {
      waiting = i;
      continue;
    }
    const std::optional<int> got = *consumers[i]->result(0ms);
    if (got != std::optional<int>(1)) {
      ADD_FAILURE() << "a consumer's pop returned "
                    << (got ? std::to_string(*got) : std::string("nullopt"))
                    << " with the queue not closed (one item, 1, was pushed): it woke, found "
                    << "the queue empty and did not wait again";
      return;
    }
  }
  ASSERT_NE(waiting, -1) << "both consumers returned 1: the item was popped twice";
  Helper<std::optional<int>>& loser = *consumers[waiting];
  int second = 2;
  ASSERT_TRUE(queue.push(second));
  const std::optional<std::optional<int>> late = loser.result(5s);
  if (!late) queue.close();
  ASSERT_TRUE(late.has_value()) << "the waiting consumer did not wake for the second item";
  EXPECT_EQ(*late, std::optional<int>(2));
}
