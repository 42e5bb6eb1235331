// Lab 05: SIGPIPE and EPIPE, seen from a writer whose reader has gone. The writer is a forked
// child, because with SIGPIPE at its default the write kills the process that makes it.
#include "broken_pipe.hpp"

#include <signal.h>

#include <span>
#include <stdexcept>

#include "child_process.hpp"
#include "syslab/error.hpp"

namespace pipes {

// BEGIN SOLUTION
namespace {

// In the writer: SIGPIPE's action as asked, and SIGPIPE unblocked. A blocked SIGPIPE would not
// kill either: it would stay pending, and the write would fail with EPIPE.
void set_sigpipe(SigpipeAction action) {
  struct sigaction disposition {};
  disposition.sa_handler = action == SigpipeAction::kIgnore ? SIG_IGN : SIG_DFL;
  ::sigemptyset(&disposition.sa_mask);
  if (::sigaction(SIGPIPE, &disposition, nullptr) != 0) syslab::throw_errno("sigaction", "SIGPIPE");
  sigset_t sigpipe;
  ::sigemptyset(&sigpipe);
  ::sigaddset(&sigpipe, SIGPIPE);
  if (::pthread_sigmask(SIG_UNBLOCK, &sigpipe, nullptr) != 0) {
    throw std::runtime_error("pthread_sigmask: cannot unblock SIGPIPE");
  }
}

}  // namespace
// END SOLUTION

// [slide:write_after_reader_closed-1]
BrokenPipeWrite write_after_reader_closed(SigpipeAction action) {
  // BEGIN SOLUTION: fork a writer that closes the only read end of a pipe, sets SIGPIPE, write_alls into it and reports write_all's result back; return how it ended and what it reported
  fdio::Pipe report = fdio::make_pipe();  // writer -> us: write_all's result, if it survives
  proc::ChildProcess writer = proc::fork_child([&] {
    report.read_end.reset();
    set_sigpipe(action);
    fdio::Pipe pipe = fdio::make_pipe();
    pipe.read_end.reset();  // the only read end: from now on nobody can ever read this pipe
    const fdio::IoResult result = fdio::write_all(pipe.write_end, "is anybody there?\n");
    // Only reached when SIGPIPE did not end us: with SIG_IGN, write fails with EPIPE.
    const auto bytes = std::as_bytes(std::span(&result, 1));
    return fdio::write_all(report.write_end, bytes).done() ? 0 : 1;
  });
  // [/slide]
  // [slide:write_after_reader_closed-2]
  report.write_end.reset();  // or our read below would wait for ourselves, and never see EOF
  BrokenPipeWrite outcome;
  fdio::IoResult result;
  if (fdio::read_exact(report.read_end, std::as_writable_bytes(std::span(&result, 1))).done()) {
    outcome.result = result;
  }
  outcome.writer = writer.wait();
  return outcome;
  // END SOLUTION
}
// [/slide]

}  // namespace pipes
