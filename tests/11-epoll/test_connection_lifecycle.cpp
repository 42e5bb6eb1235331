// Lab 11 tests: a connection's life as the protocol sees it. The connection callback (opened,
// closed), the context slot where the protocol keeps its codec, and per-connection timers (a
// header timeout, a keep-alive timeout) that can never fire on a closed or freed connection:
// ASan would report a use-after-free where a test below only expects "nothing happens".
#include <string>
#include <vector>

#include "connection_harness.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace connection_test;

SYSLAB_TEST(ConnectionTimers, FireOnTheLoopAndCanBeCancelled, 2,
            "start_timer runs its callback with the connection after the delay; cancel_timer "
            "before that stops it",
            "each timer is one loop timer (run_after) plus an entry handle -> (TimerId, "
            "callback) in the connection; fire_timer forgets the entry, then calls back",
            "handles are the connection's own numbers from 1; cancel_timer cancels the loop "
            "timer and forgets the entry") {
  Harness h;
  h.conn->established();
  std::vector<std::string> fired;
  const auto record = [&](std::string name) {
    return [&fired, name](reactor::Connection& conn) {
      EXPECT_TRUE(conn.connected());
      fired.push_back(name);
    };
  };
  const auto first = h.conn->start_timer(20ms, record("20ms"));
  const auto cancelled = h.conn->start_timer(40ms, record("40ms, cancelled"));
  const auto last = h.conn->start_timer(60ms, [&](reactor::Connection& conn) {
    record("60ms")(conn);
    h.loop.quit();
  });
  EXPECT_NE(first, 0U);
  EXPECT_NE(first, cancelled);
  EXPECT_NE(cancelled, last);
  h.conn->cancel_timer(cancelled);
  h.conn->cancel_timer(0);  // ignored
  h.loop.run();
  EXPECT_FALSE(h.timed_out);
  EXPECT_EQ(fired, (std::vector<std::string>{"20ms", "60ms"}));
  h.conn->cancel_timer(first);  // fired already: ignored
}

SYSLAB_TEST(ConnectionTimers, NeverFireOnAClosedOrFreedConnection, 3,
            "a header or keep-alive timeout must not fire after its connection closed: the "
            "close cancels every timer, and the loop's timer holds only a weak_ptr",
            "handle_close: cancel_all_timers; start_timer's task captures weak_from_this(), not "
            "this, and locks it before fire_timer",
            "a connection freed without a close (its owner let go) must be safe too: lock() "
            "fails and nothing runs") {
  int fired = 0;
  const auto count = [&fired](reactor::Connection&) { ++fired; };
  reactor::EventLoop loop(reactor::make_epoll_poller());
  bool timed_out = false;
  (void)loop.run_after(8s, [&] {
    timed_out = true;
    loop.quit();
  });
  std::vector<OwnedFd> peers;  // open all along: no EOF closes a connection here
  const auto make = [&](std::uint64_t id) {
    epoll_test::SocketPair pair = epoll_test::make_socket_pair();
    peers.push_back(std::move(pair.b));
    auto conn = std::make_shared<reactor::Connection>(loop, id, fdio::UniqueFd(pair.a.release()),
                                                      reactor::ConnectionOptions{});
    conn->established();
    return conn;
  };
  // Closed at 10 ms, kept alive: its 30 ms timer must not run.
  auto closed = make(1);
  (void)closed->start_timer(30ms, count);
  (void)loop.run_after(10ms, [&] { closed->close(); });
  // Closed and freed at once, the way the server does it.
  auto freed = make(2);
  (void)freed->start_timer(30ms, count);
  freed->close();
  freed->destroyed();
  freed.reset();
  // Let go by its owner without a close: only the weak_ptr protects it.
  auto dropped = make(3);
  (void)dropped->start_timer(30ms, count);
  dropped->destroyed();
  dropped.reset();
  (void)loop.run_after(100ms, [&] { loop.quit(); });
  loop.run();
  EXPECT_FALSE(timed_out);
  EXPECT_EQ(fired, 0) << "a timer ran on a connection that was closed or freed";
  EXPECT_EQ(closed->start_timer(1ms, count), 0U) << "a closed connection starts no timer";
  closed->destroyed();
}

namespace {

// What lab 12's codec will be: the protocol's state, kept as the connection's context.
struct Codec {
  explicit Codec(int& destroyed) : destroyed_(destroyed) {}
  ~Codec() { ++destroyed_; }
  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;
  std::string seen;
  int& destroyed_;
};

}  // namespace

SYSLAB_TEST(ConnectionCallbacks, OpenAndCloseReachTheProtocolAndTheContextLivesWithIt, 3,
            "the connection callback runs when the connection opens (connected()) and when it "
            "closes (!connected()), before the owner's close callback; bytes that were waiting "
            "when it opened are read at once",
            "open(): mark connected, watch reading, call on_connection_, then handle_readable "
            "(edge-triggered: the bytes already there bring no new edge); handle_close calls "
            "on_connection_ for an open connection, then on_close_",
            "the context is set in the open callback and read back in on_message as the same "
            "type; destroyed() lets it go") {
  Harness h;
  int codecs_destroyed = 0;
  std::vector<std::string> events;
  h.conn->on_connection([&](const reactor::Connection::Ptr& conn) {
    events.push_back(conn->connected() ? "open" : "closed");
    if (conn->connected()) conn->set_context(std::make_shared<Codec>(codecs_destroyed));
  });
  h.conn->on_message([&](reactor::Connection& conn, reactor::IoBuffer& input) {
    const auto codec = conn.context<Codec>();
    ASSERT_NE(codec, nullptr) << "the context set in the open callback is not there";
    EXPECT_EQ(conn.context<std::string>(), nullptr) << "the context read as another type";
    codec->seen += input.readable();
    input.clear();
  });
  h.conn->on_close([&](const reactor::Connection::Ptr&) {
    events.push_back("owner's close");
    h.loop.quit();
  });
  epoll_test::put(h.peer.get(), "request");  // waiting in the socket before the connection opens
  h.conn->established();
  ASSERT_EQ(events, (std::vector<std::string>{"open"}));
  ASSERT_NE(h.conn->context<Codec>(), nullptr);
  EXPECT_EQ(h.conn->context<Codec>()->seen, "request")
      << "bytes already in the socket when the connection opened were not read";
  ::shutdown(h.peer.get(), SHUT_WR);  // EOF: the connection closes
  h.loop.run();
  EXPECT_FALSE(h.timed_out);
  EXPECT_EQ(events, (std::vector<std::string>{"open", "closed", "owner's close"}));
  EXPECT_EQ(codecs_destroyed, 0) << "the context went before the connection's last step";
  h.finish();
  EXPECT_EQ(codecs_destroyed, 1) << "the context outlived the connection";
}
