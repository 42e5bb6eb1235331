#include "floor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <charconv>
#include <iostream>
#include <stdexcept>

namespace floor_server {

Options parse_arguments(int argc, char** argv, std::string_view usage, const ExtraOption& extra) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--model=")) continue;
    if (i + 1 == argc) throw std::invalid_argument(std::string(usage));
    const std::string_view value = argv[++i];
    if (arg == "--host") {
      options.host = value;
    } else if (arg == "--port") {
      if (std::from_chars(value.data(), value.data() + value.size(), options.port).ec !=
          std::errc()) {
        throw std::invalid_argument("--port wants a number from 0 to 65535");
      }
    } else if (!extra || !extra(arg, value)) {
      throw std::invalid_argument(std::string(usage));
    }
  }
  return options;
}

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

}  // namespace floor_server
