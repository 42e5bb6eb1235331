// Lab 08 tests: the library called in-process. The back-off rule as a function, and an Arbiter
// (run in a forked child, so that its signals and workers are not the test's) whose workers
// crash at start: it must replace them, but not in a tight fork loop.
#include <signal.h>
#include <unistd.h>

#include <chrono>
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
    options.worker = [](net::Listener&) { return 3; };  // a worker that cannot start
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
