// Lab 13: TLS as a reactor::Transport: SSL_accept, SSL_read_ex and SSL_write_ex on a non-blocking
// socket, their "want read" and "want write" sorted into the reactor's outcomes.
#include "tls_transport.hpp"

#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace tls {

namespace {

}  // namespace

TlsTransport::TlsTransport(const TlsContext& context, fdio::UniqueFd socket)
    : socket_(std::move(socket)), ssl_(SSL_new(context.get())) {
  if (!ssl_) throw_openssl_error("SSL_new");
  // A socket BIO that does not own the fd: socket_ closes it.
  if (SSL_set_fd(ssl_.get(), socket_.get()) != 1) throw_openssl_error("SSL_set_fd");
  SSL_set_accept_state(ssl_.get());
}

fdio::IoResult TlsTransport::handshake() {
  SYSLAB_TODO("one SSL_accept (after begin_call): 1 is kDone; anything else goes through outcome_of as a handshake call");
}

fdio::IoResult TlsTransport::read_some(std::span<char> buffer) {
  if (buffer.empty()) return {};
  SYSLAB_TODO("one SSL_read_ex (after begin_call): 1 is kDone with the count; else outcome_of as a read call");
}

fdio::IoResult TlsTransport::write_some(std::string_view bytes) {
  if (bytes.empty()) return {};
  SYSLAB_TODO("one SSL_write_ex (after begin_call): 1 is kDone with the count (partial writes: it may be short); else outcome_of as a write call. A retry after kWouldBlock must offer the same bytes again (the output queue does)");
}

fdio::IoResult TlsTransport::outcome_of(int result, Call call) {
  SYSLAB_TODO("sort SSL_get_error (keep errno first): WANT_READ / WANT_WRITE: wait_for that readiness (kInterrupted when errno is EINTR); ZERO_RETURN (close_notify): kEof for a read, kPeerClosed otherwise; SYSCALL: errno 0, EPIPE or ECONNRESET is kPeerClosed, else throw naming the call; SSL: an unexpected EOF is kPeerClosed, else throw_openssl_error naming the call");
}

// Remembers what `call` waits for, for waits_for.
fdio::IoResult TlsTransport::wait_for(Call call, mux::Interest interest) {
  SYSLAB_TODO("store interest as what call waits for (handshake, read or write); kWouldBlock");
}

mux::Interest TlsTransport::waits_for(Call call) const noexcept {
  switch (call) {
    case Call::kHandshake: return handshake_waits_;
    case Call::kRead: return read_waits_;
    case Call::kWrite: return write_waits_;
  }
  return mux::Interest::kNone;
}

std::string_view TlsTransport::selected_protocol() const noexcept {
  SYSLAB_TODO("SSL_get0_alpn_selected: the bytes ALPN agreed on (none: empty)");
}

fdio::IoResult TlsTransport::shutdown_write() {
  SYSLAB_TODO("SSL_shutdown (it sends our close_notify and does not wait for the peer's): SSL_ERROR_WANT_WRITE is kWouldBlock waiting for writable (call again); any other failure only means the peer sees a TCP end without it; then shutdown(2) SHUT_WR of the socket; ENOTCONN is not an error");
}

std::function<std::unique_ptr<reactor::Transport>(fdio::UniqueFd)> tls_transports(
    std::shared_ptr<const TlsContext> context) {
  return [context = std::move(context)](fdio::UniqueFd socket) {
    return std::make_unique<TlsTransport>(*context, std::move(socket));
  };
}

}  // namespace tls
