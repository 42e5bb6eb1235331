// Lab 11: the output queue: bytes and file regions, written through a Transport in order.
#include "output_queue.hpp"

namespace reactor {

void OutputQueue::append(std::string_view bytes) {
  // BEGIN SOLUTION: nothing for no bytes; else add to the last piece when it is bytes (one write for many small sends), or a new bytes piece; count them in size_
  if (bytes.empty()) return;
  if (pieces_.empty() || !std::holds_alternative<IoBuffer>(pieces_.back())) {
    pieces_.emplace_back(IoBuffer{});
  }
  std::get<IoBuffer>(pieces_.back()).append(bytes);
  size_ += bytes.size();
  // END SOLUTION
}

void OutputQueue::append(FileRegion region) {
  // BEGIN SOLUTION: nothing for an empty region; else a new piece at the back; count its bytes in size_
  if (region.count == 0) return;
  size_ += static_cast<std::size_t>(region.count);
  pieces_.emplace_back(std::move(region));
  // END SOLUTION
}

// [slide:write_to]
fdio::IoResult OutputQueue::write_to(Transport& transport) {
  // BEGIN SOLUTION: while not empty: one call for the front piece (write_front); not kDone: return it; else consume_front what it moved; return kDone with the total
  std::size_t total = 0;
  while (!empty()) {
    fdio::IoResult step = write_front(transport);
    if (!step.done()) {
      step.count = total;
      return step;
    }
    consume_front(step.count);
    total += step.count;
  }
  return {fdio::IoStatus::kDone, total, 0};
  // END SOLUTION
}
// [/slide]

fdio::IoResult OutputQueue::write_front(Transport& transport) {
  // BEGIN SOLUTION: bytes: transport.write_some of what is readable; a region: transport.send_file of its file, offset and count
  if (const auto* bytes = std::get_if<IoBuffer>(&pieces_.front())) {
    return transport.write_some(bytes->readable());
  }
  const auto& region = std::get<FileRegion>(pieces_.front());
  return transport.send_file(*region.file, region.offset, static_cast<std::size_t>(region.count));
  // END SOLUTION
}

void OutputQueue::consume_front(std::size_t n) {
  // BEGIN SOLUTION: take n off the front piece (consume the bytes, or move the region's offset and count) and off size_; drop the piece once it is all sent (a region lets its file go)
  size_ -= n;
  Piece& front = pieces_.front();
  if (auto* bytes = std::get_if<IoBuffer>(&front)) {
    bytes->consume(n);
    if (bytes->empty()) pieces_.pop_front();
    return;
  }
  auto& region = std::get<FileRegion>(front);
  region.offset += n;
  region.count -= n;
  if (region.count == 0) pieces_.pop_front();
  // END SOLUTION
}

void OutputQueue::clear() {
  pieces_.clear();
  size_ = 0;
}

}  // namespace reactor
