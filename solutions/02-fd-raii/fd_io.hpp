// Lab 02: reading and writing through a file descriptor. One read(2) or write(2) may move fewer
// bytes than asked (a short count), be interrupted by a signal (EINTR), or find nothing to do yet
// (EAGAIN). The names say which promise a function makes:
//   read_some / write_some    one system call: some bytes, or an outcome to handle
//   read_exact / write_all    loop until every byte moved (or EOF / the peer left)
// Two channels: outcomes a caller must expect (EOF, EAGAIN, EINTR, a short count, a peer that
// left) are values; failures it cannot expect (EBADF, EFAULT, EIO, ENOSPC ...) are thrown as
// syslab::SystemError, a std::system_error naming the call: write "fd 4": ... (ENOSPC).
#pragma once

#include <cstddef>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

#include "unique_fd.hpp"

namespace fdio {

// [slide:io_status]
// What one I/O call came to.
enum class IoStatus {
  kDone,         // count bytes moved (read_some/write_some: count may be less than asked)
  kEof,          // read: the writer closed and everything was read. count: bytes read before it
  kWouldBlock,   // EAGAIN on a non-blocking fd: try again when poll(2) says it is ready
  kInterrupted,  // EINTR: a signal handler ran before any byte moved; just call again
  kPeerClosed,   // EPIPE or ECONNRESET: the other end is gone (error says which). count: as kEof
};
// [/slide]

// The result of every I/O function here. [[nodiscard]]: a short count ignored is a lost byte.
struct [[nodiscard]] IoResult {
  IoStatus status = IoStatus::kDone;
  std::size_t count = 0;  // bytes moved by this call, whatever the status
  int error = 0;          // the errno behind kWouldBlock, kInterrupted and kPeerClosed; else 0

  [[nodiscard]] bool done() const { return status == IoStatus::kDone; }
  [[nodiscard]] bool eof() const { return status == IoStatus::kEof; }
  [[nodiscard]] bool would_block() const { return status == IoStatus::kWouldBlock; }
  [[nodiscard]] bool interrupted() const { return status == IoStatus::kInterrupted; }
  [[nodiscard]] bool peer_closed() const { return status == IoStatus::kPeerClosed; }
  bool operator==(const IoResult&) const = default;
};

// "done, 5 bytes", "eof after 2 bytes", "would block (EAGAIN)", "peer closed (EPIPE) after 0 bytes"
std::string to_string(const IoResult& result);
std::string_view to_string(IoStatus status);
std::ostream& operator<<(std::ostream& out, const IoResult& result);

// One read(2) into buffer. kDone with 1..size bytes; kEof (count 0); kWouldBlock; kInterrupted;
// kPeerClosed (ECONNRESET). Throws on any other error. An empty buffer gives kDone with 0.
IoResult read_some(BorrowedFd fd, std::span<std::byte> buffer);
IoResult read_some(BorrowedFd fd, std::span<char> buffer);

// One write(2) of bytes. kDone with 1..size bytes (a short write is kDone with a smaller count);
// kWouldBlock; kInterrupted; kPeerClosed (EPIPE: every reader closed; ECONNRESET). Throws on any
// other error. EPIPE comes back only where SIGPIPE is ignored; otherwise SIGPIPE kills first.
IoResult write_some(BorrowedFd fd, std::span<const std::byte> bytes);
IoResult write_some(BorrowedFd fd, std::string_view text);

// Fills the whole buffer: retries after EINTR and short reads, and waits with poll(2) when a
// non-blocking fd has nothing yet. kDone (count == size), or kEof / kPeerClosed with the count
// read before it: EOF before the buffer is full is an outcome, not an exception.
IoResult read_exact(BorrowedFd fd, std::span<std::byte> buffer);
IoResult read_exact(BorrowedFd fd, std::span<char> buffer);

// Writes every byte: retries after EINTR and short writes, and waits with poll(2) when a
// non-blocking fd is full. kDone (count == size), or kPeerClosed with the count written before it.
IoResult write_all(BorrowedFd fd, std::span<const std::byte> bytes);
IoResult write_all(BorrowedFd fd, std::string_view text);

// Everything up to EOF, as a string (for small files and tests). Throws when the peer resets.
std::string read_to_eof(BorrowedFd fd);

}  // namespace fdio
