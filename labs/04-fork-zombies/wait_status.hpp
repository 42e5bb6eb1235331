// Lab 04: how a child ended, decoded from the int that wait(2) fills in. The kernel packs four
// kinds of event into 16 bits (see wait(2) and the W* macros):
//   exited with code c        c << 8                  "exited 3"
//   killed by signal s        s, | 0x80 if a core     "killed by SIGSEGV (core dumped)"
//   stopped by signal s       s << 8 | 0x7f           "stopped by SIGTSTP"   (WUNTRACED only)
//   continued                 0xffff                  "continued"            (WCONTINUED only)
// Look at: ./zombies, and what your shell prints after `sh -c 'kill -SEGV $$'`.
#pragma once

#include <iosfwd>
#include <string>

namespace proc {

// One decoded wait status. Plain data: compare it, print it, build one in a test.
struct WaitStatus {
  enum class Kind {
    kExited,     // it called _exit(code) or returned from main: code is valid
    kKilled,     // a signal ended it: signal and core_dumped are valid
    kStopped,    // a signal stopped it (SIGSTOP, SIGTSTP, ...): signal is valid
    kContinued,  // SIGCONT resumed it
  };

  Kind kind = Kind::kExited;
  int code = 0;              // kExited: the exit code, 0..255 (only the low 8 bits survive)
  int signal = 0;            // the signal that killed it (kKilled) or stopped it (kStopped)
  bool core_dumped = false;  // kKilled: the kernel wrote a core file (WCOREDUMP)

  [[nodiscard]] bool exited() const { return kind == Kind::kExited; }
  [[nodiscard]] bool killed() const { return kind == Kind::kKilled; }
  [[nodiscard]] bool stopped() const { return kind == Kind::kStopped; }
  [[nodiscard]] bool continued() const { return kind == Kind::kContinued; }
  // Exited with code 0: what a shell calls "true".
  [[nodiscard]] bool success() const { return exited() && code == 0; }

  // "exited 3", "killed by SIGSEGV", "killed by SIGSEGV (core dumped)", "stopped by SIGTSTP",
  // "continued".
  [[nodiscard]] std::string describe() const;

  bool operator==(const WaitStatus&) const = default;
};

// Decodes a raw status from wait(2)/waitpid(2) with WIFEXITED, WEXITSTATUS, WIFSIGNALED, WTERMSIG,
// WCOREDUMP, WIFSTOPPED, WSTOPSIG and WIFCONTINUED. Throws std::invalid_argument for a value that
// is none of the four kinds.
[[nodiscard]] WaitStatus decode_wait_status(int raw);

// "SIGSEGV" for SIGSEGV, "SIGRTMIN+2" for a real-time signal, "signal 99" for anything else.
[[nodiscard]] std::string signal_name(int signal);

std::ostream& operator<<(std::ostream& out, const WaitStatus& status);

}  // namespace proc
