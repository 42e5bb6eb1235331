// Lab 11: a connection's byte buffer: bytes are appended at the back and consumed from the front.
// A connection keeps two: what was read and not yet handled, and what is waiting to be written
// because the socket would block. Given code: the lab is about when to fill and drain them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace reactor {

class IoBuffer {
 public:
  // The bytes not consumed yet; valid until the next append, consume or clear.
  [[nodiscard]] std::string_view readable() const noexcept {
    return std::string_view(data_).substr(start_);
  }
  [[nodiscard]] std::size_t size() const noexcept { return data_.size() - start_; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

  void append(std::string_view bytes) { data_.append(bytes); }
  // Drops the first n readable bytes (n <= size()).
  void consume(std::size_t n);
  // Drops everything, and gives back a large allocation (10,000 idle connections add up).
  void clear();

 private:
  std::string data_;
  std::size_t start_ = 0;  // data_[0, start_) is consumed
};

}  // namespace reactor
