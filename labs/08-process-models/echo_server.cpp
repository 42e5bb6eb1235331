// Lab 08: echo-server with three process models. iterative (lab 07): one client at a time.
// fork: a child per connection. prefork: a master and N workers accepting on one socket, which
// the master keeps at N (SIGCHLD), replaces (SIGHUP) and stops (SIGTERM); it logs each event.
// Try: echo-server --model=prefork --workers 3, then ps --ppid PID; kill -HUP PID; kill PID.
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "command_line.hpp"
#include "echo.hpp"
#include "fork_server.hpp"
#include "prefork.hpp"
#include "socket.hpp"
#include "stop_signal.hpp"
#include "syslab/error.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: echo-server [--host HOST] [--port PORT] [--model=iterative|fork|prefork]\n"
    "                   [--workers N] [--grace-ms MS]\n"
    "  Echoes every byte each client sends. Prints \"listening on ADDRESS:PORT\" once it\n"
    "  listens (PORT 0, the default, lets the kernel choose). SIGTERM or SIGINT: stop accepting,\n"
    "  finish the open connections, exit 0 (1 if they had to be killed).\n"
    "  --host HOST    the address to listen on (default 127.0.0.1; \"::1\" for IPv6)\n"
    "  --port PORT    the port (default 0)\n"
    "  --model MODEL  iterative: one client after the other (lab 07)\n"
    "                 fork: a child process per connection\n"
    "                 prefork: a master and N workers accepting on the shared socket; the master\n"
    "                 replaces a worker that dies, SIGHUP replaces them all (the old ones finish\n"
    "                 their connections), every event is logged on stderr (default)\n"
    "  --workers N    prefork: how many workers (default 4)\n"
    "  --grace-ms MS  fork, prefork: how long open connections may take after SIGTERM before\n"
    "                 their processes are killed (default 30000; a second SIGTERM kills at once)\n";

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string model = "prefork";
  std::size_t workers = 4;
  std::chrono::milliseconds grace = models::kDefaultGrace;
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
    } else if (auto workers = net::take_option_value("--workers", argc, argv, i)) {
      options.workers = static_cast<std::size_t>(net::parse_number("--workers", *workers, 1, 1024));
    } else if (auto grace = net::take_option_value("--grace-ms", argc, argv, i)) {
      options.grace =
          std::chrono::milliseconds(net::parse_number("--grace-ms", *grace, 0, 24L * 3600 * 1000));
    } else {
      throw std::invalid_argument("unknown argument \"" + std::string(arg) + "\"");
    }
  }
  if (options.model != "iterative" && options.model != "fork" && options.model != "prefork") {
    throw std::invalid_argument("unknown model \"" + options.model +
                                "\" (there are: iterative, fork, prefork)");
  }
  return options;
}

// Each event of the master as one line on stderr (unbuffered).
void log_to_stderr(const std::string& line) { std::cerr << "echo-server: " << line << "\n"; }

// The line tests and scripts wait for: printed once the server listens and its signals are
// blocked (a SIGTERM right after it is a stop request, not death), flushed at once.
void announce(const std::string& address) { std::cout << "listening on " << address << std::endl; }

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse_arguments(argc, argv);
  } catch (const std::invalid_argument& error) {
    std::cerr << "echo-server: " << error.what() << "\n" << kUsage;
    return 2;
  }
  try {
    // A client that leaves while we write to it is EPIPE from write(2), not a fatal SIGPIPE.
    if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) syslab::throw_errno("signal SIGPIPE");
    net::Listener listener = net::listen_tcp(options.host, options.port);
    const std::string address = net::local_address(listener.fd());
    if (options.model == "fork") {
      models::ForkServer server(std::move(listener), {options.grace, log_to_stderr});
      announce(address);
      return server.run();
    }
    if (options.model == "prefork") {
      models::Arbiter arbiter(std::move(listener),
                              {options.workers, options.grace, log_to_stderr, {}});
      announce(address);  // the workers exist already
      return arbiter.run();
    }
    const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
    announce(address);
    net::serve_iterative(std::move(listener), stop);
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "echo-server: " << error.what() << "\n";
    return 1;
  }
}
