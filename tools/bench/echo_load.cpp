// echo-load: the benchmark's load client. Opens C connections to an echo server on loopback, runs
// them closed-loop for a fixed time and prints one line of JSON (throughput, latency percentiles).
// Try: echo-server --port 0 & echo-load --port PORT --connections 100 --duration 2
#include <fmt/format.h>
#include <sys/resource.h>

#include <charconv>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "load.hpp"
#include "syslab/error.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: echo-load --port PORT [--host 127.0.0.1] [--connections C] [--size BYTES]\n"
    "                 [--duration SECONDS] [--connect-timeout SECONDS] [--connects-in-flight N]\n"
    "                 [--handshake]\n"
    "  Closed-loop load on an echo server: C connections, each sends BYTES bytes, waits for\n"
    "  their whole echo, records the round trip and sends again, for SECONDS after all C are\n"
    "  connected (or the connect timeout passed). Prints one line of JSON. Loopback only.\n"
    "  defaults: --connections 10 --size 64 --duration 3 --connect-timeout 5\n"
    "            --connects-in-flight 256 (paced, so that the listen backlog is not flooded)\n"
    "  --handshake: once all are connected, and once the time is up (before closing), print\n"
    "  {\"phase\": \"connected\"} or {\"phase\": \"measured\"} and wait for a line on stdin,\n"
    "  so that the caller can look at the server at those moments.\n";

// Limits that keep the load bounded in count and time whatever the caller asks.
constexpr int kMaxConnections = 100'000;
constexpr double kMaxSeconds = 600;
constexpr std::size_t kMaxMessage = 1 << 20;

template <typename Number>
Number parse_number(std::string_view name, const std::string& text, Number low, Number high) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    throw std::invalid_argument(
        fmt::format("{} wants a number from {} to {}, not \"{}\"", name, low, high, text));
  }
  return value;
}

// Says which phase is over and waits for the caller's go-ahead (a line, or EOF: it has gone).
void handshake(std::string_view phase) {
  std::cout << "{\"phase\": \"" << phase << "\"}" << std::endl;
  std::string line;
  std::getline(std::cin, line);
}

bench::LoadOptions parse_arguments(int argc, char** argv) {
  bench::LoadOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (arg == "--handshake") {
      options.on_phase = handshake;
      continue;
    }
    if (i + 1 >= argc) throw std::invalid_argument(fmt::format("{} needs a value", arg));
    const std::string value = argv[++i];
    if (arg == "--host") {
      options.host = value;
    } else if (arg == "--port") {
      options.port = parse_number<std::uint16_t>(arg, value, 1, 65535);
    } else if (arg == "--connections") {
      options.connections = parse_number(arg, value, 1, kMaxConnections);
    } else if (arg == "--size") {
      options.message_size = parse_number<std::size_t>(arg, value, 1, kMaxMessage);
    } else if (arg == "--duration") {
      options.duration_s = parse_number(arg, value, 0.01, kMaxSeconds);
    } else if (arg == "--connect-timeout") {
      options.connect_timeout_s = parse_number(arg, value, 0.01, kMaxSeconds);
    } else if (arg == "--connects-in-flight") {
      options.connects_in_flight = parse_number(arg, value, 1, kMaxConnections);
    } else {
      throw std::invalid_argument(fmt::format("unknown argument \"{}\"", arg));
    }
  }
  if (options.port == 0) throw std::invalid_argument("--port is required");
  return options;
}

// Every connection is an fd: raise the soft RLIMIT_NOFILE to the hard limit, and refuse to start
// when even that is too low, rather than counting thousands of EMFILE failures.
void raise_fd_limit(int connections) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) < 0) syslab::throw_errno("getrlimit", "RLIMIT_NOFILE");
  const rlim_t needed = static_cast<rlim_t>(connections) + 16;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) {
    throw std::invalid_argument(
        fmt::format("{} connections need {} fds, but the hard RLIMIT_NOFILE is {}", connections,
                    needed, limit.rlim_max));
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) < 0) syslab::throw_errno("setrlimit", "RLIMIT_NOFILE");
  }
}

double microseconds(std::uint64_t nanoseconds) { return static_cast<double>(nanoseconds) / 1e3; }

// One line of JSON; the keys are what tools/kit/bench.py reads.
std::string to_json(const bench::LoadOptions& options, const bench::LoadResult& r) {
  std::string errors;
  for (const auto& [what, count] : r.errors) {
    errors += fmt::format("{}\"{}\": {}", errors.empty() ? "" : ", ", what, count);
  }
  const double seconds = r.duration_s > 0 ? r.duration_s : 1;
  return fmt::format(
      "{{\"load\": \"closed-loop\", \"message_bytes\": {}, \"connections_asked\": {}, "
      "\"connections_established\": {}, \"connections_failed\": {}, \"connections_served\": {}, "
      "\"requests\": {}, \"bytes\": {}, \"connect_s\": {:.3f}, \"duration_s\": {:.3f}, "
      "\"client_cpu_s\": {:.3f}, \"requests_per_s\": {:.1f}, \"mb_per_s\": {:.3f}, "
      "\"latency_us\": {{\"p50\": {:.1f}, \"p90\": {:.1f}, \"p99\": {:.1f}, \"max\": {:.1f}}}, "
      "\"pending_at_end\": {}, \"oldest_pending_ms\": {:.1f}, \"errors\": {{{}}}}}",
      options.message_size, r.asked, r.established, r.failed, r.served, r.requests, r.bytes,
      r.connect_s, r.duration_s, r.cpu_s, static_cast<double>(r.requests) / seconds,
      static_cast<double>(r.bytes) / seconds / 1e6, microseconds(r.latency.percentile(0.50)),
      microseconds(r.latency.percentile(0.90)), microseconds(r.latency.percentile(0.99)),
      microseconds(r.latency.max()), r.pending_at_end,
      static_cast<double>(r.oldest_pending_ns) / 1e6, errors);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const bench::LoadOptions options = parse_arguments(argc, argv);
    raise_fd_limit(options.connections);
    std::cout << to_json(options, bench::run_load(options)) << std::endl;
    return 0;
  } catch (const std::invalid_argument& error) {
    std::cerr << "echo-load: " << error.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "echo-load: " << error.what() << "\n";
    return 1;
  }
}
