// Lab 11: the buffer moves its bytes to the front only now and then, so that consuming a little
// at a time from a large buffer stays cheap.
#include "io_buffer.hpp"

namespace reactor {

namespace {
constexpr std::size_t kKeepCapacity = 64 * 1024;  // an empty buffer keeps at most this much
}

void IoBuffer::consume(std::size_t n) {
  start_ += n;
  if (start_ >= data_.size()) {
    clear();
  } else if (start_ >= kKeepCapacity && start_ * 2 >= data_.size()) {
    data_.erase(0, start_);  // half of it is consumed: one move, paid for by those consumes
    start_ = 0;
  }
}

void IoBuffer::clear() {
  data_.clear();
  start_ = 0;
  if (data_.capacity() > kKeepCapacity) data_.shrink_to_fit();
}

}  // namespace reactor
