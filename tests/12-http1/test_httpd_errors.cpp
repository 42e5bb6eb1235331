// Lab 12 tests: httpd and bad or hostile clients: malformed requests answered with their status
// and a close, the slowloris client cut with 408, idle keep-alive connections closed, and a
// client that never reads bounded by the high-water mark.
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <vector>

#include "httpd_client.hpp"
#include "syslab/echo_client.hpp"
#include "syslab/proc.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace httpd_test;
namespace echo = syslab::test::echo;

namespace {

struct BadRequest {
  std::string name;
  std::string bytes;
  int status;
};

std::vector<BadRequest> bad_requests() {
  return {
      {"bad field", "GET / HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n", 400},
      {"unknown method", "HELLO THERE\r\n\r\n", 501},
      {"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"long target", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414},
      {"huge head", "GET / HTTP/1.1\r\nHost: t\r\nX: " + std::string(70000, 'b') + "\r\n\r\n", 431},
      {"too large", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n", 413},
      {"gzip coding", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       501},
      {"HTTP/3.0", "GET / HTTP/3.0\r\nHost: t\r\n\r\n", 505},
      {"smuggling",
       "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400},
  };
}

// Sends request again and again without reading, until the socket has not been writable for
// 300 ms (the buffers on both sides are full: the server stopped reading) or limit bytes went.
std::size_t send_requests_until_full(int fd, const std::string& request, std::size_t limit) {
  std::string block;
  while (block.size() < 64 * 1024) block += request;
  std::size_t sent = 0;
  std::size_t at = 0;  // where in block the next send starts
  while (sent < limit) {
    const ssize_t n = ::send(fd, block.data() + at, block.size() - at, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      at = (at + static_cast<std::size_t>(n)) % block.size();
    } else if (n < 0 && errno == EAGAIN) {
      if (echo::wait_for(fd, POLLOUT, Deadline(std::chrono::milliseconds(300))) == 0) break;
    } else if (n < 0 && errno != EINTR) {
      echo::fail("send", errno);
    }
  }
  return sent;
}

long rss_kib(pid_t pid) { return std::stol(status_field(pid, "VmRSS").value_or("0")); }

}  // namespace

SYSLAB_TEST(HttpdErrors, BadInputGetsItsStatusAndTheClose, 3,
            "Http1Connection: on Event::kError, send write_error(parser.error()) (it says "
            "Connection: close), then close_after_output; the server goes on",
            "Each request here is refused with a different status: the parser chooses it, the "
            "connection only writes it.",
            "After an error nothing more is parsed: the bytes that follow may be anything.") {
  auto server = start_httpd();
  for (const BadRequest& bad : bad_requests()) {
    SCOPED_TRACE(bad.name);
    RawClient client(server->port());
    client.send(bad.bytes);
    const RawResponse response = client.read_response();
    EXPECT_EQ(response.status, bad.status) << response.head;
    EXPECT_TRUE(response.has("connection: close")) << response.head;
    EXPECT_TRUE(client.closed_by_server());
  }
  RawClient still(server->port());
  still.send(get("/"));
  EXPECT_EQ(still.read_response().status, 200) << "the server must outlive bad clients";
}

SYSLAB_TEST(HttpdErrors, ErrorAfterPipelinedRequestsComesLast, 1,
            "A refusal is queued behind the requests before it: they are answered first",
            "Queue the parse error as the last item instead of writing it at once.") {
  auto server = start_httpd();
  RawClient client(server->port());
  client.send(get("/delay?ms=100") + "GET / HTTP/1.1\r\nNo colon\r\n\r\n");
  EXPECT_EQ(client.read_response().body, "waited 100 ms\n");
  EXPECT_EQ(client.read_response().status, 400);
  EXPECT_TRUE(client.closed_by_server());
}

SYSLAB_TEST(HttpdErrors, MaxBodyOptionSetsTheLimit, 1,
            "--max-body BYTES goes into the parser's limits (Http1Options::limits.max_body)",
            "A body of exactly BYTES is allowed; one byte more is 413, refused before it is read") {
  auto server = start_httpd({"--max-body", "10"});
  RawClient client(server->port());
  client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789");
  const RawResponse fits = client.read_response();
  EXPECT_EQ(fits.status, 200) << fits.head;
  EXPECT_EQ(fits.body, "0123456789");
  client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n");
  const RawResponse over = client.read_response();
  EXPECT_EQ(over.status, 413) << "--max-body 10 and a body of 11 bytes: " << over.head;
  EXPECT_TRUE(client.closed_by_server());
}

SYSLAB_TEST(HttpdTimeouts, SlowHeadIsCutWith408, 2,
            "Http1Connection::arm_header_timer: a timer from a request's first byte; when it "
            "fires before the request is complete, answer 408 and close (the slowloris attack)",
            "Start it when the parser leaves idle(), cancel it when a request completes.") {
  auto server = start_httpd({"--header-timeout", "300"});
  RawClient client(server->port());
  client.send("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ");
  const RawResponse response = client.read_response(false, std::chrono::seconds(5));
  EXPECT_EQ(response.status, 408) << response.head;
  EXPECT_TRUE(client.closed_by_server());
}

SYSLAB_TEST(HttpdTimeouts, SlowBodyIsCutWith408, 2,
            "The header timer runs from a request's first byte to its last, body included: a "
            "body that trickles in is cut at the same deadline as a head that does",
            "Do not re-arm the timer when bytes come: a slowloris client sends one byte well "
            "within each timeout, and its request never ends.") {
  auto server = start_httpd({"--header-timeout", "300"});
  RawClient client(server->port());
  client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n");
  // One body byte every 50 ms (the whole body would take 50 s), until the server answers. A
  // server that counted 300 ms from the last byte would never answer.
  const Deadline give_up(std::chrono::seconds(10));
  while (!give_up.expired() &&
         echo::wait_for(client.fd(), POLLIN, Deadline(std::chrono::milliseconds(50))) == 0) {
    client.send("x");
  }
  const RawResponse response = client.read_response(false, std::chrono::milliseconds(100));
  EXPECT_EQ(response.status, 408) << response.head;
  EXPECT_TRUE(client.closed_by_server());
}
SYSLAB_TIMEOUT(HttpdTimeouts, SlowBodyIsCutWith408, 30);

SYSLAB_TEST(HttpdTimeouts, IdleKeepAliveConnectionIsClosed, 1,
            "Http1Connection::arm_keepalive_timer: when nothing is in flight, a timer that closes "
            "the connection if it is still idle when it fires",
            "Arm it after the last response is out and when nothing is queued; cancel it when "
            "bytes come.") {
  auto server = start_httpd({"--keepalive-timeout", "200"});
  RawClient client(server->port());
  client.send(get("/"));
  EXPECT_EQ(client.read_response().status, 200);
  EXPECT_TRUE(client.closed_by_server()) << "an idle keep-alive connection must be closed";
}

SYSLAB_TEST(HttpdFlowControl, NeverReadingClientIsBounded, 2,
            "Above the high-water mark of pending output, lab 11's connection stops reading a "
            "client; answer_queued starts no response while the output is above "
            "options_.output_limit",
            "A client that sends requests without reading must not make the server buffer its "
            "answers without end: look at VmRSS in /proc/PID/status.") {
  auto server = start_httpd();
  const long before = rss_kib(server->pid());
  RawClient hog(server->port());
  const std::string upload =
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 16384\r\n\r\n" + std::string(16384, 'u');
  const std::size_t sent = send_requests_until_full(hog.fd(), upload, 64 << 20);
  RawClient other(server->port());
  other.send(get("/"));
  EXPECT_EQ(other.read_response(false, std::chrono::seconds(20)).body, "hello\n")
      << "other clients are still served";
  EXPECT_LT(sent, std::size_t{64} << 20)
      << "the server must stop reading a client that never reads";
  EXPECT_LT(rss_kib(server->pid()) - before, 32 * 1024) << "sent " << sent << " bytes of requests";
}
SYSLAB_TIMEOUT(HttpdFlowControl, NeverReadingClientIsBounded, 30);

SYSLAB_TEST(HttpdFlowControl, PipelinedFloodBehindASlowResponseIsBounded, 2,
            "Http1Connection::limit_input: while kMaxQueued requests wait (or kMaxUnparsed "
            "bytes), stop reading the socket (reactor::Connection::pause_input), and read again "
            "once the queue has room (resume_input)",
            "A client may pipeline megabytes of requests behind a slow response: the kernel's "
            "socket buffers, which are bounded, must hold them, not the server's memory.",
            "Paused is not stopped: the requests behind a slow one are all answered in the end.") {
  auto server = start_httpd();
  const long before = rss_kib(server->pid());
  {
    RawClient flood(server->port());
    flood.send(get("/delay?ms=20000"));
    const std::size_t sent = send_requests_until_full(flood.fd(), get("/"), 256 << 20);
    EXPECT_LT(sent, std::size_t{64} << 20)
        << "the server must stop reading while its queue of requests is full";
    EXPECT_LT(rss_kib(server->pid()) - before, 16 * 1024) << "sent " << sent << " bytes";
  }
  // 200 KiB of requests: more than one read takes before the queue is full, so the rest is
  // read only if reading resumes.
  RawClient client(server->port());
  std::string pipelined = get("/delay?ms=200");
  const std::string padded = get("/", "X-Pad: " + std::string(1000, 'p') + "\r\n");
  for (int i = 0; i < 200; ++i) pipelined += padded;
  client.send(pipelined);
  EXPECT_EQ(client.read_response().status, 200);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(client.read_response().body, "hello\n") << "the response to request " << i + 2;
  }
}
SYSLAB_TIMEOUT(HttpdFlowControl, PipelinedFloodBehindASlowResponseIsBounded, 30);
