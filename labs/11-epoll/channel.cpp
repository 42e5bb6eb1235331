// Lab 11: a Channel's interest goes to the loop's poller; its ready reports come back here.
#include "channel.hpp"

#include "event_loop.hpp"
#include "syslab/todo.hpp"

namespace reactor {

namespace {

// The interest without one bit.
mux::Interest without(mux::Interest set, mux::Interest bit) {
  return static_cast<mux::Interest>(static_cast<unsigned>(set) & ~static_cast<unsigned>(bit));
}

}  // namespace

Channel::~Channel() {
  if (added_) remove();
}

void Channel::disable_reading() { set_interest(without(interest_, mux::Interest::kRead)); }

void Channel::disable_writing() { set_interest(without(interest_, mux::Interest::kWrite)); }

void Channel::set_interest(mux::Interest interest) {
  interest_ = interest;
  loop_.update_channel(*this);  // adds it the first time, modifies after
  added_ = true;
}

void Channel::remove() {
  interest_ = mux::Interest::kNone;
  if (!added_) return;
  loop_.remove_channel(*this);
  added_ = false;
}

void Channel::handle_event(const mux::Ready& ready) {
  SYSLAB_TODO("call on_readable for readable or hangup/error while reading is watched, then on_writable likewise for writing");
}

}  // namespace reactor
