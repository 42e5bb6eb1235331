#include "syslab/echo_suite.hpp"

#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>

#include "syslab/proc.hpp"

namespace syslab::test::echo {

using namespace std::chrono_literals;

// ---- the checks --------------------------------------------------------------------------------

namespace {

// The server's argv with "--port 0" added.
std::vector<std::string> on_port_zero(std::vector<std::string> server) {
  server.push_back("--port");
  server.push_back("0");
  return server;
}

void expect_same_bytes(std::string_view sent, std::string_view got, std::string_view what) {
  EXPECT_EQ(got.size(), sent.size()) << what << ": the echo has a different length";
  const std::optional<std::size_t> at = first_difference(sent, got);
  EXPECT_FALSE(at.has_value()) << what << ": the echo differs first at byte " << at.value_or(0);
}

// SO_LINGER with a zero timeout: close(2) sends RST instead of FIN.
void reset_on_close(int fd) {
  const linger reset{1, 0};
  if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset) < 0) fail("SO_LINGER", errno);
}

// After `what` happened to another client, a new client must still be echoed; when it is not,
// the failure says whether the server died (and how) or only stopped answering.
// The server is given 2 s to finish dying (ASan's exit takes a while), for the message only.
bool expect_still_serving(ServerProcess& server, std::string_view what) {
  const std::string message = "still there?";
  std::string echoed;
  std::string trouble;
  try {
    OwnedFd conn;
    const int error = try_connect(server.port(), Deadline(5s), conn);
    if (error != 0) {
      trouble = std::string("connect: ") + std::strerror(error);
    } else {
      send_all(conn.get(), message, Deadline(5s));
      echoed = recv_until(conn.get(), message.size(), Deadline(5s));
    }
  } catch (const std::exception& error) {
    trouble = error.what();
  }
  if (echoed == message) return true;
  const std::optional<ExitStatus> died = server.wait(Deadline(2s));
  ADD_FAILURE() << "after " << what << ", a new client was not echoed ("
                << (trouble.empty() ? "nothing came back" : trouble) << "): "
                << (died ? "the server died, it " + died->describe() +
                               " (an exception out of a read or a write? SIGPIPE?)"
                         : std::string("the server runs but no longer serves"));
  return false;
}

}  // namespace

void check_echo_exact(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(20s);
  {
    OwnedFd conn = connect_loopback(server.port(), deadline);
    send_all(conn.get(), "hello, echo\n", deadline);
    EXPECT_EQ(recv_exact(conn.get(), 12, deadline), "hello, echo\n") << "a short line";
  }
  {
    OwnedFd conn = connect_loopback(server.port(), deadline);
    set_nodelay(conn.get());
    const std::string bytes = payload(100003, 11);
    const std::string got =
        exchange(conn.get(), bytes, deadline, {1, 2, 3, 7, 13, 4093, 1, 65537, 8191, 5});
    expect_same_bytes(bytes, got, "100003 bytes in odd pieces");
  }
  {
    OwnedFd conn = connect_loopback(server.port(), deadline);
    const std::string bytes = payload(16 << 20, 16);
    expect_same_bytes(bytes, exchange(conn.get(), bytes, deadline), "16 MiB");
  }
  {
    OwnedFd conn = connect_loopback(server.port(), deadline);
    if (::shutdown(conn.get(), SHUT_WR) < 0) fail("shutdown", errno);
    EXPECT_TRUE(wait_for_close(conn.get(), deadline))
        << "a client that sends nothing and shuts down its side: the server should close too";
  }
  OwnedFd conn = connect_loopback(server.port(), deadline);
  EXPECT_EQ(exchange(conn.get(), "still here", deadline), "still here");
}

void check_concurrent_reverse_order(const std::vector<std::string>& server_argv, int n) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(10s);
  std::vector<OwnedFd> conns;
  for (int i = 0; i < n; ++i) conns.push_back(connect_loopback(server.port(), deadline));
  for (int i = n - 1; i >= 0; --i) {
    const std::string message = "connection " + std::to_string(i) + "\n";
    send_all(conns[i].get(), message, deadline);
    ASSERT_EQ(recv_until(conns[i].get(), message.size(), Deadline(3s)), message)
        << "connection " << i << " of " << n << " (opened all first, written last first) was not "
        << "echoed within 3 s: the server serves one connection at a time?";
  }
}

void check_stalled_client_does_not_block_others(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(10s);
  OwnedFd stalled = connect_loopback(server.port(), deadline);
  // Never read: the server's write to it fills every buffer and blocks (or would block).
  const std::size_t sent = send_until_full(stalled.get(), 200ms, 64 << 20);
  EXPECT_GT(sent, 0U);
  for (int i = 0; i < 3; ++i) {
    OwnedFd other = connect_loopback(server.port(), deadline);
    const std::string message = "client " + std::to_string(i) + " while one is stalled\n";
    send_all(other.get(), message, deadline);
    ASSERT_EQ(recv_until(other.get(), message.size(), Deadline(3s)), message)
        << "a client stalled mid-message (" << sent
        << " bytes sent, nothing read) blocks the others";
  }
  stalled.reset();
  OwnedFd after = connect_loopback(server.port(), deadline);
  EXPECT_EQ(exchange(after.get(), "after the stalled one left", deadline),
            "after the stalled one left");
}

void check_reset_and_disconnect_mid_stream(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(15s);
  const std::size_t fds_at_start = server.open_fd_count();
  {  // A reset mid-stream: some echo read, then RST (SO_LINGER with a zero timeout)
    OwnedFd conn = connect_loopback(server.port(), deadline);
    (void)send_until_full(conn.get(), 100ms, 1 << 20);
    (void)recv_exact(conn.get(), 1, deadline);  // the server is echoing now
    reset_on_close(conn.get());
  }
  if (!expect_still_serving(server, "a client reset while the server was writing its echo")) {
    return;
  }
  {  // A reset while the server waits to read: everything echoed, then RST (ECONNRESET in read)
    OwnedFd conn = connect_loopback(server.port(), deadline);
    EXPECT_EQ(exchange(conn.get(), "all of it read back", deadline), "all of it read back");
    reset_on_close(conn.get());
  }
  if (!expect_still_serving(server, "a client reset while the server waited to read from it")) {
    return;
  }
  {  // A close while the server writes to us: it was blocked writing the echo we never read
    OwnedFd conn = connect_loopback(server.port(), deadline);
    (void)send_until_full(conn.get(), 100ms, 4 << 20);
  }
  {  // A client that sends, shuts down its side and leaves with the echo unread
    OwnedFd conn = connect_loopback(server.port(), deadline);
    send_all(conn.get(), payload(100000, 3), deadline);
    if (::shutdown(conn.get(), SHUT_WR) < 0) fail("shutdown", errno);
  }
  OwnedFd conn = connect_loopback(server.port(), deadline);
  const std::string bytes = payload(300000, 5);
  expect_same_bytes(bytes, exchange(conn.get(), bytes, deadline),
                    "a client after three that left early");
  conn.reset();
  ASSERT_TRUE(server.running()) << "the server died: SIGPIPE not ignored, or EPIPE/ECONNRESET "
                                   "treated as fatal? ("
                                << server.stop().describe() << ")";
  std::size_t fds_now = 0;
  EXPECT_TRUE(poll_until(Deadline(5s),
                         [&] {
                           fds_now = server.open_fd_count();
                           return fds_now <= fds_at_start;
                         }))
      << "the server had " << fds_at_start << " fds open at the start and still has " << fds_now
      << ": a connection's fd was not closed";
}

namespace {

// The server's end of our one connection to `port`, as /proc/net/tcp shows it: rx_queue is what
// the server has not read yet, tx_queue what it wrote and we have not acknowledged.
std::optional<TcpSocket> server_end(std::uint16_t port) {
  for (const TcpSocket& socket : tcp_sockets()) {
    if (socket.local_port == port && socket.state == kTcpEstablished) return socket;
  }
  return std::nullopt;
}

int queued(int fd, unsigned long request) {  // SIOCINQ: unread; SIOCOUTQ: unacknowledged
  int bytes = 0;
  if (::ioctl(fd, request, &bytes) < 0) fail("ioctl", errno);
  return bytes;
}

// The server's end once it has read everything we sent (our send queue and its receive queue
// are empty) within `within`; nullopt if it has not. Our own queue is looked at first: it is
// cheap, and /proc/net/tcp may list thousands of sockets (TIME_WAIT ones of other tests).
std::optional<TcpSocket> server_read_everything(int fd, std::uint16_t port,
                                                std::chrono::milliseconds within) {
  std::optional<TcpSocket> end;
  const bool read = poll_until(Deadline(within), [&] {
    if (queued(fd, SIOCOUTQ) != 0) return false;
    end = server_end(port);
    return end && end->rx_queue == 0;
  });
  return read ? end : std::nullopt;
}

// Whether any thread of pid is in state R (running, or runnable and waiting for a CPU).
bool any_thread_runnable(pid_t pid) {
  std::error_code error;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
    const std::optional<StatLine> stat = read_stat(std::stoi(task.path().filename().string()));
    if (stat && stat->state == 'R') return true;
  }
  return false;
}

// Sends without reading, 64 KiB at a time, while the server reads everything we send, until it
// holds at least 32 KiB of echo in its own memory (`owed`: what it read, less what its socket
// took, its tx_queue, and what reached our receive buffer, which stays at its first size since we
// do not read). Its socket's buffers and ours are full then, and it waits to write, still reading
// (32 KiB is below every lab's flow-control mark). A server that writes before it reads again (a
// blocking one) stops reading instead: we stop too. Returns the bytes sent ('h's).
std::size_t fill_until_the_server_owes(int fd, std::uint16_t port, const Deadline& deadline,
                                       long long& owed) {
  constexpr std::size_t kChunk = 64 << 10;
  constexpr long long kOwed = 32 << 10;
  const std::string chunk(kChunk, 'h');
  std::size_t sent = 0;
  owed = 0;
  // The deadline too: each turn reads /proc/net/tcp, slow on a machine with many sockets open.
  while (owed < kOwed && sent < (64u << 20) && !deadline.expired()) {
    send_all(fd, chunk, deadline);
    sent += kChunk;
    const std::optional<TcpSocket> end = server_read_everything(fd, port, 1s);
    if (!end) break;
    owed = static_cast<long long>(sent) - end->tx_queue - queued(fd, SIOCINQ);
  }
  return sent;
}

}  // namespace

void check_half_close_returns_every_byte(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(30s);
  OwnedFd conn = connect_loopback(server.port(), deadline);
  long long owed = 0;
  const std::size_t sent = fill_until_the_server_owes(conn.get(), server.port(), deadline, owed);
  if (::shutdown(conn.get(), SHUT_WR) < 0) fail("shutdown", errno);
  // Let the server read our EOF (it owes bytes meanwhile): everything read, and every one of its
  // threads asleep again. A bounded wait, not an assertion: a blocking server is still writing.
  (void)poll_until(Deadline(2s), [&] {
    return !any_thread_runnable(server.pid()) &&
           server_read_everything(conn.get(), server.port(), 0ms).has_value();
  });
  // Now read, in small pieces.
  std::string back;
  while (back.size() < sent) {
    const std::string piece = recv_until(conn.get(), 4096, deadline);
    if (piece.empty()) break;  // EOF (or the deadline)
    back += piece;
  }
  // The server held tens of KiB of echo in its memory only if it went on reading (event loops).
  const std::string held = owed >= (32 << 10) ? " (the server held about " + std::to_string(owed) +
                                                    " bytes of their echo in its own memory)"
                                              : "";
  EXPECT_EQ(back.size(), sent)
      << "sent " << sent << " bytes" << held
      << ", shut down the sending side (EOF for the server), then read: only " << back.size()
      << " came back before the server closed. Every byte sent before EOF must be read and "
      << "echoed; close only once the last one is out";
  EXPECT_EQ(back.find_first_not_of('h'), std::string::npos) << "the echo is not what was sent";
  EXPECT_TRUE(wait_for_close(conn.get(), Deadline(5s)))
      << "every byte came back, but the server did not close the connection after our EOF";
  OwnedFd after = connect_loopback(server.port(), deadline);
  EXPECT_EQ(exchange(after.get(), "after the half-close", deadline), "after the half-close");
}

bool expect_idle_cpu(pid_t pid, std::string_view what) {
  const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  const long long before = cpu_ticks(pid);
  // A measurement window, not a wait for an event: nothing is expected to happen during it.
  // Its threads' states are looked at every 10 ms meanwhile: a busy loop is runnable (R) at
  // nearly every look even when a loaded machine gives it little CPU; a sleeping server never.
  int looks = 0;
  int runnable = 0;
  for (const Deadline window(1s); !window.expired(); std::this_thread::sleep_for(10ms)) {
    ++looks;
    if (any_thread_runnable(pid)) ++runnable;
  }
  const long long used = cpu_ticks(pid) - before;
  if (used >= ticks_per_second / 10 || runnable * 2 > looks) {
    ADD_FAILURE() << "the server used " << used << " of the " << ticks_per_second
                  << " clock ticks of a second (utime + stime in /proc/" << pid
                  << "/stat), and a thread of it "
                  << "was runnable (state R) at " << runnable << " of " << looks << " looks, "
                  << what << ": a busy loop. It has nothing to do: it should sleep in its wait";
    return false;
  }
  return true;
}

void check_idle_after_a_stall_does_not_spin(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(20s);
  OwnedFd stalled = connect_loopback(server.port(), deadline);
  long long owed = 0;
  const std::size_t sent = fill_until_the_server_owes(stalled.get(), server.port(), deadline, owed);
  ASSERT_GE(owed, 32 << 10) << "the server never held 32 KiB of echo for a client that does not "
                               "read: does it read at all while it cannot write?";
  // Now read it all: the server's output drains and it has nothing left to write. (Nothing is
  // sent before the measurement: a new echo would make the server look at its interest again.)
  EXPECT_EQ(recv_exact(stalled.get(), sent, deadline).size(), sent);
  if (!expect_idle_cpu(server.pid(),
                       "while its only client, which had stalled (the server "
                       "waited to write to it) and then read everything, was idle")) {
    return;
  }
  EXPECT_EQ(exchange(stalled.get(), "still served", deadline), "still served");
}

void check_graceful_stop(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(15s);
  OwnedFd conn = connect_loopback(server.port(), deadline);
  ASSERT_EQ(exchange(conn.get(), "before the stop", deadline), "before the stop");
  const std::vector<pid_t> children = server.children();
  server.signal(SIGTERM);

  int last_error = 0;
  const bool refused = poll_until(Deadline(5s), [&] {
    OwnedFd probe;
    last_error = try_connect(server.port(), Deadline(1s), probe);
    return last_error == ECONNREFUSED;
  });
  EXPECT_TRUE(refused) << "after SIGTERM, a new connect should be refused once the server stops "
                          "accepting (close the listener); the last attempt gave: "
                       << (last_error == 0 ? "connected" : std::strerror(last_error));
  EXPECT_EQ(exchange(conn.get(), "after the stop", deadline), "after the stop")
      << "the connection open at SIGTERM must still be served";
  conn.reset();
  const std::optional<ExitStatus> status = server.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value())
      << "the server did not exit within 5 s of its last client leaving";
  EXPECT_TRUE(status->success()) << "a graceful stop exits 0; it " << status->describe();
  for (const pid_t child : children) {
    EXPECT_TRUE(
        poll_until(Deadline(5s), [child] { return ::kill(child, 0) < 0 && errno == ESRCH; }))
        << "the server's child " << child << " is still there after the server exited";
  }
}

void check_serialises(const std::vector<std::string>& server_argv) {
  ServerProcess server(on_port_zero(server_argv));
  const Deadline deadline(10s);
  OwnedFd first = connect_loopback(server.port(), deadline);
  ASSERT_EQ(exchange(first.get(), "first client", deadline), "first client");
  // The kernel completes the handshake for the second client (it waits in the listen backlog).
  OwnedFd second = connect_loopback(server.port(), deadline);
  send_all(second.get(), "second client", deadline);
  EXPECT_EQ(recv_until(second.get(), 13, Deadline(300ms)), "")
      << "the second client was echoed while the first was still connected: not iterative";
  EXPECT_EQ(exchange(first.get(), "first again", deadline), "first again")
      << "the first client is still the one being served";
  first.reset();
  EXPECT_EQ(recv_until(second.get(), 13, Deadline(5s)), "second client")
      << "once the first client left, the second one must be served";
}

}  // namespace syslab::test::echo
