// Lab 11: what a connection still has to send, in order: pieces of bytes and regions of files.
// A response is often a header block (bytes), then a file (a region sent with sendfile(2), never
// copied into this process), then the next response's bytes: they must reach the peer in that
// order. A region keeps its file open until its last byte has gone.
// Look at: append merges bytes into the last piece; write_to stops at the first call that
// does not finish its piece.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <variant>

#include "fd_io.hpp"
#include "io_buffer.hpp"
#include "transport.hpp"
#include "unique_fd.hpp"

namespace reactor {

// Part of an open file. The fd is shared: a server may keep one open file for many responses
// (an open-file cache), and the region keeps it open until it is sent even if every other owner
// has let it go.
struct FileRegion {
  std::shared_ptr<const fdio::UniqueFd> file;
  std::uint64_t offset = 0;
  std::uint64_t count = 0;  // bytes still to send from offset
};

// Loop thread only, like the Connection that owns it.
class OutputQueue {
 public:
  // Bytes still to send, of every piece (a file region counts its bytes).
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  // Appends after everything queued.
  void append(std::string_view bytes);
  void append(FileRegion region);
  // Sends from the front through transport until the queue is empty or a call does not finish:
  // returns that call's result (kWouldBlock, kPeerClosed, ...) or kDone with the bytes sent.
  fdio::IoResult write_to(Transport& transport);
  // Drops everything (the connection is gone): the files are let go.
  void clear();

 private:
  using Piece = std::variant<IoBuffer, FileRegion>;

  fdio::IoResult write_front(Transport& transport);  // one call for the first piece
  void consume_front(std::size_t n);                 // n bytes of the first piece went out

  std::deque<Piece> pieces_;
  std::size_t size_ = 0;
};

}  // namespace reactor
