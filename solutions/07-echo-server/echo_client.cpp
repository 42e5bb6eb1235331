// Lab 07: echo-client. Interactive, each line of stdin goes to the server and its echo to stdout;
// with --bytes N, N pseudo-random bytes go out while the echo comes back, and every byte is
// compared. Exit status 0 only when the echo was exact.
// Try: echo-client 127.0.0.1 PORT (type lines, Ctrl-D ends), echo-client --bytes 16777216 ...
#include <signal.h>

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client.hpp"
#include "socket.hpp"
#include "syslab/error.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: echo-client [--bytes N] HOST PORT\n"
    "  Without --bytes: sends each line of stdin to the echo server at HOST PORT and prints its\n"
    "  echo. With --bytes N: sends N pseudo-random bytes, checks the echo byte for byte, prints a\n"
    "  summary; exit status 0 only if every byte came back unchanged.\n";

int verify(const net::Socket& socket, std::size_t n) {
  const net::VerifyResult result = net::echo_and_verify(socket.fd(), n, 7);
  std::cout << "sent " << result.sent << " bytes, received " << result.received << " bytes: ";
  if (result.all_match(n)) {
    std::cout << "all " << n << " bytes match\n";
    return 0;
  }
  if (result.first_mismatch) {
    std::cout << "the first difference is at byte " << *result.first_mismatch << "\n";
  } else {
    std::cout << "the server closed the connection early\n";
  }
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::optional<std::size_t> bytes;
  try {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
      std::cout << kUsage;
      return 0;
    }
    if (args.size() == 4 && args[0] == "--bytes") {
      bytes = std::stoull(std::string(args[1]));
      args.erase(args.begin(), args.begin() + 2);
    }
    if (args.size() != 2) throw std::invalid_argument("HOST and PORT are needed");
  } catch (const std::exception& error) {
    std::cerr << "echo-client: " << error.what() << "\n" << kUsage;
    return 2;
  }
  try {
    // A server that leaves while we write is EPIPE from write(2), not a fatal SIGPIPE.
    if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) syslab::throw_errno("signal SIGPIPE");
    const net::Socket socket = net::connect_tcp(std::string(args[0]), net::parse_port(args[1]));
    if (bytes) return verify(socket, *bytes);
    net::echo_lines(socket.fd(), std::cin, std::cout);
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "echo-client: " << error.what() << "\n";
    return 1;
  }
}
