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
#include "syslab/todo.hpp"

namespace reactor {

namespace {

}  // namespace

fdio::IoResult Transport::send_file(fdio::BorrowedFd file, std::uint64_t offset,
                                    std::size_t count) {
  SYSLAB_TODO("pread(2) up to 64 KiB of file at offset (0 bytes: throw, the region is past the end), then write_some that piece; return what write_some moved");
}

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

fdio::IoResult PlainTransport::send_file(fdio::BorrowedFd file, std::uint64_t offset,
                                         std::size_t count) {
  SYSLAB_TODO("one sendfile(2) from file at offset (a pointer: the file's own offset stays) to the socket; sort EAGAIN, EINTR, EPIPE/ECONNRESET into values; 0 bytes: throw (past the end)");
}

fdio::IoResult PlainTransport::shutdown_write() {
  SYSLAB_TODO("shutdown(2) SHUT_WR; ENOTCONN (the peer has reset already) is not an error; kDone (a FIN never waits for room)");
}

}  // namespace reactor
