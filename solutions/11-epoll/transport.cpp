// Lab 11: the plain socket as a Transport: read(2), write(2), sendfile(2) and shutdown(2).
#include "transport.hpp"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <string>

#include "syslab/error.hpp"

namespace reactor {

namespace {

// BEGIN SOLUTION
// A call that moved nothing because of errno: the outcomes a caller expects are values (as lab
// 02's fd_io), anything else is thrown naming the call and the fd.
fdio::IoResult outcome_of(int error, std::string_view call, int fd) {
  switch (error) {
    case EAGAIN: return {fdio::IoStatus::kWouldBlock, 0, error};
    case EINTR: return {fdio::IoStatus::kInterrupted, 0, error};
    case EPIPE:
    case ECONNRESET: return {fdio::IoStatus::kPeerClosed, 0, error};
    default: syslab::throw_error(error, call, "fd " + std::to_string(fd));
  }
}

// Offset or count past the end of the file: nothing left to send of a region that was promised.
[[noreturn]] void throw_past_end_of_file(std::string_view call, int file, std::uint64_t offset) {
  syslab::throw_error(ENODATA, call,
                      "fd " + std::to_string(file) + " at offset " + std::to_string(offset));
}
// END SOLUTION

}  // namespace

// [slide:transport_send_file]
fdio::IoResult Transport::send_file(fdio::BorrowedFd file, std::uint64_t offset,
                                    std::size_t count) {
  // BEGIN SOLUTION: pread(2) up to 64 KiB of file at offset (0 bytes: throw, the region is past the end), then write_some that piece; return what write_some moved
  std::array<char, 64 * 1024> piece;  // on the loop thread's stack, as handle_readable's chunk
  const std::size_t want = std::min(count, piece.size());
  const ssize_t got = ::pread(file.get(), piece.data(), want, static_cast<off_t>(offset));
  if (got < 0) {
    if (errno == EINTR) return {fdio::IoStatus::kInterrupted, 0, EINTR};
    syslab::throw_errno("pread", "fd " + std::to_string(file.get()));
  }
  if (got == 0) throw_past_end_of_file("pread", file.get(), offset);
  // A short write leaves the rest of the piece unsent: the next call reads it again from the
  // file (the region's offset moved only by what went out).
  return write_some(std::string_view(piece.data(), static_cast<std::size_t>(got)));
  // END SOLUTION
}
// [/slide]

mux::Interest Transport::waits_for(Call call) const noexcept {
  switch (call) {
    case Call::kRead: return mux::Interest::kRead;
    case Call::kWrite: return mux::Interest::kWrite;
    case Call::kHandshake: break;
  }
  return mux::Interest::kNone;  // no handshake: it never waits
}

fdio::IoResult PlainTransport::read_some(std::span<char> buffer) {
  return fdio::read_some(socket_, buffer);
}

fdio::IoResult PlainTransport::write_some(std::string_view bytes) {
  return fdio::write_some(socket_, bytes);
}

// [slide:plain_send_file]
fdio::IoResult PlainTransport::send_file(fdio::BorrowedFd file, std::uint64_t offset,
                                         std::size_t count) {
  // BEGIN SOLUTION: one sendfile(2) from file at offset (a pointer: the file's own offset stays) to the socket; sort EAGAIN, EINTR, EPIPE/ECONNRESET into values; 0 bytes: throw (past the end)
  constexpr std::size_t kMaxPerCall = 0x7ffff000;  // sendfile(2) moves at most this per call
  auto position = static_cast<off_t>(offset);
  const ssize_t sent =
      ::sendfile(socket_.get(), file.get(), &position, std::min(count, kMaxPerCall));
  if (sent > 0) return {fdio::IoStatus::kDone, static_cast<std::size_t>(sent), 0};
  if (sent == 0) throw_past_end_of_file("sendfile", file.get(), offset);
  return outcome_of(errno, "sendfile", socket_.get());
  // END SOLUTION
}
// [/slide]

fdio::IoResult PlainTransport::shutdown_write() {
  // BEGIN SOLUTION: shutdown(2) SHUT_WR; ENOTCONN (the peer has reset already) is not an error; kDone (a FIN never waits for room)
  if (::shutdown(socket_.get(), SHUT_WR) < 0 && errno != ENOTCONN) {
    syslab::throw_errno("shutdown", "fd " + std::to_string(socket_.get()));
  }
  return {};
  // END SOLUTION
}

}  // namespace reactor
