// The echo servers' shared suite (labs 07-11). Every echo server answers to one interface:
//   PROGRAM [--host H] [--port P] [--model=M]
// prints "listening on ADDRESS:PORT" on stdout once it listens (the real port for port 0), echoes
// every byte of every client, and on SIGTERM stops accepting, finishes its open connections and
// exits 0. The checks below take the server's command line, start it with ServerProcess on port 0,
// and prove one property each through sockets and /proc; a lab's SYSLAB_TEST calls the ones that
// apply to its model. Every blocking step has a deadline; nothing sleeps to synchronise.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syslab/deadline.hpp"
#include "syslab/files.hpp"
#include "syslab/process.hpp"

namespace syslab::test::echo {

// ---- a small blocking-style client with deadlines -------------------------------------------
// Sockets are non-blocking and close-on-exec (the calls below work on blocking ones too: they
// use MSG_DONTWAIT); every call waits with poll(2) up to its deadline
// and throws std::runtime_error (which fails the test with its message) when the deadline passes
// or the connection fails. Sends use MSG_NOSIGNAL: a server that resets us cannot kill the test.

// Connects to 127.0.0.1:port. Throws on failure, naming the errno.
OwnedFd connect_loopback(std::uint16_t port, const Deadline& deadline);
// The same, but the outcome is a value: 0 when connected (conn then owns the socket), else the
// errno (ECONNREFUSED: nobody listens; ETIMEDOUT: the deadline passed).
int try_connect(std::uint16_t port, const Deadline& deadline, OwnedFd& conn);

void send_all(int fd, std::string_view bytes, const Deadline& deadline);
// Exactly n bytes; throws at EOF or the deadline, saying how many came.
std::string recv_exact(int fd, std::size_t n, const Deadline& deadline);
// Whatever arrives until the deadline, EOF or max bytes: never throws for the deadline. For
// negative checks ("nothing comes back yet").
std::string recv_until(int fd, std::size_t max, const Deadline& deadline);
// True when the peer closed (EOF or reset) before the deadline; data before it is discarded.
bool wait_for_close(int fd, const Deadline& deadline);
// Sends payload while reading its echo at the same time (neither side can deadlock on full
// buffers), in pieces whose sizes cycle through `pieces` (each piece its own send; empty: as
// much as fits). Returns what came back once payload.size() bytes did; throws at EOF or deadline.
std::string exchange(int fd, std::string_view payload, const Deadline& deadline,
                     const std::vector<std::size_t>& pieces = {});
// Sends without reading until the socket has not been writable for `quiet`: the kernel's buffers
// on both sides are full (or `limit` bytes went out). Returns the bytes sent.
std::size_t send_until_full(int fd, std::chrono::milliseconds quiet, std::size_t limit);
// n reproducible pseudo-random bytes (xorshift32 from seed).
std::string payload(std::size_t n, std::uint32_t seed);
// The first offset where a and b differ (a length difference counts), or nullopt: for payloads
// too big to print in an assertion.
std::optional<std::size_t> first_difference(std::string_view a, std::string_view b);

// ---- the server under test -------------------------------------------------------------------
// Runs argv (argv[0] a path) in a child process with stdout on a pipe, and reads its "listening
// on ADDRESS:PORT" line within `startup`; throws (after killing and reaping it) when the line does
// not come. Its stderr is the test's, so a stub's TODO line reaches the runner. SIGPIPE is set to
// its default and no signal is blocked in the child: the server must handle them itself. The
// server gets fds 0, 1 and 2 only, so every other fd it has is one it opened.
// Destruction stops it: SIGTERM, a wait with a deadline, then SIGKILL. It never leaves a zombie.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> argv,
                         std::chrono::milliseconds startup = std::chrono::seconds(5));
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& listening_line() const { return line_; }

  // From /proc/PID: "Threads:" of status, the pids whose parent it is, its open fds.
  [[nodiscard]] int thread_count() const;
  [[nodiscard]] std::vector<pid_t> children() const;
  [[nodiscard]] std::size_t open_fd_count() const;

  // Sends a signal (kill(2)).
  void signal(int signal) const;
  // True while it runs (not yet exited: a zombie counts as exited).
  [[nodiscard]] bool running();
  // Waits for it to exit and reaps it; nullopt when the deadline passed first.
  std::optional<ExitStatus> wait(const Deadline& deadline);
  // SIGTERM, wait up to grace, then SIGKILL; the exit status (timed_out when it needed SIGKILL).
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;  // once reaped
  OwnedFd stdout_;
  std::string line_;
  std::uint16_t port_ = 0;
};

// ---- the checks, parametrised by the server's command line (without --port) -------------------

// Bytes come back exactly: a short line; 100 003 bytes sent in pieces of odd sizes (1, 2, 3, 7 ...)
// with TCP_NODELAY, so that the server's reads split at odd boundaries; 16 MiB sent and read at
// once; and a connection that closes without a byte.
void check_echo_exact(const std::vector<std::string>& server);

// Opens n connections first, then writes on the last one first: each must be echoed within a
// deadline. A server that serves one connection at a time is stuck on the first: it cannot pass.
void check_concurrent_reverse_order(const std::vector<std::string>& server, int n = 8);

// One client sends without ever reading until every buffer is full (the server's write to it
// blocks, mid-message); three other clients must still be echoed.
void check_stalled_client_does_not_block_others(const std::vector<std::string>& server);

// A client that resets mid-stream (SO_LINGER 0), one that closes while the server is writing to
// it, and one that leaves with its echo unread: the server survives (no SIGPIPE death), goes on
// serving, and its fd count comes back to where it was.
void check_reset_and_disconnect_mid_stream(const std::vector<std::string>& server);

// SIGTERM with a connection open: the server stops accepting (a new connect is refused within a
// deadline), the open connection still gets its echo, and once it closes the server exits 0;
// no child process it had is left.
void check_graceful_stop(const std::vector<std::string>& server);

// For the iterative model: while a first client is connected and idle, a second client's bytes
// are not echoed; once the first leaves, they are. The negative part looks for 300 ms. That wait
// asserts order, not speed: a concurrent server echoes in well under a millisecond on loopback,
// and a slower machine can only make a concurrent server look sequential (the check then passes
// where it should not), never make a sequential server fail it.
void check_serialises(const std::vector<std::string>& server);

}  // namespace syslab::test::echo
