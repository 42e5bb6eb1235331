// Lab 13 tests: the peers of the TLS server. See tls_test_peer.hpp.
#include "tls_test_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "syslab/test.hpp"
#include "tls_test_server.hpp"

namespace tls_test {

using namespace syslab::test;

std::string openssl_errors() {
  std::array<char, 256> text{};
  ERR_error_string_n(ERR_get_error(), text.data(), text.size());
  ERR_clear_error();
  return text.data();
}

namespace {

void set_timeout(int fd, int option) {
  timeval ten_seconds{};
  ten_seconds.tv_sec = 10;
  if (::setsockopt(fd, SOL_SOCKET, option, &ten_seconds, sizeof ten_seconds) < 0) {
    throw std::system_error(errno, std::generic_category(), "setsockopt timeout");
  }
}

OwnedFd connect_socket(std::uint16_t port, int receive_buffer) {
  OwnedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw std::system_error(errno, std::generic_category(), "socket");
  if (receive_buffer > 0 &&
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer) < 0) {
    throw std::system_error(errno, std::generic_category(), "setsockopt SO_RCVBUF");
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    throw std::system_error(errno, std::generic_category(), "connect");
  }
  return fd;
}

}  // namespace

std::string find_command(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string directories = path != nullptr ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= directories.size();) {
    std::size_t end = directories.find(':', start);
    if (end == std::string::npos) end = directories.size();
    const std::string candidate = directories.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw std::runtime_error(name + " is not installed (make bootstrap installs it)");
}

ProgramResult curl(std::uint16_t port, std::string_view target,
                   const std::vector<std::string>& args) {
  const std::string where = "localhost:" + std::to_string(port);
  std::vector<std::string> argv{
      find_command("curl"), "--silent",  "--show-error",       "--http1.1",  "--cacert",
      cert_path(),          "--resolve", where + ":127.0.0.1", "--max-time", "10"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("https://" + where + std::string(target));
  RunOptions options;
  options.timeout = std::chrono::seconds(15);
  return run_program(argv, options);
}

ProgramResult s_client(std::uint16_t port, const std::vector<std::string>& args) {
  std::vector<std::string> argv{
      find_command("openssl"), "s_client",  "-connect", "127.0.0.1:" + std::to_string(port),
      "-servername",           "localhost", "-CAfile",  cert_path(),
      "-verify_return_error"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.timeout = std::chrono::seconds(10);
  return run_program(argv, options);
}

OwnedFd connect_tcp(std::uint16_t port) { return connect_socket(port, 0); }

bool closed_within_5s(int fd) {
  const Deadline deadline(5s);
  std::array<char, 4096> buffer{};
  while (wait_readable(fd, deadline)) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got == 0 || (got < 0 && errno == ECONNRESET)) return true;
    if (got < 0 && errno != EINTR) return false;
  }
  return false;
}

TlsClient::TlsClient(std::uint16_t port, int receive_buffer, std::string_view alpn)
    : socket_(connect_socket(port, receive_buffer)) {
  set_timeout(socket_.get(), SO_RCVTIMEO);
  set_timeout(socket_.get(), SO_SNDTIMEO);
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr || SSL_CTX_load_verify_locations(ctx_, cert_path().c_str(), nullptr) != 1) {
    throw std::runtime_error("client context: " + openssl_errors());
  }
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  ssl_ = SSL_new(ctx_);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, socket_.get()) != 1 ||
      SSL_set1_host(ssl_, "localhost") != 1 || SSL_set_tlsext_host_name(ssl_, "localhost") != 1) {
    throw std::runtime_error("client SSL: " + openssl_errors());
  }
  if (!alpn.empty()) {
    // The wire form (RFC 7301 §3.1): each name after its length in one byte.
    std::string list(1, static_cast<char>(alpn.size()));
    list += alpn;
    if (SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(list.data()),
                            static_cast<unsigned>(list.size())) != 0) {
      throw std::runtime_error("client ALPN: " + openssl_errors());
    }
  }
  if (SSL_connect(ssl_) != 1) throw std::runtime_error("TLS handshake: " + openssl_errors());
}

std::string TlsClient::selected_protocol() const {
  const unsigned char* name = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl_, &name, &length);
  return name == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(name), length);
}

TlsClient::~TlsClient() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

void TlsClient::send(std::string_view bytes) {
  std::size_t written = 0;
  if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) != 1 || written != bytes.size()) {
    throw std::runtime_error("TLS write: " + openssl_errors());
  }
}

std::string TlsClient::read_some(std::size_t max) {
  std::string piece(max, '\0');
  std::size_t got = 0;
  if (SSL_read_ex(ssl_, piece.data(), piece.size(), &got) == 1) {
    piece.resize(got);
    return piece;
  }
  const int error = SSL_get_error(ssl_, 0);
  if (error == SSL_ERROR_ZERO_RETURN) return {};
  if (error == SSL_ERROR_WANT_READ && errno == EAGAIN) {
    throw std::runtime_error(
        "nothing from the server for 10 s: it stalled (a write waiting for "
        "the wrong readiness?)");
  }
  throw std::runtime_error("TLS read (SSL_get_error " + std::to_string(error) + ", errno " +
                           std::to_string(errno) + "): " + openssl_errors());
}

std::string TlsClient::read_to_end(std::size_t max_piece) {
  std::string all;
  for (std::string piece = read_some(max_piece); !piece.empty(); piece = read_some(max_piece)) {
    all += piece;
  }
  return all;
}

}  // namespace tls_test
