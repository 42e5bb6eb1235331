// The benchmark's load: C connections to an echo server on loopback, closed-loop (each sends one
// message, waits for its whole echo, sends the next), driven by one thread with epoll.
// echo_load.cpp is the program; tools/kit/bench.py runs it against every server model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "histogram.hpp"

namespace bench {

struct LoadOptions {
  std::string host = "127.0.0.1";  // loopback only: run_load refuses any other address
  std::uint16_t port = 0;
  int connections = 10;
  std::size_t message_size = 64;  // one request: this many bytes out, the same bytes back
  double duration_s = 3.0;        // measured from the moment the connect phase ends
  double connect_timeout_s = 5.0;
  int connects_in_flight = 256;  // paced so the listen backlog (somaxconn) is not flooded
  // Called once all connections are open ("connected") and once the measured phase is over but
  // before any connection is closed ("measured"): the moments to look at the server from outside.
  std::function<void(std::string_view phase)> on_phase;
};

struct LoadResult {
  int asked = 0;
  int established = 0;  // connect() completed within the connect deadline
  int failed = 0;       // asked - established
  int served = 0;       // connections that completed at least one round trip
  std::uint64_t requests = 0;
  std::uint64_t bytes = 0;   // echoed bytes received in completed round trips
  double connect_s = 0;      // how long the connect phase took
  double duration_s = 0;     // how long the measured phase took
  double cpu_s = 0;          // CPU time (user + system) the client used in the measured phase
  LatencyHistogram latency;  // nanoseconds per completed round trip
  int pending_at_end = 0;    // connections still waiting for an echo when the time was up
  std::uint64_t oldest_pending_ns = 0;
  std::map<std::string, std::uint64_t> errors;  // "recv: ECONNRESET" -> how many times
};

// Throws std::invalid_argument for a host that is not a loopback address, and
// syslab::SystemError when epoll itself fails. Connection errors are counted, not thrown.
[[nodiscard]] LoadResult run_load(const LoadOptions& options);

}  // namespace bench
