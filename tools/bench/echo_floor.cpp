// echo-floor: the smallest correct epoll echo server, the floor of make bench. One thread, one
// level-triggered epoll set, non-blocking sockets, a small buffer per connection for the part of
// an echo the kernel would not take yet. No framework, no timers, no logging: what one round trip
// costs here is the least that the kernel and an event loop need, and make bench shows every
// model's server CPU per round trip as a multiple of it.
// Try: echo-floor --port 0 & echo-load --port PORT --connections 100 --duration 2
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <iostream>
#include <string_view>

#include "floor.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: echo-floor [--host 127.0.0.1] [--port PORT] [--model=floor]\n"
    "  The smallest epoll echo server: make bench's floor. Prints \"listening on ADDRESS:PORT\"\n"
    "  once it listens (PORT 0, the default, lets the kernel choose). SIGTERM or SIGINT: exit.\n";

// A connection's echo that the kernel did not take yet: [begin, end) of data.
struct Connection {
  std::array<char, 4096> data{};
  std::size_t begin = 0;
  std::size_t end = 0;
};

class Server : public floor_server::Loop<Connection> {
 public:
  using Loop::Loop;

 private:
  // A connection is either waiting for input or for room to send its echo, never both: one at a
  // time keeps the order of the bytes, and stops reading from a client that does not read.
  void serve(int fd, Connection& connection) override {
    if (connection.begin < connection.end) {
      flush(fd, connection);
    } else {
      echo(fd, connection);
    }
  }

  // Readable (or hung up): read what is there and send it straight back; what the kernel does
  // not take waits in the buffer, and the connection waits for EPOLLOUT instead of input.
  void echo(int fd, Connection& connection) {
    const ssize_t got = ::read(fd, connection.data.data(), connection.data.size());
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got <= 0) return close_connection(fd);  // end of stream, or ECONNRESET and the like
    connection.begin = 0;
    connection.end = static_cast<std::size_t>(got);
    if (flush_some(fd, connection) && connection.begin < connection.end) wait_for(fd, EPOLLOUT);
  }

  // Writable: the rest of the echo; once it is all out, back to reading.
  void flush(int fd, Connection& connection) {
    if (flush_some(fd, connection) && connection.begin == connection.end) wait_for(fd, EPOLLIN);
  }

  // Writes until the buffer is empty or the kernel says EAGAIN; false when it closed fd.
  bool flush_some(int fd, Connection& connection) {
    while (connection.begin < connection.end) {
      const ssize_t sent = ::send(fd, connection.data.data() + connection.begin,
                                  connection.end - connection.begin, MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        if (errno == EINTR) continue;
        close_connection(fd);  // EPIPE, ECONNRESET: the client has gone
        return false;
      }
      connection.begin += static_cast<std::size_t>(sent);
    }
    return true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const floor_server::Options options = floor_server::parse_arguments(argc, argv, kUsage);
    const int stop = floor_server::stop_signal_fd();
    Server(floor_server::listen_on(options), stop).run();
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "echo-floor: " << error.what() << "\n";
    return 1;
  }
}
