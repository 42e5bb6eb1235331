// Lab 13: TLS as a reactor::Transport: SSL_accept, SSL_read_ex and SSL_write_ex on a non-blocking
// socket, their "want read" and "want write" sorted into the reactor's outcomes.
#include "tls_transport.hpp"

#include <openssl/err.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "syslab/error.hpp"

namespace tls {

namespace {

// BEGIN SOLUTION
// Before each SSL I/O call: SSL_get_error reads this thread's error queue, which must hold only
// this call's errors; errno tells an interrupted call from one that would block.
void begin_call() {
  ERR_clear_error();
  errno = 0;
}

std::string_view name_of(reactor::Transport::Call call) {
  switch (call) {
    case reactor::Transport::Call::kHandshake: return "TLS handshake";
    case reactor::Transport::Call::kRead: return "TLS read";
    case reactor::Transport::Call::kWrite: return "TLS write";
  }
  return "TLS";
}

// OpenSSL 3 reports a TCP end that came without close_notify as this protocol error.
bool unexpected_eof(unsigned long error) {
  return ERR_GET_LIB(error) == ERR_LIB_SSL &&
         ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}
// END SOLUTION

}  // namespace

TlsTransport::TlsTransport(const TlsContext& context, fdio::UniqueFd socket)
    : socket_(std::move(socket)), ssl_(SSL_new(context.get())) {
  if (!ssl_) throw_openssl_error("SSL_new");
  // A socket BIO that does not own the fd: socket_ closes it.
  if (SSL_set_fd(ssl_.get(), socket_.get()) != 1) throw_openssl_error("SSL_set_fd");
  SSL_set_accept_state(ssl_.get());
}

// [slide:tls_handshake]
fdio::IoResult TlsTransport::handshake() {
  // BEGIN SOLUTION: one SSL_accept (after begin_call): 1 is kDone; anything else goes through outcome_of as a handshake call
  begin_call();
  const int result = SSL_accept(ssl_.get());
  if (result == 1) return {};
  return outcome_of(result, Call::kHandshake);
  // END SOLUTION
}
// [/slide]

fdio::IoResult TlsTransport::read_some(std::span<char> buffer) {
  if (buffer.empty()) return {};
  // BEGIN SOLUTION: one SSL_read_ex (after begin_call): 1 is kDone with the count; else outcome_of as a read call
  std::size_t got = 0;
  begin_call();
  if (SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &got) == 1) {
    return {fdio::IoStatus::kDone, got, 0};
  }
  return outcome_of(0, Call::kRead);
  // END SOLUTION
}

fdio::IoResult TlsTransport::write_some(std::string_view bytes) {
  if (bytes.empty()) return {};
  // BEGIN SOLUTION: one SSL_write_ex (after begin_call): 1 is kDone with the count (partial writes: it may be short); else outcome_of as a write call. A retry after kWouldBlock must offer the same bytes again (the output queue does)
  std::size_t written = 0;
  begin_call();
  if (SSL_write_ex(ssl_.get(), bytes.data(), bytes.size(), &written) == 1) {
    return {fdio::IoStatus::kDone, written, 0};
  }
  return outcome_of(0, Call::kWrite);
  // END SOLUTION
}

fdio::IoResult TlsTransport::outcome_of(int result, Call call) {
  // BEGIN SOLUTION: sort SSL_get_error (keep errno first): WANT_READ / WANT_WRITE: wait_for that readiness (kInterrupted when errno is EINTR); ZERO_RETURN (close_notify): kEof for a read, kPeerClosed otherwise; SYSCALL: errno 0, EPIPE or ECONNRESET is kPeerClosed, else throw naming the call; SSL: an unexpected EOF is kPeerClosed, else throw_openssl_error naming the call
  const int saved_errno = errno;  // what the socket said, before anything else can change it
  const int error = SSL_get_error(ssl_.get(), result);
  switch (error) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      // OpenSSL's socket BIO takes EINTR for "try again": the bytes are there, so go on at once
      // (an edge-triggered loop would wait for an edge that never comes).
      if (saved_errno == EINTR) return {fdio::IoStatus::kInterrupted, 0, EINTR};
      return wait_for(call,
                      error == SSL_ERROR_WANT_READ ? mux::Interest::kRead : mux::Interest::kWrite);
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify: it sends no more, cleanly
      if (call == Call::kRead) return {fdio::IoStatus::kEof, 0, 0};
      return {fdio::IoStatus::kPeerClosed, 0, 0};
    case SSL_ERROR_SYSCALL:  // the socket failed; errno 0: a TCP end in the middle of a record
      if (saved_errno == 0 || saved_errno == EPIPE || saved_errno == ECONNRESET) {
        return {fdio::IoStatus::kPeerClosed, 0, saved_errno};
      }
      syslab::throw_error(saved_errno, name_of(call), "fd " + std::to_string(socket_.get()));
    case SSL_ERROR_SSL:
      // A TCP end without close_notify: a truncation cannot be told from an end, so it is not
      // kEof: the connection just ends.
      if (unexpected_eof(ERR_peek_error())) {
        ERR_clear_error();
        return {fdio::IoStatus::kPeerClosed, 0, 0};
      }
      break;
    default: break;
  }
  throw_openssl_error(std::string(name_of(call)) + " on fd " + std::to_string(socket_.get()));
  // END SOLUTION
}

// Remembers what `call` waits for, for waits_for.
fdio::IoResult TlsTransport::wait_for(Call call, mux::Interest interest) {
  // BEGIN SOLUTION: store interest as what call waits for (handshake, read or write); kWouldBlock
  switch (call) {
    case Call::kHandshake: handshake_waits_ = interest; break;
    case Call::kRead: read_waits_ = interest; break;
    case Call::kWrite: write_waits_ = interest; break;
  }
  return {fdio::IoStatus::kWouldBlock, 0, EAGAIN};
  // END SOLUTION
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
  // BEGIN SOLUTION: SSL_get0_alpn_selected: the bytes ALPN agreed on (none: empty)
  const unsigned char* name = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_.get(), &name, &length);
  if (name == nullptr) return {};
  return {reinterpret_cast<const char*>(name), length};
  // END SOLUTION
}

fdio::IoResult TlsTransport::shutdown_write() {
  // BEGIN SOLUTION: SSL_shutdown (it sends our close_notify and does not wait for the peer's): SSL_ERROR_WANT_WRITE is kWouldBlock waiting for writable (call again); any other failure only means the peer sees a TCP end without it; then shutdown(2) SHUT_WR of the socket; ENOTCONN is not an error
  begin_call();
  // 0: sent, the peer's not yet read (reading goes on after it); 1: both sent.
  const int result = SSL_shutdown(ssl_.get());
  if (result < 0 && SSL_get_error(ssl_.get(), result) == SSL_ERROR_WANT_WRITE) {
    // The socket is full (a client reading slowly): a FIN now would reach the peer without
    // close_notify, which OpenSSL reports as a truncation ("unexpected eof while reading").
    ERR_clear_error();
    return wait_for(Call::kWrite, mux::Interest::kWrite);
  }
  ERR_clear_error();
  if (::shutdown(socket_.get(), SHUT_WR) < 0 && errno != ENOTCONN) {
    syslab::throw_errno("shutdown", "fd " + std::to_string(socket_.get()));
  }
  return {};
  // END SOLUTION
}

std::function<std::unique_ptr<reactor::Transport>(fdio::UniqueFd)> tls_transports(
    std::shared_ptr<const TlsContext> context) {
  return [context = std::move(context)](fdio::UniqueFd socket) {
    return std::make_unique<TlsTransport>(*context, std::move(socket));
  };
}

}  // namespace tls
