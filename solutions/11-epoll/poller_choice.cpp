// Lab 11: choosing the reactor's back-end by name: epoll here, poll and select from lab 10.
#include "poller_choice.hpp"

#include <stdexcept>
#include <string>

namespace reactor {

void check_poller_choice(std::string_view name, Trigger trigger) {
  if (name != "epoll" && name != "poll" && name != "select") {
    throw std::invalid_argument("unknown poller \"" + std::string(name) +
                                "\" (this lab has: " + std::string(kPollerNames) + ")");
  }
  if (trigger == Trigger::kEdge && name != "epoll") {
    throw std::invalid_argument("edge triggering needs epoll: " + std::string(name) +
                                " reports readiness level-triggered only");
  }
}

// [slide:make_poller]
std::unique_ptr<mux::Poller> make_poller(std::string_view name, Trigger trigger) {
  check_poller_choice(name, trigger);
  if (name == "epoll") return make_epoll_poller(trigger);
  return name == "poll" ? mux::make_poll_poller() : mux::make_select_poller();
}
// [/slide]

}  // namespace reactor
