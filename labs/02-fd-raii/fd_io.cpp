// Lab 02: short counts, EINTR and EOF. read_some/write_some make one system call and say what
// happened; read_exact/write_all loop over them until every byte has moved.
#include "fd_io.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

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

IoResult read_some(BorrowedFd fd, std::span<std::byte> buffer) {
  SYSLAB_TODO("one read(2): kDone with the count, kEof for 0 (unless buffer is empty), else sort errno");
}

IoResult read_some(BorrowedFd fd, std::span<char> buffer) {
  return read_some(fd, std::as_writable_bytes(buffer));
}

IoResult write_some(BorrowedFd fd, std::span<const std::byte> bytes) {
  SYSLAB_TODO("one write(2): kDone with the count (maybe short), else sort errno into a value or a throw");
}

IoResult write_some(BorrowedFd fd, std::string_view text) {
  return write_some(fd, std::as_bytes(std::span(text.data(), text.size())));
}

IoResult read_exact(BorrowedFd fd, std::span<std::byte> buffer) {
  SYSLAB_TODO("call read_some until the buffer is full, past EINTR, short reads and EAGAIN; EOF early is a value");
}

IoResult read_exact(BorrowedFd fd, std::span<char> buffer) {
  return read_exact(fd, std::as_writable_bytes(buffer));
}

IoResult write_all(BorrowedFd fd, std::span<const std::byte> bytes) {
  SYSLAB_TODO("call write_some until every byte is written, past EINTR, short writes and EAGAIN");
}

IoResult write_all(BorrowedFd fd, std::string_view text) {
  return write_all(fd, std::as_bytes(std::span(text.data(), text.size())));
}

std::string read_to_eof(BorrowedFd fd) {
  SYSLAB_TODO("append read_some's bytes until kEof, past EINTR and EAGAIN; throw when the peer resets");
}

}  // namespace fdio
