// Lab 13: the server's TLS settings, made once and shared by every connection of every loop: the
// certificate and its key, TLS 1.2 as the floor, ALPN choosing "h2" before "http/1.1", no
// renegotiation, no compression. OpenSSL's errors arrive as std::system_error with its own text.
// Look at: openssl s_client -connect 127.0.0.1:PORT -alpn h2 (the "ALPN protocol:" line).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace tls {

// OpenSSL's packed error codes as a std::error_category: message() is OpenSSL's string,
// "error:0A00010B:SSL routines::wrong version number".
[[nodiscard]] const std::error_category& openssl_category() noexcept;

// Throws std::system_error: what, then the oldest error in this thread's OpenSSL error queue (the
// one that started it: "system library::No such file or directory"). Empties the queue.
[[noreturn]] void throw_openssl_error(const std::string& what);

// What the server takes by ALPN: HTTP/2 before HTTP/1.1, or HTTP/1.1 alone (httpd --no-h2: a
// browser then opens its six connections, and the demo page shows the difference).
enum class AlpnChoice { h2_then_http1, http1_only };

// The protocol the server takes from a client's ALPN list (RFC 7301 §3.1: each name is preceded
// by its length in one byte): "h2" if offered (unless http1_only), else "http/1.1" if offered,
// else empty (nothing we speak, or a malformed list). Our order decides, not the client's.
[[nodiscard]] std::string_view choose_protocol(std::span<const unsigned char> client_list,
                                               AlpnChoice choice = AlpnChoice::h2_then_http1);

// Owns one SSL_CTX (server side). OpenSSL counts references: every SSL made from it keeps it
// alive, so a connection may outlive this object. Safe to use from several threads once made.
class TlsContext {
 public:
  // Loads the certificate chain and the private key (PEM files). Throws std::system_error naming
  // the file when one cannot be read or parsed, and both files when the key is not the
  // certificate's. choice: the protocols ALPN may agree on.
  TlsContext(const std::string& cert_file, const std::string& key_file,
             AlpnChoice choice = AlpnChoice::h2_then_http1);

  [[nodiscard]] SSL_CTX* get() const noexcept { return ctx_.get(); }

 private:
  struct FreeContext {
    void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
  };
  void load_identity(const std::string& cert_file, const std::string& key_file);
  void apply_settings();

  std::unique_ptr<SSL_CTX, FreeContext> ctx_;
};

}  // namespace tls
