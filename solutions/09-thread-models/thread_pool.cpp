// Lab 09: N workers, one queue.
#include "thread_pool.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace tmodels {

ConnectionPool::ConnectionPool(std::size_t threads, std::size_t queue_capacity,
                               ConnectionHandler handler)
    : queue_(queue_capacity), room_fd_(make_eventfd()), handler_(std::move(handler)) {
  // BEGIN SOLUTION: start max(threads, 1) workers in workers_, each running work(its stop token)
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
    workers_.start([this](std::stop_token stop) { work(std::move(stop)); });
  }
  // END SOLUTION
}

// [slide:work]
void ConnectionPool::work(std::stop_token stop) {
  // BEGIN SOLUTION: pop connections (with the stop token) until nullopt; notify room_fd_ after each pop; hand each to handler_
  while (std::optional<net::Socket> conn = queue_.pop(stop)) {
    notify_eventfd(room_fd_);  // the acceptor may be waiting for room
    handler_(std::move(*conn), stop);
  }
  // END SOLUTION
}
// [/slide]

}  // namespace tmodels
