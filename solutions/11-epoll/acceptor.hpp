// Lab 11: the Acceptor watches a non-blocking listener and hands every new connection on. When no
// fd is free (EMFILE), accept fails but the connection stays queued, so the listener stays
// readable: a level-triggered loop would wake for it again at once, forever, at 100% CPU. The
// Acceptor keeps one spare fd open for that moment: it closes the spare, accepts the connection,
// closes it (the client sees EOF), and opens the spare again. (muduo's Acceptor does the same.)
// Look at: echo-server --max-fds 16 with 20 clients: ss -tan, and top shows no CPU.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include "channel.hpp"
#include "socket.hpp"
#include "unique_fd.hpp"

namespace reactor {

class EventLoop;

// Loop thread only.
class Acceptor {
 public:
  // Gets a connected socket: non-blocking and close-on-exec, owned by the callee.
  using NewConnection = std::function<void(fdio::UniqueFd)>;

  // Takes the listener over and makes it non-blocking; opens the spare fd. Not accepting yet.
  Acceptor(EventLoop& loop, net::Listener listener, NewConnection on_new_connection);

  // Starts watching the listener.
  void listen() { channel_.enable_reading(); }
  // Stops watching and closes the listener: from now on a connect is refused.
  void stop();
  [[nodiscard]] bool listening() const noexcept { return listener_.has_value(); }
  // How many connections were closed at once because no fd was free.
  [[nodiscard]] std::size_t shed_count() const noexcept { return shed_; }

 private:
  void accept_all();  // the listener is readable
  // EMFILE: takes one connection off the queue with the spare fd; false when none was queued.
  [[nodiscard]] bool shed_one();

  std::optional<net::Listener> listener_;
  Channel channel_;
  fdio::UniqueFd spare_;
  NewConnection on_new_connection_;
  std::size_t shed_ = 0;
};

}  // namespace reactor
