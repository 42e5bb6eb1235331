// Lab 11: the transport seam. A Connection reads and writes through a Transport, never through
// its socket directly: today the plain socket (PlainTransport), in lab 13 TLS, without a line of
// the HTTP code changing (h2o's socket layer carries TLS the same way). The seam also holds what
// TLS needs and a plain socket does not: a handshake before the connection is open, and a read
// that may have to wait for the socket to be writable (or a write for it to be readable).
// Look at: PlainTransport::send_file, sendfile(2): file bytes go to the socket with no copy
// through user space; the default Transport::send_file copies, which is what TLS must do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "fd_io.hpp"
#include "poller.hpp"
#include "unique_fd.hpp"

namespace reactor {

// Every call is for the owning connection's loop thread. Results are lab 02's IoResult: kDone
// (count may be short), kWouldBlock, kInterrupted, kPeerClosed, kEof (read); failures throw.
class Transport {
 public:
  // The calls a transport can block in, for waits_for().
  enum class Call { kHandshake, kRead, kWrite };

  virtual ~Transport() = default;

  // The socket the loop watches for this transport.
  [[nodiscard]] virtual fdio::BorrowedFd fd() const noexcept = 0;

  // One step of the handshake that comes before the connection is open (TLS: ClientHello ...).
  // kDone: open. kWouldBlock: call again when waits_for(kHandshake) is ready. Plain: kDone.
  virtual fdio::IoResult handshake() { return {}; }
  // Application bytes in and out: one step each, like fdio::read_some / write_some.
  virtual fdio::IoResult read_some(std::span<char> buffer) = 0;
  virtual fdio::IoResult write_some(std::string_view bytes) = 0;
  // Up to count bytes of file from offset (the file's own offset does not move). The default
  // reads a piece with pread(2) and writes it with write_some: a TLS transport must see the
  // bytes to encrypt them. A count of 0 (offset at or past the file's end) throws.
  virtual fdio::IoResult send_file(fdio::BorrowedFd file, std::uint64_t offset, std::size_t count);
  // No more bytes from us: the peer reads EOF after the last one (TLS: close_notify first).
  // kDone: shut. kWouldBlock: call again when waits_for(kWrite) is ready (TLS: no room in the
  // socket for close_notify yet). Plain: kDone.
  virtual fdio::IoResult shutdown_write() = 0;

  // After `call` said kWouldBlock: the readiness that lets it go on. A plain socket reads when
  // readable and writes when writable; TLS may need the other one (SSL_ERROR_WANT_READ while
  // writing, SSL_ERROR_WANT_WRITE while reading, and both during the handshake).
  [[nodiscard]] virtual mux::Interest waits_for(Call call) const noexcept;

  // The application protocol agreed in the handshake (TLS's ALPN: "h2", "http/1.1"); empty when
  // none was, as on a plain socket, where the first bytes tell (lab 13's h2c preface).
  [[nodiscard]] virtual std::string_view selected_protocol() const noexcept { return {}; }
};

// The socket itself: read(2), write(2), sendfile(2), shutdown(2). Owns the socket.
class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(fdio::UniqueFd socket) noexcept : socket_(std::move(socket)) {}

  [[nodiscard]] fdio::BorrowedFd fd() const noexcept override { return socket_; }
  fdio::IoResult read_some(std::span<char> buffer) override;
  fdio::IoResult write_some(std::string_view bytes) override;
  // sendfile(2): the kernel moves the file's pages to the socket; no copy through this process.
  fdio::IoResult send_file(fdio::BorrowedFd file, std::uint64_t offset, std::size_t count) override;
  fdio::IoResult shutdown_write() override;

 private:
  fdio::UniqueFd socket_;
};

}  // namespace reactor
