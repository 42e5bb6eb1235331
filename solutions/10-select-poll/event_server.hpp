// Lab 10: one thread serves every client. The event server never blocks on a socket: the listener
// and the connections are non-blocking, a Poller says which are ready, and each connection keeps
// the echo its client has not taken yet. It runs on any Poller (select, poll, and lab 11's epoll).
// Look at: echo-server --model=poll; grep Threads /proc/PID/status; ls -l /proc/PID/fd.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "poller.hpp"
#include "socket.hpp"
#include "syslab/error.hpp"
#include "unique_fd.hpp"

namespace mux {

// [slide:limits]
// Flow control: a connection that owes its client this many bytes of echo is not read from until
// the client has taken some, so a client that never reads costs at most this much memory.
inline constexpr std::size_t kOutputCap = 256 * 1024;
// accept4 failed with EMFILE or ENFILE: the listener is not watched for this long, so that a full
// fd table does not turn the loop into a busy loop on a listener that stays readable.
inline constexpr std::chrono::milliseconds kAcceptPause{100};
// [/slide]

// [slide:connection]
// One client: its socket and the echo it is owed, output[written..].
struct EchoConnection {
  explicit EchoConnection(net::Socket s) noexcept : socket(std::move(s)) {}

  net::Socket socket;
  std::string output;                  // bytes read from the client, not all written back yet
  std::size_t written = 0;             // how much of output went back already
  bool input_closed = false;           // the client sent EOF: close once the echo is out
  Interest watched = Interest::kRead;  // what the poller watches it for now

  [[nodiscard]] std::size_t owed() const { return output.size() - written; }
};
// [/slide]

// The loop and its state; serve_events is the way to use it. Single-threaded: one thread calls
// run(), and nothing here is shared.
class EventServer {
 public:
  EventServer(net::Listener listener, Poller& poller, fdio::BorrowedFd stop);
  ~EventServer();  // stops watching what it added: the poller outlives the server
  EventServer(const EventServer&) = delete;
  EventServer& operator=(const EventServer&) = delete;

  void run();

 private:
  void accept_clients();
  void pause_accepting(const syslab::SystemError& error);
  void resume_accepting_if_due();
  void begin_stop();
  void add_connection(net::Socket socket);
  void on_connection_ready(const Ready& ready);
  [[nodiscard]] bool read_from(EchoConnection& conn);
  [[nodiscard]] bool write_to(EchoConnection& conn);
  void update_interest(int fd, EchoConnection& conn);
  void close_connection(int fd);
  [[nodiscard]] std::optional<std::chrono::milliseconds> wait_timeout() const;

  std::optional<net::Listener> listener_;  // empty once stopping: connects are refused
  Poller& poller_;
  fdio::BorrowedFd stop_;
  bool watching_stop_ = false;
  std::unordered_map<int, EchoConnection> connections_;  // by fd
  std::optional<std::chrono::steady_clock::time_point> accept_paused_until_;
  std::vector<char> buffer_ = std::vector<char>(64 * 1024);  // one read's bytes, for every client
};

// Serves every client of listener from this thread until stop (a signalfd, an eventfd, a pipe)
// becomes readable. Then it stops gracefully: closes the listener (new connects are refused),
// goes on echoing the open connections until their clients close, and returns. A connection
// whose fd the poller cannot watch (FdNotWatchable) is closed with one line on stderr; the
// others go on. The poller is the caller's: on return it watches nothing this function added.
// Needs SIGPIPE ignored (a client gone mid-write is EPIPE). Throws on failures that are not one
// connection's (a poller that fails, an accept error other than running out of fds).
void serve_events(net::Listener listener, Poller& poller, fdio::BorrowedFd stop);

}  // namespace mux
