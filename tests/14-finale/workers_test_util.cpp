// Lab 14 tests: httpd --workers from the kernel's side and from a client's.
#include "workers_test_util.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <filesystem>

#include "syslab/deadline.hpp"
#include "syslab/faults.hpp"
#include "syslab/proc.hpp"
#include "syslab/process.hpp"

namespace workers_test {

using namespace std::chrono_literals;
using syslab::test::Deadline;

std::unique_ptr<ServerProcess> start_workers(int workers, int threads,
                                             std::vector<std::string> extra) {
  std::vector<std::string> args = {"--workers", std::to_string(workers), "--threads",
                                   std::to_string(threads)};
  args.insert(args.end(), extra.begin(), extra.end());
  return httpd_test::start_httpd(std::move(args));
}

std::vector<pid_t> workers_of(const ServerProcess& master) {
  std::vector<pid_t> pids = master.children();
  std::sort(pids.begin(), pids.end());
  return pids;
}

std::vector<pid_t> wait_for_workers(const ServerProcess& master, std::size_t count,
                                    const std::set<pid_t>& old, std::chrono::milliseconds within) {
  std::vector<pid_t> now;
  const bool done = syslab::test::poll_until(Deadline(within), [&] {
    now = workers_of(master);
    return now.size() == count &&
           std::none_of(now.begin(), now.end(), [&](pid_t pid) { return old.contains(pid); });
  });
  EXPECT_TRUE(done) << "the master (pid " << master.pid() << ") should have " << count
                    << " workers, none of them an old one; it has " << now.size();
  return now;
}

std::set<std::string> sockets_held(pid_t pid, std::uint16_t port, int state) {
  const syslab::test::FaultsPaused plumbing;
  std::set<std::string> on_port;
  for (const syslab::test::TcpSocket& socket : syslab::test::tcp_sockets()) {
    if (socket.local_port == port && socket.state == state) on_port.insert(socket.inode);
  }
  std::set<std::string> held;
  std::error_code error;
  const std::filesystem::path fds = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& entry : std::filesystem::directory_iterator(fds, error)) {
    const std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    if (!target.starts_with("socket:[")) continue;
    const std::string inode = target.substr(8, target.size() - 9);
    if (on_port.contains(inode)) held.insert(inode);
  }
  return held;
}

bool get_once(std::uint16_t port, std::string* why) {
  try {
    httpd_test::RawClient client(port);
    client.send(httpd_test::get("/", "Connection: close\r\n"));
    const httpd_test::RawResponse response = client.read_response();
    if (response.status == 200 && response.body == "hello\n") return true;
    if (why != nullptr) *why = "answered " + std::to_string(response.status);
    return false;
  } catch (const std::exception& error) {
    if (why != nullptr) *why = error.what();
    return false;
  }
}

SteadyClient::SteadyClient(std::uint16_t port) : port_(port), thread_([this] { run(); }) {}

SteadyClient::~SteadyClient() { stop(); }

void SteadyClient::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

bool SteadyClient::wait_for_answers(long n) {
  const long target = answered_ + n;
  return syslab::test::poll_until(Deadline(10s),
                                  [&] { return answered_ >= target || failed_ > 0; }) &&
         answered_ >= target;
}

std::string SteadyClient::first_failure() const { return failed_ > 0 ? first_failure_ : ""; }

// One GET / on the keep-alive connection (opened when there is none). A connection the server
// closed before a single byte of the answer came (it was idle when the old worker stopped: RFC
// 9112 §9.3.1 lets a client retry then, and every client does) is retried once on a new one;
// anything else that goes wrong is a failed request.
bool SteadyClient::keepalive_request(std::unique_ptr<httpd_test::RawClient>& client) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool fresh = client == nullptr;
    try {
      if (fresh) client = std::make_unique<httpd_test::RawClient>(port_);
      client->send(httpd_test::get("/"));
      const httpd_test::RawResponse response = client->read_response();
      if (response.has("connection: close")) client.reset();  // a stopping worker said so
      return response.status == 200 && response.body == "hello\n";
    } catch (const std::exception& error) {
      const bool nothing_came = client != nullptr && client->unread().empty();
      client.reset();
      if (fresh || !nothing_came) {
        if (first_failure_.empty()) {
          first_failure_ = std::string("GET / on the keep-alive connection: ") + error.what();
        }
        return false;
      }
    }
  }
  return false;
}

void SteadyClient::run() {
  std::unique_ptr<httpd_test::RawClient> keepalive;
  for (long i = 0; !stop_; ++i) {
    std::string why;
    const bool ok = i % 2 == 0 ? get_once(port_, &why) : keepalive_request(keepalive);
    if (ok) {
      ++answered_;
    } else {
      if (first_failure_.empty()) first_failure_ = "GET / on a new connection: " + why;
      ++failed_;
    }
  }
}

}  // namespace workers_test
