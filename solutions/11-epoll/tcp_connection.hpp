// Lab 11: one TCP connection on an event loop: a non-blocking socket, a Channel, an input and an
// output buffer. Reads go until EAGAIN (the rule edge triggering needs); writes go out at once
// and what would block waits in the output buffer, with kWrite watched only while it is not empty
// (an idle socket is always writable: watching it would wake the loop for nothing). Flow control:
// above a high-water mark of pending output, reading stops until the peer has taken its bytes.
// A connection quiet for longer than its idle timeout is closed. Closing is in two steps: the
// close callback runs at once, the fd is closed and the object freed after the dispatch.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "channel.hpp"
#include "io_buffer.hpp"
#include "timer_queue.hpp"
#include "unique_fd.hpp"

namespace reactor {

class EventLoop;

struct ConnectionOptions {
  std::chrono::milliseconds idle_timeout{0};  // 0: never closed for being quiet
  std::size_t high_water_mark = 1 << 20;      // pending output above which reading pauses
};

// Created on any thread; from established() on, every call is for its loop's thread only. Owned by
// shared_ptr: the server holds one, and the loop's queued tasks hold one while they are pending.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Ptr = std::shared_ptr<Connection>;
  // Bytes arrived: they are in input; consume what you handle (the rest waits for more bytes).
  using MessageCallback = std::function<void(Connection&, IoBuffer& input)>;
  // The connection closed (peer, error, idle timeout or close()): the owner lets go of it.
  using CloseCallback = std::function<void(const Ptr&)>;

  Connection(EventLoop& loop, std::uint64_t id, fdio::UniqueFd socket, ConnectionOptions options);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void on_message(MessageCallback callback) { on_message_ = std::move(callback); }
  void on_close(CloseCallback callback) { on_close_ = std::move(callback); }

  // The first step on the loop thread: watch the socket, start the idle timer.
  void established();
  // The last step, after the close callback and the dispatch: stop watching. The fd closes when
  // the last shared_ptr goes.
  void destroyed();

  // Writes bytes now as far as the socket takes them; the rest goes when it is writable.
  void send(std::string_view bytes);
  // Closes now, pending output or not.
  void close() { handle_close(); }

  [[nodiscard]] EventLoop& loop() const noexcept { return loop_; }
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  [[nodiscard]] bool connected() const noexcept { return state_ == State::kConnected; }
  [[nodiscard]] std::size_t pending_output() const noexcept { return output_.size(); }

 private:
  enum class State { kConnecting, kConnected, kDisconnected };

  void guarded(void (Connection::*step)());  // runs step; an error closes this connection only
  void handle_readable();
  void handle_writable();
  void handle_close();
  void peer_finished();  // EOF: the peer sends no more; close once our output is out
  void pause_reading();  // flow control
  void resume_reading();
  void check_idle();  // the idle timer fired
  void touch() { last_active_ = TimerQueue::Clock::now(); }

  EventLoop& loop_;
  const std::uint64_t id_;
  fdio::UniqueFd socket_;
  Channel channel_;
  const ConnectionOptions options_;
  // ---- loop thread only ----
  State state_ = State::kConnecting;
  IoBuffer input_;
  IoBuffer output_;
  bool peer_done_ = false;  // EOF seen: close once output_ is empty
  TimerQueue::Clock::time_point last_active_;
  TimerId idle_timer_ = 0;
  MessageCallback on_message_;
  CloseCallback on_close_;
};

}  // namespace reactor
