// echo-floor: the smallest correct epoll echo server, the floor of make bench. One thread, one
// level-triggered epoll set, non-blocking sockets, a small buffer per connection for the part of
// an echo the kernel would not take yet. No framework, no timers, no logging: what one round trip
// costs here is the least that the kernel and an event loop need, and make bench shows every
// model's server CPU per round trip as a multiple of it.
// Try: echo-floor --port 0 & echo-load --port PORT --connections 100 --duration 2
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "syslab/error.hpp"

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

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

Options parse_arguments(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--model=")) continue;  // make bench names every server's model
    if ((arg != "--host" && arg != "--port") || i + 1 == argc)
      throw std::invalid_argument(kUsage.data());
    const std::string_view value = argv[++i];
    if (arg == "--host") {
      options.host = value;
    } else if (std::from_chars(value.data(), value.data() + value.size(), options.port).ec !=
               std::errc()) {
      throw std::invalid_argument("--port wants a number from 0 to 65535");
    }
  }
  return options;
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

class Server {
 public:
  Server(int listener, int stop) : listener_(listener), stop_(stop) {
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

  // A connection is either waiting for input or for room to send its echo, never both: one at a
  // time keeps the order of the bytes, and stops reading from a client that does not read.
  void serve(int fd) {
    const Connection& connection = connections_[fd];
    if (connection.begin < connection.end) {
      flush(fd);
    } else {
      echo(fd);
    }
  }

  // Readable (or hung up): read what is there and send it straight back; what the kernel does
  // not take waits in the buffer, and the connection waits for EPOLLOUT instead of input.
  void echo(int fd) {
    Connection& connection = connections_[fd];
    const ssize_t got = ::read(fd, connection.data.data(), connection.data.size());
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got <= 0) return close_connection(fd);  // end of stream, or ECONNRESET and the like
    connection.begin = 0;
    connection.end = static_cast<std::size_t>(got);
    if (flush_some(fd, connection) && connection.begin < connection.end) {
      watch(epoll_, EPOLL_CTL_MOD, fd, EPOLLOUT);
    }
  }

  // Writable: the rest of the echo; once it is all out, back to reading.
  void flush(int fd) {
    Connection& connection = connections_[fd];
    if (flush_some(fd, connection) && connection.begin == connection.end) {
      watch(epoll_, EPOLL_CTL_MOD, fd, EPOLLIN);
    }
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

  void close_connection(int fd) {
    connections_.erase(fd);
    ::close(fd);  // also removes it from the epoll set
  }

  int epoll_ = check(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
  int listener_;
  int stop_;
  std::unordered_map<int, Connection> connections_;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options options = parse_arguments(argc, argv);
    const int stop = stop_signal_fd();
    Server(listen_on(options), stop).run();
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "echo-floor: " << error.what() << "\n";
    return 1;
  }
}
