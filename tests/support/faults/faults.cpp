// libsyslab-faults.so: seeded fault injection for the kit's tests, loaded with LD_PRELOAD.
//
// Some bugs show only when a call is interrupted or does less than asked: `write` where
// `write_all` belongs, EINTR taken for an error, a short `read` into a fixed buffer, ERANGE from
// getpwuid_r never retried. A quiet Linux machine never produces these in a test, so this library
// makes them, from a seed, in the test process and in every program it starts:
//
//   SYSLAB_FAULTS=SEED              turns it on (unset or empty: every call goes straight through)
//   SYSLAB_FAULT_KINDS=short,eintr  which faults (default: short,eintr,eagain,econnaborted,erange;
//                                   fork is only made when asked for by name)
//   SYSLAB_FAULT_RATE=250           how often an eligible call is faulted, per 1000 (default 250)
//   SYSLAB_FAULT_LOG=FILE           a ring of the last faults made, shared by every process of the
//                                   test, which the runner shows under a failure
//
// Why LD_PRELOAD and not link-time wrappers (-Wl,--wrap): the servers a test starts are separate
// programs; a preloaded library reaches them through the environment with no second build of
// every lab, and the learner's code is tested exactly as it was compiled.
//
// Faults are made only where the kernel could make them: EINTR only from a call that would
// sleep (a blocking fd that is not a regular file, waitpid without WNOHANG); short reads and writes
// on pipes, sockets and regular files (never a write of at most PIPE_BUF bytes to a pipe, which is
// atomic, nor on an eventfd or timerfd, whose reads are all or nothing); EAGAIN only on reads and
// socket writes of non-blocking fds not registered for edge-triggered epoll (there a spurious
// EAGAIN would wait for an edge that never comes, which no kernel does; on a pipe write it would
// say the pipe is full); ERANGE only while the caller's buffer
// is below a size drawn from the seed, so a caller that grows its buffer gets through. The test
// library pauses faults around its own plumbing and its clients (syslab_faults_pause/resume), so
// that the faults land in the learner's code.
#include <dlfcn.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <bitset>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

// ---- configuration, read once when the library is loaded -----------------------------------

enum Kind : unsigned {
  kShort = 1,
  kEintr = 2,
  kEagain = 4,
  kEconnaborted = 8,
  kErange = 16,
  kFork = 32
};

struct Config {
  bool on = false;
  std::uint64_t seed = 0;
  unsigned kinds = kShort | kEintr | kEagain | kEconnaborted | kErange;
  unsigned rate = 250;  // per 1000 eligible calls
};

Config config;

unsigned parse_kinds(const char* text) {
  struct Name {
    const char* name;
    Kind kind;
  };
  static constexpr Name kNames[] = {{"short", kShort},   {"eintr", kEintr},
                                    {"eagain", kEagain}, {"econnaborted", kEconnaborted},
                                    {"erange", kErange}, {"fork", kFork}};
  unsigned kinds = 0;
  for (const Name& name : kNames) {
    const char* at = std::strstr(text, name.name);
    if (at != nullptr) kinds |= name.kind;
  }
  return kinds;
}

// ---- the fault log: a ring in a shared file mapping ------------------------------------------
// The mapping outlives its fd, so the library holds no descriptor a test could see or count.

constexpr std::size_t kLogEntries = 64;
constexpr std::size_t kLogLine = 120;

struct FaultLog {
  std::atomic<std::uint64_t> count;  // faults made so far, all processes together
  char lines[kLogEntries][kLogLine];
};

FaultLog* fault_log = nullptr;

void map_fault_log(const char* path) {
  const int fd =
      static_cast<int>(::syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd < 0) return;  // no log: faults are still made, only not reported
  // Every process of the test sizes it the same way, so a race between them is harmless.
  void* memory = MAP_FAILED;
  if (::ftruncate(fd, sizeof(FaultLog)) == 0) {
    memory = ::mmap(nullptr, sizeof(FaultLog), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  ::syscall(SYS_close, fd);  // the mapping stays; close is not interposed, but say so anyway
  if (memory != MAP_FAILED) fault_log = static_cast<FaultLog*>(memory);
}

// Records one fault: "pid 1234 write(fd 5, 65536) -> 1021 (short)". No allocation, no stdio.
void record(const char* format, ...) {
  if (fault_log == nullptr) return;
  const std::uint64_t index = fault_log->count.fetch_add(1, std::memory_order_relaxed);
  char* line = fault_log->lines[index % kLogEntries];
  const int prefix = std::snprintf(line, kLogLine, "pid %d ", static_cast<int>(::getpid()));
  va_list args;
  va_start(args, format);
  std::vsnprintf(line + prefix, kLogLine - static_cast<std::size_t>(prefix), format, args);
  va_end(args);
}

// ---- the dice ----------------------------------------------------------------------------------
// Call k of function f is faulted when hash(seed, f, k) says so: the same seed gives the same
// faults to the same sequence of calls, whatever else the machine is doing.

std::atomic<std::uint64_t> call_counter{0};
thread_local int paused = 0;  // > 0: the test library's own plumbing is running

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A draw for this call, or 0 when the call is not to be faulted.
std::uint64_t roll(unsigned kind) {
  if (!config.on || paused > 0 || (config.kinds & kind) == 0) return 0;
  const std::uint64_t draw = mix(config.seed ^ mix(call_counter.fetch_add(1) + kind));
  return draw % 1000 < config.rate ? (draw | 1) : 0;
}

// ---- what an fd is
// -------------------------------------------------------------------------------

// fds registered with EPOLLET in this process: no spurious EAGAIN for them.
std::bitset<65536> edge_triggered;

// A write of at most PIPE_BUF bytes to a pipe is atomic (pipe(7)): all of it or none, never short.
bool can_be_short(int fd, std::size_t count, bool writing) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return false;
  if (S_ISFIFO(info.st_mode)) return !writing || count > PIPE_BUF;
  return S_ISSOCK(info.st_mode) || S_ISREG(info.st_mode);
}

// EINTR comes only from a call that sleeps: never on a non-blocking fd (nor with MSG_DONTWAIT),
// which returns at once, nor on a regular file or a directory, which the kernel does not interrupt.
bool can_be_interrupted(int fd, int flags = 0) {
  if ((flags & MSG_DONTWAIT) != 0) return false;
  const int status = ::fcntl(fd, F_GETFL);
  if (status < 0 || (status & O_NONBLOCK) != 0) return false;
  struct stat info {};
  return ::fstat(fd, &info) == 0 && !S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode);
}

// EAGAIN only on a pipe or a socket: on an eventfd it would mean a full counter, and a writer
// that takes it for "already signalled" would lose the wake-up the kernel never loses. The same
// holds for a write to a pipe: EAGAIN there means the pipe is full (pipe(7)), and a self-pipe
// signal handler rightly takes that for a wake-up already pending.
bool can_be_eagain(int fd, bool writing, int flags = 0) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= edge_triggered.size() || edge_triggered[fd])
    return false;
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !(S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode))) return false;
  if (writing && S_ISFIFO(info.st_mode)) return false;
  const int status = ::fcntl(fd, F_GETFL);
  return (status >= 0 && (status & O_NONBLOCK) != 0) || (flags & MSG_DONTWAIT) != 0;
}

// ---- the real functions
// --------------------------------------------------------------------------

template <typename Function>
Function real(const char* name) {
  return reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

// A read-like or write-like call: EINTR or EAGAIN before anything happens, or a shorter count.
// `count` is what the caller asked for; returns the count to pass on, or -1 with errno set.
ssize_t fault_before_io(const char* call, int fd, std::size_t& count, int flags = 0) {
  const bool writing = call[0] == 'w' || call[0] == 's';  // write, send, sendto
  if (roll(kEintr) != 0 && can_be_interrupted(fd, flags)) {
    record("%s(fd %d, %zu) -> EINTR", call, fd, count);
    errno = EINTR;
    return -1;
  }
  if (roll(kEagain) != 0 && can_be_eagain(fd, writing, flags)) {
    record("%s(fd %d, %zu) -> EAGAIN", call, fd, count);
    errno = EAGAIN;
    return -1;
  }
  if (count > 1) {
    if (const std::uint64_t draw = roll(kShort); draw != 0 && can_be_short(fd, count, writing)) {
      const std::size_t shorter = 1 + static_cast<std::size_t>((draw >> 11) % (count - 1));
      record("%s(fd %d, %zu) -> at most %zu (short)", call, fd, count, shorter);
      count = shorter;
    }
  }
  return 0;
}

__attribute__((constructor)) void load_config() {
  const char* seed = std::getenv("SYSLAB_FAULTS");
  if (seed == nullptr || *seed == '\0') return;
  config.on = true;
  config.seed = std::strtoull(seed, nullptr, 0);
  if (const char* kinds = std::getenv("SYSLAB_FAULT_KINDS"); kinds != nullptr && *kinds != '\0') {
    config.kinds = parse_kinds(kinds);
  }
  if (const char* rate = std::getenv("SYSLAB_FAULT_RATE"); rate != nullptr && *rate != '\0') {
    config.rate = static_cast<unsigned>(std::strtoul(rate, nullptr, 10));
  }
  if (const char* log = std::getenv("SYSLAB_FAULT_LOG"); log != nullptr && *log != '\0') {
    map_fault_log(log);
  }
}

}  // namespace

// ---- the interface of the test library ---------------------------------------------------------
// Found with dlsym(RTLD_DEFAULT, ...), so that nothing links against this library.

extern "C" {

void syslab_faults_pause() { ++paused; }
void syslab_faults_resume() { --paused; }
int syslab_faults_active() { return config.on ? 1 : 0; }

// ---- the interposed calls
// ------------------------------------------------------------------------

ssize_t read(int fd, void* buffer, std::size_t count) {
  static const auto next = real<ssize_t (*)(int, void*, std::size_t)>("read");
  if (fault_before_io("read", fd, count) < 0) return -1;
  return next(fd, buffer, count);
}

ssize_t write(int fd, const void* buffer, std::size_t count) {
  static const auto next = real<ssize_t (*)(int, const void*, std::size_t)>("write");
  if (fault_before_io("write", fd, count) < 0) return -1;
  return next(fd, buffer, count);
}

ssize_t recv(int fd, void* buffer, std::size_t count, int flags) {
  static const auto next = real<ssize_t (*)(int, void*, std::size_t, int)>("recv");
  if (fault_before_io("recv", fd, count, flags) < 0) return -1;
  return next(fd, buffer, count, flags);
}

ssize_t send(int fd, const void* buffer, std::size_t count, int flags) {
  static const auto next = real<ssize_t (*)(int, const void*, std::size_t, int)>("send");
  if (fault_before_io("send", fd, count, flags) < 0) return -1;
  return next(fd, buffer, count, flags);
}

ssize_t recvfrom(int fd, void* buffer, std::size_t count, int flags, sockaddr* from,
                 socklen_t* from_length) {
  static const auto next =
      real<ssize_t (*)(int, void*, std::size_t, int, sockaddr*, socklen_t*)>("recvfrom");
  if (fault_before_io("recvfrom", fd, count, flags) < 0) return -1;
  return next(fd, buffer, count, flags, from, from_length);
}

ssize_t sendto(int fd, const void* buffer, std::size_t count, int flags, const sockaddr* to,
               socklen_t to_length) {
  static const auto next =
      real<ssize_t (*)(int, const void*, std::size_t, int, const sockaddr*, socklen_t)>("sendto");
  if (fault_before_io("sendto", fd, count, flags) < 0) return -1;
  return next(fd, buffer, count, flags, to, to_length);
}

// accept: EINTR, or ECONNABORTED (a connection that was reset while it waited in the queue; the
// one behind it is still there, and a server must go on to it).
static int fault_before_accept(const char* call, int fd) {
  if (roll(kEintr) != 0 && can_be_interrupted(fd)) {
    record("%s(fd %d) -> EINTR", call, fd);
    errno = EINTR;
    return -1;
  }
  if (roll(kEconnaborted) != 0) {
    record("%s(fd %d) -> ECONNABORTED", call, fd);
    errno = ECONNABORTED;
    return -1;
  }
  return 0;
}

int accept(int fd, sockaddr* address, socklen_t* length) {
  static const auto next = real<int (*)(int, sockaddr*, socklen_t*)>("accept");
  if (fault_before_accept("accept", fd) < 0) return -1;
  return next(fd, address, length);
}

int accept4(int fd, sockaddr* address, socklen_t* length, int flags) {
  static const auto next = real<int (*)(int, sockaddr*, socklen_t*, int)>("accept4");
  if (fault_before_accept("accept4", fd) < 0) return -1;
  return next(fd, address, length, flags);
}

pid_t waitpid(pid_t pid, int* status, int options) {
  static const auto next = real<pid_t (*)(pid_t, int*, int)>("waitpid");
  if (roll(kEintr) != 0 && (options & WNOHANG) == 0) {  // WNOHANG never sleeps
    record("waitpid(%d) -> EINTR", static_cast<int>(pid));
    errno = EINTR;
    return -1;
  }
  return next(pid, status, options);
}

pid_t fork() {
  static const auto next = real<pid_t (*)()>("fork");
  if (roll(kFork) != 0) {
    record("fork() -> EAGAIN");
    errno = EAGAIN;
    return -1;
  }
  return next();
}

// Remembers which fds are edge-triggered, so that they never get a spurious EAGAIN.
int epoll_ctl(int epoll_fd, int op, int fd, epoll_event* event) {
  static const auto next = real<int (*)(int, int, int, epoll_event*)>("epoll_ctl");
  const int result = next(epoll_fd, op, fd, event);
  if (result == 0 && fd >= 0 && static_cast<std::size_t>(fd) < edge_triggered.size()) {
    edge_triggered[fd] = op != EPOLL_CTL_DEL && event != nullptr && (event->events & EPOLLET) != 0;
  }
  return result;
}

}  // extern "C"

// ERANGE while the buffer is smaller than a size drawn once from the seed (between 1 and 16 KiB):
// a caller that grows its buffer and tries again gets through, one that gives up does not.
namespace {
std::size_t erange_below() {
  static const std::size_t size = 1024 + static_cast<std::size_t>(mix(config.seed) % (15 * 1024));
  return size;
}

bool fault_erange(const char* call, std::size_t length) {
  if (!config.on || paused > 0 || (config.kinds & kErange) == 0 || length >= erange_below())
    return false;
  record("%s(buffer %zu) -> ERANGE (needs %zu)", call, length, erange_below());
  return true;
}
}  // namespace

extern "C" {

int getpwuid_r(uid_t uid, passwd* entry, char* buffer, std::size_t length, passwd** result) {
  static const auto next =
      real<int (*)(uid_t, passwd*, char*, std::size_t, passwd**)>("getpwuid_r");
  if (fault_erange("getpwuid_r", length)) {
    *result = nullptr;
    return ERANGE;
  }
  return next(uid, entry, buffer, length, result);
}

int getgrgid_r(gid_t gid, group* entry, char* buffer, std::size_t length, group** result) {
  static const auto next = real<int (*)(gid_t, group*, char*, std::size_t, group**)>("getgrgid_r");
  if (fault_erange("getgrgid_r", length)) {
    *result = nullptr;
    return ERANGE;
  }
  return next(gid, entry, buffer, length, result);
}

}  // extern "C"
