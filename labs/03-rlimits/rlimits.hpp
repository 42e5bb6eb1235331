// Lab 03: resource limits. A process holds two limits per resource: the kernel enforces the soft
// one (EMFILE, SIGXFSZ, no core file ...); any process may move its soft limit anywhere up to its
// hard limit and may lower the hard limit, but only CAP_SYS_RESOURCE may raise a hard limit. Both
// are inherited across fork(2) and kept across execve(2). See getrlimit(2) and prlimit(2).
// Look at: ./limits, cat /proc/self/limits, ulimit -a, prlimit --pid $$.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

namespace rlim {

// RLIM_INFINITY: no limit at all. /proc/PID/limits, ulimit and prlimit(1) show it as "unlimited".
inline constexpr rlim_t kUnlimited = RLIM_INFINITY;

// One resource's pair of limits, as getrlimit(2) returns them. The kernel refuses soft > hard.
struct Limit {
  rlim_t soft = kUnlimited;  // what the kernel enforces now
  rlim_t hard = kUnlimited;  // the ceiling for soft; raising it needs CAP_SYS_RESOURCE

  bool operator==(const Limit&) const = default;
};

// "unlimited" for kUnlimited, else the number: "1024".
std::string format_value(rlim_t value);
// "soft 1024, hard 524288"
std::string to_string(const Limit& limit);
std::ostream& operator<<(std::ostream& out, const Limit& limit);

// The inverse of format_value: "unlimited" (or "infinity", as prlimit(1) accepts) or a decimal
// number. Throws std::invalid_argument for anything else, such as "", "-1", "10k" or a number
// that does not fit in rlim_t.
rlim_t parse_value(std::string_view text);

// What the kit knows about one resource.
struct Resource {
  int id;                      // RLIMIT_NOFILE
  std::string_view name;       // "RLIMIT_NOFILE"
  std::string_view proc_name;  // "Max open files": its row in /proc/PID/limits
  std::string_view unit;       // "files"; empty where the kernel shows none
  std::string_view what;       // what the limit does when it is reached
};

// Every resource Linux has (RLIM_NLIMITS of them), in the order of /proc/PID/limits.
std::span<const Resource> known_resources();

// "RLIMIT_NOFILE" for RLIMIT_NOFILE. Throws std::invalid_argument for a number that is not a
// resource.
std::string_view resource_name(int resource);

// The resource named "RLIMIT_NOFILE", "NOFILE" or "nofile" (any case, with or without RLIMIT_).
// Throws std::invalid_argument for a name that is not a resource.
int resource_from_name(std::string_view name);

// This process's limit, from getrlimit(2). Throws syslab::SystemError naming the call and the
// resource: getrlimit resource 99: Invalid argument (EINVAL).
[[nodiscard]] Limit get_limit(int resource);

// Another process's limit, from prlimit(2) (pid 0: this process). Needs the same user ids as the
// target, or CAP_SYS_RESOURCE: prlimit pid 1 RLIMIT_NOFILE: Operation not permitted (EPERM).
[[nodiscard]] Limit get_limit(int resource, pid_t pid);

// Sets both limits with setrlimit(2). Throws syslab::SystemError naming the resource:
//   setrlimit RLIMIT_NOFILE: Operation not permitted (EPERM)   hard raised without the capability
//   setrlimit RLIMIT_NOFILE: Invalid argument (EINVAL)         soft above hard
void set_limit(int resource, Limit limit);

// Sets the soft limit and keeps the hard limit as it is: what any process may do, up to hard.
void set_soft_limit(int resource, rlim_t soft);

// Sets a limit for one scope and puts the previous one back when the scope ends, however it ends
// (return, exception). Move-only, so that exactly one guard restores:
//
//   {
//     const ScopedLimit few_fds = scoped_soft_limit(RLIMIT_NOFILE, 16);
//     ...  // here the 17th open fails with EMFILE
//   }      // the previous limit is back
//
// Guards on the same resource must end in the reverse order of their creation, as scopes do.
// A guard that lowered a hard limit cannot raise it again without CAP_SYS_RESOURCE: to experiment
// and come back, change soft limits only.
class [[nodiscard]] ScopedLimit {
 public:
  // Sets limit and remembers the limit it replaced. Throws, changing nothing, when it cannot.
  ScopedLimit(int resource, Limit limit);
  // Restores, unless restore() ran or the guard was moved from. Never throws: a destructor may
  // run while an exception unwinds the stack, so a failure is written to stderr instead.
  ~ScopedLimit();

  // The new guard takes over the restore; the moved-from one restores nothing.
  ScopedLimit(ScopedLimit&& other) noexcept;
  // Restores what this guard holds (its scope ends here), then takes over other's restore.
  ScopedLimit& operator=(ScopedLimit&& other) noexcept;
  ScopedLimit(const ScopedLimit&) = delete;
  ScopedLimit& operator=(const ScopedLimit&) = delete;

  // Puts the previous limit back now and disarms the guard. Throws syslab::SystemError when
  // setrlimit(2) refuses (the guard is disarmed all the same: a second try would fail too).
  void restore();

  [[nodiscard]] bool armed() const noexcept { return resource_ >= 0; }
  // The limit that was in force before the guard, and that it will restore.
  [[nodiscard]] const Limit& previous() const noexcept { return previous_; }

 private:
  void restore_or_report() noexcept;

  int resource_ = -1;  // -1: nothing to restore (moved from, or restored already)
  Limit previous_;
};

// A guard that sets only the soft limit; the hard limit stays as it is. Any process may do this
// (up to the hard limit), and the guard can always restore it.
[[nodiscard]] ScopedLimit scoped_soft_limit(int resource, rlim_t soft);

// Raises the soft RLIMIT_NOFILE to the hard limit, and returns the soft limit now in force. What a
// server that needs thousands of connections does first (lab 11's C10K test): the soft limit is
// often 1024, a default kept for select(2), whose fd_set cannot hold fd 1024 (lab 10).
rlim_t raise_nofile_soft_limit();

}  // namespace rlim
