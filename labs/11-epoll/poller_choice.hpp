// Lab 11: the reactor's back-end as one parameter. The EventLoop only knows lab 10's mux::Poller,
// so epoll, poll and select are interchangeable: the same echo server runs on each of them.
// Look at: echo-server --poller=poll, then ls -l /proc/PID/fd: no anon_inode:[eventpoll].
#pragma once

#include <memory>
#include <string_view>

#include "epoll_poller.hpp"
#include "poller.hpp"

namespace reactor {

// The back-ends by name, for command lines and tests.
inline constexpr std::string_view kPollerNames = "epoll, poll, select";

// Throws std::invalid_argument when name is not a back-end, or when trigger is kEdge and the
// back-end is not epoll: poll(2) and select(2) report readiness level-triggered only.
void check_poller_choice(std::string_view name, Trigger trigger);

// A Poller for an EventLoop: "epoll" with that trigger, or lab 10's "poll" or "select" (which
// need Trigger::kLevel). Throws as check_poller_choice does.
[[nodiscard]] std::unique_ptr<mux::Poller> make_poller(std::string_view name,
                                                       Trigger trigger = Trigger::kLevel);

}  // namespace reactor
