// Lab 11: echo-server on the reactor: one epoll loop (--model=epoll) or an acceptor loop and N I/O
// loops (--model=epoll-threads --threads N), on epoll or, with --poller=poll|select, on lab 10's
// back-ends: the reactor does not change. Same interface as lab 07: "listening on ADDRESS:PORT",
// every byte echoed, SIGTERM/SIGINT stops it gracefully with exit status 0.
// Try: echo-server --model=epoll --idle-timeout 5000, then ls -l /proc/PID/fd and its fdinfo.
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "command_line.hpp"
#include "echo_service.hpp"
#include "poller_choice.hpp"
#include "rlimits.hpp"
#include "socket.hpp"
#include "stop_signal.hpp"
#include "syslab/error.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: echo-server [--host HOST] [--port PORT] [--model=epoll|epoll-threads] [--threads N]\n"
    "                   [--poller=epoll|poll|select] [--trigger=edge|level] [--idle-timeout MS]\n"
    "                   [--max-fds N]\n"
    "  Echoes every byte each client sends, to thousands of clients at once, on epoll(7)\n"
    "  (or poll(2), select(2): the same reactor on another back-end).\n"
    "  Prints \"listening on ADDRESS:PORT\" once it listens. SIGTERM or SIGINT: stop accepting,\n"
    "  finish the open connections, exit 0.\n"
    "  --host HOST        the address to listen on (default 127.0.0.1)\n"
    "  --port PORT        the port (default 0: the kernel chooses)\n"
    "  --model MODEL      epoll: one thread, one loop (default); epoll-threads: an acceptor loop\n"
    "                     and N I/O loops, each on its own thread\n"
    "  --threads N        the I/O loops of epoll-threads (default 2)\n"
    "  --poller P         every loop's back-end: epoll (default), poll or select\n"
    "  --trigger T        edge (EPOLLET, the default on epoll) or level (the only one of poll\n"
    "                     and select)\n"
    "  --idle-timeout MS  close a connection quiet for MS milliseconds (default 0: never)\n"
    "  --max-fds N        set the soft RLIMIT_NOFILE to N (default: raise it to the hard limit;\n"
    "                     on select, to FD_SETSIZE at most)\n";

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string model = "epoll";
  int threads = -1;                         // -1: not given
  std::optional<reactor::Trigger> trigger;  // nullopt: not given
  reactor::EchoOptions echo;
  rlim_t max_fds = 0;  // 0: raise to the hard limit
};

// --threads, --idle-timeout (ms) and --max-fds: a number from 0 to 1,000,000.
long long count_option(std::string_view option, std::string_view text) {
  return net::parse_number(option, text, 0, 1'000'000);
}

// Puts one argument into options; false when it is not one of ours.
bool take_argument(Options& options, int argc, char** argv, int& i) {
  if (auto v = net::take_option_value("--host", argc, argv, i)) {
    options.host = *v;
  } else if (auto v = net::take_option_value("--port", argc, argv, i)) {
    options.port = net::parse_port(*v);
  } else if (auto v = net::take_option_value("--model", argc, argv, i)) {
    options.model = *v;
  } else if (auto v = net::take_option_value("--threads", argc, argv, i)) {
    options.threads = static_cast<int>(count_option("--threads", *v));
  } else if (auto v = net::take_option_value("--trigger", argc, argv, i)) {
    options.trigger = reactor::parse_trigger(*v);
  } else if (auto v = net::take_option_value("--poller", argc, argv, i)) {
    options.echo.poller = *v;
  } else if (auto v = net::take_option_value("--idle-timeout", argc, argv, i)) {
    options.echo.idle_timeout = std::chrono::milliseconds(count_option("--idle-timeout", *v));
  } else if (auto v = net::take_option_value("--max-fds", argc, argv, i)) {
    options.max_fds = static_cast<rlim_t>(count_option("--max-fds", *v));
  } else {
    return false;
  }
  return true;
}

// --model and --threads: how many I/O loops.
void choose_model(Options& options) {
  if (options.model == "epoll") {
    if (options.threads > 0) throw std::invalid_argument("--threads needs --model=epoll-threads");
    options.echo.threads = 0;
  } else if (options.model == "epoll-threads") {
    options.echo.threads = options.threads < 0 ? 2 : options.threads;
    if (options.echo.threads < 1) throw std::invalid_argument("epoll-threads needs --threads >= 1");
  } else {
    throw std::invalid_argument("unknown model \"" + options.model +
                                "\" (this lab has: epoll, epoll-threads)");
  }
}

// --poller and --trigger: every loop's back-end.
void choose_poller(Options& options) {
  reactor::check_poller_choice(options.echo.poller, reactor::Trigger::kLevel);  // the name
  // Edge triggering is epoll's alone: its default there, and an error anywhere else.
  const bool on_epoll = options.echo.poller == "epoll";
  options.echo.trigger =
      options.trigger.value_or(on_epoll ? reactor::Trigger::kEdge : reactor::Trigger::kLevel);
  if (options.trigger == reactor::Trigger::kEdge && !on_epoll) {
    throw std::invalid_argument("--trigger=edge needs --poller=epoll: " + options.echo.poller +
                                " reports readiness level-triggered only");
  }
  if (options.echo.poller == "select" && options.max_fds > FD_SETSIZE) {
    throw std::invalid_argument("--poller=select cannot watch an fd >= FD_SETSIZE (" +
                                std::to_string(FD_SETSIZE) + "): --max-fds must not exceed it");
  }
}

// The soft RLIMIT_NOFILE: --max-fds, else as high as allowed (10,000 connections need 10,000
// fds). select(2) cannot watch an fd >= FD_SETSIZE, so there it stays at most FD_SETSIZE: accept4
// says EMFILE (and the acceptor sheds) before a connection could get an fd select cannot watch.
void set_fd_limit(const Options& options) {
  if (options.max_fds > 0) {
    rlim::set_soft_limit(RLIMIT_NOFILE, options.max_fds);
  } else if (options.echo.poller == "select") {
    const rlim_t hard = rlim::get_limit(RLIMIT_NOFILE).hard;
    rlim::set_soft_limit(RLIMIT_NOFILE, std::min<rlim_t>(hard, FD_SETSIZE));
  } else {
    (void)rlim::raise_nofile_soft_limit();
  }
}

// Parses the command line; --help prints the usage and exits 0, a bad argument throws.
Options parse_arguments(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (!take_argument(options, argc, argv, i)) {
      throw std::invalid_argument("unknown argument \"" + std::string(arg) + "\"");
    }
  }
  choose_model(options);
  choose_poller(options);
  return options;
}

}  // namespace

// [slide:main-1]
int main(int argc, char** argv) {
  Options options;
  try {
    options = parse_arguments(argc, argv);
  } catch (const std::exception& error) {  // invalid_argument: a usage error
    std::cerr << "echo-server: " << error.what() << "\n" << kUsage;
    return 2;
  }
  // [/slide]
  // [slide:main-2]
  try {
    if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) syslab::throw_errno("signal SIGPIPE");
    // Before any thread starts: the I/O threads inherit the blocked mask.
    const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
    set_fd_limit(options);
    net::ListenOptions listen_options;
    listen_options.backlog = 4096;  // bursts of connects; the kernel caps it at somaxconn
    net::Listener listener = net::listen_tcp(options.host, options.port, listen_options);
    const std::string address = net::local_address(listener.fd());
    reactor::serve_echo(std::move(listener), stop, options.echo, [&address] {
      std::cout << "listening on " << address << std::endl;  // every fd is made: tests count them
    });
    std::cerr << "echo-server: stopped\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "echo-server: " << error.what() << "\n";
    return 1;
  }
}
// [/slide]
