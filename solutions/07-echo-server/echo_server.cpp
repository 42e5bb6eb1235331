// Lab 07: echo-server, an iterative TCP echo server. It prints "listening on ADDRESS:PORT" (the
// kernel's port when asked for port 0), serves one client after the other, and on SIGTERM or
// SIGINT stops accepting, finishes the client it is serving and exits 0.
// Try: echo-server --port 0, then echo-client 127.0.0.1 PORT in two terminals; ss -tan.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "command_line.hpp"
#include "echo.hpp"
#include "socket.hpp"
#include "stop_signal.hpp"
#include "syslab/error.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: echo-server [--host HOST] [--port PORT] [--model=iterative]\n"
    "  Echoes every byte each client sends. Prints \"listening on ADDRESS:PORT\" once it\n"
    "  listens (PORT 0, the default, lets the kernel choose). SIGTERM or SIGINT: stop accepting,\n"
    "  finish the client being served, exit 0.\n"
    "  --host HOST    the address to listen on, a name or a number (default 127.0.0.1; \"::1\" for "
    "IPv6)\n"
    "  --port PORT    the port (default 0)\n"
    "  --model MODEL  how clients are served; this lab has one: iterative (one after the other)\n";

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string model = "iterative";
};

// Parses the command line; --help prints the usage and exits 0, a bad argument exits 2.
Options parse_arguments(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (auto host = net::take_option_value("--host", argc, argv, i)) {
      options.host = *host;
    } else if (auto port = net::take_option_value("--port", argc, argv, i)) {
      options.port = net::parse_port(*port);
    } else if (auto model = net::take_option_value("--model", argc, argv, i)) {
      options.model = *model;
    } else {
      throw std::invalid_argument("unknown argument \"" + std::string(arg) + "\"");
    }
  }
  if (options.model != "iterative") {
    throw std::invalid_argument("unknown model \"" + options.model +
                                "\" (this lab has: iterative)");
  }
  return options;
}

}  // namespace

// [slide:main-1]
int main(int argc, char** argv) {
  Options options;
  try {
    options = parse_arguments(argc, argv);
  } catch (const std::invalid_argument& error) {
    std::cerr << "echo-server: " << error.what() << "\n" << kUsage;
    return 2;
  }
  // [/slide]
  // [slide:main-2]
  try {
    // A client that leaves while we write to it is EPIPE from write(2), not a fatal SIGPIPE.
    if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) syslab::throw_errno("signal SIGPIPE");
    const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
    net::Listener listener = net::listen_tcp(options.host, options.port);
    std::cout << "listening on " << net::local_address(listener.fd()) << std::endl;  // flushed
    net::serve_iterative(std::move(listener), stop);
    std::cerr << "echo-server: stopped\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "echo-server: " << error.what() << "\n";
    return 1;
  }
}
// [/slide]
