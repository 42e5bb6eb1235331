// Lab 06 tests: the graceful-shutdown state machine (with a clock passed in: no waiting), and the
// worker pool that uses it, stopped with SIGTERM while its jobs are running. The pool runs in a
// child process of the test, so that its handlers and signals stay out of the test's way; its
// log lines come back through a pipe and serve as the handshake.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "graceful_shutdown.hpp"
#include "signals_test_util.hpp"
#include "syslab/test.hpp"
#include "worker_pool.hpp"

using namespace signals_test;
using Action = sig::GracefulShutdown::Action;
using Phase = sig::GracefulShutdown::Phase;

SYSLAB_TEST(GracefulShutdown, StopDrainsThenASecondStopOrTheDeadlineEscalates, 2,
            "running --stop--> draining --stop--> escalated, and draining --deadline--> escalated",
            "the first request_stop sets the deadline now + grace; check_deadline escalates once "
            "now >= deadline",
            "poll_timeout_ms: -1 unless draining; while draining, the milliseconds left (rounded "
            "up), 0 once passed") {
  using namespace std::chrono_literals;
  const auto t0 = sig::GracefulShutdown::Clock::time_point() + 1h;

  sig::GracefulShutdown shutdown(5000ms);
  EXPECT_TRUE(shutdown.accepting_work());
  EXPECT_EQ(shutdown.poll_timeout_ms(t0), -1) << "no deadline before a stop request";
  EXPECT_EQ(shutdown.check_deadline(t0 + 1h), Action::kNothing)
      << "no deadline before a stop request";
  EXPECT_EQ(shutdown.request_stop(t0), Action::kStopAccepting);
  EXPECT_EQ(shutdown.phase(), Phase::kDraining);
  EXPECT_FALSE(shutdown.accepting_work());
  EXPECT_EQ(shutdown.poll_timeout_ms(t0 + 1000ms), 4000);
  EXPECT_EQ(shutdown.poll_timeout_ms(t0 + 4999500us), 1)
      << "round up: 0.5 ms left is 1 ms for poll";
  EXPECT_EQ(shutdown.check_deadline(t0 + 4999ms), Action::kNothing);
  EXPECT_EQ(shutdown.request_stop(t0 + 100ms), Action::kKillWorkers)
      << "a second stop request escalates";
  EXPECT_EQ(shutdown.phase(), Phase::kEscalated);
  EXPECT_EQ(shutdown.request_stop(t0 + 200ms), Action::kNothing)
      << "a third one has nothing left to do";
  EXPECT_EQ(shutdown.check_deadline(t0 + 1h), Action::kNothing) << "escalated already";
  EXPECT_EQ(shutdown.poll_timeout_ms(t0), -1) << "no deadline once escalated";

  sig::GracefulShutdown patient(2000ms);
  EXPECT_EQ(patient.request_stop(t0), Action::kStopAccepting);
  EXPECT_EQ(patient.poll_timeout_ms(t0 + 3000ms), 0)
      << "the deadline has passed: poll must not wait";
  EXPECT_EQ(patient.check_deadline(t0 + 2000ms), Action::kKillWorkers) << "the deadline escalates";
  EXPECT_EQ(patient.phase(), Phase::kEscalated);
  EXPECT_EQ(patient.check_deadline(t0 + 3000ms), Action::kNothing) << "and only once";
}

namespace {

// What a job exits with (after writing "N") when it finds one of the pool's signals still
// handled or blocked.
constexpr int kNotReset = 9;

// A pool of two workers and four jobs, run in a child process. Each job writes 'S' to `started`
// and then waits on `gate` until the test closes it; the pool's log lines go to `log`.
struct PoolUnderTest {
  TestPipe started = make_pipe();
  TestPipe gate = make_pipe();
  TestPipe log = make_pipe();
  std::string log_text;
  std::optional<ForkedChild> pool;

  PoolUnderTest() {
    pool.emplace([this] {
      started.read_end.reset();
      gate.write_end.reset();
      log.read_end.reset();
      const sig::Job job = [this] {
        // A job starts with the default actions and an empty mask, not with the pool's handlers.
        for (const int signal : {SIGCHLD, SIGTERM, SIGINT}) {
          if (current_action(signal).sa_handler != SIG_DFL || is_blocked(signal)) {
            write_line(started.write_end.get(), "N");
            return kNotReset;
          }
        }
        write_line(started.write_end.get(), "S");
        char byte;
        while (::read(gate.read_end.get(), &byte, 1) < 0 && errno == EINTR) {
        }
        return 0;
      };
      sig::PoolOptions options;
      options.workers = 2;
      options.grace = std::chrono::minutes(1);  // only a second SIGTERM can escalate
      options.log = [this](const std::string& line) { write_line(log.write_end.get(), line); };
      return sig::run_worker_pool(std::vector<sig::Job>(4, job), options).exit_code();
    });
    started.write_end.reset();
    gate.read_end.reset();
    log.write_end.reset();
  }

  // Waits until the log shows `text`.
  bool wait_for_log(std::string_view text) {
    return read_until(log.read_end.get(), log_text, text, Deadline(10s));
  }

  // The rest of the log, up to EOF (the pool and its jobs have ended).
  void read_log_to_end() {
    [[maybe_unused]] const bool never =
        read_until(log.read_end.get(), log_text, "\x01", Deadline(10s));
  }
};

}  // namespace

SYSLAB_TEST(
    WorkerPool, SigtermLetsRunningJobsFinishAndExitsZero, 3,
    "on the first SIGTERM the pool starts no more jobs, waits for the running ones, and exits 0",
    "the self-pipe wakes poll; read_signals says SIGTERM: act on shutdown_.request_stop; SIGCHLD: "
    "reap_children",
    "start_jobs only while shutdown_.accepting_work(); the loop ends when no worker is left") {
  PoolUnderTest test;
  ASSERT_EQ(read_bytes(test.started.read_end.get(), 4, Deadline(10s)), "S\nS\n")
      << "two jobs (two workers) should have started, each writing S (N: the job found the pool's "
         "handlers or mask: reset them in the child)";
  ASSERT_EQ(::kill(test.pool->pid(), SIGTERM), 0);
  ASSERT_TRUE(test.wait_for_log("stopping")) << "the pool did not log a stop:\n" << test.log_text;
  test.gate.write_end.reset();  // the running jobs may finish now
  const std::optional<ExitStatus> status = test.pool->wait(Deadline(10s));
  ASSERT_TRUE(status.has_value()) << "the pool did not end after its jobs finished";
  EXPECT_TRUE(status->success()) << "a graceful stop exits 0; the pool " << *status << "\n"
                                 << test.log_text;
  test.read_log_to_end();
  EXPECT_EQ(read_bytes(test.started.read_end.get(), 100, Deadline(10s)), "")
      << "jobs were started after the SIGTERM";
  EXPECT_EQ(count_of(test.log_text, "exited 0"), 2) << "both running jobs must finish:\n"
                                                    << test.log_text;
  EXPECT_EQ(count_of(test.log_text, "exited 9"), 0)
      << "a job started with the pool's handlers or mask: reset them in the child\n"
      << test.log_text;
}

SYSLAB_TEST(WorkerPool, SecondSigtermKillsTheWorkers, 3,
            "a second SIGTERM while draining escalates: the running jobs are killed with SIGKILL",
            "request_stop returns kKillWorkers; kill each worker's ChildProcess with SIGKILL, then "
            "reap them as usual",
            "a pool whose workers were killed exits 1: work was lost") {
  PoolUnderTest test;
  ASSERT_EQ(read_bytes(test.started.read_end.get(), 4, Deadline(10s)), "S\nS\n")
      << "two jobs (two workers) should have started, each writing S (N: the job found the pool's "
         "handlers or mask: reset them in the child)";
  ASSERT_EQ(::kill(test.pool->pid(), SIGTERM), 0);
  ASSERT_TRUE(test.wait_for_log("stopping")) << "the pool did not log a stop:\n" << test.log_text;
  ASSERT_EQ(::kill(test.pool->pid(), SIGTERM), 0);
  const std::optional<ExitStatus> status = test.pool->wait(Deadline(10s));
  ASSERT_TRUE(status.has_value())
      << "the pool did not end: the second SIGTERM must kill its workers";
  EXPECT_TRUE(status->exited && status->code == 1) << "the pool " << *status << "\n"
                                                   << test.log_text;
  test.gate.write_end.reset();
  test.read_log_to_end();
  EXPECT_EQ(count_of(test.log_text, "killed by SIGKILL"), 2) << test.log_text;
  EXPECT_EQ(read_bytes(test.started.read_end.get(), 100, Deadline(10s)), "")
      << "jobs were started after the SIGTERM";
}

namespace {

constexpr std::size_t kEndingTogether = 20;

// A pool of 21 workers running 21 jobs at once, in a child process: 20 jobs wait on `together`
// and one on `last`, each after writing a byte to `started`. The pool's log goes to `log`.
struct CrowdedPool {
  TestPipe started = make_pipe();
  TestPipe together = make_pipe();
  TestPipe last = make_pipe();
  TestPipe log = make_pipe();
  std::string log_text;
  std::optional<ForkedChild> pool;

  CrowdedPool() {
    pool.emplace([this] {
      started.read_end.reset();
      together.write_end.reset();
      last.write_end.reset();
      log.read_end.reset();
      const auto waits_on = [this](const TestPipe& gate) {
        return [this, &gate] {
          write_line(started.write_end.get(), "S");
          char byte;
          while (::read(gate.read_end.get(), &byte, 1) < 0 && errno == EINTR) {
          }
          return 0;
        };
      };
      std::vector<sig::Job> jobs(kEndingTogether, waits_on(together));
      jobs.push_back(waits_on(last));
      sig::PoolOptions options;
      options.workers = jobs.size();
      options.grace = std::chrono::minutes(1);
      options.log = [this](const std::string& line) { write_line(log.write_end.get(), line); };
      return sig::run_worker_pool(jobs, options).exit_code();
    });
    started.write_end.reset();
    together.read_end.reset();
    last.read_end.reset();
    log.write_end.reset();
  }

  // The pool's children that are zombies now.
  [[nodiscard]] std::size_t zombies() const {
    std::size_t count = 0;
    for (const pid_t child : children_of(pool->pid())) count += process_state(child) == 'Z';
    return count;
  }
};

}  // namespace

SYSLAB_TEST(WorkerPool, ManyWorkersEndingAtOnceLeaveNoZombie, 3,
            "20 workers end while the pool is stopped: their 20 SIGCHLDs arrive as one (a "
            "standard signal does not queue), and all 20 must be reaped, then the pool must still "
            "stop cleanly",
            "one SIGCHLD (one byte in the self-pipe) can stand for any number of exits: do not "
            "waitpid once per byte or once per wake-up",
            "reap_workers: reap_children() (waitpid(-1, WNOHANG) until it returns 0 or ECHILD) on "
            "every wake-up, whatever the bytes said") {
  CrowdedPool test;
  const std::size_t workers = kEndingTogether + 1;
  ASSERT_EQ(read_bytes(test.started.read_end.get(), 2 * workers, Deadline(10s)).size(), 2 * workers)
      << "all 21 jobs should have started (21 workers)";
  const pid_t pool = test.pool->pid();
  ASSERT_EQ(children_of(pool).size(), workers);

  // Stopped, the pool cannot take a signal: the 20 SIGCHLDs of the exits below become one
  // pending SIGCHLD, delivered when it is continued.
  ASSERT_EQ(::kill(pool, SIGSTOP), 0);
  ASSERT_TRUE(poll_until(Deadline(5s), [pool] { return process_state(pool) == 'T'; }));
  test.together.write_end.reset();  // 20 jobs end together
  ASSERT_TRUE(poll_until(Deadline(10s), [&] { return test.zombies() == kEndingTogether; }))
      << "the 20 jobs did not end: " << test.zombies() << " zombies";
  ASSERT_EQ(::kill(pool, SIGCONT), 0);

  const bool reaped = poll_until(
      Deadline(5s), [&] { return test.zombies() == 0 && children_of(pool).size() == 1; });
  EXPECT_TRUE(reaped) << test.zombies() << " of the " << kEndingTogether
                      << " workers that ended together are still zombies 5 s after the pool "
                         "was continued: their exits came as ONE SIGCHLD; reap until waitpid "
                         "says 0, on every wake-up\n"
                      << test.log_text;

  // Then a clean stop: SIGTERM, the last job finishes, the pool exits 0.
  ASSERT_EQ(::kill(pool, SIGTERM), 0);
  EXPECT_TRUE(read_until(test.log.read_end.get(), test.log_text, "stopping", Deadline(10s)))
      << "the pool did not log a stop after SIGTERM:\n"
      << test.log_text;
  test.last.write_end.reset();
  const std::optional<ExitStatus> status = test.pool->wait(Deadline(10s));
  ASSERT_TRUE(status.has_value())
      << "the pool did not end after its last job finished (does it still count workers it "
         "never reaped?)\n"
      << test.log_text;
  EXPECT_TRUE(status->success()) << "the pool " << *status << "\n" << test.log_text;
  [[maybe_unused]] const bool to_eof =
      read_until(test.log.read_end.get(), test.log_text, "\x01", Deadline(10s));
  EXPECT_EQ(count_of(test.log_text, "exited 0"), static_cast<int>(workers)) << test.log_text;
}

SYSLAB_TIMEOUT(WorkerPool, SigtermLetsRunningJobsFinishAndExitsZero, 30);
SYSLAB_TIMEOUT(WorkerPool, SecondSigtermKillsTheWorkers, 30);
SYSLAB_TIMEOUT(WorkerPool, ManyWorkersEndingAtOnceLeaveNoZombie, 30);
