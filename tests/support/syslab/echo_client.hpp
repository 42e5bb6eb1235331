// The test's echo client (labs 07-11, and the HTTP labs after them): a small blocking-style
// client with deadlines, on non-blocking sockets.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "syslab/deadline.hpp"
#include "syslab/files.hpp"

namespace syslab::test::echo {

// Sockets are non-blocking and close-on-exec (the calls below work on blocking ones too: they
// use MSG_DONTWAIT); every call waits with poll(2) up to its deadline
// and throws std::runtime_error (which fails the test with its message) when the deadline passes
// or the connection fails. Sends use MSG_NOSIGNAL: a server that resets us cannot kill the test.

// Connects to 127.0.0.1:port. Throws on failure, naming the errno.
OwnedFd connect_loopback(std::uint16_t port, const Deadline& deadline);
// The same, but the outcome is a value: 0 when connected (conn then owns the socket), else the
// errno (ECONNREFUSED: nobody listens; ETIMEDOUT: the deadline passed).
int try_connect(std::uint16_t port, const Deadline& deadline, OwnedFd& conn);

void send_all(int fd, std::string_view bytes, const Deadline& deadline);
// Exactly n bytes; throws at EOF or the deadline, saying how many came.
std::string recv_exact(int fd, std::size_t n, const Deadline& deadline);
// Whatever arrives until the deadline, EOF or max bytes: never throws for the deadline. For
// negative checks ("nothing comes back yet").
std::string recv_until(int fd, std::size_t max, const Deadline& deadline);
// True when the peer closed (EOF or reset) before the deadline; data before it is discarded.
bool wait_for_close(int fd, const Deadline& deadline);
// Sends payload while reading its echo at the same time (neither side can deadlock on full
// buffers), in pieces whose sizes cycle through `pieces` (each piece its own send; empty: as
// much as fits). Returns what came back once payload.size() bytes did; throws at EOF or deadline.
std::string exchange(int fd, std::string_view payload, const Deadline& deadline,
                     const std::vector<std::size_t>& pieces = {});
// Sends without reading until the socket has not been writable for `quiet`: the kernel's buffers
// on both sides are full (or `limit` bytes went out). Returns the bytes sent.
std::size_t send_until_full(int fd, std::chrono::milliseconds quiet, std::size_t limit);
// n reproducible pseudo-random bytes (xorshift32 from seed).
std::string payload(std::size_t n, std::uint32_t seed);
// The first offset where a and b differ (a length difference counts), or nullopt: for payloads
// too big to print in an assertion.
std::optional<std::size_t> first_difference(std::string_view a, std::string_view b);

// Throws std::runtime_error("what: strerror(error)") (just what when error is 0): how the client
// and the server process report a step that failed.
[[noreturn]] void fail(const std::string& what, int error = 0);
// poll(2) for events on fd until the deadline: the revents, or 0 when the deadline passed.
short wait_for(int fd, short events, const Deadline& deadline);
// TCP_NODELAY on: each send leaves at once, so the server's reads split where ours did.
void set_nodelay(int fd);

}  // namespace syslab::test::echo
