// Lab 03: reading and setting resource limits, and a guard that puts a limit back.
#include "rlimits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ostream>
#include <stdexcept>
#include <utility>

#include "syslab/error.hpp"

namespace rlim {

namespace {

// Every resource Linux has, in the order of /proc/PID/limits (fs/proc/base.c) and of the numbers.
constexpr std::array<Resource, RLIM_NLIMITS> kResources{{
    {RLIMIT_CPU, "RLIMIT_CPU", "Max cpu time", "seconds",
     "CPU seconds: SIGXCPU at soft, SIGKILL at hard"},
    {RLIMIT_FSIZE, "RLIMIT_FSIZE", "Max file size", "bytes",
     "file size: a write past it raises SIGXFSZ"},
    {RLIMIT_DATA, "RLIMIT_DATA", "Max data size", "bytes",
     "heap and data: brk/mmap fail with ENOMEM"},
    {RLIMIT_STACK, "RLIMIT_STACK", "Max stack size", "bytes",
     "main stack: growing past it is SIGSEGV"},
    {RLIMIT_CORE, "RLIMIT_CORE", "Max core file size", "bytes",
     "core dump size: 0 means no core file"},
    {RLIMIT_RSS, "RLIMIT_RSS", "Max resident set", "bytes", "resident set: ignored by Linux"},
    {RLIMIT_NPROC, "RLIMIT_NPROC", "Max processes", "processes",
     "processes of this user: fork fails, EAGAIN"},
    {RLIMIT_NOFILE, "RLIMIT_NOFILE", "Max open files", "files",
     "fd numbers: open/pipe/accept fail, EMFILE"},
    {RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK", "Max locked memory", "bytes",
     "locked memory: mlock fails with ENOMEM"},
    {RLIMIT_AS, "RLIMIT_AS", "Max address space", "bytes",
     "address space: mmap/brk fail with ENOMEM"},
    {RLIMIT_LOCKS, "RLIMIT_LOCKS", "Max file locks", "locks", "file locks: ignored by Linux"},
    {RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING", "Max pending signals", "signals",
     "queued signals: sigqueue fails, EAGAIN"},
    {RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE", "Max msgqueue size", "bytes",
     "POSIX message queues: mq_open fails, EMFILE"},
    {RLIMIT_NICE, "RLIMIT_NICE", "Max nice priority", "", "highest nice priority: 20 - value"},
    {RLIMIT_RTPRIO, "RLIMIT_RTPRIO", "Max realtime priority", "", "highest real-time priority"},
    {RLIMIT_RTTIME, "RLIMIT_RTTIME", "Max realtime timeout", "us",
     "real-time CPU without blocking: SIGXCPU"},
}};

}  // namespace

std::span<const Resource> known_resources() { return kResources; }

std::string format_value(rlim_t value) {
  return value == kUnlimited ? "unlimited" : std::to_string(value);
}

std::string to_string(const Limit& limit) {
  return "soft " + format_value(limit.soft) + ", hard " + format_value(limit.hard);
}

std::ostream& operator<<(std::ostream& out, const Limit& limit) { return out << to_string(limit); }

rlim_t parse_value(std::string_view text) {
  // BEGIN SOLUTION: "unlimited" or "infinity", else digits only that fit in rlim_t; std::invalid_argument if not
  if (text == "unlimited" || text == "infinity") return kUnlimited;
  rlim_t value = 0;
  const char* end = text.data() + text.size();
  // from_chars takes no sign, no space and no "0x" for an unsigned type: just digits.
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error == std::errc::result_out_of_range) {
    throw std::invalid_argument(fmt::format("limit too large: \"{}\"", text));
  }
  if (error != std::errc() || stop != end) {
    throw std::invalid_argument(fmt::format("not a number or \"unlimited\": \"{}\"", text));
  }
  return value;
  // END SOLUTION
}

// BEGIN SOLUTION
namespace {

const Resource* find_resource(int resource) {
  const auto found = std::ranges::find(kResources, resource, &Resource::id);
  return found != kResources.end() ? &*found : nullptr;
}

// The resource as an error message names it. Never throws: an error must not become another.
std::string describe_resource(int resource) {
  const Resource* known = find_resource(resource);
  return known != nullptr ? std::string(known->name) : "resource " + std::to_string(resource);
}

}  // namespace
// END SOLUTION

std::string_view resource_name(int resource) {
  // BEGIN SOLUTION: look the number up in known_resources(); std::invalid_argument if it is not there
  const Resource* known = find_resource(resource);
  if (known == nullptr) throw std::invalid_argument(fmt::format("no such resource: {}", resource));
  return known->name;
  // END SOLUTION
}

int resource_from_name(std::string_view name) {
  // BEGIN SOLUTION: find "RLIMIT_NOFILE", "NOFILE" or "nofile" in known_resources(); invalid_argument if none
  std::string wanted(name);
  std::ranges::transform(wanted, wanted.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!wanted.starts_with("RLIMIT_")) wanted.insert(0, "RLIMIT_");
  for (const Resource& resource : kResources) {
    if (resource.name == wanted) return resource.id;
  }
  throw std::invalid_argument(fmt::format("no such resource: \"{}\"", name));
  // END SOLUTION
}

// [slide:get_limit]
Limit get_limit(int resource) {
  // BEGIN SOLUTION: getrlimit(2); on failure throw an error naming getrlimit and the resource
  rlimit raw{};
  if (::getrlimit(resource, &raw) != 0) {
    syslab::throw_errno(fmt::format("getrlimit {}", describe_resource(resource)));
  }
  return {raw.rlim_cur, raw.rlim_max};
  // END SOLUTION
}
// [/slide]

Limit get_limit(int resource, pid_t pid) {
  // BEGIN SOLUTION: prlimit(2) with no new limit; on failure name prlimit, the pid and the resource
  rlimit raw{};
  // glibc declares prlimit with its own enum type where getrlimit takes an int.
  if (::prlimit(pid, static_cast<__rlimit_resource>(resource), nullptr, &raw) != 0) {
    syslab::throw_errno(fmt::format("prlimit pid {} {}", pid, describe_resource(resource)));
  }
  return {raw.rlim_cur, raw.rlim_max};
  // END SOLUTION
}

// [slide:set_limit]
void set_limit(int resource, Limit limit) {
  // BEGIN SOLUTION: setrlimit(2) with both values; on failure throw naming setrlimit and the resource
  const rlimit raw{limit.soft, limit.hard};
  if (::setrlimit(resource, &raw) != 0) {
    syslab::throw_errno(fmt::format("setrlimit {}", describe_resource(resource)));
  }
  // END SOLUTION
}
// [/slide]

void set_soft_limit(int resource, rlim_t soft) {
  // BEGIN SOLUTION: set the soft limit to soft, the hard limit to what it is now
  set_limit(resource, {soft, get_limit(resource).hard});
  // END SOLUTION
}

// BEGIN SOLUTION
namespace {

// [slide:exchange_limit]
// Sets limit and returns the limit it replaced, in one prlimit(2) call. Limits belong to the whole
// process: with getrlimit then setrlimit, another thread could change the limit in between, and
// the guard would restore a value that was never the previous one.
Limit exchange_limit(int resource, Limit limit) {
  const rlimit wanted{limit.soft, limit.hard};
  rlimit old{};
  if (::prlimit(0, static_cast<__rlimit_resource>(resource), &wanted, &old) != 0) {
    syslab::throw_errno(fmt::format("prlimit {}", describe_resource(resource)));
  }
  return {old.rlim_cur, old.rlim_max};
}
// [/slide]

}  // namespace
// END SOLUTION

// [slide:scoped_limit]
ScopedLimit::ScopedLimit(int resource, Limit limit) {
  // BEGIN SOLUTION: set the new limit, remember the one it replaced, and arm the guard
  previous_ = exchange_limit(resource, limit);
  resource_ = resource;
  // END SOLUTION
}
// [/slide]

// [slide:restore]
ScopedLimit::~ScopedLimit() { restore_or_report(); }

// A destructor must not throw: it may run while an exception unwinds the stack, and a second
// exception then calls std::terminate. So the destructor reports a failure instead.
void ScopedLimit::restore_or_report() noexcept {
  try {
    restore();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "rlim::ScopedLimit: cannot restore a limit: %s\n", error.what());
  }
}

void ScopedLimit::restore() {
  // BEGIN SOLUTION: if armed: disarm, then set the previous limit back (set_limit throws on failure)
  if (resource_ < 0) return;
  const int resource = std::exchange(resource_, -1);  // disarmed first: a failure would repeat
  set_limit(resource, previous_);
  // END SOLUTION
}
// [/slide]

ScopedLimit::ScopedLimit(ScopedLimit&& other) noexcept
    : resource_(std::exchange(other.resource_, -1)), previous_(other.previous_) {}

// The target's own scope ends here: it restores what it holds, then takes over other's restore.
ScopedLimit& ScopedLimit::operator=(ScopedLimit&& other) noexcept {
  if (this != &other) {
    restore_or_report();
    resource_ = std::exchange(other.resource_, -1);
    previous_ = other.previous_;
  }
  return *this;
}

ScopedLimit scoped_soft_limit(int resource, rlim_t soft) {
  // BEGIN SOLUTION: a ScopedLimit with the new soft limit and the hard limit as it is now
  return ScopedLimit(resource, {soft, get_limit(resource).hard});
  // END SOLUTION
}

// [slide:raise_nofile]
rlim_t raise_nofile_soft_limit() {
  // BEGIN SOLUTION: set the soft RLIMIT_NOFILE to the hard limit (if not there already); return it
  const Limit limit = get_limit(RLIMIT_NOFILE);
  // Only the soft limit moves: raising the hard one would need CAP_SYS_RESOURCE.
  if (limit.soft < limit.hard) set_limit(RLIMIT_NOFILE, {limit.hard, limit.hard});
  return limit.hard;
  // END SOLUTION
}
// [/slide]

}  // namespace rlim
