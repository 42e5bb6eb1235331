// Lab 13 tests: the known HTTP/2 attacks, each on its own connection while a normal client on
// another one must be answered within a second: rapid reset (CVE-2023-44487), the CONTINUATION
// flood (CVE-2024-27316 and its family), the HPACK bomb, SETTINGS and PING floods, 100 streams
// that never read, and a slowloris that sends the preface and nothing more. Each proves the
// server's memory stays bounded and the server stays up. Where Debian's nghttp2 stops an attack
// itself the test proves it all the same: the server must feed it every byte and act on its
// verdict (close the connection on an error from mem_recv).
#include <atomic>
#include <exception>
#include <functional>
#include <string>
#include <thread>

#include "../12-http1/httpd_client.hpp"
#include "h2_client.hpp"
#include "syslab/echo_client.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace h2_test;
using httpd_test::start_httpd;

namespace {

// The resident memory an attack may add to the server: far below what any of these attacks
// would cost a server without limits (gigabytes), far above ASan's own noise.
constexpr std::size_t kMaxGrowthKib = 96 * 1024;

// A normal client on a connection of its own: GET / answered within 1 s.
void normal_client_is_answered(std::uint16_t port) {
  Client client(port);
  client.get(1, "/");
  const Response response = client.response(1, std::chrono::seconds(1));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "hello\n");
}

// Runs attack on its own thread; once it says it is under way, a normal client must be served
// (twice: at once, and again while it goes on); then the attack ends, the server is still
// running, its memory has grown less than kMaxGrowthKib, and a new client is served.
// attack(started) calls started() once its first bytes are out, and returns when done.
void survive(echo::ServerProcess& server,
             const std::function<void(const std::function<void()>&)>& attack) {
  const std::size_t before = rss_kib(server.pid());
  std::atomic<bool> started{false};
  std::exception_ptr failed;
  std::thread attacker([&] {
    try {
      attack([&] { started = true; });
    } catch (...) {
      failed = std::current_exception();
    }
    started = true;
  });
  // Joined however this function ends (a failed check throws).
  struct Joiner {
    std::thread& thread;
    ~Joiner() {
      if (thread.joinable()) thread.join();
    }
  } joiner{attacker};
  ASSERT_TRUE(poll_until(Deadline(std::chrono::seconds(10)), [&] { return started.load(); }));
  normal_client_is_answered(server.port());
  normal_client_is_answered(server.port());
  attacker.join();
  attacker = std::thread();  // joined: the Joiner has nothing left to do
  if (failed) std::rethrow_exception(failed);
  EXPECT_TRUE(server.running()) << "the server died";
  normal_client_is_answered(server.port());
  const std::size_t after = rss_kib(server.pid());
  EXPECT_LT(after, before + kMaxGrowthKib)
      << "resident memory went from " << before << " KiB to " << after << " KiB";
}

// Sends bytes, or says false when the server has closed the connection or stopped reading for
// longer than `patience` (both are fine answers to an attack).
bool try_send(Client& client, std::string_view bytes,
              std::chrono::milliseconds patience = std::chrono::seconds(2)) {
  try {
    client.send(bytes, patience);
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

// An HPACK string literal (RFC 7541 §5.2): its length as an integer on 7 bits, no Huffman.
std::string hpack_string(std::string_view text) {
  std::string out;
  std::size_t length = text.size();
  if (length < 127) {
    out += static_cast<char>(length);
  } else {
    out += static_cast<char>(127);
    for (length -= 127; length >= 128; length >>= 7) {
      out += static_cast<char>(0x80 | (length & 0x7F));
    }
    out += static_cast<char>(length);
  }
  return out + std::string(text);
}

// A field as a literal with a new name (RFC 7541 §6.2): kind 0x40 puts it into the dynamic
// table (incremental indexing), 0x00 does not.
std::string hpack_literal(std::uint8_t kind, std::string_view name, std::string_view value) {
  return std::string(1, static_cast<char>(kind)) + hpack_string(name) + hpack_string(value);
}

// A HEADERS frame of a GET on stream id, ended, its block from hpack.
std::string get_frame(Hpack& hpack, std::int32_t id, std::string_view path) {
  return frame(kHeaders, kEndHeaders | kEndStream, id, hpack.encode(request("GET", path)));
}

}  // namespace

SYSLAB_TEST(Attacks, RapidResetIsBounded, 4,
            "stream_closed must free a reset stream at once (and cancel its timer): thousands of "
            "HEADERS + RST_STREAM pairs leave nothing behind",
            "Debian's nghttp2 limits the rate of resets (nghttp2_option_set_stream_reset_rate_"
            "limit) and ends the session with GOAWAY: close the connection when it says so "
            "(want_read and want_write both 0, or an error from mem_recv)",
            "Each reset request costs a handler call and a Stream: if Streams are kept after "
            "RST_STREAM, memory grows with every pair.") {
  auto server = start_httpd({"--keepalive-timeout", "60000"});
  Client attacker(server->port());
  survive(*server, [&](const std::function<void()>& started) {
    Hpack hpack;  // the attacker's own encoder
    std::int32_t id = 1;
    for (int batch = 0; batch < 200; ++batch) {
      std::string pairs;
      for (int i = 0; i < 100; ++i, id += 2) {
        pairs += get_frame(hpack, id, "/delay?ms=60000") + rst_stream(id, NGHTTP2_CANCEL);
      }
      if (!try_send(attacker, pairs)) break;
      if (batch == 0) started();
    }
  });
  EXPECT_TRUE(attacker.closed_by_server(std::chrono::seconds(10)))
      << "the rapid-reset connection is still open";
  const auto goaway = attacker.first(kGoaway);
  ASSERT_TRUE(goaway) << "closed without GOAWAY";
}
SYSLAB_TIMEOUT(Attacks, RapidResetIsBounded, 40);

SYSLAB_TEST(Attacks, ContinuationFloodIsCut, 3,
            "on_input: an error from nghttp2_session_mem_recv (NGHTTP2_ERR_TOO_MANY_"
            "CONTINUATIONS) ends the session: GOAWAY, then close (fail)",
            "A HEADERS without END_HEADERS followed by CONTINUATION after CONTINUATION: a server "
            "that buffers them all until END_HEADERS never comes runs out of memory.") {
  auto server = start_httpd();
  Client attacker(server->port());
  survive(*server, [&](const std::function<void()>& started) {
    Hpack hpack;
    if (!try_send(attacker, frame(kHeaders, 0, 1, hpack.encode(request("GET", "/"))))) return;
    started();
    const std::string literal = hpack_literal(0x00, "x-flood", std::string(1000, 'y'));
    std::string batch;
    for (int i = 0; i < 64; ++i) batch += frame(kContinuation, 0, 1, literal);
    for (int i = 0; i < 500 && try_send(attacker, batch); ++i) {
    }
  });
  EXPECT_TRUE(attacker.closed_by_server(std::chrono::seconds(10)));
}
SYSLAB_TIMEOUT(Attacks, ContinuationFloodIsCut, 40);

SYSLAB_TEST(Attacks, HpackBombIsRefused, 3,
            "take_field: count every decoded field (field_size) against max_header_list_size, "
            "whatever its encoded size: past 64 KiB, refuse the stream",
            "The bomb: one 4000-byte field put in the dynamic table, then referred to by a one-"
            "byte index thousands of times: 5 KB on the wire, 20 MB decoded, per stream.",
            "Decoding goes on for a refused stream (the table must stay in step): after a few "
            "bombs, end the session (nghttp2_session_terminate_session, ENHANCE_YOUR_CALM).") {
  // A long keep-alive: a connection whose streams are all refused is idle, and the idle GOAWAY
  // must not be what ends it here.
  auto server = start_httpd({"--keepalive-timeout", "60000"});
  Client attacker(server->port());
  survive(*server, [&](const std::function<void()>& started) {
    Hpack hpack;
    const std::string head = hpack.encode(request("GET", "/"));
    // One field into the dynamic table: it becomes entry 62 (the first after the static 61).
    const std::string insert = hpack_literal(0x40, "x-bomb", std::string(4000, 'b'));
    const std::string refs(5000, static_cast<char>(0x80 | 62));  // indexed field 62, 5000 times
    std::int32_t id = 1;
    if (!try_send(attacker, frame(kHeaders, kEndHeaders | kEndStream, id, head + insert + refs))) {
      return;
    }
    started();
    for (int i = 0; i < 200; ++i) {
      id += 2;
      // Later blocks only refer to it (our encoder would change the table the references
      // count on): without pseudo-headers they are malformed too, but only once decoded.
      if (!try_send(attacker, frame(kHeaders, kEndHeaders | kEndStream, id, refs))) break;
    }
  });
  EXPECT_TRUE(attacker.closed_by_server(std::chrono::seconds(10)))
      << "a client that sends bomb after bomb is still connected";
  const auto goaway = attacker.first(kGoaway);
  ASSERT_TRUE(goaway) << "closed without GOAWAY";
  EXPECT_EQ(goaway->error_code(), NGHTTP2_ENHANCE_YOUR_CALM) << "the GOAWAY's error code";
}
SYSLAB_TIMEOUT(Attacks, HpackBombIsRefused, 40);

SYSLAB_TEST(Attacks, SettingsFloodIsBounded, 2,
            "Each SETTINGS needs an ACK: a client that sends them without reading must not make "
            "the server queue ACKs without end",
            "flush pulls frames only below the output limit, the reactor stops reading above its "
            "high-water mark, and nghttp2 gives up (NGHTTP2_ERR_FLOODED) past 1000 queued ACKs.") {
  auto server = start_httpd();
  Client attacker(server->port());
  survive(*server, [&](const std::function<void()>& started) {
    std::string batch;
    for (int i = 0; i < 1000; ++i) batch += settings_frame({{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}});
    started();
    for (int i = 0; i < 200 && try_send(attacker, batch); ++i) {
    }
  });
}
SYSLAB_TIMEOUT(Attacks, SettingsFloodIsBounded, 40);

SYSLAB_TEST(Attacks, PingFloodIsBounded, 2,
            "Each PING needs an ACK: as for SETTINGS, a client that never reads them must not "
            "grow the server's output without end") {
  auto server = start_httpd();
  Client attacker(server->port());
  survive(*server, [&](const std::function<void()>& started) {
    std::string batch;
    for (int i = 0; i < 2000; ++i) batch += ping("floodppp");
    started();
    for (int i = 0; i < 200 && try_send(attacker, batch); ++i) {
    }
  });
}
SYSLAB_TIMEOUT(Attacks, PingFloodIsBounded, 40);

SYSLAB_TEST(Attacks, HundredStreamsThatNeverReadAreBounded, 3,
            "A client with a window of 0 that opens 100 streams for a large file and never reads: "
            "nothing of the bodies may be produced ahead (the data provider is pulled only when "
            "the window allows), and the 101st stream is refused (MAX_CONCURRENT_STREAMS)",
            "read_body copies a frame at a time with pread: a body copied whole into memory at "
            "once costs 100 x the file.") {
  write_file(httpd_test::web_root() + "/large.bin", std::string(4 << 20, 'L'));
  auto server = start_httpd();
  Client attacker(server->port(), false);
  survive(*server, [&](const std::function<void()>& started) {
    Hpack hpack;
    std::string opening = client_start(
        {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}, {NGHTTP2_SETTINGS_ENABLE_PUSH, 0}});
    for (std::int32_t id = 1; id <= 201; id += 2) opening += get_frame(hpack, id, "/large.bin");
    attacker.send(opening);
    started();
  });
  bool refused = false;
  for (;;) {
    const auto got = attacker.read_frame();
    ASSERT_TRUE(got) << "closed";
    if (got->type == kRstStream && got->stream == 201) {
      refused = true;
      EXPECT_EQ(got->error_code(), NGHTTP2_REFUSED_STREAM);
      break;
    }
    EXPECT_NE(got->type, kData) << "DATA sent through a window of 0";
  }
  EXPECT_TRUE(refused);
}
SYSLAB_TIMEOUT(Attacks, HundredStreamsThatNeverReadAreBounded, 40);

SYSLAB_TEST(Attacks, PrefaceOnlySlowlorisIsClosed, 2,
            "A connection that sends the preface and nothing more has no stream: the idle timer "
            "(the keep-alive timeout) closes it with GOAWAY",
            "One that stops inside the preface is closed by the sniffer's own timer.") {
  auto server = start_httpd({"--keepalive-timeout", "300", "--header-timeout", "300"});
  std::vector<std::unique_ptr<Client>> lorises;
  survive(*server, [&](const std::function<void()>& started) {
    for (int i = 0; i < 50; ++i) lorises.push_back(std::make_unique<Client>(server->port(), false));
    for (auto& loris : lorises) loris->send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    started();
  });
  for (auto& loris : lorises) {
    EXPECT_TRUE(loris->closed_by_server(std::chrono::seconds(5)));
    EXPECT_TRUE(loris->first(kGoaway)) << "closed without GOAWAY";
  }
  Client half(server->port(), false);
  half.send("PRI * HTTP/2.0\r\n");
  EXPECT_TRUE(half.closed_by_server(std::chrono::seconds(5)))
      << "a connection stuck inside the preface";
}
SYSLAB_TIMEOUT(Attacks, PrefaceOnlySlowlorisIsClosed, 40);
