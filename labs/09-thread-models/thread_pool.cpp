// Lab 09: N workers, one queue.
#include "thread_pool.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include "syslab/todo.hpp"

namespace tmodels {

ConnectionPool::ConnectionPool(std::size_t threads, std::size_t queue_capacity,
                               ConnectionHandler handler)
    : queue_(queue_capacity), room_fd_(make_eventfd()), handler_(std::move(handler)) {
  SYSLAB_TODO("start max(threads, 1) workers in workers_, each running work(its stop token)");
}

void ConnectionPool::work(std::stop_token stop) {
  SYSLAB_TODO("pop connections (with the stop token) until nullopt; notify room_fd_ after each pop; hand each to handler_");
}

}  // namespace tmodels
