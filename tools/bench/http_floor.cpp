// http-floor: the smallest possible HTTP/1.1 server, the floor of make bench's HTTP/1.1 section.
// One thread, one level-triggered epoll set, non-blocking sockets. It parses nothing: every
// request head ends with an empty line ("\r\n\r\n"), and each one found gets the same canned
// response, a 200 with the bytes of --file read once at startup. No routing, no headers looked at,
// no bodies, no timers, no logging: what one request costs here is the least the kernel and an
// event loop need, and make bench shows every HTTP server's CPU per request as a multiple of it.
// Not a server to use: it answers anything, even garbage that happens to hold an empty line.
// Try: http-floor --file /etc/hostname & curl -v http://127.0.0.1:PORT/
#include <signal.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

#include "floor.hpp"
#include "syslab/error.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: http-floor [--host 127.0.0.1] [--port PORT] [--file PATH]\n"
    "  The smallest HTTP/1.1 server: make bench's floor. Answers every request head (whatever\n"
    "  it says) with 200 and the bytes of PATH (default: an empty body). Prints \"listening on\n"
    "  ADDRESS:PORT\" once it listens (PORT 0, the default, lets the kernel choose).\n"
    "  SIGTERM or SIGINT: exit.\n";

constexpr std::string_view kEndOfHead = "\r\n\r\n";
constexpr std::size_t kReadSize = 16 * 1024;
constexpr std::size_t kBatch = 64;  // responses per writev (IOV_MAX is 1024)

// The one response this server sends: a head with the body's length, then the body.
std::string canned_response(const std::string& path) {
  std::string body;
  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::invalid_argument("cannot read --file " + path);
    body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return "HTTP/1.1 200 OK\r\nServer: http-floor\r\nContent-Type: application/octet-stream\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A connection: the tail of its input that does not end a head yet, and the responses it is
// owed: how many, and how much of the first one the kernel has taken already.
struct Connection {
  std::string input;
  std::size_t owed = 0;
  std::size_t offset = 0;
};

class Server : public floor_server::Loop<Connection> {
 public:
  Server(int listener, int stop, std::string response)
      : Loop(listener, stop), response_(std::move(response)) {}

 private:
  // A connection waits either for requests or for room to send its responses, never both: a
  // client that does not read is not read from either, and memory stays bounded.
  void serve(int fd, Connection& connection) override {
    if (connection.owed > 0) {
      if (flush(fd, connection) && connection.owed == 0) wait_for(fd, EPOLLIN);
    } else {
      answer(fd, connection);
    }
  }

  // Readable (or hung up): read what is there, queue one response per complete head, send.
  void answer(int fd, Connection& connection) {
    std::array<char, kReadSize> buffer;
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got <= 0) return close_connection(fd);  // end of stream, or ECONNRESET and the like
    connection.input.append(buffer.data(), static_cast<std::size_t>(got));
    std::size_t from = 0;
    for (std::size_t end; (end = connection.input.find(kEndOfHead, from)) != std::string::npos;) {
      ++connection.owed;
      from = end + kEndOfHead.size();
    }
    connection.input.erase(0, from);
    if (flush(fd, connection) && connection.owed > 0) wait_for(fd, EPOLLOUT);
  }

  // Writes the responses owed until none is left or the kernel says EAGAIN; false when it closed
  // fd. One writev for up to kBatch responses, every iovec pointing at the one canned response:
  // nothing is copied in user space, however many requests came in one read.
  bool flush(int fd, Connection& connection) {
    std::array<iovec, kBatch> pieces;
    while (connection.owed > 0) {
      const std::size_t count = std::min(connection.owed, kBatch);
      for (std::size_t i = 0; i < count; ++i) {
        const std::size_t skip = i == 0 ? connection.offset : 0;
        pieces[i] = {response_.data() + skip, response_.size() - skip};
      }
      const ssize_t sent = ::writev(fd, pieces.data(), static_cast<int>(count));
      if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
        if (errno == EINTR) continue;
        close_connection(fd);  // EPIPE, ECONNRESET: the client has gone
        return false;
      }
      consume(connection, static_cast<std::size_t>(sent));
    }
    return true;
  }

  // The kernel took sent bytes of the responses owed.
  void consume(Connection& connection, std::size_t sent) const {
    const std::size_t total = connection.offset + sent;
    connection.owed -= total / response_.size();
    connection.offset = total % response_.size();
  }

  std::string response_;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string file;
    const floor_server::Options options =
        floor_server::parse_arguments(argc, argv, kUsage, [&](auto name, auto value) {
          if (name != "--file") return false;
          file = value;
          return true;
        });
    std::string response = canned_response(file);
    // writev has no MSG_NOSIGNAL: a client that has gone must give EPIPE, not end the server.
    if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) syslab::throw_errno("signal SIGPIPE");
    const int stop = floor_server::stop_signal_fd();
    Server(floor_server::listen_on(options), stop, std::move(response)).run();
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "http-floor: " << error.what() << "\n";
    return 1;
  }
}
