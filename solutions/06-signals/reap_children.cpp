// Lab 06: the WNOHANG loop: reap until the kernel says that nothing more has ended.
#include "reap_children.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <string>

#include "syslab/error.hpp"

namespace sig {

// [slide:reap_children]
std::vector<Reaped> reap_children(pid_t which) {
  // BEGIN SOLUTION: waitpid(which, WNOHANG) in a loop: collect each (pid, decoded status); stop at 0 (none ended) or ECHILD (no children); retry on EINTR
  std::vector<Reaped> reaped;
  for (;;) {
    int raw = 0;
    const pid_t pid = ::waitpid(which, &raw, WNOHANG);
    if (pid > 0) {
      reaped.push_back({pid, proc::decode_wait_status(raw)});
    } else if (pid == 0 || errno == ECHILD) {
      return reaped;  // 0: children remain, none has ended; ECHILD: no children at all
    } else if (errno != EINTR) {
      syslab::throw_errno("waitpid", std::to_string(which));
    }
  }
  // END SOLUTION
}
// [/slide]

}  // namespace sig
