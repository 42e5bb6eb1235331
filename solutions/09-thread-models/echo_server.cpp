// Lab 09: echo-server with three models: iterative (lab 07), threads (one per connection) and
// pool (N workers, a bounded queue, and a choice when it is full). SIGTERM or SIGINT: stop
// accepting, finish every open connection, join every thread, exit 0; a second one: stop now.
// Try: echo-server --model=pool --threads 2 --queue 1 --when-full=reject; ps -L -p PID.
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
#include "thread_server.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: echo-server [--host HOST] [--port PORT] [--model=iterative|threads|pool]\n"
    "                   [--threads N] [--queue Q] [--when-full=wait|reject]\n"
    "  Echoes every byte each client sends. Prints \"listening on ADDRESS:PORT\" once it\n"
    "  listens (PORT 0, the default, lets the kernel choose). SIGTERM or SIGINT: stop accepting,\n"
    "  finish the open connections, join every thread, exit 0; a second one stops them now.\n"
    "  --host HOST    the address to listen on (default 127.0.0.1; \"::1\" for IPv6)\n"
    "  --port PORT    the port (default 0)\n"
    "  --model MODEL  iterative: one client after the other, in the main thread\n"
    "                 threads:   a new thread for each connection, joined when it ends (default)\n"
    "                 pool:      --threads workers take connections from a queue\n"
    "  --threads N    pool: the number of worker threads (default 4)\n"
    "  --queue Q      pool: accepted connections that may wait for a worker (default 16)\n"
    "  --when-full P  pool, when Q connections wait already:\n"
    "                 wait:   stop accepting; new clients wait in the kernel's listen backlog\n"
    "                 reject: accept, answer \"busy: ...\" and close (default: wait)\n";

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string model = "threads";
  tmodels::PoolOptions pool;
};

// --threads and --queue: a number from 1 to 100000.
std::size_t count_option(std::string_view option, std::string_view text) {
  return static_cast<std::size_t>(net::parse_number(option, text, 1, 100'000));
}

tmodels::WhenFull parse_when_full(std::string_view text) {
  if (text == "wait") return tmodels::WhenFull::kWait;
  if (text == "reject") return tmodels::WhenFull::kReject;
  throw std::invalid_argument("--when-full is wait or reject, not \"" + std::string(text) + "\"");
}

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
    } else if (auto threads = net::take_option_value("--threads", argc, argv, i)) {
      options.pool.threads = count_option("--threads", *threads);
    } else if (auto queue = net::take_option_value("--queue", argc, argv, i)) {
      options.pool.queue = count_option("--queue", *queue);
    } else if (auto when_full = net::take_option_value("--when-full", argc, argv, i)) {
      options.pool.when_full = parse_when_full(*when_full);
    } else {
      throw std::invalid_argument("unknown argument \"" + std::string(arg) + "\"");
    }
  }
  if (options.model != "iterative" && options.model != "threads" && options.model != "pool") {
    throw std::invalid_argument("unknown model \"" + options.model +
                                "\" (this lab has: iterative, threads, pool)");
  }
  return options;
}

// "listening on 127.0.0.1:40123", flushed: clients (and tests) wait for this line.
void announce(const net::Listener& listener) {
  std::cout << "listening on " << net::local_address(listener.fd()) << std::endl;
}

// [slide:serve]
// Runs the chosen model until a stop request, then stops it gracefully. Whatever the server
// keeps open (a pool's threads and eventfds) is made before it announces that it listens.
void serve(const Options& options, net::Listener listener, fdio::BorrowedFd stop) {
  if (options.model == "iterative") {
    announce(listener);
    net::serve_iterative(std::move(listener), stop);
  } else if (options.model == "threads") {
    tmodels::ThreadGroup threads;
    announce(listener);
    tmodels::serve_threads(std::move(listener), stop, threads);
  } else {
    tmodels::ConnectionPool pool(options.pool.threads, options.pool.queue,
                                 tmodels::serve_connection);
    announce(listener);
    tmodels::serve_pool(std::move(listener), stop, pool, options.pool.when_full);
  }
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
    if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) syslab::throw_errno("signal SIGPIPE");
    // Before any thread starts: every thread inherits the blocked mask, so no thread is killed
    // by SIGTERM; the signalfd reports it instead.
    const fdio::UniqueFd stop = net::stop_signal_fd({SIGTERM, SIGINT});
    serve(options, net::listen_tcp(options.host, options.port), stop);
    std::cerr << "echo-server: stopped\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "echo-server: " << error.what() << "\n";
    return 1;
  }
}
