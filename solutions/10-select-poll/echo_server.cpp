// Lab 10: echo-server with three models: iterative (lab 07), select and poll (one thread, an
// event loop over a Poller). Same interface as every echo-server: "listening on ADDRESS:PORT" on
// stdout, SIGTERM or SIGINT stop it gracefully, exit 0.
// Try: echo-server --model=select; ls -l /proc/PID/fd; strace -e trace=select,pselect6,poll -p PID
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "command_line.hpp"
#include "echo.hpp"
#include "event_server.hpp"
#include "poller.hpp"
#include "rlimits.hpp"
#include "socket.hpp"
#include "stop_signal.hpp"
#include "syslab/error.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: echo-server [--host HOST] [--port PORT] [--model=iterative|select|poll]\n"
    "  Echoes every byte each client sends. Prints \"listening on ADDRESS:PORT\" once it\n"
    "  listens (PORT 0, the default, lets the kernel choose). SIGTERM or SIGINT: stop accepting,\n"
    "  finish the open connections, exit 0.\n"
    "  --host HOST    the address to listen on, a name or a number (default 127.0.0.1)\n"
    "  --port PORT    the port (default 0)\n"
    "  --model MODEL  iterative: one client after the other (lab 07)\n"
    "                 select:    one thread, an event loop on select(2); an fd >= FD_SETSIZE\n"
    "                            (1024) is refused: that client is closed, the others go on\n"
    "                 poll:      one thread, an event loop on poll(2); no FD_SETSIZE (default)\n"
    "  The select and poll models raise their soft RLIMIT_NOFILE to the hard limit first.\n";

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string model = "poll";
};

// Parses the command line; --help prints the usage and exits 0, a bad argument throws.
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
  if (options.model != "iterative" && options.model != "select" && options.model != "poll") {
    throw std::invalid_argument("unknown model \"" + options.model +
                                "\" (this lab has: iterative, select, poll)");
  }
  return options;
}

// [slide:serve]
// Runs the chosen model until the stop fd is readable.
void serve(const Options& options, net::Listener listener, fdio::BorrowedFd stop) {
  if (options.model == "iterative") return net::serve_iterative(std::move(listener), stop);
  // One process holds every connection: the soft limit (often 1024) would be the first wall.
  (void)rlim::raise_nofile_soft_limit();
  const std::unique_ptr<mux::Poller> poller = mux::make_poller(options.model);
  mux::serve_events(std::move(listener), *poller, stop);
}
// [/slide]

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
    const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
    net::Listener listener = net::listen_tcp(options.host, options.port);
    std::cout << "listening on " << net::local_address(listener.fd()) << std::endl;  // flushed
    serve(options, std::move(listener), stop);
    std::cerr << "echo-server: stopped\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "echo-server: " << error.what() << "\n";
    return 1;
  }
}
