// Lab 12 tests: httpd's connections: keep-alive by version and by Connection, pipelined requests
// answered in order, and the framing of HEAD, 204, chunked streams and 100-continue.
#include "httpd_client.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace httpd_test;

SYSLAB_TEST(HttpdKeepAlive, Http11KeepsTheConnection, 2,
            "Http1Connection::start_response: an HTTP/1.1 request keeps the connection unless it "
            "says \"Connection: close\" (RFC 9112 §9.3); the parser's keep_alive() decides",
            "After the response, the next request on the same socket must be parsed and answered: "
            "keep the parser and do not close after output.") {
  auto server = start_httpd();
  RawClient client(server->port());
  for (int i = 0; i < 3; ++i) {
    client.send(get("/"));
    const RawResponse response = client.read_response();
    EXPECT_EQ(response.status, 200) << response.head;
    EXPECT_EQ(response.body, "hello\n");
    EXPECT_FALSE(response.has("connection: close")) << response.head;
  }
  client.send(get("/", "Connection: close\r\n"));
  const RawResponse last = client.read_response();
  EXPECT_TRUE(last.has("connection: close")) << last.head;
  EXPECT_TRUE(client.closed_by_server()) << "\"Connection: close\" from the client is honoured";
}

SYSLAB_TEST(HttpdKeepAlive, Http10ClosesUnlessAsked, 2,
            "RFC 9112 §9.3: HTTP/1.0 keeps the connection only with \"Connection: keep-alive\"",
            "Do not keep every connection: the parser's keep_alive() is false for a plain 1.0 "
            "request, and then the connection closes after the response.") {
  auto server = start_httpd({"--keepalive-timeout", "60000"});  // only the protocol closes it
  {
    RawClient client(server->port());
    client.send("GET / HTTP/1.0\r\n\r\n");
    EXPECT_EQ(client.read_response().status, 200);
    EXPECT_TRUE(client.closed_by_server()) << "a plain HTTP/1.0 request ends the connection";
  }
  RawClient client(server->port());
  for (int i = 0; i < 2; ++i) {
    client.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const RawResponse response = client.read_response();
    EXPECT_EQ(response.status, 200);
    EXPECT_TRUE(response.has("connection: keep-alive")) << response.head;
  }
}

SYSLAB_TEST(HttpdPipelining, AnswersEveryRequestOfOneWriteInOrder, 3,
            "Http1Connection::parse_input and answer_queued: feed the parser again after each "
            "request (consumed tells where the next begins), queue them, answer the front first",
            "The first response here is slow (a stream that waits): the second and third must "
            "wait for it, not overtake it.",
            "One write, three requests: a server that parses one request per read loses two.") {
  auto server = start_httpd();
  RawClient client(server->port());
  client.send(get("/delay?ms=150") + get("/stream?n=2&ms=1") + get("/"));
  const RawResponse first = client.read_response();
  EXPECT_EQ(first.body, "waited 150 ms\n") << "the first response must come first";
  const RawResponse second = client.read_response();
  EXPECT_EQ(second.body, "chunk 1 of 2\nchunk 2 of 2\n");
  EXPECT_TRUE(second.has("transfer-encoding: chunked")) << second.head;
  const RawResponse third = client.read_response();
  EXPECT_EQ(third.body, "hello\n");
  EXPECT_TRUE(client.unread().empty()) << client.unread();
}

SYSLAB_TEST(HttpdPipelining, AnswersRequestsSplitAcrossWrites, 1,
            "Bytes of a request may come in many reads: the parser keeps its state between them",
            "Keep what the parser did not use and feed it again with the next bytes.") {
  auto server = start_httpd();
  RawClient client(server->port());
  const std::string two =
      get("/") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello";
  for (char c : two) client.send(std::string(1, c));
  EXPECT_EQ(client.read_response().body, "hello\n");
  EXPECT_EQ(client.read_response().body, "hello");
}

SYSLAB_TEST(HttpdFraming, HeadAnd204HaveNoBody, 2,
            "RFC 9110 §9.3.2 and §15.3.5: HEAD gets the GET's head with no body; 204 has none",
            "The writer says Framing::kNone: send the head only, and the next request on the "
            "connection still parses (a stray body would be taken for its response).") {
  auto server = start_httpd();
  RawClient client(server->port());
  client.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n" + get("/status/204") + get("/"));
  const RawResponse head = client.read_response(true);
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.has("content-length: 6")) << head.head;
  const RawResponse no_content = client.read_response();
  EXPECT_EQ(no_content.status, 204);
  const RawResponse last = client.read_response();
  EXPECT_EQ(last.status, 200) << "a body after HEAD or 204 would be read as this response";
  EXPECT_EQ(last.body, "hello\n");
}

SYSLAB_TEST(HttpdFraming, ExpectContinueGets100BeforeTheBody, 2,
            "RFC 9110 §10.1.1: the parser stops at kExpectContinue: send continue_head(), then "
            "feed on",
            "The client waits for the 100 before it sends the body: without it, nothing moves.") {
  auto server = start_httpd();
  RawClient client(server->port());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  const RawResponse interim = client.read_response();
  EXPECT_EQ(interim.status, 100) << interim.head;
  client.send("ping");
  const RawResponse final_response = client.read_response();
  EXPECT_EQ(final_response.status, 200);
  EXPECT_EQ(final_response.body, "ping");
}

SYSLAB_TEST(HttpdFraming, ExpectContinueTooLargeIsRefusedUnread, 1,
            "A body above the limit is refused before it is read: 413, no 100, and the close",
            "The parser says kError with 413 at the head: answer it and close after output.") {
  auto server = start_httpd();
  RawClient client(server->port());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
      "Content-Length: 999999999\r\n\r\n");
  const RawResponse refused = client.read_response();
  EXPECT_EQ(refused.status, 413) << refused.head;
  EXPECT_TRUE(refused.has("connection: close")) << refused.head;
  EXPECT_TRUE(client.closed_by_server());
}
