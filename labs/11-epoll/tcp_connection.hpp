// Lab 11: one TCP connection on an event loop: a Transport (the non-blocking socket, or TLS in lab
// 13), a Channel, an input buffer and an output queue. Reads go until EAGAIN (the rule edge
// triggering needs); writes go out at once and what would block waits in the output queue, with
// kWrite watched only while it is not empty (an idle socket is always writable: watching it
// would wake the loop for nothing). Flow control both ways: above a high-water mark of pending
// output, reading stops until the peer has taken its bytes; a producer of a long body writes more
// when the drained callback says the output fell to the low-water mark. A connection quiet for
// longer than its idle timeout is closed. Closing is in two steps: the close callbacks run at
// once, the fd is closed and the object freed after the dispatch. close_after_output() closes
// only once every queued byte is out: shutdown(SHUT_WR) after the last, then close at the peer's
// EOF.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <typeinfo>
#include <unordered_map>

#include "channel.hpp"
#include "io_buffer.hpp"
#include "output_queue.hpp"
#include "timer_queue.hpp"
#include "transport.hpp"
#include "unique_fd.hpp"

namespace reactor {

class EventLoop;

struct ConnectionOptions {
  std::chrono::milliseconds idle_timeout{0};  // 0: never closed for being quiet
  std::size_t high_water_mark = 1 << 20;      // pending output above which reading pauses
  std::size_t low_water_mark = 64 * 1024;     // pending output at which on_drained is called
  // After close_after_output has shut down the write side: how long the peer has to close its
  // side before we close anyway.
  std::chrono::milliseconds linger_timeout{5000};
  // A transport's handshake (lab 13: TLS) must be done within this, or the connection closes: a
  // peer that connects and sends nothing must not hold a connection forever. 0: no limit.
  std::chrono::milliseconds handshake_timeout{0};
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
  // For the protocol: the connection opened (connected()), or later closed (!connected()).
  using ConnectionCallback = std::function<void(const Ptr&)>;
  // The connection can take more: after a send, once pending output is at or below the
  // low-water mark (at once, or when the peer has read enough). Runs on a later turn of the loop,
  // never inside send: a producer that sends one piece per call cannot recurse.
  using DrainedCallback = std::function<void(Connection&)>;
  using TimerCallback = std::function<void(Connection&)>;
  // Names one of this connection's timers, for cancel_timer. 0 is never a timer.
  using TimerHandle = std::uint64_t;

  // On the plain socket.
  Connection(EventLoop& loop, std::uint64_t id, fdio::UniqueFd socket, ConnectionOptions options);
  // On any transport (which owns the socket).
  Connection(EventLoop& loop, std::uint64_t id, std::unique_ptr<Transport> transport,
             ConnectionOptions options);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void on_message(MessageCallback callback) { on_message_ = std::move(callback); }
  void on_close(CloseCallback callback) { on_close_ = std::move(callback); }
  void on_connection(ConnectionCallback callback) { on_connection_ = std::move(callback); }
  void on_drained(DrainedCallback callback) { on_drained_ = std::move(callback); }

  // The first step on the loop thread: start the transport's handshake and the idle timer. Once
  // the handshake is done (at once on a plain socket), the connection is open: the connection
  // callback runs and reading starts.
  void established();
  // The last step, after the close callback and the dispatch: stop watching, drop the context.
  // The fd closes when the last shared_ptr goes.
  void destroyed();

  // Writes bytes now as far as the socket takes them; the rest goes when it is writable, after
  // what is queued. Ignored once closed or closing.
  void send(std::string_view bytes);
  // Queues count bytes of file from offset after what is queued; they go out by the transport's
  // send_file (sendfile(2) on a plain socket). The region holds the file open until it is sent.
  void send_file(std::shared_ptr<const fdio::UniqueFd> file, std::uint64_t offset,
                 std::uint64_t count);
  // Closes once everything queued is written: the write side is shut down after the last byte
  // (the peer reads EOF), what the peer still sends is read and dropped, and the connection
  // closes at the peer's EOF or after linger_timeout. Nothing more is sent after this call.
  void close_after_output();
  // Closes now, pending output or not.
  void close() { handle_close(); }
  // The protocol holds all the input it can for now (lab 12: a full queue of pipelined requests):
  // reading stops until resume_input, whatever the output does meanwhile, and the peer's bytes
  // wait in the kernel's socket buffers, which are bounded, instead of ours.
  void pause_input();
  // Reading goes on from a later turn of the loop (never inside the caller, which may be in the
  // middle of handling input), with the bytes that waited in the socket.
  void resume_input();

  // Runs callback after delay, on the loop thread, unless cancel_timer or the close comes first.
  // The loop's timer holds only a weak_ptr: it can never run on a freed connection.
  [[nodiscard]] TimerHandle start_timer(std::chrono::milliseconds delay, TimerCallback callback);
  // Cancels a timer that has not fired; 0 or one that fired is ignored.
  void cancel_timer(TimerHandle handle);

  // The protocol's state for this connection (lab 12's codec). Owned with the connection, let go
  // in destroyed(); read back as the type it was set with (nullptr for any other type). A
  // shared_ptr, so that a codec that replaces itself (h2c Upgrade) stays alive while it runs.
  template <class T>
  void set_context(std::shared_ptr<T> context) {
    context_type_ = context ? &typeid(T) : nullptr;
    context_ = std::move(context);
  }
  template <class T>
  [[nodiscard]] std::shared_ptr<T> context() const {
    if (context_type_ == nullptr || *context_type_ != typeid(T)) return nullptr;
    return std::static_pointer_cast<T>(context_);
  }

  [[nodiscard]] EventLoop& loop() const noexcept { return loop_; }
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  [[nodiscard]] bool connected() const noexcept { return state_ == State::kConnected; }
  [[nodiscard]] bool closing() const noexcept { return close_requested_; }
  // Bytes still to write: buffered bytes and the rest of queued file regions.
  [[nodiscard]] std::size_t pending_output() const noexcept { return output_.size(); }
  // The socket, to look at (getpeername for a log line): reading and writing are the connection's.
  [[nodiscard]] fdio::BorrowedFd fd() const noexcept { return transport_->fd(); }
  // The transport, to look at (lab 13: the protocol TLS agreed on, selected_protocol()).
  [[nodiscard]] const Transport& transport() const noexcept { return *transport_; }

 private:
  enum class State { kConnecting, kHandshaking, kConnected, kDisconnected };
  struct PendingTimer {
    TimerId id = 0;  // the loop's timer
    TimerCallback callback;
  };

  void guarded(void (Connection::*step)());  // runs step; an error closes this connection only
  void handle_read_event() { handle_event(mux::Interest::kRead); }
  void handle_write_event() { handle_event(mux::Interest::kWrite); }
  void handle_event(mux::Interest ready);  // to the handshake, or to reading and writing
  void continue_handshake();
  void open();  // the handshake is done
  void handle_readable();
  void handle_writable();
  bool flush_output();   // false: the peer is gone and the connection closed
  void after_send();     // watch kWrite if anything is pending; on_drained is due
  void check_drained();  // due and at or below the low-water mark: queue run_drained
  void run_drained();
  void output_done();  // the queue is empty: close or shut down if asked to
  void shut_down_write();
  void handle_close();
  void peer_finished();  // EOF: the peer sends no more; close once our output is out
  void pause_reading();  // flow control
  void resume_reading();
  void update_interest();  // the Channel watches what the state and the transport need
  void check_idle();       // the idle timer fired
  void fire_timer(TimerHandle handle);
  void cancel_all_timers();
  void touch() { last_active_ = TimerQueue::Clock::now(); }

  EventLoop& loop_;
  const std::uint64_t id_;
  std::unique_ptr<Transport> transport_;
  Channel channel_;
  const ConnectionOptions options_;
  // ---- loop thread only ----
  State state_ = State::kConnecting;
  IoBuffer input_;
  OutputQueue output_;
  bool reading_ = false;           // reading wanted: not paused by flow control, not at EOF
  bool input_paused_ = false;      // the protocol paused reading (pause_input)
  bool peer_done_ = false;         // EOF seen: close once output_ is empty
  bool close_requested_ = false;   // close_after_output was called
  bool write_shut_ = false;        // the write side is shut down: lingering for the peer's EOF
  bool shutdown_pending_ = false;  // the transport's shutdown_write waits for writable (TLS)
  bool drained_due_ = false;       // sent since the last on_drained: call it at the low-water mark
  bool drained_queued_ = false;    // run_drained is in the loop's queue
  TimerQueue::Clock::time_point last_active_;
  TimerId idle_timer_ = 0;
  std::unordered_map<TimerHandle, PendingTimer> timers_;
  TimerHandle next_timer_ = 1;
  std::shared_ptr<void> context_;
  const std::type_info* context_type_ = nullptr;
  MessageCallback on_message_;
  CloseCallback on_close_;
  ConnectionCallback on_connection_;
  DrainedCallback on_drained_;
};

}  // namespace reactor
