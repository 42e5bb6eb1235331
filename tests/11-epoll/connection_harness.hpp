// Lab 11 tests: one Connection on one EventLoop in the test's own thread, over a socket pair: the
// test holds the peer's end. The loop has a watchdog timer, so a connection that never calls back
// fails the test in seconds instead of hanging it.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "epoll_poller.hpp"
#include "epoll_test_util.hpp"
#include "event_loop.hpp"
#include "syslab/test.hpp"
#include "tcp_connection.hpp"
#include "transport.hpp"

namespace connection_test {

using namespace std::chrono_literals;
using reactor::Connection;

struct Harness {
  // Edge-triggered, as the echo server: a connection that leaves bytes unread hangs.
  // The connection gets one end of a socket pair, wrapped in transport (a PlainTransport when
  // make_transport is empty). Not established yet: the test sets callbacks first.
  explicit Harness(
      reactor::ConnectionOptions options = {},
      const std::function<std::unique_ptr<reactor::Transport>(fdio::UniqueFd)>& make_transport = {})
      : loop(reactor::make_epoll_poller(reactor::Trigger::kEdge)) {
    epoll_test::SocketPair pair = epoll_test::make_socket_pair();
    peer = std::move(pair.b);
    fdio::UniqueFd mine(pair.a.release());
    start(make_transport ? make_transport(std::move(mine))
                         : std::make_unique<reactor::PlainTransport>(std::move(mine)),
          options);
  }
  // The connection on socket (non-blocking), plainly; the test keeps the peer's end itself.
  Harness(fdio::UniqueFd socket, reactor::ConnectionOptions options)
      : loop(reactor::make_epoll_poller(reactor::Trigger::kEdge)) {
    start(std::make_unique<reactor::PlainTransport>(std::move(socket)), options);
  }
  // The server's last steps: closed (if it is not yet), then destroyed after the dispatch.
  ~Harness() {
    if (conn) finish();
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  void start(std::unique_ptr<reactor::Transport> transport, reactor::ConnectionOptions options) {
    conn = std::make_shared<Connection>(loop, 1, std::move(transport), options);
    conn->on_close([this](const Connection::Ptr&) {
      ++closes;
      loop.quit();
    });
    (void)loop.run_after(8s, [this] {
      timed_out = true;
      loop.quit();
    });
  }

  void finish() {
    conn->on_close(nullptr);
    conn->close();
    conn->destroyed();
    conn.reset();
  }

  reactor::EventLoop loop;  // first: the connection's Channel leaves it before it goes
  syslab::test::OwnedFd peer;
  Connection::Ptr conn;
  int closes = 0;
  bool timed_out = false;
};

// A file of `contents` in dir, opened for reading, shared as Connection::send_file takes it.
inline std::shared_ptr<const fdio::UniqueFd> open_file(const syslab::test::TempDir& dir,
                                                       const std::string& name,
                                                       const std::string& contents) {
  syslab::test::write_file(dir / name, contents);
  auto file = std::make_shared<fdio::UniqueFd>(::open((dir / name).c_str(), O_RDONLY | O_CLOEXEC));
  EXPECT_TRUE(file->ok()) << "open " << (dir / name);
  return file;
}

}  // namespace connection_test

namespace connection_test {

// The peer as a client on its own thread: reads up to `limit` bytes or to EOF (8 s at most), then
// shuts down its write side, so that the connection reads EOF. join() waits for it.
class PeerReader {
 public:
  PeerReader(int fd, std::size_t limit) : thread_([this, fd, limit] { run(fd, limit); }) {}
  ~PeerReader() { join(); }
  PeerReader(const PeerReader&) = delete;
  PeerReader& operator=(const PeerReader&) = delete;

  void join() {
    if (thread_.joinable()) thread_.join();
  }
  // After join().
  [[nodiscard]] const std::string& received() const { return received_; }
  [[nodiscard]] bool saw_eof() const { return saw_eof_; }

 private:
  void run(int fd, std::size_t limit) {
    const syslab::test::Deadline deadline(8s);
    std::string chunk(64 * 1024, '\0');
    while (received_.size() < limit && syslab::test::wait_readable(fd, deadline)) {
      const ssize_t got =
          ::read(fd, chunk.data(), std::min(chunk.size(), limit - received_.size()));
      if (got == 0) {
        saw_eof_ = true;
        break;
      }
      if (got > 0) received_.append(chunk.data(), static_cast<std::size_t>(got));
    }
    (void)::shutdown(fd, SHUT_WR);
  }

  std::string received_;
  bool saw_eof_ = false;
  std::thread thread_;  // last: it starts once the members above are made
};

}  // namespace connection_test
