// Lab 02: short counts, EINTR and EOF. read_some/write_some make one system call and say what
// happened; read_exact/write_all loop over them until every byte has moved.
#include "fd_io.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>

#include "syslab/error.hpp"

namespace fdio {

std::string_view to_string(IoStatus status) {
  switch (status) {
    case IoStatus::kDone: return "done";
    case IoStatus::kEof: return "eof";
    case IoStatus::kWouldBlock: return "would block";
    case IoStatus::kInterrupted: return "interrupted";
    case IoStatus::kPeerClosed: return "peer closed";
  }
  return "?";
}

std::string to_string(const IoResult& result) {
  std::string text(to_string(result.status));
  if (result.error != 0) {
    const char* name = ::strerrorname_np(result.error);
    text += " (" + std::string(name != nullptr ? name : std::to_string(result.error)) + ")";
  }
  const std::string bytes = std::to_string(result.count) + (result.count == 1 ? " byte" : " bytes");
  return text + (result.done() ? ", " : " after ") + bytes;
}

std::ostream& operator<<(std::ostream& out, const IoResult& result) {
  return out << to_string(result);
}

// BEGIN SOLUTION
namespace {

std::string fd_name(BorrowedFd fd) { return "fd " + std::to_string(fd.get()); }

// [slide:outcome_of]
// Sorts a failed call's errno into the two channels: an outcome the caller must expect comes
// back as a value, anything else means the program is wrong or the system is, and is thrown.
IoResult outcome_of(int error, std::string_view call, BorrowedFd fd) {
  switch (error) {
    case EAGAIN:  // == EWOULDBLOCK on Linux
      return {IoStatus::kWouldBlock, 0, error};
    case EINTR:
      return {IoStatus::kInterrupted, 0, error};
    case EPIPE:
    case ECONNRESET:
      return {IoStatus::kPeerClosed, 0, error};
    default:
      throw syslab::errno_error(error, call, fd_name(fd));
  }
}
// [/slide]

// Blocks until fd is ready for `events` (POLLIN or POLLOUT): read_exact and write_all promise to
// finish, so on a non-blocking fd they wait where read_some would say kWouldBlock.
void wait_until_ready(BorrowedFd fd, short events) {
  pollfd entry{fd.get(), events, 0};
  while (::poll(&entry, 1, -1) < 0) {
    if (errno != EINTR) syslab::throw_errno("poll", fd_name(fd));
  }
  // POLLHUP, POLLERR or POLLNVAL: the next read or write reports what happened.
}

}  // namespace
// END SOLUTION

// [slide:read_some]
IoResult read_some(BorrowedFd fd, std::span<std::byte> buffer) {
  // BEGIN SOLUTION: one read(2): kDone with the count, kEof for 0 (unless buffer is empty), else sort errno
  const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
  if (n > 0) return {IoStatus::kDone, static_cast<std::size_t>(n), 0};
  if (n == 0) return {buffer.empty() ? IoStatus::kDone : IoStatus::kEof, 0, 0};
  return outcome_of(errno, "read", fd);
  // END SOLUTION
}
// [/slide]

IoResult read_some(BorrowedFd fd, std::span<char> buffer) {
  return read_some(fd, std::as_writable_bytes(buffer));
}

IoResult write_some(BorrowedFd fd, std::span<const std::byte> bytes) {
  // BEGIN SOLUTION: one write(2): kDone with the count (maybe short), else sort errno into a value or a throw
  const ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
  if (n >= 0) return {IoStatus::kDone, static_cast<std::size_t>(n), 0};
  return outcome_of(errno, "write", fd);
  // END SOLUTION
}

IoResult write_some(BorrowedFd fd, std::string_view text) {
  return write_some(fd, std::as_bytes(std::span(text.data(), text.size())));
}

// [slide:read_exact]
IoResult read_exact(BorrowedFd fd, std::span<std::byte> buffer) {
  // BEGIN SOLUTION: call read_some until the buffer is full, past EINTR, short reads and EAGAIN; EOF early is a value
  std::size_t got = 0;
  while (got < buffer.size()) {
    const IoResult step = read_some(fd, buffer.subspan(got));
    got += step.count;
    switch (step.status) {
      case IoStatus::kDone:         // a short read: ask for the rest
      case IoStatus::kInterrupted:  // a signal handler ran: ask again
        break;
      case IoStatus::kWouldBlock:
        wait_until_ready(fd, POLLIN);
        break;
      case IoStatus::kEof:
      case IoStatus::kPeerClosed:
        return {step.status, got, step.error};
    }
  }
  return {IoStatus::kDone, got, 0};
  // END SOLUTION
}
// [/slide]

IoResult read_exact(BorrowedFd fd, std::span<char> buffer) {
  return read_exact(fd, std::as_writable_bytes(buffer));
}

// [slide:write_all]
IoResult write_all(BorrowedFd fd, std::span<const std::byte> bytes) {
  // BEGIN SOLUTION: call write_some until every byte is written, past EINTR, short writes and EAGAIN
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const IoResult step = write_some(fd, bytes.subspan(sent));
    sent += step.count;
    switch (step.status) {
      case IoStatus::kDone:         // maybe a short write: send the rest
      case IoStatus::kInterrupted:  // a signal handler ran before any byte moved: again
      case IoStatus::kEof:          // (write_some never says it)
        break;
      case IoStatus::kWouldBlock:
        wait_until_ready(fd, POLLOUT);
        break;
      case IoStatus::kPeerClosed:
        return {step.status, sent, step.error};
    }
  }
  return {IoStatus::kDone, sent, 0};
  // END SOLUTION
}
// [/slide]

IoResult write_all(BorrowedFd fd, std::string_view text) {
  return write_all(fd, std::as_bytes(std::span(text.data(), text.size())));
}

std::string read_to_eof(BorrowedFd fd) {
  // BEGIN SOLUTION: append read_some's bytes until kEof, past EINTR and EAGAIN; throw when the peer resets
  std::string text;
  char chunk[16384];
  for (;;) {
    const IoResult step = read_some(fd, chunk);
    text.append(chunk, step.count);
    switch (step.status) {
      case IoStatus::kDone:
      case IoStatus::kInterrupted:
        break;
      case IoStatus::kWouldBlock:
        wait_until_ready(fd, POLLIN);
        break;
      case IoStatus::kEof:
        return text;
      case IoStatus::kPeerClosed:
        throw syslab::errno_error(step.error, "read", fd_name(fd));
    }
  }
  // END SOLUTION
}

}  // namespace fdio
