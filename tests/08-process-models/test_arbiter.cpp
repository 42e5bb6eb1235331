// Lab 08 tests: the library called in-process. The back-off rule as a function, and an Arbiter
// (run in a forked child, so that its signals and workers are not the test's) whose workers
// crash at start: it must replace them, but not in a tight fork loop; and whose workers say
// their slot: a replacement, and a reload's new generation, fill the same slots.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "prefork.hpp"
#include "prefork_worker.hpp"
#include "process_models_test_util.hpp"
#include "socket.hpp"
#include "syslab/faults.hpp"
#include "syslab/test.hpp"

using namespace models_test;
using std::chrono::milliseconds;

SYSLAB_TEST(ReplacementDelay, DoublesUpToFiveSeconds, 2,
            "replacement_delay(n): n crashes at start in a row; the first is replaced at once",
            "then 100 ms, doubling each time, never more than 5 s: lab 06's backoff_delay does it",
            "n <= 1: 0 ms; else sig::backoff_delay(n - 1, 100ms, 5000ms)") {
  EXPECT_EQ(models::replacement_delay(0), milliseconds(0));
  EXPECT_EQ(models::replacement_delay(1), milliseconds(0));
  EXPECT_EQ(models::replacement_delay(2), milliseconds(100));
  EXPECT_EQ(models::replacement_delay(3), milliseconds(200));
  EXPECT_EQ(models::replacement_delay(4), milliseconds(400));
  EXPECT_EQ(models::replacement_delay(8), milliseconds(5000));
  EXPECT_EQ(models::replacement_delay(1000), milliseconds(5000));
}

SYSLAB_TEST(Arbiter, BacksOffWhenWorkersCrashAtStart, 3,
            "workers that exit at once are replaced, but with a growing delay: a handful of forks "
            "in a second, not thousands",
            "on_worker_exit: a worker that lived less than kSteadyUptime is one more quick death; "
            "start_after_ = now + replacement_delay(quick_deaths_)",
            "start_missing_workers returns while now < start_after_; wait_for_event gives poll the "
            "time left until start_after_ as its timeout (sig::poll_timeout_until)") {
  TestPipe log = make_pipe();
  ForkedChild master([&] {
    log.read_end.reset();
    models::PreforkOptions options;
    options.workers = 2;
    const int log_fd = log.write_end.get();
    options.log = [log_fd](const std::string& line) { write_text(log_fd, line + "\n"); };
    options.worker = [](net::Listener&, std::size_t) { return 3; };  // a worker that cannot start
    models::Arbiter arbiter(net::listen_tcp("127.0.0.1", 0), std::move(options));
    return arbiter.run();
  });
  log.write_end.reset();

  // Watch for one second. A slower machine can only fork less, never make a back-off fail.
  std::string text;
  const FaultsPaused reading;  // the test's reading of the log: faults are for the master
  const Deadline window(1000ms);
  while (wait_readable(log.read_end.get(), window)) {
    char buffer[4096];
    const ssize_t n = ::read(log.read_end.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  int started = 0;
  for (auto at = text.find("started"); at != std::string::npos; at = text.find("started", at + 1)) {
    ++started;
  }
  EXPECT_GE(started, 3) << "two workers, then at least one replacement; the log:\n" << text;
  EXPECT_LE(started, 20) << "too many workers started in one second: no back-off; the log:\n"
                         << text.substr(0, 2000);

  ASSERT_EQ(::kill(master.pid(), SIGTERM), 0);
  const std::optional<ExitStatus> status = master.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value()) << "the arbiter did not stop within 5 s of SIGTERM";
  EXPECT_TRUE(status->success()) << *status;
}

namespace {

// A worker that says "SLOT PID" on fd, then waits for SIGTERM (blocked: the master's mask is
// inherited, so sigwait takes it), which the kernel also sends when the master dies.
int announce_slot_and_wait(int fd, std::size_t slot) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  write_text(fd, std::to_string(slot) + " " + std::to_string(::getpid()) + "\n");
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  int signal = 0;
  return ::sigwait(&stop, &signal) == 0 ? 0 : 1;
}

// The next `count` "SLOT PID" lines from fd (fewer if they do not come within 5 s), as slot ->
// pid; a multimap, so that two workers in one slot are seen as two.
std::multimap<std::size_t, pid_t> read_slots(int fd, std::size_t count, std::string& pending) {
  std::multimap<std::size_t, pid_t> slots;
  const Deadline deadline(5s);
  while (slots.size() < count) {
    const auto end = pending.find('\n');
    if (end != std::string::npos) {
      const std::string line = pending.substr(0, end);
      pending.erase(0, end + 1);
      const auto space = line.find(' ');
      slots.emplace(std::stoul(line.substr(0, space)), std::stoi(line.substr(space + 1)));
      continue;
    }
    if (!wait_readable(fd, deadline)) break;
    char buffer[256];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
  }
  return slots;
}

std::string describe(const std::multimap<std::size_t, pid_t>& slots) {
  std::string text;
  for (const auto& [slot, pid] : slots) {
    text +=
        (text.empty() ? "" : ", ") + ("slot " + std::to_string(slot)) + ": " + std::to_string(pid);
  }
  return text.empty() ? "none" : text;
}

std::set<std::size_t> slots_of(const std::multimap<std::size_t, pid_t>& slots) {
  std::set<std::size_t> taken;
  for (const auto& [slot, pid] : slots) taken.insert(slot);
  return taken;
}

}  // namespace

SYSLAB_TEST(Arbiter, WorkersKeepTheirSlotsThroughDeathsAndReloads, 3,
            "PreforkOptions::worker gets the worker's slot, 0 to workers - 1: the place it fills",
            "a worker that dies is replaced in its slot; a reload's new generation fills every "
            "slot again (lab 14 gives each slot a listening socket that outlives its workers)",
            "start_missing_workers: for each slot, start_worker(slot) unless a current worker "
            "that is not retiring fills it (Worker::slot)") {
  TestPipe said = make_pipe();
  ForkedChild master([&] {
    said.read_end.reset();
    models::PreforkOptions options;
    options.workers = 3;
    const int said_fd = said.write_end.get();
    options.worker = [said_fd](net::Listener&, std::size_t slot) {
      return announce_slot_and_wait(said_fd, slot);
    };
    models::Arbiter arbiter(net::listen_tcp("127.0.0.1", 0), std::move(options));
    return arbiter.run();
  });
  said.write_end.reset();
  const FaultsPaused reading;  // faults are for the master
  std::string pending;
  const int fd = said.read_end.get();

  const std::multimap<std::size_t, pid_t> first = read_slots(fd, 3, pending);
  ASSERT_EQ(slots_of(first), (std::set<std::size_t>{0, 1, 2}))
      << "three workers, one in each slot: " << describe(first);

  const pid_t dying = first.find(1)->second;
  ASSERT_EQ(::kill(dying, SIGKILL), 0);
  const std::multimap<std::size_t, pid_t> replaced = read_slots(fd, 1, pending);
  ASSERT_EQ(replaced.size(), 1U) << "no worker replaced the one killed in slot 1";
  EXPECT_EQ(replaced.begin()->first, 1U)
      << "the replacement of slot 1's worker must take slot 1: " << describe(replaced);
  EXPECT_NE(replaced.begin()->second, dying);

  ASSERT_EQ(::kill(master.pid(), SIGHUP), 0);
  const std::multimap<std::size_t, pid_t> reloaded = read_slots(fd, 3, pending);
  EXPECT_EQ(slots_of(reloaded), (std::set<std::size_t>{0, 1, 2}))
      << "a reload's new generation fills each slot once: " << describe(reloaded);
  EXPECT_EQ(reloaded.size(), 3U) << describe(reloaded);

  ASSERT_EQ(::kill(master.pid(), SIGTERM), 0);
  const std::optional<ExitStatus> status = master.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value()) << "the arbiter did not stop within 5 s of SIGTERM";
  EXPECT_TRUE(status->success()) << *status;
}
