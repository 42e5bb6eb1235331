// Lab 12 tests: responses as exact bytes: the status line with its reason phrase, Date, Server,
// the handler's fields, and the framing (Content-Length, chunked, none, until close).
#include <memory>
#include <string>

#include "http1_writer.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using http::Framing;
using http::Response;
using http::ResponseContext;

namespace {

constexpr std::string_view kDate = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr std::string_view kServer = "syslab";
const std::string kPrelude = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: syslab\r\n";

// A stream that is never asked for anything here: the writer frames it, the server drives it.
struct SilentStream : http::BodyStream {
  Piece next() override { return Piece::end(); }
};

Response streamed(int status = 200) {
  Response response;
  response.status = status;
  response.headers.add("Content-Type", "text/event-stream");
  response.body = std::make_unique<SilentStream>();
  return response;
}

ResponseContext context(std::string_view method, http::Version version = {1, 1},
                        bool keep_alive = true) {
  return {method, version, keep_alive};
}

}  // namespace

SYSLAB_TEST(
    Writer, BytesWithContentLength, 2,
    "Status line with reason phrase, Date, Server, the handler's fields, Content-Length.",
    "Content-Length is the body's length in decimal; the writer adds it, not the handler.") {
  const Response response = Response::text(200, "hello");
  EXPECT_EQ(http::write_response(response, context("GET"), kDate, kServer),
            "HTTP/1.1 200 OK\r\n" + kPrelude +
                "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello");
  const auto head = http::write_head(response, context("GET"), kDate, kServer);
  EXPECT_EQ(head.framing, Framing::kContentLength);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(http::write_response(Response::text(404, ""), context("GET"), kDate, kServer),
            "HTTP/1.1 404 Not Found\r\n" + kPrelude +
                "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 0\r\n\r\n");
}

SYSLAB_TEST(Writer, HeadHasLengthButNoBody, 2,
            "RFC 9110 §9.3.2: a HEAD response has GET's fields, Content-Length included, and no "
            "body.",
            "framing kNone for HEAD, after the Content-Length field is written.") {
  EXPECT_EQ(http::write_response(Response::text(200, "hello"), context("HEAD"), kDate, kServer),
            "HTTP/1.1 200 OK\r\n" + kPrelude +
                "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(http::write_head(streamed(), context("HEAD"), kDate, kServer).framing, Framing::kNone);
}

SYSLAB_TEST(Writer, NoContentStatuses, 2,
            "RFC 9110 §6.4.1, §8.6: 204 and 304 have no body, and 204 no Content-Length.",
            "status_has_no_content(status): no framing field, framing kNone.") {
  Response no_content;
  no_content.status = 204;
  EXPECT_EQ(http::write_response(no_content, context("DELETE"), kDate, kServer),
            "HTTP/1.1 204 No Content\r\n" + kPrelude + "\r\n");
  Response not_modified = Response::text(304, "ignored");
  not_modified.headers.set("Content-Type", "text/html");
  EXPECT_EQ(http::write_response(not_modified, context("GET"), kDate, kServer),
            "HTTP/1.1 304 Not Modified\r\n" + kPrelude + "Content-Type: text/html\r\n\r\n");
}

SYSLAB_TEST(Writer, StreamIsChunkedForHttp11, 2,
            "RFC 9112 §7.1: a body of unknown length goes chunked to an HTTP/1.1 client.",
            "write_chunk: size in hex, CRLF, bytes, CRLF; nothing for empty bytes (a 0 chunk ends "
            "the body).") {
  const auto head = http::write_head(streamed(), context("GET"), kDate, kServer);
  EXPECT_EQ(head.bytes,
            "HTTP/1.1 200 OK\r\n" + kPrelude +
                "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(head.framing, Framing::kChunked);
  EXPECT_EQ(http::write_chunk("hello"), "5\r\nhello\r\n");
  EXPECT_EQ(http::write_chunk(std::string(26, 'z')), "1a\r\n" + std::string(26, 'z') + "\r\n");
  EXPECT_EQ(http::write_chunk(""), "");
  EXPECT_EQ(http::last_chunk(), "0\r\n\r\n");
}

SYSLAB_TEST(Writer, StreamToHttp10UntilClose, 2,
            "RFC 9112 §6.1: no Transfer-Encoding to an HTTP/1.0 client; the body ends when the "
            "connection closes (§6.3 item 8).",
            "framing kUntilClose, keep_alive false, and say Connection: close.") {
  const auto head = http::write_head(streamed(), context("GET", {1, 0}, true), kDate, kServer);
  EXPECT_EQ(head.bytes, "HTTP/1.1 200 OK\r\n" + kPrelude +
                            "Content-Type: text/event-stream\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.framing, Framing::kUntilClose);
  EXPECT_FALSE(head.keep_alive);
}

SYSLAB_TEST(Writer, ConnectionField, 2,
            "Connection: close when the connection ends after this response; Connection: "
            "keep-alive to an HTTP/1.0 client that keeps it (it closes otherwise).",
            "The handler's own Content-Length, Transfer-Encoding, Connection, Date and Server are "
            "not sent: the writer owns them.") {
  Response response = Response::text(200, "ok");
  response.headers.add("Content-Length", "999");
  response.headers.add("connection", "upgrade");
  EXPECT_EQ(http::write_response(response, context("GET", {1, 1}, false), kDate, kServer),
            "HTTP/1.1 200 OK\r\n" + kPrelude +
                "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n"
                "Connection: close\r\n\r\nok");
  EXPECT_EQ(
      http::write_response(Response::text(200, "ok"), context("GET", {1, 0}, true), kDate, kServer),
      "HTTP/1.1 200 OK\r\n" + kPrelude +
          "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n"
          "Connection: keep-alive\r\n\r\nok");
}

SYSLAB_TEST(Writer, FileRegionLength, 1,
            "A file region's length is known: Content-Length, framing kContentLength.",
            "known_length(body) gives it for bytes and file regions alike.") {
  Response response;
  response.body = http::FileRegion{nullptr, 100, 4096};
  const auto head = http::write_head(response, context("GET"), kDate, kServer);
  EXPECT_EQ(head.bytes, "HTTP/1.1 200 OK\r\n" + kPrelude + "Content-Length: 4096\r\n\r\n");
  EXPECT_EQ(head.framing, Framing::kContentLength);
}

SYSLAB_TEST(Writer, ErrorResponsesClose, 1,
            "A refused request is answered with its status, the reason, and Connection: close.",
            "write_error builds on write_response with keep_alive false.") {
  const std::string bytes = http::write_error({431, "too many fields"}, kDate, kServer);
  EXPECT_EQ(bytes, "HTTP/1.1 431 Request Header Fields Too Large\r\n" + kPrelude +
                       "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\n"
                       "Connection: close\r\n\r\ntoo many fields\n");
}
