// Lab 11: a Channel is one fd as the event loop sees it: what it is watched for, and what to call
// when it is ready. It owns nothing: the fd belongs to whoever made the Channel (a Connection, the
// Acceptor, the loop's own eventfd and timerfd). muduo's Channel, without the muduo.
// Look at: how Connection turns kWrite on only while output is pending.
#pragma once

#include <functional>

#include "poller.hpp"
#include "unique_fd.hpp"

namespace reactor {

class EventLoop;

// Every call but the constructor is for the loop's thread only (the loop checks).
class Channel {
 public:
  using Callback = std::function<void()>;

  // Not watched yet: enable_reading() or enable_writing() starts it.
  Channel(EventLoop& loop, fdio::BorrowedFd fd) noexcept : loop_(loop), fd_(fd.get()) {}
  // Stops watching if it still is. Does not close the fd.
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Readable covers EOF and a pending connection; a hangup or an error goes to whichever of the
  // two callbacks is watched (the read or write that follows says which it was).
  void on_readable(Callback callback) { on_readable_ = std::move(callback); }
  void on_writable(Callback callback) { on_writable_ = std::move(callback); }

  void enable_reading() { set_interest(interest_ | mux::Interest::kRead); }
  void disable_reading();
  void enable_writing() { set_interest(interest_ | mux::Interest::kWrite); }
  void disable_writing();
  // Watched for nothing: no event is reported, even a hangup. The fd stays registered.
  void disable_all() { set_interest(mux::Interest::kNone); }
  // Watched for exactly `interest`; the poller is told only when it changes.
  void watch(mux::Interest interest) {
    if (!added_ || interest != interest_) set_interest(interest);
  }
  // Stops watching the fd. Call it before the fd is closed.
  void remove();

  [[nodiscard]] bool is_reading() const noexcept {
    return mux::has(interest_, mux::Interest::kRead);
  }
  [[nodiscard]] bool is_writing() const noexcept {
    return mux::has(interest_, mux::Interest::kWrite);
  }
  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] mux::Interest interest() const noexcept { return interest_; }

  // The loop's call for one ready report. A callback may disable or remove this Channel, but
  // must not destroy it: destruction waits until the dispatch has ended (queue_in_loop).
  void handle_event(const mux::Ready& ready);

 private:
  void set_interest(mux::Interest interest);

  EventLoop& loop_;
  const int fd_;
  mux::Interest interest_ = mux::Interest::kNone;
  bool added_ = false;  // registered with the loop's poller
  Callback on_readable_;
  Callback on_writable_;
};

}  // namespace reactor
