// Lab 13 tests: the TLS context: ALPN's choice from a client's list (byte vectors in RFC 7301's
// wire format), and the certificate and key loaded with errors that name the file.
#include <string>
#include <system_error>
#include <vector>

#include "syslab/test.hpp"
#include "tls_context.hpp"
#include "tls_test_peer.hpp"
#include "tls_test_server.hpp"

using namespace syslab::test;

namespace {

// RFC 7301 §3.1's wire format: each name preceded by its length in one byte.
std::vector<unsigned char> alpn_list(const std::vector<std::string>& names) {
  std::vector<unsigned char> wire;
  for (const std::string& name : names) {
    wire.push_back(static_cast<unsigned char>(name.size()));
    wire.insert(wire.end(), name.begin(), name.end());
  }
  return wire;
}

std::string chosen(const std::vector<unsigned char>& wire) {
  return std::string(tls::choose_protocol(wire));
}

// What constructing a context from these files throws (empty: it did not throw).
std::string load_error(const std::string& cert, const std::string& key) {
  try {
    tls::TlsContext context(cert, key);
  } catch (const std::system_error& error) {
    return error.what();
  }
  return {};
}

}  // namespace

SYSLAB_TEST(TlsContext, AlpnPrefersH2ThenHttp11, 2,
            "RFC 7301 §3.1: the client sends a list of names, each preceded by its length in one "
            "byte; the server picks one. Ours: h2 if offered, else http/1.1, else none",
            "walk the list for each of our names in our order, not for each of the client's: "
            "[http/1.1, h2] must give h2",
            "a zero length, or a length that runs past the end, is a malformed list: none") {
  EXPECT_EQ(chosen(alpn_list({"h2"})), "h2");
  EXPECT_EQ(chosen(alpn_list({"http/1.1"})), "http/1.1");
  EXPECT_EQ(chosen(alpn_list({"http/1.1", "h2"})), "h2") << "our preference decides";
  EXPECT_EQ(chosen(alpn_list({"spdy/3.1", "h2c", "http/1.1"})), "http/1.1");
  EXPECT_EQ(chosen(alpn_list({"h2c"})), "") << "h2c is clear text: never agreed through TLS";
  EXPECT_EQ(chosen(alpn_list({"h2x", "http/1.0"})), "");
  EXPECT_EQ(chosen({}), "");
  EXPECT_EQ(chosen({5, 'h', '2'}), "") << "a length past the end of the list";
  EXPECT_EQ(chosen({0, 2, 'h', '2'}), "") << "a zero length";
}

SYSLAB_TEST(TlsContext, Http1OnlyNeverTakesH2, 1,
            "AlpnChoice::http1_only (httpd --no-h2): our list is http/1.1 alone",
            "walk server_preference(choice), not always h2 then http/1.1",
            "a client that offers only h2 then gets no protocol at all (the fatal alert)") {
  const auto http1_only = [](const std::vector<unsigned char>& wire) {
    return std::string(tls::choose_protocol(wire, tls::AlpnChoice::http1_only));
  };
  EXPECT_EQ(http1_only(alpn_list({"h2", "http/1.1"})), "http/1.1");
  EXPECT_EQ(http1_only(alpn_list({"http/1.1"})), "http/1.1");
  EXPECT_EQ(http1_only(alpn_list({"h2"})), "") << "h2 is not ours to take with --no-h2";
}

SYSLAB_TEST(TlsContext, LoadsTheCertificateAndNamesAMissingFile, 2,
            "SSL_CTX_use_certificate_chain_file and SSL_CTX_use_PrivateKey_file (PEM) load the "
            "pair; a failure must say which file, with OpenSSL's reason (throw_openssl_error)",
            "check each call's result (1 is success) and throw naming the path",
            "throw_openssl_error(\"cannot load the certificate chain from \\\"\" + cert_file + "
            "\"\\\"\") takes OpenSSL's oldest error as the cause") {
  TempDir dir;
  EXPECT_EQ(load_error(tls_test::cert_path(), tls_test::key_path()), "")
      << "the kit's own pair must load";
  const std::string missing = dir / "missing.pem";
  const std::string no_cert = load_error(missing, tls_test::key_path());
  EXPECT_NE(no_cert.find(missing), std::string::npos)
      << "a missing certificate file must be named: " << no_cert;
  EXPECT_NE(no_cert.find("No such file"), std::string::npos)
      << "OpenSSL's reason must be there: " << no_cert;
  const std::string no_key = load_error(tls_test::cert_path(), missing);
  EXPECT_NE(no_key.find(missing), std::string::npos)
      << "a missing key file must be named: " << no_key;
  write_file(dir / "junk.pem", "not a PEM file\n");
  const std::string junk = load_error(tls_test::cert_path(), dir / "junk.pem");
  EXPECT_NE(junk.find(dir / "junk.pem"), std::string::npos)
      << "a key file that is not a key must be named: " << junk;
}

SYSLAB_TEST(TlsContext, RefusesAKeyThatIsNotTheCertificates, 2,
            "a certificate and a key that do not belong together cannot make a handshake: "
            "refuse them at start, naming both files, not at the first client",
            "OpenSSL compares the key with the certificate as SSL_CTX_use_PrivateKey_file "
            "takes it (X509_R_KEY_VALUES_MISMATCH); SSL_CTX_check_private_key checks again",
            "when use_PrivateKey_file fails, ERR_peek_last_error() tells a mismatch from a file "
            "that cannot be read") {
  TempDir dir;
  const std::string other_key = dir / "other-key.pem";
  const ProgramResult made =
      run_program({tls_test::find_command("openssl"), "genpkey", "-algorithm", "EC", "-pkeyopt",
                   "ec_paramgen_curve:P-256", "-out", other_key});
  ASSERT_TRUE(made.status.success()) << made.err;
  const std::string error = load_error(tls_test::cert_path(), other_key);
  ASSERT_NE(error, "") << "a key that is not the certificate's was accepted";
  EXPECT_NE(error.find(other_key), std::string::npos) << "the key file must be named: " << error;
  EXPECT_NE(error.find(tls_test::cert_path()), std::string::npos)
      << "the certificate file must be named too: " << error;
}

// TlsServer.RefusesOldTlsAndCiphersH2Forbids sees a TLS 1.1 client refused, but cannot tell who
// refused it: OpenSSL 3's default security level (1) already refuses TLS below 1.2, and our
// TLS 1.2 cipher list has no suite TLS 1.1 can use. Both are settings of the moment (a distro's
// openssl.cnf lowers the first, a cipher list grows): the floor must be the context's own, and
// OpenSSL reports it back.
SYSLAB_TEST(TlsContext, FloorIsTls12OfItsOwn, 1,
            "SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) in apply_settings: the floor "
            "must not rest on OpenSSL's security level or on the cipher list",
            "SSL_CTX_get_min_proto_version reads it back: 0 means no floor was set",
            "1.2, not 1.3: TLS 1.2 clients with a good cipher must still get in") {
  const tls::TlsContext context(tls_test::cert_path(), tls_test::key_path());
  const long lowest_version = SSL_CTX_get_min_proto_version(context.get());
  EXPECT_EQ(lowest_version, TLS1_2_VERSION)
      << "the context's own lowest TLS version (0x303 is TLS 1.2; 0: none set)";
}
