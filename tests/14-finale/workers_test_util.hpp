// Lab 14 tests: httpd --workers under test. The master and its workers seen from the kernel's
// side (/proc: who is whose child, who holds which socket) and from a client's (requests through
// a reload, counted).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../12-http1/httpd_client.hpp"

namespace workers_test {

using httpd_test::ServerProcess;

// httpd --workers N --threads M plus extra, quiet, serving start_httpd's web root.
std::unique_ptr<ServerProcess> start_workers(int workers, int threads,
                                             std::vector<std::string> extra = {});

// The master's workers: its children, from /proc.
std::vector<pid_t> workers_of(const ServerProcess& master);

// Waits (polling /proc against a deadline) until the master has exactly `count` children and
// none of them is in `old`; returns them. Fails the test when the deadline passes.
std::vector<pid_t> wait_for_workers(const ServerProcess& master, std::size_t count,
                                    const std::set<pid_t>& old,
                                    std::chrono::milliseconds within = std::chrono::seconds(10));

// The inodes ("socket:[N]" -> "N") of the TCP sockets in state `state` on local port `port` that
// process pid holds open.
std::set<std::string> sockets_held(pid_t pid, std::uint16_t port, int state);
inline constexpr int kListen = 0x0A;
inline constexpr int kEstablished = 0x01;

// One GET / on a fresh connection: true when a whole 200 "hello\n" came back; else why says why.
bool get_once(std::uint16_t port, std::string* why = nullptr);

// A client thread that sends GET / again and again until stopped, some on fresh connections and
// some on one keep-alive connection (reopened when the server closes it after a response, as
// every HTTP client does), and counts the requests answered and those that failed.
class SteadyClient {
 public:
  explicit SteadyClient(std::uint16_t port);
  ~SteadyClient();
  SteadyClient(const SteadyClient&) = delete;
  SteadyClient& operator=(const SteadyClient&) = delete;

  // Waits until at least n more requests were answered than when called (deadline 10 s).
  bool wait_for_answers(long n);
  void stop();
  [[nodiscard]] long answered() const { return answered_; }
  [[nodiscard]] long failed() const { return failed_; }
  [[nodiscard]] std::string first_failure() const;

 private:
  void run();
  bool keepalive_request(std::unique_ptr<httpd_test::RawClient>& client);

  std::uint16_t port_;
  std::atomic<bool> stop_{false};
  std::atomic<long> answered_{0};
  std::atomic<long> failed_{0};
  std::string first_failure_;  // written by the thread before failed_ is first raised
  std::thread thread_;
};

}  // namespace workers_test
