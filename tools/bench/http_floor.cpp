// http-floor: the smallest possible HTTP/1.1 server, the floor of make bench's HTTP/1.1 section.
// One thread, one level-triggered epoll set, non-blocking sockets. It parses nothing: every
// request head ends with an empty line ("\r\n\r\n"), and each one found gets the same canned
// response, a 200 with the bytes of --file read once at startup. No routing, no headers looked at,
// no bodies, no timers, no logging: what one request costs here is the least the kernel and an
// event loop need, and make bench shows every HTTP server's CPU per request as a multiple of it.
// Not a server to use: it answers anything, even garbage that happens to hold an empty line.
// Try: http-floor --file /etc/hostname & curl -v http://127.0.0.1:PORT/
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

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

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string file;
};

Options parse_arguments(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg != "--host" && arg != "--port" && arg != "--file") || i + 1 == argc)
      throw std::invalid_argument(kUsage.data());
    const std::string_view value = argv[++i];
    if (arg == "--host") {
      options.host = value;
    } else if (arg == "--file") {
      options.file = value;
    } else if (std::from_chars(value.data(), value.data() + value.size(), options.port).ec !=
               std::errc()) {
      throw std::invalid_argument("--port wants a number from 0 to 65535");
    }
  }
  return options;
}

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

// Every fd of this program lives until it exits or until close_connection: no RAII needed for
// the few that last the whole run, and the process's exit closes them.
int check(int result, std::string_view call) {
  if (result < 0) syslab::throw_errno(call);
  return result;
}

int listen_on(const Options& options) {
  const int fd = check(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket");
  const int on = 1;
  check(::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on), "setsockopt SO_REUSEADDR");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.port);
  if (::inet_pton(AF_INET, options.host.c_str(), &address.sin_addr) != 1) {
    throw std::invalid_argument("--host wants an IPv4 address, not \"" + options.host + "\"");
  }
  check(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), "bind");
  check(::listen(fd, SOMAXCONN), "listen");
  socklen_t length = sizeof address;
  check(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), "getsockname");
  std::cout << "listening on " << options.host << ":" << ntohs(address.sin_port) << std::endl;
  return fd;
}

int stop_signal_fd() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  check(::sigprocmask(SIG_BLOCK, &signals, nullptr), "sigprocmask");
  return check(::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC), "signalfd");
}

void watch(int epoll, int op, int fd, std::uint32_t events) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  check(::epoll_ctl(epoll, op, fd, &event), "epoll_ctl");
}

// A connection: the tail of its input that does not end a head yet, and the responses it is
// owed: how many, and how much of the first one the kernel has taken already.
struct Connection {
  std::string input;
  std::size_t owed = 0;
  std::size_t offset = 0;
};

class Server {
 public:
  Server(int listener, int stop, std::string response)
      : listener_(listener), stop_(stop), response_(std::move(response)) {
    watch(epoll_, EPOLL_CTL_ADD, listener_, EPOLLIN);
    watch(epoll_, EPOLL_CTL_ADD, stop_, EPOLLIN);
  }

  void run() {
    std::array<epoll_event, 256> events{};
    for (;;) {
      const int ready = ::epoll_wait(epoll_, events.data(), events.size(), -1);
      if (ready < 0 && errno == EINTR) continue;
      check(ready, "epoll_wait");
      for (const epoll_event& event : std::span(events.data(), static_cast<std::size_t>(ready))) {
        if (event.data.fd == stop_) return;
        if (event.data.fd == listener_) {
          accept_all();
        } else {
          serve(event.data.fd);
        }
      }
    }
  }

 private:
  void accept_all() {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == ECONNABORTED || errno == EINTR) continue;  // that client gave up: next
        syslab::throw_errno("accept4");  // EMFILE and the like: the floor does not shed load
      }
      connections_[fd];
      watch(epoll_, EPOLL_CTL_ADD, fd, EPOLLIN);
    }
  }

  // A connection waits either for requests or for room to send its responses, never both: a
  // client that does not read is not read from either, and memory stays bounded.
  void serve(int fd) {
    Connection& connection = connections_[fd];
    if (connection.owed > 0) {
      if (flush(fd, connection) && connection.owed == 0) {
        watch(epoll_, EPOLL_CTL_MOD, fd, EPOLLIN);
      }
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
    if (flush(fd, connection) && connection.owed > 0) {
      watch(epoll_, EPOLL_CTL_MOD, fd, EPOLLOUT);
    }
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

  void close_connection(int fd) {
    connections_.erase(fd);
    ::close(fd);  // also removes it from the epoll set
  }

  int epoll_ = check(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
  int listener_;
  int stop_;
  std::string response_;
  std::unordered_map<int, Connection> connections_;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options options = parse_arguments(argc, argv);
    std::string response = canned_response(options.file);
    // writev has no MSG_NOSIGNAL: a client that has gone must give EPIPE, not end the server.
    if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) syslab::throw_errno("signal SIGPIPE");
    const int stop = stop_signal_fd();
    Server(listen_on(options), stop, std::move(response)).run();
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "http-floor: " << error.what() << "\n";
    return 1;
  }
}
