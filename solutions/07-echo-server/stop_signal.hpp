// Lab 07: a stop request as a readable fd. The server blocks SIGTERM and SIGINT and reads them
// from a signalfd(2) (lab 06), so "stop" is one more fd for poll(2) next to the listener, and no
// handler runs at an awkward moment. An eventfd or a pipe would serve the same loop (tests use
// one).
#pragma once

#include <initializer_list>

#include "unique_fd.hpp"

namespace net {

// Blocks the given signals in this thread (call it in main before any thread starts) and returns
// a close-on-exec signalfd that becomes readable when one of them is pending. It stays readable:
// nobody reads it, because one stop request is all a server needs. Throws on failure.
[[nodiscard]] fdio::UniqueFd stop_signal_fd(std::initializer_list<int> signals);

}  // namespace net
