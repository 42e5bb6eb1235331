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
#include "syslab/todo.hpp"

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
  SYSLAB_TODO("\"unlimited\" or \"infinity\", else digits only that fit in rlim_t; std::invalid_argument if not");
}

std::string_view resource_name(int resource) {
  SYSLAB_TODO("look the number up in known_resources(); std::invalid_argument if it is not there");
}

int resource_from_name(std::string_view name) {
  SYSLAB_TODO("find \"RLIMIT_NOFILE\", \"NOFILE\" or \"nofile\" in known_resources(); invalid_argument if none");
}

Limit get_limit(int resource) {
  SYSLAB_TODO("getrlimit(2); on failure throw an error naming getrlimit and the resource");
}

Limit get_limit(int resource, pid_t pid) {
  SYSLAB_TODO("prlimit(2) with no new limit; on failure name prlimit, the pid and the resource");
}

void set_limit(int resource, Limit limit) {
  SYSLAB_TODO("setrlimit(2) with both values; on failure throw naming setrlimit and the resource");
}

void set_soft_limit(int resource, rlim_t soft) {
  SYSLAB_TODO("set the soft limit to soft, the hard limit to what it is now");
}

ScopedLimit::ScopedLimit(int resource, Limit limit) {
  SYSLAB_TODO("set the new limit, remember the one it replaced, and arm the guard");
}

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
  SYSLAB_TODO("if armed: disarm, then set the previous limit back (set_limit throws on failure)");
}

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
  SYSLAB_TODO("a ScopedLimit with the new soft limit and the hard limit as it is now");
}

rlim_t raise_nofile_soft_limit() {
  SYSLAB_TODO("set the soft RLIMIT_NOFILE to the hard limit (if not there already); return it");
}

}  // namespace rlim
