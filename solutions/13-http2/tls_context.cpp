// Lab 13: the TLS context: the certificate and key, the protocol floor, ALPN, the session settings.
#include "tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <array>

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

// BEGIN SOLUTION
std::span<const std::string_view> server_preference(AlpnChoice choice) {
  if (choice == AlpnChoice::http1_only) return kHttp1Only;
  return kServerPreference;
}
// END SOLUTION

// The ALPN callback's argument points at one of these: static, since every SSL made from the
// SSL_CTX keeps it (and its callback) alive after the TlsContext is gone.
constexpr AlpnChoice kChoiceH2ThenHttp1 = AlpnChoice::h2_then_http1;
constexpr AlpnChoice kChoiceHttp1Only = AlpnChoice::http1_only;

// OpenSSL's ALPN callback: the server chooses from what the client offers. arg: the AlpnChoice.
int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
                const unsigned char* in, unsigned int in_length, void* arg) {
  // BEGIN SOLUTION: choose_protocol from the client's list, with the AlpnChoice that arg points at: found, point out and out_length at it and say SSL_TLSEXT_ERR_OK; nothing we speak: SSL_TLSEXT_ERR_ALERT_FATAL (RFC 7301 §3.2: the no_application_protocol alert)
  const AlpnChoice choice = *static_cast<const AlpnChoice*>(arg);
  const std::string_view chosen = choose_protocol(std::span(in, in_length), choice);
  if (chosen.empty()) {
    // RFC 7301 §3.2: a server that speaks none of the client's protocols SHALL answer with the
    // fatal alert no_application_protocol. (SSL_TLSEXT_ERR_NOACK would go on without ALPN.)
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = reinterpret_cast<const unsigned char*>(chosen.data());  // static storage: it stays
  *out_length = static_cast<unsigned char>(chosen.size());
  return SSL_TLSEXT_ERR_OK;
  // END SOLUTION
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

// [slide:choose_protocol]
std::string_view choose_protocol(std::span<const unsigned char> client_list, AlpnChoice choice) {
  // BEGIN SOLUTION: for each of our protocols in our order (server_preference(choice)), walk the client's list (a length byte, then that many bytes of name) and return ours at the first match; a zero length or one past the end: malformed, empty
  for (const std::string_view ours : server_preference(choice)) {
    for (std::size_t at = 0; at < client_list.size();) {
      const std::size_t length = client_list[at];
      if (length == 0 || at + 1 + length > client_list.size()) return {};  // malformed
      const std::string_view name(reinterpret_cast<const char*>(client_list.data() + at + 1),
                                  length);
      if (name == ours) return ours;
      at += 1 + length;
    }
  }
  return {};
  // END SOLUTION
}
// [/slide]

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
  // BEGIN SOLUTION: SSL_CTX_use_certificate_chain_file, then SSL_CTX_use_PrivateKey_file (PEM), then SSL_CTX_check_private_key; each failure throws (throw_openssl_error) naming the file, and both files when the key is not the certificate's
  SSL_CTX* ctx = ctx_.get();
  const std::string key_is_not_cert =
      "the key in \"" + key_file + "\" does not match the certificate in \"" + cert_file + "\"";
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    throw_openssl_error("cannot load the certificate chain from \"" + cert_file + "\"");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL compares a key with the certificate already loaded as it takes the key.
    const unsigned long error = ERR_peek_last_error();
    const bool mismatch =
        ERR_GET_LIB(error) == ERR_LIB_X509 && ERR_GET_REASON(error) == X509_R_KEY_VALUES_MISMATCH;
    throw_openssl_error(mismatch ? key_is_not_cert
                                 : "cannot load the private key from \"" + key_file + "\"");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) throw_openssl_error(key_is_not_cert);
  // END SOLUTION
}

void TlsContext::apply_settings() {
  // BEGIN SOLUTION: TLS 1.2 at least (SSL_CTX_set_min_proto_version); options: no renegotiation, no compression, the server's cipher order; TLS 1.2 ciphers: ECDHE with AEAD only (RFC 9113 §9.2.2); modes: partial writes, a moving write buffer, idle buffers released
  SSL_CTX* ctx = ctx_.get();
  // TLS 1.0 and 1.1 are deprecated (RFC 8996); HTTP/2 needs 1.2 at least (RFC 9113 §9.2).
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    throw_openssl_error("SSL_CTX_set_min_proto_version");
  }
  // Renegotiation: a client could make us redo the costly half of a handshake at will, and h2
  // forbids it (RFC 9113 §9.2.1). Compression: CRIME reads secrets through the compressed size.
  // The server's cipher order: the client may list weak suites first.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2 for h2: ephemeral key exchange and an AEAD cipher (RFC 9113 §9.2.2, Appendix A lists
  // the rest as forbidden). TLS 1.3's suites are all of that kind already.
  if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
    throw_openssl_error("SSL_CTX_set_cipher_list");
  }
  // Partial writes: SSL_write returns after each record that went out, as write(2) does, instead
  // of holding the rest. A moving buffer: a retry after WANT_WRITE may pass the same bytes from
  // another address (our output queue, the send_file copy). Released buffers: an idle connection
  // gives back its 2 x ~17 KiB of record buffers (C10K of idle keep-alive connections).
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // END SOLUTION
}

}  // namespace tls
