// Lab 13: the TLS context: the certificate and key, the protocol floor, ALPN, the session settings.
#include "tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <array>
#include "syslab/todo.hpp"

namespace tls {

namespace {

class OpenSslCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "openssl"; }
  [[nodiscard]] std::string message(int code) const override {
    std::array<char, 256> text{};
    // The code is OpenSSL's unsigned long error, kept in an int's 32 bits.
    ERR_error_string_n(static_cast<unsigned int>(code), text.data(), text.size());
    return text.data();
  }
};

// Our preference: HTTP/2 when the client can, HTTP/1.1 otherwise (RFC 9113 §3.2: "h2" is HTTP/2
// over TLS; "h2c" is never agreed on through ALPN). Or HTTP/1.1 alone, when asked.
constexpr std::array<std::string_view, 2> kServerPreference{"h2", "http/1.1"};
constexpr std::array<std::string_view, 1> kHttp1Only{"http/1.1"};

// The ALPN callback's argument points at one of these: static, since every SSL made from the
// SSL_CTX keeps it (and its callback) alive after the TlsContext is gone.
constexpr AlpnChoice kChoiceH2ThenHttp1 = AlpnChoice::h2_then_http1;
constexpr AlpnChoice kChoiceHttp1Only = AlpnChoice::http1_only;

// OpenSSL's ALPN callback: the server chooses from what the client offers. arg: the AlpnChoice.
int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
                const unsigned char* in, unsigned int in_length, void* arg) {
  SYSLAB_TODO("choose_protocol from the client's list, with the AlpnChoice that arg points at: found, point out and out_length at it and say SSL_TLSEXT_ERR_OK; nothing we speak: SSL_TLSEXT_ERR_ALERT_FATAL (RFC 7301 §3.2: the no_application_protocol alert)");
}

}  // namespace

const std::error_category& openssl_category() noexcept {
  static const OpenSslCategory category;
  return category;
}

void throw_openssl_error(const std::string& what) {
  const unsigned long first = ERR_get_error();  // the oldest: the cause, not its consequences
  ERR_clear_error();  // the queue is per thread: leave nothing for the next connection
  throw std::system_error(static_cast<int>(first), openssl_category(), what);
}

std::string_view choose_protocol(std::span<const unsigned char> client_list, AlpnChoice choice) {
  SYSLAB_TODO("for each of our protocols in our order (server_preference(choice)), walk the client's list (a length byte, then that many bytes of name) and return ours at the first match; a zero length or one past the end: malformed, empty");
}

TlsContext::TlsContext(const std::string& cert_file, const std::string& key_file, AlpnChoice choice)
    : ctx_(SSL_CTX_new(TLS_server_method())) {
  if (!ctx_) throw_openssl_error("SSL_CTX_new");
  load_identity(cert_file, key_file);
  apply_settings();
  const AlpnChoice* stored =
      choice == AlpnChoice::http1_only ? &kChoiceHttp1Only : &kChoiceH2ThenHttp1;
  // OpenSSL's void* is not const; select_alpn only reads through it.
  SSL_CTX_set_alpn_select_cb(ctx_.get(), select_alpn, const_cast<AlpnChoice*>(stored));
}

void TlsContext::load_identity(const std::string& cert_file, const std::string& key_file) {
  SYSLAB_TODO("SSL_CTX_use_certificate_chain_file, then SSL_CTX_use_PrivateKey_file (PEM), then SSL_CTX_check_private_key; each failure throws (throw_openssl_error) naming the file, and both files when the key is not the certificate's");
}

void TlsContext::apply_settings() {
  SYSLAB_TODO("TLS 1.2 at least (SSL_CTX_set_min_proto_version); options: no renegotiation, no compression, the server's cipher order; TLS 1.2 ciphers: ECDHE with AEAD only (RFC 9113 §9.2.2); modes: partial writes, a moving write buffer, idle buffers released");
}

}  // namespace tls
