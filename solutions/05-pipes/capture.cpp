// Lab 05: capturing a child's stdout and stderr without deadlock. The child writes into two
// pipes of 64 KiB each; if we wait for the end of one while it fills the other, both wait for
// ever. So we poll(2) all of them and serve whichever is ready: feed stdin, drain stdout, drain
// stderr, until the child has closed its outputs.
#include "capture.hpp"

#include <poll.h>
#include <signal.h>

#include <cerrno>
#include <string>

#include "child_process.hpp"
#include "fd_io.hpp"
#include "syslab/error.hpp"
#include "unique_fd.hpp"

namespace pipes {

// BEGIN SOLUTION
namespace {

// Blocks SIGPIPE on this thread for its lifetime, and on the way out discards a SIGPIPE that
// arrived meanwhile. A write into a pipe whose reader has gone then fails with EPIPE instead of
// killing the process, and the process's SIGPIPE disposition, which belongs to the program and
// not to a library, is left alone. (Sockets have MSG_NOSIGNAL for this; pipes do not.)
// The signal calls here cannot fail: their only errors are for invalid arguments.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    ::sigemptyset(&sigpipe_);
    ::sigaddset(&sigpipe_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &sigpipe_, &saved_);
    sigset_t pending;
    ::sigpending(&pending);
    was_pending_ = ::sigismember(&pending, SIGPIPE) == 1;  // not ours to discard
  }
  ~ScopedSigpipeBlock() {
    sigset_t pending;
    ::sigpending(&pending);
    if (!was_pending_ && ::sigismember(&pending, SIGPIPE) == 1) {
      const timespec no_wait{};
      while (::sigtimedwait(&sigpipe_, nullptr, &no_wait) < 0 && errno == EINTR) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t sigpipe_{};
  sigset_t saved_{};
  bool was_pending_ = false;
};

// Writes what the child's stdin pipe takes now (it is non-blocking: poll promised some room,
// not room for everything). Closes our end when all is written, so that the child sees EOF, or
// when the child has closed its end: the rest of the input has no reader.
void feed(fdio::UniqueFd& in, std::string_view& input) {
  const ScopedSigpipeBlock no_sigpipe;
  const fdio::IoResult step = fdio::write_some(in, input);
  input.remove_prefix(step.count);
  if (input.empty() || step.peer_closed()) in.reset();
}

// Appends what one read(2) gives; closes our end at EOF: the child closed its end (or ended).
void drain(fdio::UniqueFd& from, std::string& into) {
  char chunk[65536];
  const fdio::IoResult step = fdio::read_some(from, chunk);
  into.append(chunk, step.count);
  if (step.eof() || step.peer_closed()) from.reset();
}

// [slide:pump-1]
// Until the child has closed stdout and stderr (and taken its input or gone): one poll(2) over
// every pipe still open, then serve each that is ready. poll skips the fds that are -1.
void pump(fdio::UniqueFd& in, std::string_view input, fdio::UniqueFd& out, fdio::UniqueFd& err,
          Captured& result) {
  if (input.empty()) in.reset();  // nothing to say: EOF at once
  if (in.ok()) fdio::set_nonblocking(in);
  // [/slide]
  // [slide:pump-2]
  while (in.ok() || out.ok() || err.ok()) {
    pollfd ready[3] = {{in.get(), POLLOUT, 0}, {out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
    if (::poll(ready, 3, -1) < 0) {
      if (errno == EINTR) continue;
      syslab::throw_errno("poll", "the child's pipes");
    }
    // POLLHUP and POLLERR count too: the read or write that follows says EOF or EPIPE.
    if (ready[0].revents != 0) feed(in, input);
    if (ready[1].revents != 0) drain(out, result.out);
    if (ready[2].revents != 0) drain(err, result.err);
  }
}
// [/slide]

}  // namespace
// END SOLUTION

// [slide:capture]
Captured capture(const std::vector<std::string>& argv, std::string_view input) {
  // BEGIN SOLUTION: spawn argv with stdin, stdout and stderr on three pipes, close the child's ends here, poll all three until both outputs reach EOF, then wait
  fdio::Pipe in = fdio::make_pipe(), out = fdio::make_pipe(), err = fdio::make_pipe();
  proc::SpawnOptions options;
  options.stdin_fd = in.read_end;
  options.stdout_fd = out.write_end;
  options.stderr_fd = err.write_end;
  proc::ChildProcess child = proc::spawn(argv, options);
  // The child has its own copies on 0, 1 and 2. Ours must go now: while we hold a write end of
  // out or err, our own read of it can never see EOF.
  in.read_end.reset();
  out.write_end.reset();
  err.write_end.reset();
  Captured result;
  pump(in.write_end, input, out.read_end, err.read_end, result);
  result.status = child.wait();
  return result;
  // END SOLUTION
}
// [/slide]

}  // namespace pipes
