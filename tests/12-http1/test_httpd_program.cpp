// Lab 12 tests: the httpd program from outside: its options, curl and h2load against it, its shape
// in /proc (threads = loops, fds back to where they were), the access log, the graceful stop.
#include <signal.h>

#include <algorithm>
#include <string>
#include <vector>

#include "httpd_client.hpp"
#include "syslab/proc.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace httpd_test;

namespace {

std::string url(std::uint16_t port, std::string_view path) {
  return "http://127.0.0.1:" + std::to_string(port) + std::string(path);
}

}  // namespace

SYSLAB_TEST(HttpdProgram, HelpAndBadOptions, 1,
            "httpd.cpp: --help prints the usage and exits 0; a bad option exits 2 and says why",
            "Use net::take_option_value and net::parse_number, as the echo servers do.") {
  const ProgramResult help = run_program({program_path("httpd"), "--help"});
  EXPECT_EQ(help.status.code, 0) << help.status << help.err;
  EXPECT_NE(help.out.find("--keepalive-timeout"), std::string::npos) << help.out;
  const ProgramResult bad = run_program({program_path("httpd"), "--threads", "many"});
  EXPECT_EQ(bad.status.code, 2) << bad.status;
  EXPECT_NE(bad.err.find("--threads: expected a number"), std::string::npos) << bad.err;
  const ProgramResult unknown = run_program({program_path("httpd"), "--colour"});
  EXPECT_EQ(unknown.status.code, 2) << unknown.status;
  EXPECT_NE(unknown.err.find("unknown argument"), std::string::npos) << unknown.err;
  auto server = start_httpd(
      {"--threads=1", "--header-timeout", "5000", "--keepalive-timeout=0", "--grace", "100"});
  EXPECT_NE(server->listening_line().find("listening on 127.0.0.1:"), std::string::npos);
}

SYSLAB_TEST(HttpdProgram, CurlReusesTheConnection, 2,
            "curl with two URLs of one server sends both on one connection if the first response "
            "keeps it: %{num_connects} is 1, then 0",
            "Keep-alive needs the response framed (Content-Length or chunked) and no close.") {
  auto server = start_httpd();
  const ProgramResult curl = run_program(
      {"/usr/bin/curl", "-s", "--max-time", "5", "-o", "/dev/null", "-o", "/dev/null", "-w",
       "%{num_connects}\\n", url(server->port(), "/"), url(server->port(), "/stream")});
  EXPECT_EQ(curl.status.code, 0) << curl.status << curl.err;
  EXPECT_EQ(curl.out, "1\n0\n") << "the second request must reuse the connection";
}

SYSLAB_TEST(HttpdProgram, H2loadEveryResponse2xx, 2,
            "h2load --h1 sends 200 requests on 4 keep-alive connections: all must succeed",
            "A response that never ends (wrong framing) stalls h2load: look at Content-Length.") {
  auto server = start_httpd({"--threads", "2"});
  RunOptions options;
  options.timeout = std::chrono::seconds(30);
  const ProgramResult h2load = run_program(
      {"/usr/bin/h2load", "--h1", "-n", "200", "-c", "4", "-T", "10", url(server->port(), "/")},
      options);
  EXPECT_EQ(h2load.status.code, 0) << h2load.status << h2load.err;
  EXPECT_NE(h2load.out.find("200 succeeded, 0 failed, 0 errored"), std::string::npos) << h2load.out;
  EXPECT_NE(h2load.out.find("status codes: 200 2xx"), std::string::npos) << h2load.out;
}
SYSLAB_TIMEOUT(HttpdProgram, H2loadEveryResponse2xx, 40);

SYSLAB_TEST(
    HttpdProgram, ShapeInProc, 2,
    "--threads N: N I/O loops and the acceptor loop, N + 1 threads in /proc/PID/task; "
    "every connection's fd is closed once its client has gone",
    "An fd left open per connection shows in /proc/PID/fd after many keep-alive requests.") {
  auto server = start_httpd({"--threads", "2"});
  EXPECT_EQ(own_threads(server->pid()), 3);
  const std::size_t fds_before = server->open_fd_count();
  {
    std::vector<RawClient> clients;
    for (int i = 0; i < 4; ++i) clients.emplace_back(server->port());
    for (int round = 0; round < 25; ++round) {
      for (RawClient& client : clients) client.send(get("/"));
      for (RawClient& client : clients) ASSERT_EQ(client.read_response().status, 200);
    }
  }
  EXPECT_TRUE(poll_until(Deadline(std::chrono::seconds(5)),
                         [&] { return server->open_fd_count() == fds_before; }))
      << server->open_fd_count() << " fds open, " << fds_before << " before the clients";
}

SYSLAB_TEST(HttpdProgram, AccessLogLinePerRequest, 1,
            "--access-log FILE: one line per request, common log format and the duration in µs",
            "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET / HTTP/1.1\" 200 6 87") {
  TempDir dir;
  const std::string log = dir.path() + "/access.log";
  auto server = start_httpd({"--access-log", log}, false);
  RawClient client(server->port());
  client.send(get("/") + get("/status/404"));
  EXPECT_EQ(client.read_response().status, 200);
  EXPECT_EQ(client.read_response().status, 404);
  std::string text;
  EXPECT_TRUE(poll_until(Deadline(std::chrono::seconds(5)), [&] {
    text = read_file(log);
    return std::count(text.begin(), text.end(), '\n') == 2;
  })) << text;
  EXPECT_NE(text.find("127.0.0.1 - - ["), std::string::npos) << text;
  EXPECT_NE(text.find("] \"GET / HTTP/1.1\" 200 6 "), std::string::npos) << text;
  EXPECT_NE(text.find("] \"GET /status/404 HTTP/1.1\" 404 14 "), std::string::npos) << text;
}

SYSLAB_TEST(HttpdStop, SigtermFinishesInFlightAndClosesIdle, 3,
            "HttpServer::stop_gracefully: stop accepting, tell every connection to stop; an idle "
            "one closes at once, a busy one answers what it has (the last response with "
            "Connection: close), then closes; the program exits 0",
            "Http1Connection::stop runs on the connection's own loop: run_in_loop.",
            "The server quits once the last connection is gone: lab 11's Server does that.") {
  auto server = start_httpd({"--threads", "2"});
  RawClient idle(server->port());
  idle.send(get("/"));
  ASSERT_EQ(idle.read_response().status, 200);
  RawClient busy(server->port());
  busy.send(get("/delay?ms=300") + get("/"));
  ASSERT_TRUE(wait_readable(busy.fd(), Deadline(std::chrono::seconds(5))));  // its head is out
  server->signal(SIGTERM);
  EXPECT_TRUE(idle.closed_by_server(std::chrono::seconds(2))) << "idle connections close at once";
  idle.close();
  const RawResponse first = busy.read_response();
  EXPECT_EQ(first.body, "waited 300 ms\n");
  const RawResponse last = busy.read_response();
  EXPECT_EQ(last.status, 200);
  EXPECT_TRUE(last.has("connection: close")) << last.head;
  EXPECT_TRUE(busy.closed_by_server());
  busy.close();
  const auto status = server->wait(Deadline(std::chrono::seconds(5)));
  ASSERT_TRUE(status.has_value()) << "httpd must exit once its connections are closed";
  EXPECT_EQ(status->code, 0) << *status;
}

SYSLAB_TEST(HttpdStop, FirstRequestOfAConnectionAcceptedBeforeTheStopIsAnswered, 2,
            "a connection accepted just before the stop, its first request still on its way, is "
            "not idle: the client cannot know that the server stops, so its request is answered, "
            "with Connection: close, and then the connection closes",
            "Http1Connection::stop: without a response yet, it only remembers the stop "
            "(stop_after_first_request_); start_response makes the first response the last",
            "a reload of lab 14's workers depends on it: a TLS connection has its codec before "
            "its first byte") {
  auto server = start_httpd({"--threads", "2"});
  const std::size_t baseline = server->open_fd_count();
  RawClient early(server->port());
  ASSERT_TRUE(poll_until(Deadline(std::chrono::seconds(5)), [&] {
    return server->open_fd_count() > baseline;
  })) << "the server accepts the connection";
  server->signal(SIGTERM);
  ASSERT_TRUE(poll_until(Deadline(std::chrono::seconds(5)), [&] {
    return !loopback_listener(server->port()).has_value();
  })) << "the stop has begun: the server no longer listens";
  early.send(get("/"));
  RawResponse response;
  std::string why;
  try {
    response = early.read_response();
  } catch (const std::exception& error) {
    why = error.what();
  }
  EXPECT_EQ(response.status, 200)
      << "the request of a connection accepted before the stop must be answered, not dropped "
      << "with the idle connections (" << why << ")";
  EXPECT_TRUE(response.has("connection: close")) << response.head;
  EXPECT_TRUE(early.closed_by_server());
  early.close();
  const auto status = server->wait(Deadline(std::chrono::seconds(5)));
  ASSERT_TRUE(status.has_value()) << "httpd must exit once its connections are closed";
  EXPECT_EQ(status->code, 0) << *status;
}
