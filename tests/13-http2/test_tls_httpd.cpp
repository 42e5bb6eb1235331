// Lab 13 tests: httpd with --tls-port, the program itself met by real peers over TLS: curl with
// ALPN h2 and with http/1.1, nghttp, h2load, the tests' own TLS client for what a browser would
// never do (a handshake, then silence; the HTTP/2 preface after agreeing on http/1.1). Both ports
// share the loops: the clear-text port answers while TLS clients are connected. After each test
// the server's fds are back where they were.
#include <csignal>
#include <string>
#include <vector>

#include "../12-http1/httpd_client.hpp"
#include "syslab/proc.hpp"
#include "syslab/test.hpp"
#include "tls_test_peer.hpp"
#include "tls_test_server.hpp"

using namespace syslab::test;
using httpd_test::ServerProcess;

namespace {

// httpd serving the tests' web root (index.html: "hello\n") on a clear-text port and a TLS port
// with the kit's certificate, plus extra options.
struct TlsHttpd {
  explicit TlsHttpd(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--tls-port",          "0",     "--cert",
                                     tls_test::cert_path(), "--key", tls_test::key_path()};
    args.insert(args.end(), extra.begin(), extra.end());
    server = httpd_test::start_httpd(std::move(args));
    tls_port = httpd_test::tls_port(*server);
    baseline = server->open_fd_count();
  }
  // Every connection closed: the fds are those it had once it listened.
  [[nodiscard]] bool fds_back() const {
    const bool back = poll_until(Deadline(5s), [&] { return server->open_fd_count() == baseline; });
    EXPECT_TRUE(back) << "httpd has " << server->open_fd_count() << " fds open, not " << baseline
                      << " as after it started: a TLS connection was not closed";
    return back;
  }
  std::unique_ptr<ServerProcess> server;
  std::uint16_t tls_port = 0;
  std::size_t baseline = 0;
};

// nghttp or h2load (nghttp2-client) against https://127.0.0.1:port/target.
ProgramResult nghttp2_tool(const std::string& tool, std::uint16_t port, std::string_view target,
                           std::vector<std::string> args) {
  std::vector<std::string> argv = {tls_test::find_command(tool)};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("https://127.0.0.1:" + std::to_string(port) + std::string(target));
  RunOptions options;
  options.timeout = 20s;
  return run_program(argv, options);
}

const std::string kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace

SYSLAB_TEST(TlsHttpd, CurlNegotiatesH2ByAlpn, 3,
            "--tls-port PORT --cert FILE --key FILE: a second listener whose connections run on "
            "tls::tls_transports (the reactor Server's add_listener), on the same loops",
            "once the handshake is done, ALPN decides: conn->transport().selected_protocol() == "
            "\"h2\" installs the Http2Connection at once; nothing is sniffed",
            "curl -v --http2 --cacert build/solutions/13-http2/tls-cert.pem "
            "https://localhost:TLSPORT/ shows \"ALPN: server accepted h2\"") {
  TlsHttpd httpd;
  const ProgramResult got =
      tls_test::curl(httpd.tls_port, "/", {"--http2", "--write-out", " %{http_version}"});
  EXPECT_TRUE(got.status.success()) << "curl: " << got.status << ": " << got.err;
  EXPECT_EQ(got.out, "hello\n 2") << "index.html over HTTP/2, agreed by ALPN";
  EXPECT_TRUE(httpd.fds_back());
  EXPECT_EQ(httpd.server->stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsHttpd, CurlHttp11OverTlsAndTheClearPortBeside, 3,
            "ALPN http/1.1 (or none) on the TLS port: lab 12's Http1Connection on TlsTransport",
            "the clear-text port keeps working beside it: both listeners are on the base loop",
            "the \"listening on\" line names both: \"listening on ADDRESS:PORT and "
            "ADDRESS:TLSPORT (TLS)\"") {
  TlsHttpd httpd;
  const ProgramResult got =
      tls_test::curl(httpd.tls_port, "/", {"--http1.1", "--write-out", " %{http_version}"});
  EXPECT_TRUE(got.status.success()) << "curl: " << got.status << ": " << got.err;
  EXPECT_EQ(got.out, "hello\n 1.1");
  const ProgramResult plain =
      tls_test::curl(httpd.tls_port, "/", {"--write-out", " %{http_version}"});
  EXPECT_EQ(plain.out, "hello\n 1.1") << "curl's default here is --http1.1: " << plain.err;
  httpd_test::RawClient clear(httpd.server->port());
  clear.send(httpd_test::get("/"));
  const httpd_test::RawResponse answer = clear.read_response();
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "hello\n") << "the clear-text port must still serve HTTP/1.1";
  clear.close();
  EXPECT_TRUE(httpd.fds_back());
  EXPECT_EQ(httpd.server->stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsHttpd, NghttpOverTls, 2,
            "nghttp offers h2 by ALPN (and nothing else): the server must select it and speak "
            "HTTP/2 from the first byte it writes (its SETTINGS)",
            "nghttp -v prints \"The negotiated protocol: h2\", then the frames both ways",
            "nghttp -nv https://127.0.0.1:TLSPORT/ (it does not verify the certificate)") {
  TlsHttpd httpd;
  const ProgramResult got = nghttp2_tool("nghttp", httpd.tls_port, "/", {"-v"});
  EXPECT_TRUE(got.status.success()) << "nghttp: " << got.status << ": " << got.out << got.err;
  EXPECT_NE(got.out.find("The negotiated protocol: h2"), std::string::npos) << got.out;
  EXPECT_NE(got.out.find(":status: 200"), std::string::npos) << got.out;
  EXPECT_NE(got.out.find("recv DATA frame"), std::string::npos) << got.out;
  EXPECT_NE(got.out.find("hello\n"), std::string::npos) << "index.html: " << got.out;
  EXPECT_TRUE(httpd.fds_back());
  EXPECT_EQ(httpd.server->stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsHttpd, H2loadOverTlsEveryResponse2xx, 3,
            "h2load: 4 TLS connections, 5 streams at a time on each, 200 requests; every one "
            "must succeed with a 2xx",
            "with --threads 2 the connections are spread over two I/O loops: each SSL is used "
            "only on its connection's loop",
            "h2load -n 200 -c 4 -m 5 https://127.0.0.1:TLSPORT/ prints the status codes it saw") {
  TlsHttpd httpd({"--threads", "2"});
  const ProgramResult got =
      nghttp2_tool("h2load", httpd.tls_port, "/", {"-n", "200", "-c", "4", "-m", "5"});
  EXPECT_TRUE(got.status.success()) << "h2load: " << got.status << ": " << got.out << got.err;
  EXPECT_NE(got.out.find("Application protocol: h2"), std::string::npos) << got.out;
  EXPECT_NE(got.out.find("200 succeeded, 0 failed, 0 errored"), std::string::npos) << got.out;
  EXPECT_NE(got.out.find("status codes: 200 2xx, 0 3xx, 0 4xx, 0 5xx"), std::string::npos)
      << got.out;
  EXPECT_TRUE(httpd.fds_back());
  EXPECT_EQ(httpd.server->stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsHttpd, EchoPostIsTheSameOverH1AndH2, 2,
            "one handler for both protocols: POST /echo over TLS answers the same body and "
            "Content-Type whether ALPN chose http/1.1 or h2",
            "the HTTP/2 request's body is the DATA frames; it reaches the handler whole",
            "curl --http2 --data-binary @file -H 'Content-Type: text/x-demo' "
            "https://localhost:TLSPORT/echo") {
  TlsHttpd httpd;
  const std::vector<std::string> post = {"--data-binary", "one line\nand another\n",
                                         "--header",      "Content-Type: text/x-demo",
                                         "--write-out",   "|%{content_type}|%{http_version}"};
  std::vector<std::string> h1 = post;
  h1.insert(h1.begin(), "--http1.1");
  std::vector<std::string> h2 = post;
  h2.insert(h2.begin(), "--http2");
  const ProgramResult over_h1 = tls_test::curl(httpd.tls_port, "/echo", h1);
  const ProgramResult over_h2 = tls_test::curl(httpd.tls_port, "/echo", h2);
  EXPECT_EQ(over_h1.out, "one line\nand another\n|text/x-demo|1.1") << over_h1.err;
  EXPECT_EQ(over_h2.out, "one line\nand another\n|text/x-demo|2") << over_h2.err;
  EXPECT_TRUE(httpd.fds_back());
  EXPECT_EQ(httpd.server->stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsHttpd, Http11ByAlpnStaysHttp11, 2,
            "over TLS the protocol is ALPN's, not the first bytes': a client that agreed on "
            "http/1.1 and then sends the HTTP/2 preface gets HTTP/1.1's answer to it (505)",
            "and \"Upgrade: h2c\" is ignored over TLS (RFC 9113 §3.1): 200, no 101",
            "do not run the preface sniffer on a TLS connection; refuse the upgrade hook there") {
  TlsHttpd httpd;
  {
    tls_test::TlsClient preface(httpd.tls_port, 0, "http/1.1");
    EXPECT_EQ(preface.selected_protocol(), "http/1.1");
    preface.send(kPreface);
    const std::string answer = preface.read_to_end(4096);
    EXPECT_EQ(answer.substr(0, 13), "HTTP/1.1 505 ")
        << "a client that chose http/1.1 got HTTP/2 (or nothing): " << answer.size() << " bytes";
    tls_test::TlsClient upgrade(httpd.tls_port, 0, "http/1.1");
    upgrade.send(
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings, close\r\n"
        "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n");
    const std::string upgraded = upgrade.read_to_end(4096);
    EXPECT_EQ(upgraded.substr(0, 13), "HTTP/1.1 200 ") << "h2c over TLS: " << upgraded;
  }  // the clients close: httpd may wait for our end after an error (a lingering close)
  EXPECT_TRUE(httpd.fds_back());
  EXPECT_EQ(httpd.server->stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsHttpd, SilentTlsClientsAreClosedWhileOthersAreServed, 3,
            "a client that completes the handshake and asks for nothing is closed after the "
            "keep-alive timeout (HTTP/1.1's idle timer, HTTP/2's GOAWAY); one that never says "
            "hello after the handshake timeout (ConnectionOptions::handshake_timeout, set from "
            "--header-timeout)",
            "meanwhile, another client is served at once: nothing waits for the silent ones",
            "without a handshake timeout a TCP connect that sends nothing holds an fd forever") {
  TlsHttpd httpd({"--keepalive-timeout", "300", "--header-timeout", "300"});
  {
    tls_test::TlsClient idle_h1(httpd.tls_port, 0, "http/1.1");
    tls_test::TlsClient idle_h2(httpd.tls_port, 0, "h2");
    OwnedFd no_hello = tls_test::connect_tcp(httpd.tls_port);
    const ProgramResult served = tls_test::curl(httpd.tls_port, "/", {"--http2"});
    EXPECT_EQ(served.out, "hello\n") << "a client beside three silent ones: " << served.err;
    EXPECT_TRUE(tls_test::closed_within_5s(no_hello.get()))
        << "a connection with no handshake was not closed after --header-timeout";
    EXPECT_EQ(idle_h1.read_to_end(4096), "") << "an idle HTTP/1.1 connection ends with nothing";
    const std::string goaway = idle_h2.read_to_end(4096);
    EXPECT_FALSE(goaway.empty()) << "HTTP/2 says SETTINGS and GOAWAY before it closes";
  }  // The clients close their ends: httpd, which shut down its write side after its close_notify,
     // lingers until it reads our EOF (or for linger_timeout, 5 s: as long as fds_back waits).
  EXPECT_TRUE(httpd.fds_back());
  EXPECT_EQ(httpd.server->stop().describe(), "exited 0");
}

SYSLAB_TEST(TlsHttpd, GracefulStopEndsTlsWithCloseNotify, 2,
            "SIGTERM: the request in flight over TLS is answered whole, then the "
            "connection ends with close_notify, a clean TLS end, before httpd exits 0",
            "Connection::close_after_output goes through the transport's shutdown_write, which "
            "sends close_notify (SSL_shutdown) before shutdown(2)",
            "a TCP end with no close_notify is a truncation to the client: OpenSSL reports "
            "\"unexpected eof while reading\"") {
  TlsHttpd httpd({"--grace", "3000"});
  tls_test::TlsClient client(httpd.tls_port, 0, "http/1.1");
  client.send("GET /delay?ms=300 HTTP/1.1\r\nHost: localhost\r\n\r\n");
  tls_test::TlsClient idle(httpd.tls_port, 0, "h2");
  ASSERT_TRUE(poll_until(Deadline(5s),
                         [&] { return httpd.server->open_fd_count() >= httpd.baseline + 2; }));
  httpd.server->signal(SIGTERM);
  std::string answer;
  EXPECT_NO_THROW(answer = client.read_to_end(4096)) << "the end must be close_notify";
  EXPECT_EQ(answer.substr(0, 13), "HTTP/1.1 200 ") << answer;
  EXPECT_NE(answer.find("waited 300 ms"), std::string::npos) << "the whole body: " << answer;
  EXPECT_NO_THROW((void)idle.read_to_end(4096)) << "HTTP/2 over TLS: GOAWAY, then close_notify";
  const auto status = httpd.server->wait(Deadline(10s));
  ASSERT_TRUE(status.has_value()) << "httpd did not exit after SIGTERM";
  EXPECT_EQ(status->describe(), "exited 0");
}

SYSLAB_TEST(TlsHttpd, FirstRequestAfterTheStopIsAnswered, 2,
            "a TLS connection that agreed on http/1.1 just before SIGTERM, its first request "
            "still on its way, is answered (Connection: close), not closed with the idle ones",
            "over TLS the codec is installed at the handshake, before the first byte: lab 12's "
            "Http1Connection::stop answers the first request of a connection when the stop came "
            "before it",
            "lab 14's reloads need it: the client cannot know that the worker it reached stops") {
  TlsHttpd httpd({"--grace", "3000"});
  tls_test::TlsClient early(httpd.tls_port, 0, "http/1.1");
  ASSERT_TRUE(
      poll_until(Deadline(5s), [&] { return httpd.server->open_fd_count() > httpd.baseline; }));
  httpd.server->signal(SIGTERM);
  ASSERT_TRUE(poll_until(Deadline(5s), [&] { return !loopback_listener(httpd.tls_port); }))
      << "the stop has begun: the TLS port no longer listens";
  early.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  std::string answer;
  EXPECT_NO_THROW(answer = early.read_to_end(4096)) << "the end must be close_notify";
  EXPECT_EQ(answer.substr(0, 13), "HTTP/1.1 200 ") << "the first request is answered: " << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  const auto status = httpd.server->wait(Deadline(10s));
  ASSERT_TRUE(status.has_value()) << "httpd did not exit after SIGTERM";
  EXPECT_EQ(status->describe(), "exited 0");
}

SYSLAB_TEST(TlsHttpd, TlsOptionsGoTogether, 1,
            "--tls-port, --cert and --key: all three or none; one without the others is a usage "
            "error (exit 2) that names what is missing",
            "a certificate that cannot be read stops the start (exit 1), naming the file",
            "check the three after the loop over the arguments, not while reading them") {
  const std::string httpd = program_path("httpd");
  const ProgramResult no_key =
      run_program({httpd, "--tls-port", "0", "--cert", tls_test::cert_path()});
  EXPECT_EQ(no_key.status.describe(), "exited 2") << no_key.err;
  EXPECT_NE(no_key.err.find("--key"), std::string::npos) << no_key.err;
  const ProgramResult no_port =
      run_program({httpd, "--cert", tls_test::cert_path(), "--key", tls_test::key_path()});
  EXPECT_EQ(no_port.status.describe(), "exited 2") << no_port.err;
  EXPECT_NE(no_port.err.find("--tls-port"), std::string::npos) << no_port.err;
  const ProgramResult missing = run_program(
      {httpd, "--tls-port", "0", "--cert", "/nonexistent/cert.pem", "--key", tls_test::key_path()});
  EXPECT_EQ(missing.status.describe(), "exited 1") << missing.err;
  EXPECT_NE(missing.err.find("/nonexistent/cert.pem"), std::string::npos) << missing.err;
  const ProgramResult help = run_program({httpd, "--help"});
  EXPECT_NE(help.out.find("--tls-port PORT"), std::string::npos) << help.out;
}
