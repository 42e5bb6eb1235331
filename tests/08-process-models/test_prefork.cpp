// Lab 08 tests: echo-server --model=prefork. The shared echo suite, then the arbiter as /proc
// shows it: N workers before the first client, all holding the one listener; a master that never
// accepts; a killed worker replaced; SIGHUP replacing every worker while an old worker finishes
// its connection; SIGTERM leaving no child; workers that do not outlive their master.
#include <signal.h>

#include <cerrno>
#include <string>
#include <vector>

#include "process_models_test_util.hpp"
#include "syslab/echo_suite.hpp"
#include "syslab/orphans.hpp"
#include "syslab/test.hpp"

using namespace models_test;
namespace echo = syslab::test::echo;

SYSLAB_TEST(PreforkServer, EchoesBytesExactly, 3,
            "each worker is lab 07's serve_iterative on the shared listener (serve_worker)",
            "the listener must be non-blocking: the idle workers all wake for each client, one "
            "accept4 wins, the others must get EAGAIN instead of sleeping in accept4",
            "Arbiter: start_missing_workers forks options_.workers workers with fork_child; "
            "each runs worker_main -> serve_worker(std::move(*listener_), master)") {
  echo::check_echo_exact(prefork_server(2));
}
SYSLAB_TIMEOUT(PreforkServer, EchoesBytesExactly, 30);

SYSLAB_TEST(PreforkServer, ServesOneClientPerWorker, 3,
            "with 8 workers, 8 connections opened first and written last first are all served: "
            "each worker serves one connection at a time",
            "a prefork server serves at most N clients at once (the N+1st waits in the backlog); "
            "here N is 8, so every worker must be accepting",
            "all N workers are started before \"listening on\" is printed, and none is blocked") {
  echo::check_concurrent_reverse_order(prefork_server(8), 8);
}
SYSLAB_TIMEOUT(PreforkServer, ServesOneClientPerWorker, 20);

SYSLAB_TEST(PreforkServer, StalledClientDoesNotBlockOthers, 2,
            "a stalled client holds one worker; the others go on accepting",
            "the master never touches a connection; each worker is independent",
            "serve_worker runs serve_iterative: a worker blocked writing to one client is one "
            "worker less, not a stopped server") {
  echo::check_stalled_client_does_not_block_others(prefork_server(4));
}
SYSLAB_TIMEOUT(PreforkServer, StalledClientDoesNotBlockOthers, 20);

SYSLAB_TEST(PreforkServer, SurvivesResetsAndDisconnects, 2,
            "a client that resets or leaves ends its connection in the worker, nothing else",
            "SIGPIPE is ignored in main before the workers are forked; they inherit it",
            "serve_iterative goes on accepting after kPeerReset") {
  echo::check_reset_and_disconnect_mid_stream(prefork_server(2));
}
SYSLAB_TIMEOUT(PreforkServer, SurvivesResetsAndDisconnects, 30);

SYSLAB_TEST(PreforkServer, StopsGracefullyOnSigterm, 3,
            "SIGTERM: the master closes its listener and sends SIGTERM to every worker; the "
            "workers close theirs and finish their connections; the master reaps them, exits 0",
            "the port refuses connects only once every copy of the listener is closed: the "
            "master's (listener_.reset()) and each worker's (serve_iterative on stop)",
            "on_stop_request: kStopAccepting -> listener_.reset(), retire(worker) for each; run() "
            "loops until workers_ is empty") {
  echo::check_graceful_stop(prefork_server(3));
}
SYSLAB_TIMEOUT(PreforkServer, StopsGracefullyOnSigterm, 30);

SYSLAB_TEST(PreforkServer, WorkersShareTheListener, 3,
            "the N workers exist before the first client (before \"listening on\"), each holds "
            "the one listening socket, and the master holds that socket and no connection",
            "fork the workers in the Arbiter's constructor: main prints the line after it",
            "every worker inherits the listener at fork; the master only polls its signalfd") {
  const ProgramResult none =
      run_program({program_path("echo-server"), "--model=prefork", "--workers=0"});
  EXPECT_EQ(none.status.code, 2) << "--workers=0 is a usage error: " << none.status;
  EXPECT_NE(none.err.find("--workers: expected a number from 1 to 1024, got '0'"),
            std::string::npos)
      << none.err;
  echo::ServerProcess server(on_port_zero(prefork_server(3)));
  const std::string listener = listening_socket(server.port());
  ASSERT_NE(listener, "") << "no socket in LISTEN on port " << server.port();
  const std::vector<pid_t> workers = server.children();
  ASSERT_EQ(workers.size(), 3U) << "--workers 3, children before the first client: "
                                << with_states(workers);
  for (const pid_t worker : workers) {
    EXPECT_EQ(sockets_of(worker), std::multiset<std::string>{listener})
        << "worker " << worker << " should hold the listener " << listener;
  }
  const Deadline deadline(10s);
  std::vector<OwnedFd> conns;
  for (int i = 0; i < 3; ++i) {
    conns.push_back(echo::connect_loopback(server.port(), deadline));
    const std::string message = "client " + std::to_string(i);
    ASSERT_EQ(echo::exchange(conns.back().get(), message, deadline), message);
  }
  EXPECT_EQ(sockets_of(server.pid()), std::multiset<std::string>{listener})
      << "with three clients served, the master should still hold the listener only";
  EXPECT_EQ(server.children(), workers) << "the workers serve the clients; no process is added";
}

SYSLAB_TEST(PreforkServer, KilledWorkerIsReplaced, 3,
            "a worker killed with SIGKILL is reaped and replaced by a new worker within seconds, "
            "and the server serves as many clients at once as before",
            "SIGCHLD on the signalfd -> reap_children; a worker that was not retiring died "
            "unexpectedly: start_missing_workers brings the current generation back to N",
            "on_worker_exit sets start_after_ (replacement_delay: 0 for the first crash); "
            "run() calls start_missing_workers on every wake-up") {
  echo::ServerProcess server(on_port_zero(prefork_server(3)));
  const std::vector<pid_t> before = server.children();
  ASSERT_EQ(before.size(), 3U) << with_states(before);
  const pid_t victim = before[1];
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  std::vector<pid_t> now;
  EXPECT_TRUE(poll_until(Deadline(5s),
                         [&] {
                           now = server.children();
                           return now.size() == 3 && !contains(now, victim);
                         }))
      << "killed worker " << victim << "; children now: " << with_states(now);
  EXPECT_EQ(process_state(victim), '?') << "the killed worker is not reaped";
  EXPECT_EQ(new_pids(now, before).size(), 1U) << "one new worker: " << with_states(now);

  const Deadline deadline(10s);
  std::vector<OwnedFd> conns;  // three at once: each needs its own worker
  for (int i = 0; i < 3; ++i) conns.push_back(echo::connect_loopback(server.port(), deadline));
  for (int i = 2; i >= 0; --i) {
    const std::string message = "after the kill " + std::to_string(i);
    EXPECT_EQ(echo::exchange(conns[i].get(), message, deadline), message);
  }
}
SYSLAB_TIMEOUT(PreforkServer, KilledWorkerIsReplaced, 20);

SYSLAB_TEST(PreforkServer, SighupReplacesEveryWorker, 4,
            "SIGHUP: a new generation of N workers starts, then every old worker is sent SIGTERM; "
            "an idle old worker exits at once, a busy one finishes its connection first",
            "start the new workers before retiring the old ones (there is never a moment with "
            "nobody accepting); a retired worker's exit is expected and is not replaced",
            "reload(): ++generation_, start_missing_workers() (it counts only the current "
            "generation), then retire() each worker of an older generation") {
  echo::ServerProcess server(on_port_zero(prefork_server(2)));
  const Deadline deadline(15s);
  OwnedFd open = echo::connect_loopback(server.port(), deadline);
  ASSERT_EQ(echo::exchange(open.get(), "before the reload", deadline), "before the reload");
  const std::vector<pid_t> old_workers = server.children();
  ASSERT_EQ(old_workers.size(), 2U) << with_states(old_workers);

  server.signal(SIGHUP);
  std::vector<pid_t> now;
  ASSERT_TRUE(poll_until(Deadline(5s),
                         [&] {
                           now = server.children();
                           return new_pids(now, old_workers).size() == 2 && now.size() == 3;
                         }))
      << "after SIGHUP: two new workers, and of the old ones only the busy one; children: "
      << with_states(now) << " (old: " << with_states(old_workers) << ")";
  EXPECT_EQ(echo::exchange(open.get(), "after the reload", deadline), "after the reload")
      << "the connection open on an old worker must still be served";

  open.reset();  // the busy old worker may go now
  ASSERT_TRUE(poll_until(Deadline(5s),
                         [&] {
                           now = server.children();
                           return new_pids(now, old_workers).size() == now.size();
                         }))
      << "every old worker should be gone once its connection closed; children: "
      << with_states(now);
  EXPECT_EQ(now.size(), 2U) << with_states(now);
  for (const pid_t old : old_workers) EXPECT_EQ(process_state(old), '?') << "old worker " << old;
  OwnedFd fresh = echo::connect_loopback(server.port(), deadline);
  EXPECT_EQ(echo::exchange(fresh.get(), "new generation", deadline), "new generation");
}
SYSLAB_TIMEOUT(PreforkServer, SighupReplacesEveryWorker, 30);

SYSLAB_TEST(PreforkServer, SigtermLeavesNoChild, 2,
            "after SIGTERM the master exits 0 only once it has reaped every worker",
            "a master that exits first leaves its workers to PID 1, still running",
            "run() returns only when shutdown_ is not accepting work and workers_ is empty") {
  echo::ServerProcess server(on_port_zero(prefork_server(3)));
  const std::vector<pid_t> workers = server.children();
  ASSERT_EQ(workers.size(), 3U) << with_states(workers);
  server.signal(SIGTERM);
  const std::optional<ExitStatus> status = server.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value()) << "the master did not exit within 5 s of SIGTERM";
  EXPECT_TRUE(status->success()) << *status;
  for (const pid_t worker : workers) {
    EXPECT_TRUE(::kill(worker, 0) < 0 && errno == ESRCH)
        << "worker " << worker << " is still there after its master exited ("
        << process_state(worker) << ")";
  }
}

SYSLAB_TEST(PreforkServer, WorkersStopWhenTheMasterDies, 2,
            "a master killed with SIGKILL cannot stop its workers: the kernel must do it, or they "
            "go on accepting as orphans, holding the port",
            "prctl(PR_SET_PDEATHSIG, SIGTERM) in the worker: a signal when its parent dies",
            "serve_worker: the prctl first, then check getppid() == master (it may have died "
            "before the prctl), then the stop fd and serve_iterative") {
  const SubreaperGuard subreaper;  // the orphaned workers become our children: we can reap them
  ReapOnExit cleanup;
  echo::ServerProcess server(on_port_zero(prefork_server(2)));
  const std::vector<pid_t> workers = server.children();
  ASSERT_EQ(workers.size(), 2U) << with_states(workers);
  for (const pid_t worker : workers) cleanup.add(worker);
  server.signal(SIGKILL);
  ASSERT_TRUE(server.wait(Deadline(5s)).has_value());
  for (const pid_t worker : workers) {
    const std::optional<ExitStatus> status = wait_for_pid(worker, Deadline(5s));
    ASSERT_TRUE(status.has_value()) << "worker " << worker << " still runs 5 s after its master "
                                    << "was killed (" << process_state(worker) << ")";
    EXPECT_TRUE(status->success())
        << "worker " << worker << ": a graceful stop, SIGTERM; it " << *status;
  }
}

SYSLAB_TEST(PreforkServer, GracePeriodEndsWithSigkill, 2,
            "a worker whose client does not leave is killed when the grace period (--grace-ms) "
            "ends; the master reaps it and exits 1",
            "GracefulShutdown::poll_timeout_ms is the time left until the deadline: give it to "
            "poll, then check_deadline says kKillWorkers",
            "wait_for_event: sig::earlier_timeout(sig::poll_timeout_until(start_after_, now), "
            "shutdown_.poll_timeout_ms(now)); run(): check_deadline -> kill_workers") {
  std::vector<std::string> argv = on_port_zero(prefork_server(2));
  argv.insert(argv.end(), {"--grace-ms", "300"});
  echo::ServerProcess server(argv);
  const Deadline deadline(10s);
  OwnedFd conn = echo::connect_loopback(server.port(), deadline);
  ASSERT_EQ(echo::exchange(conn.get(), "staying", deadline), "staying");
  const std::vector<pid_t> workers = server.children();
  server.signal(SIGTERM);
  const std::optional<ExitStatus> status = server.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value())
      << "the master did not exit 5 s after SIGTERM with a 300 ms grace";
  EXPECT_TRUE(status->exited && status->code == 1) << "workers killed: exit 1; it " << *status;
  EXPECT_TRUE(echo::wait_for_close(conn.get(), Deadline(2s))) << "the client was not cut off";
  for (const pid_t worker : workers) {
    EXPECT_TRUE(::kill(worker, 0) < 0 && errno == ESRCH) << "worker " << worker;
  }
}
SYSLAB_TIMEOUT(PreforkServer, GracePeriodEndsWithSigkill, 20);

SYSLAB_TEST(PreforkServer, TwentyWorkersKilledTogetherAreAllReaped, 3,
            "--workers 20, all 20 killed with SIGKILL at once: within 5 s none is left a zombie "
            "(state Z), and SIGTERM still ends the master cleanly (exit 0, no child left)",
            "signals do not queue: 20 SIGCHLDs arriving together may be read from the signalfd as "
            "one. One waitpid per SIGCHLD leaves zombies, and workers_ still lists them",
            "reap(): sig::reap_children() loops waitpid(-1, WNOHANG) until it says no more; call "
            "it on every wake-up. The replacements may wait for the back-off: that is fine") {
  echo::ServerProcess server(on_port_zero(prefork_server(20)));
  const std::vector<pid_t> workers = server.children();
  ASSERT_EQ(workers.size(), 20U) << with_states(workers);
  for (const pid_t worker : workers) ASSERT_EQ(::kill(worker, SIGKILL), 0) << "worker " << worker;
  std::vector<pid_t> unreaped;
  EXPECT_TRUE(poll_until(Deadline(5s),
                         [&] {
                           unreaped.clear();
                           for (const pid_t worker : workers) {
                             if (process_state(worker) != '?') unreaped.push_back(worker);
                           }
                           return unreaped.empty();
                         }))
      << "5 s after 20 workers were killed together, not reaped: " << with_states(unreaped)
      << " (Z: dead, never waited for)";
  ASSERT_TRUE(server.running()) << "the master died: " << server.stop().describe();
  const std::vector<pid_t> replacements = server.children();
  server.signal(SIGTERM);
  const std::optional<ExitStatus> status = server.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value()) << "the master did not exit within 5 s of SIGTERM after its "
                                     "workers were killed (does it wait for workers it never "
                                     "reaped?)";
  EXPECT_TRUE(status->success()) << "a clean stop exits 0; it " << *status;
  for (const pid_t worker : replacements) {
    EXPECT_TRUE(::kill(worker, 0) < 0 && errno == ESRCH)
        << "worker " << worker << " is still there after its master exited ("
        << process_state(worker) << ")";
  }
}
SYSLAB_TIMEOUT(PreforkServer, TwentyWorkersKilledTogetherAreAllReaped, 30);

SYSLAB_TEST(PreforkServer, HalfCloseGetsEveryByteBack, 2,
            "a client that fills the buffers, shuts down its sending side and only then reads: "
            "the worker reads EOF while it still owes bytes, and must echo every one of them",
            "serve_iterative runs echo_connection, which writes each piece with write_all before "
            "it reads again: at EOF nothing is owed",
            "close the connection when echo_connection returns, not when EOF is first seen") {
  echo::check_half_close_returns_every_byte(prefork_server(2));
}
SYSLAB_TIMEOUT(PreforkServer, HalfCloseGetsEveryByteBack, 40);
