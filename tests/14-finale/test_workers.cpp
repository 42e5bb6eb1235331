// Lab 14 tests: httpd --workers N --threads M, the master and its workers seen through /proc
// (who is whose child, how many threads, who holds which socket) and through clients: requests
// answered over HTTP/1.1, HTTP/2 and TLS; a reload (SIGHUP) with a client sending all along and
// no request failing; requests in flight finishing on the old generation; a killed worker
// replaced without touching the other's connections; a graceful stop.
#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../13-http2/h2_client.hpp"
#include "syslab/faults.hpp"
#include "syslab/files.hpp"
#include "syslab/orphans.hpp"
#include "syslab/proc.hpp"
#include "syslab/process.hpp"
#include "syslab/test.hpp"
#include "workers_test_util.hpp"

using namespace syslab::test;
using namespace workers_test;
using namespace std::chrono_literals;

namespace {

std::set<pid_t> as_set(const std::vector<pid_t>& pids) { return {pids.begin(), pids.end()}; }

// The fds above 2 that process pid holds open for reading on a pipe (a worker needs none: the
// ready pipe's read end is the master's).
std::size_t pipe_read_ends(pid_t pid) {
  const syslab::test::FaultsPaused plumbing;
  const std::string proc = "/proc/" + std::to_string(pid);
  std::size_t count = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(proc + "/fd", error)) {
    const std::string fd = entry.path().filename().string();
    if (std::stoi(fd) <= 2 ||
        !std::filesystem::read_symlink(entry.path(), error).string().starts_with("pipe:")) {
      continue;
    }
    const std::string info = read_file(proc + "/fdinfo/" + fd);
    const std::size_t flags = info.find("flags:");
    if (flags != std::string::npos &&
        (std::stoul(info.substr(flags + 6), nullptr, 8) & O_ACCMODE) == O_RDONLY) {
      ++count;
    }
  }
  return count;
}

// The worker among `workers` that holds the server side of a connection made just before: the
// one whose established sockets on port grew.
std::map<pid_t, std::size_t> established_per_worker(const std::vector<pid_t>& workers,
                                                    std::uint16_t port) {
  std::map<pid_t, std::size_t> count;
  for (const pid_t pid : workers) count[pid] = sockets_held(pid, port, kEstablished).size();
  return count;
}

// A /delay request in flight on the one worker when SIGHUP comes: the new generation answers
// meanwhile, the request is answered whole, then the old worker closes the connection and exits.
void expect_request_in_flight_survives_reload(const std::vector<std::string>& extra) {
  auto master = start_workers(1, 1, extra);
  const std::vector<pid_t> old = workers_of(*master);
  httpd_test::RawClient slow(master->port());
  slow.send(httpd_test::get("/delay?ms=1500"));
  ASSERT_TRUE(poll_until(Deadline(5s), [&] {
    return !sockets_held(old.at(0), master->port(), kEstablished).empty();
  })) << "the old worker accepted the slow request's connection";
  master->signal(SIGHUP);
  // The new worker started (the old one is still busy) and listens, and the old one stopped
  // listening: with --reuseport, a connect now can only reach the new worker's socket.
  std::vector<pid_t> both = wait_for_workers(*master, 2, {}, 5s);
  std::erase(both, old.at(0));
  ASSERT_EQ(both.size(), 1U);
  ASSERT_TRUE(poll_until(Deadline(5s), [&] {
    return !sockets_held(both.at(0), master->port(), kListen).empty();
  })) << "the new worker listens";
  ASSERT_TRUE(poll_until(Deadline(5s), [&] {
    return sockets_held(old.at(0), master->port(), kListen).empty();
  })) << "the old worker, told to stop, no longer accepts (its acceptor closed its listener)";
  EXPECT_TRUE(get_once(master->port())) << "the new generation answers while the old finishes";
  const httpd_test::RawResponse response = slow.read_response(false, 10s);
  EXPECT_EQ(response.status, 200) << "the request in flight is answered";
  EXPECT_EQ(response.body, "waited 1500 ms\n") << "whole, after its wait";
  EXPECT_TRUE(slow.closed_by_server()) << "then the old worker closes the connection";
  wait_for_workers(*master, 1, as_set(old));
}

// Two SteadyClients through three reloads: not one request may fail.
void expect_no_request_fails_through_reloads(const std::vector<std::string>& extra) {
  auto master = start_workers(2, 1, extra);
  SteadyClient first(master->port());
  SteadyClient second(master->port());
  ASSERT_TRUE(first.wait_for_answers(20)) << first.first_failure();
  std::set<pid_t> old = as_set(workers_of(*master));
  for (int reload = 0; reload < 3; ++reload) {
    master->signal(SIGHUP);
    old = as_set(wait_for_workers(*master, 2, old));
    ASSERT_TRUE(first.wait_for_answers(20))
        << "after reload " << reload << ": " << first.first_failure();
    ASSERT_TRUE(second.wait_for_answers(20))
        << "after reload " << reload << ": " << second.first_failure();
  }
  first.stop();
  second.stop();
  EXPECT_EQ(first.failed() + second.failed(), 0)
      << (first.answered() + second.answered())
      << " answered; first failure: " << first.first_failure() << second.first_failure();
  std::cerr << "Reload, " << (extra.empty() ? "shared socket" : "--reuseport") << ": "
            << first.answered() + second.answered() << " requests answered through 3 reloads, "
            << first.failed() + second.failed() << " failed\n";
  EXPECT_EQ(master->stop().describe(), "exited 0");
}

// Processes stopped by SIGSTOP until the end of the scope (a failed assertion included).
class Frozen {
 public:
  explicit Frozen(std::vector<pid_t> pids) : pids_(std::move(pids)) {
    for (const pid_t pid : pids_) ::kill(pid, SIGSTOP);
  }
  ~Frozen() { thaw(); }
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;
  [[nodiscard]] bool all_stopped() const {
    return std::ranges::all_of(pids_, [](pid_t pid) { return process_state(pid) == 'T'; });
  }
  void thaw() {
    for (const pid_t pid : pids_) ::kill(pid, SIGCONT);
    pids_.clear();
  }

 private:
  std::vector<pid_t> pids_;
};

// Two workers frozen, 16 connections queued with a request each, SIGHUP: every request answered
// by the new generation before the old one is thawed; then the old one exits.
void expect_queued_connections_outlive_the_old_workers(const std::vector<std::string>& extra) {
  const std::string mode = extra.empty() ? "shared socket: " : "--reuseport: ";
  auto master = start_workers(2, 1, extra);
  const std::vector<pid_t> old = workers_of(*master);
  Frozen frozen(old);
  ASSERT_TRUE(poll_until(Deadline(5s), [&] { return frozen.all_stopped(); }));
  std::vector<httpd_test::RawClient> queued;
  for (int i = 0; i < 16; ++i) {
    queued.emplace_back(master->port());  // the kernel completes the handshake: no accept needed
    queued.back().send(httpd_test::get("/"));
  }
  master->signal(SIGHUP);
  for (std::size_t i = 0; i < queued.size(); ++i) {
    int status = 0;
    std::string why;
    try {
      status = queued[i].read_response(false, 10s).status;
    } catch (const std::exception& error) {
      why = error.what();
    }
    ASSERT_EQ(status, 200) << mode << "connection " << i << " of 16, queued while the old workers "
                           << "were frozen, got no answer from the new generation: it waits in a "
                           << "queue only an old worker reads (" << why << ")";
  }
  frozen.thaw();
  wait_for_workers(*master, 2, as_set(old));
  // Closed by us first: a stopping worker lingers up to 5 s for a silent client's close.
  queued.clear();
  EXPECT_EQ(master->stop().describe(), "exited 0") << mode;
}

}  // namespace

SYSLAB_TEST(Workers, MasterKeepsNWorkersOfMLoopsEach, 3,
            "--workers N: lab 08's Arbiter, PreforkOptions::worker = run_worker; the master "
            "itself never serves (one thread, N children)",
            "each worker runs lab 13's serve_httpd with the --threads option: M I/O loops plus "
            "its base loop, M + 1 threads in /proc/WORKER/task",
            "serve_with_workers: open_master_sockets, a WorkerSetup, the Arbiter, wait for the "
            "first generation's ready bytes, then print \"listening on\"") {
  auto master = start_workers(3, 2);
  const std::vector<pid_t> workers = workers_of(*master);
  ASSERT_EQ(workers.size(), 3U) << "three workers, children of the master";
  EXPECT_EQ(own_threads(master->pid()), 1) << "the master only manages: no loop, no thread";
  for (const pid_t worker : workers) {
#if defined(__SANITIZE_THREAD__)
    // A child forked from a process with no thread gets two of the TSan runtime's threads, where
    // own_threads leaves out one: only the lower bound holds there.
    EXPECT_GE(own_threads(worker), 3) << "worker " << worker << ": 2 I/O loops + its base loop";
#else
    EXPECT_EQ(own_threads(worker), 3) << "worker " << worker << ": 2 I/O loops + its base loop";
#endif
    EXPECT_EQ(pipe_read_ends(worker), 0U)
        << "worker " << worker << " holds a read end of a pipe: the master's ready pipe? "
        << "(nobody reads it after the start: 64 KiB of later starts fill it, then a new "
        << "worker blocks in its ready byte)";
  }
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(get_once(master->port())) << "GET / number " << i;
  EXPECT_EQ(master->stop().describe(), "exited 0");
}

SYSLAB_TEST(Workers, EveryWorkerAcceptsOnTheMastersSocket, 2,
            "without --reuseport there is one listening socket: the master's, inherited by every "
            "worker at fork (the same socket:[inode] in /proc/PID/fd of all of them)",
            "worker_endpoints: shared mode hands the master's sockets on as they are") {
  auto master = start_workers(2, 1);
  const std::set<std::string> listening = sockets_held(master->pid(), master->port(), kListen);
  ASSERT_EQ(listening.size(), 1U) << "the master holds the one listening socket";
  for (const pid_t worker : workers_of(*master)) {
    EXPECT_EQ(sockets_held(worker, master->port(), kListen), listening)
        << "worker " << worker << " must accept on the master's socket, not one of its own";
  }
  EXPECT_TRUE(get_once(master->port()));
}

SYSLAB_TEST(Workers, ReuseportGivesEachSlotItsOwnSocket, 4,
            "--reuseport: the master opens one listening socket per worker slot (listen_reuseport, "
            "then listen_beside it: getsockname, a new socket with SO_REUSEADDR and SO_REUSEPORT, "
            "bind to that address, listen), and each worker serves its slot's socket only",
            "take_slot_sockets: the copies of the other slots' sockets close in the worker",
            "a reload's new generation takes the same sockets: they are the master's and outlive "
            "every worker (ss -ltnpe sport = :PORT: one LISTEN line per slot)") {
  auto master = start_workers(3, 1, {"--reuseport"});
  const std::set<std::string> slots = sockets_held(master->pid(), master->port(), kListen);
  ASSERT_EQ(slots.size(), 3U) << "the master holds one listening socket per slot";
  auto expect_one_slot_each = [&](const std::vector<pid_t>& workers, const char* which) {
    std::set<std::string> seen;
    for (const pid_t worker : workers) {
      const std::set<std::string> own = sockets_held(worker, master->port(), kListen);
      ASSERT_EQ(own.size(), 1U) << which << " worker " << worker << " holds one listening socket";
      EXPECT_TRUE(slots.contains(*own.begin()))
          << which << " worker " << worker << ": socket " << *own.begin() << " is not the master's";
      EXPECT_FALSE(seen.contains(*own.begin())) << "two workers share socket " << *own.begin();
      seen.insert(*own.begin());
    }
  };
  const std::vector<pid_t> first = workers_of(*master);
  expect_one_slot_each(first, "first generation:");
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(get_once(master->port())) << "GET / number " << i;
  master->signal(SIGHUP);
  expect_one_slot_each(wait_for_workers(*master, 3, as_set(first)), "after a reload:");
  EXPECT_EQ(sockets_held(master->pid(), master->port(), kListen), slots)
      << "a reload opens no socket and closes none";
  EXPECT_EQ(master->stop().describe(), "exited 0");
}

SYSLAB_TEST(Workers, ReuseportSpreadsConnectionsOverWorkers, 2,
            "with SO_REUSEPORT the kernel picks the listening socket by a hash of each "
            "connection's addresses and ports: many connections reach every worker",
            "a slot whose socket does not listen (listen_beside without listen) gets none, and "
            "neither does its worker") {
  auto master = start_workers(2, 1, {"--reuseport", "--keepalive-timeout", "0"});
  const std::vector<pid_t> workers = workers_of(*master);
  ASSERT_EQ(workers.size(), 2U);
  std::vector<httpd_test::RawClient> clients;
  for (int i = 0; i < 40; ++i) {
    clients.emplace_back(master->port());
    clients.back().send(httpd_test::get("/"));
    ASSERT_EQ(clients.back().read_response().status, 200);  // accepted and answered: counted
  }
  for (const auto& [pid, count] : established_per_worker(workers, master->port())) {
    EXPECT_GT(count, 0U) << "worker " << pid << " holds none of 40 connections";
  }
}

SYSLAB_TEST(Workers, TlsAndH2ThroughTheWorkers, 2,
            "the TLS socket is the master's too (open_master_sockets: one for --port, one for "
            "--tls-port); worker_endpoints gives it tls::tls_transports(context)",
            "the context (certificate and key) is loaded once in the master, before the fork") {
  auto master = start_workers(2, 1,
                              {"--tls-port", "0", "--cert", program_path("tls-cert.pem"), "--key",
                               program_path("tls-key.pem")});
  const std::uint16_t tls_port = httpd_test::tls_port(*master);
  const ProgramResult got = run_program(
      {h2_test::tool("curl"), "-s", "--http2", "--cacert", program_path("tls-cert.pem"),
       "--resolve", "localhost:" + std::to_string(tls_port) + ":127.0.0.1", "--max-time", "10",
       "--write-out", " %{http_version}", "https://localhost:" + std::to_string(tls_port) + "/"});
  EXPECT_TRUE(got.status.success()) << "curl: " << got.status << ": " << got.err;
  EXPECT_EQ(got.out, "hello\n 2") << "index.html over HTTP/2 with TLS, from a worker";
  h2_test::Client h2c(master->port());
  h2c.get(1, "/");
  EXPECT_EQ(h2c.response(1).body, "hello\n") << "h2c (prior knowledge) on the clear-text port";
}

SYSLAB_TEST(Reload, NoRequestFailsThroughReloads, 4,
            "SIGHUP: the Arbiter starts the new generation first, then SIGTERMs the old; the "
            "listening socket stays open in the master, so a connection that arrives meanwhile "
            "waits in its queue for whichever worker accepts next",
            "an old worker stops in lab 13's way: no new connection, the request in flight "
            "answered with Connection: close, idle connections closed",
            "a failed request here is a refused connect (nobody listening) or a connection closed "
            "in the middle of an answer") {
  expect_no_request_fails_through_reloads({});
}
SYSLAB_TIMEOUT(Reload, NoRequestFailsThroughReloads, 60);

SYSLAB_TEST(Reload, ReuseportNoRequestFailsThroughReloads, 3,
            "with --reuseport too: each slot's listening socket is the master's, so a new "
            "worker takes over its predecessor's queue, and nothing waiting there is lost",
            "a worker that listens on a socket of its own closes it when it stops, and the "
            "kernel resets the connections queued there (unless net.ipv4.tcp_migrate_req is 1)") {
  expect_no_request_fails_through_reloads({"--reuseport"});
}
SYSLAB_TIMEOUT(Reload, ReuseportNoRequestFailsThroughReloads, 60);

SYSLAB_TEST(Reload, OldWorkerFinishesHttp1RequestInFlight, 3,
            "the old worker gets SIGTERM while a /delay request is in flight: lab 12's graceful "
            "stop answers it whole, with Connection: close, then the worker exits",
            "meanwhile the new generation already answers: the master started it first") {
  expect_request_in_flight_survives_reload({});
}

SYSLAB_TEST(Reload, ReuseportOldWorkerFinishesRequestInFlight, 2,
            "with --reuseport too, an old worker's stop is lab 13's graceful stop: the request "
            "in flight is answered whole (its own listening socket closes, its connections "
            "finish)",
            "run_worker is the same in both modes: only worker_endpoints differs") {
  expect_request_in_flight_survives_reload({"--reuseport"});
}

SYSLAB_TEST(Reload, QueuedConnectionsOutliveTheOldWorkers, 4,
            "connections that wait in the listening queues while every worker is frozen (SIGSTOP: "
            "busy, as far as the kernel can tell) are answered by the new generation after "
            "SIGHUP, while the old one is still frozen",
            "the queues belong to the master's sockets, which outlive every worker: with "
            "--reuseport, the new worker of a slot accepts from its predecessor's socket",
            "a worker that listens on a socket of its own loses its queue with it: the kernel "
            "resets what waited there when the socket closes") {
  expect_queued_connections_outlive_the_old_workers({});
  expect_queued_connections_outlive_the_old_workers({"--reuseport"});
}
SYSLAB_TIMEOUT(Reload, QueuedConnectionsOutliveTheOldWorkers, 60);

SYSLAB_TEST(Reload, OldWorkerFinishesHttp2StreamWithGoaway, 3,
            "an HTTP/2 connection on an old worker gets GOAWAY (lab 13's two-step stop): the "
            "stream in flight still gets its whole answer, then the connection closes",
            "the worker must exit only once its connections are closed: serve_httpd returns then") {
  auto master = start_workers(1, 1);
  const std::vector<pid_t> old = workers_of(*master);
  h2_test::Client client(master->port());
  client.get(1, "/delay?ms=1500");
  ASSERT_TRUE(poll_until(Deadline(5s), [&] {
    return !sockets_held(old.at(0), master->port(), kEstablished).empty();
  }));
  master->signal(SIGHUP);
  const h2_test::Response response = client.response(1, 10s);
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.reset) << "the stream in flight must not be reset";
  EXPECT_TRUE(client.closed_by_server(10s));
  EXPECT_TRUE(client.first(h2_test::kGoaway).has_value()) << "GOAWAY before the close";
  wait_for_workers(*master, 1, as_set(old));
  EXPECT_TRUE(get_once(master->port()));
}

SYSLAB_TEST(Workers, KilledWorkerIsReplacedAndTheOthersConnectionsLive, 3,
            "SIGKILL of a worker ends its own connections only: each worker is a process with "
            "its own connections; the master reaps it and starts another (on_worker_exit)",
            "a keep-alive connection on the other worker is answered again, on the same "
            "connection") {
  auto master = start_workers(2, 1, {"--reuseport", "--keepalive-timeout", "0"});
  const std::vector<pid_t> workers = workers_of(*master);
  ASSERT_EQ(workers.size(), 2U);
  // Connections until each worker holds one (with SO_REUSEPORT the kernel spreads them).
  std::map<pid_t, std::unique_ptr<httpd_test::RawClient>> held;
  for (int i = 0; i < 64 && held.size() < 2; ++i) {
    const auto before = established_per_worker(workers, master->port());
    auto client = std::make_unique<httpd_test::RawClient>(master->port());
    client->send(httpd_test::get("/"));
    ASSERT_EQ(client->read_response().status, 200);
    for (const auto& [pid, count] : established_per_worker(workers, master->port())) {
      if (count > before.at(pid) && !held.contains(pid)) held[pid] = std::move(client);
    }
  }
  ASSERT_EQ(held.size(), 2U) << "64 connections all went to one worker";
  const pid_t victim = workers.at(0);
  const pid_t survivor = workers.at(1);
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  EXPECT_TRUE(held.at(victim)->closed_by_server()) << "the killed worker's connection ends";
  held.at(survivor)->send(httpd_test::get("/"));
  EXPECT_EQ(held.at(survivor)->read_response().status, 200)
      << "the other worker's connection must not notice";
  const std::vector<pid_t> now = wait_for_workers(*master, 2, {victim});
  ASSERT_EQ(now.size(), 2U);
  EXPECT_TRUE(as_set(now).contains(survivor)) << "the survivor is not replaced";
  // The replacement serves: a connection reaches it, once it listens, and is answered.
  const pid_t replacement = now.at(0) == survivor ? now.at(1) : now.at(0);
  bool served = false;
  for (int i = 0; i < 64 && !served; ++i) {
    httpd_test::RawClient client(master->port());
    client.send(httpd_test::get("/"));
    ASSERT_EQ(client.read_response().status, 200);
    served = !sockets_held(replacement, master->port(), kEstablished).empty();
  }
  EXPECT_TRUE(served) << "the replacement " << replacement << " answered none of 64 connections";
}

SYSLAB_TEST(Workers, WorkersStopWhenTheMasterDies, 2,
            "a master killed with SIGKILL cannot stop its workers: the kernel must do it, or they "
            "go on serving as orphans on the port, and the next httpd cannot take it",
            "run_worker: prctl(PR_SET_PDEATHSIG, SIGTERM) first, then check getppid() == the "
            "master (it may have died before the prctl): a graceful stop when it dies") {
  const SubreaperGuard subreaper;  // the orphaned workers become our children: we can reap them
  ReapOnExit cleanup;
  auto master = start_workers(2, 1);
  const std::vector<pid_t> workers = workers_of(*master);
  ASSERT_EQ(workers.size(), 2U);
  for (const pid_t worker : workers) cleanup.add(worker);
  master->signal(SIGKILL);
  ASSERT_TRUE(master->wait(Deadline(5s)).has_value());
  for (const pid_t worker : workers) {
    const std::optional<ExitStatus> status = wait_for_pid(worker, Deadline(5s));
    ASSERT_TRUE(status.has_value())
        << "worker " << worker << " still runs 5 s after its master was killed";
    EXPECT_EQ(status->describe(), "exited 0") << "worker " << worker << ": a graceful stop";
  }
}

SYSLAB_TEST(Workers, SigtermStopsEveryWorkerGracefully, 2,
            "SIGTERM to the master: the Arbiter retires every worker, each finishes its request "
            "in flight, and the master exits 0 once they are all reaped",
            "a worker must turn SIGTERM into lab 13's graceful stop: its stop fd is a signalfd "
            "made in run_worker (the master's mask, inherited, keeps SIGTERM pending for it)") {
  auto master = start_workers(2, 1);
  const std::vector<pid_t> workers = workers_of(*master);
  httpd_test::RawClient slow(master->port());
  slow.send(httpd_test::get("/delay?ms=1000"));
  ASSERT_TRUE(poll_until(Deadline(5s), [&] {
    for (const pid_t pid : workers) {
      if (!sockets_held(pid, master->port(), kEstablished).empty()) return true;
    }
    return false;
  }));
  master->signal(SIGTERM);
  const httpd_test::RawResponse response = slow.read_response(false, 10s);
  EXPECT_EQ(response.status, 200) << "the request in flight is answered";
  const std::optional<ExitStatus> status = master->wait(Deadline(15s));
  ASSERT_TRUE(status.has_value()) << "the master must exit once its workers have";
  EXPECT_EQ(status->describe(), "exited 0");
  for (const pid_t pid : workers)
    EXPECT_EQ(process_state(pid), '?') << "worker " << pid << " left behind";
}
