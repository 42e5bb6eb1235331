// Lab 11: the output queue: bytes and file regions, written through a Transport in order.
#include "output_queue.hpp"
#include "syslab/todo.hpp"

namespace reactor {

void OutputQueue::append(std::string_view bytes) {
  SYSLAB_TODO("nothing for no bytes; else add to the last piece when it is bytes (one write for many small sends), or a new bytes piece; count them in size_");
}

void OutputQueue::append(FileRegion region) {
  SYSLAB_TODO("nothing for an empty region; else a new piece at the back; count its bytes in size_");
}

fdio::IoResult OutputQueue::write_to(Transport& transport) {
  SYSLAB_TODO("while not empty: one call for the front piece (write_front); not kDone: return it; else consume_front what it moved; return kDone with the total");
}

fdio::IoResult OutputQueue::write_front(Transport& transport) {
  SYSLAB_TODO("bytes: transport.write_some of what is readable; a region: transport.send_file of its file, offset and count");
}

void OutputQueue::consume_front(std::size_t n) {
  SYSLAB_TODO("take n off the front piece (consume the bytes, or move the region's offset and count) and off size_; drop the piece once it is all sent (a region lets its file go)");
}

void OutputQueue::clear() {
  pieces_.clear();
  size_ = 0;
}

}  // namespace reactor
