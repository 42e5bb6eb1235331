// Lab 08: what the two process models share: the clock of their event loops, the grace period of
// a graceful stop, and an event log of one line per event ("worker 1234 started (generation 1, slot
// 0)"), which echo-server prints on stderr and a test can collect.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <string>
#include <utility>

namespace models {

using Clock = std::chrono::steady_clock;

// Receives each event as one line, without a newline. Empty: the events are not logged.
using EventLog = std::function<void(const std::string&)>;

// How long open connections may take to finish after a stop request before their processes are
// killed: Gunicorn's graceful_timeout has the same default.
inline constexpr std::chrono::milliseconds kDefaultGrace{30000};

// Formats one event and hands it to log (if there is one).
template <typename... Args>
void log_event(const EventLog& log, fmt::format_string<Args...> format, Args&&... args) {
  if (log) log(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace models
