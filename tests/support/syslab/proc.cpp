#include "syslab/proc.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "syslab/faults.hpp"
#include "syslab/files.hpp"

namespace syslab::test {

namespace {

std::string proc_path(pid_t id, std::string_view file) {
  return "/proc/" + (id == 0 ? std::string("self") : std::to_string(id)) + "/" + std::string(file);
}

// The whole of a /proc file, or nullopt when it cannot be opened or read: the process is gone,
// or the kernel refuses it (syscall and wchan need ptrace access, which a container may deny;
// the refusal may come at open or at read, so the error is looked at here, not in an ifstream).
std::optional<std::string> try_read(const std::string& path) {
  const FaultsPaused plumbing;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (n < 0) return std::nullopt;
  return text;
}

template <typename Number>
bool to_number(std::string_view word, Number& value) {
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  return error == std::errc() && end == word.data() + word.size() && !word.empty();
}

// The space-separated words of text.
std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while ((at = text.find_first_not_of(" \n", at)) != std::string_view::npos) {
    const std::size_t end = std::min(text.find_first_of(" \n", at), text.size());
    words.push_back(text.substr(at, end - at));
    at = end;
  }
  return words;
}

// "poll_schedule_timeout.constprop.0" is poll_schedule_timeout: the compiler's suffixes differ
// from one kernel build to the next.
std::string_view function_name(std::string_view symbol) {
  return symbol.substr(0, symbol.find('.'));
}

}  // namespace

StatLine parse_stat_line(std::string_view line) {
  const auto malformed = [&](const std::string& why) {
    return std::invalid_argument("not a /proc/PID/stat line (" + why + "): \"" + std::string(line) +
                                 "\"");
  };
  const std::size_t open = line.find('(');
  const std::size_t close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    throw malformed("no comm in parentheses");
  }
  const std::vector<std::string_view> before = words_of(line.substr(0, open));
  const std::vector<std::string_view> rest = words_of(line.substr(close + 1));  // from field 3
  if (rest.size() < 18) throw malformed("fewer than 20 fields");
  StatLine stat;
  if (before.size() != 1 || !to_number(before[0], stat.pid)) throw malformed("no pid first");
  stat.comm = std::string(line.substr(open + 1, close - open - 1));
  if (rest[0].size() != 1) throw malformed("no state letter after the comm");
  stat.state = rest[0][0];
  const auto field = [&](int number, auto& into) {  // proc(5)'s field number: rest[number - 3]
    if (!to_number(rest[static_cast<std::size_t>(number - 3)], into)) {
      throw malformed("field " + std::to_string(number) + " is not a number");
    }
  };
  field(4, stat.ppid);
  field(5, stat.pgrp);
  field(6, stat.session);
  field(14, stat.utime);
  field(15, stat.stime);
  field(20, stat.threads);
  return stat;
}

std::optional<StatLine> read_stat(pid_t id) {
  const std::optional<std::string> text = try_read(proc_path(id, "stat"));
  if (!text || text->empty()) return std::nullopt;
  return parse_stat_line(*text);
}

pid_t parent_of(pid_t pid) {
  const std::optional<StatLine> stat = read_stat(pid);
  return stat ? stat->ppid : -1;
}

pid_t process_group_of(pid_t pid) {
  const std::optional<StatLine> stat = read_stat(pid);
  return stat ? stat->pgrp : -1;
}

long long cpu_ticks(pid_t pid) {
  const std::optional<StatLine> stat = read_stat(pid);
  if (!stat) throw std::system_error(ESRCH, std::generic_category(), proc_path(pid, "stat"));
  return stat->utime + stat->stime;
}

std::optional<std::string> status_field(pid_t pid, std::string_view key) {
  const std::string text = read_file(proc_path(pid, "status"));
  const std::string wanted = "\n" + std::string(key) + ":";
  const std::string lines = "\n" + text;  // so that the first line starts with a newline too
  const std::size_t at = lines.find(wanted);
  if (at == std::string::npos) return std::nullopt;
  const std::size_t from = lines.find_first_not_of(" \t", at + wanted.size());
  const std::size_t end = lines.find('\n', at + 1);
  if (from == std::string::npos || from >= end) return std::string();
  return lines.substr(from, end - from);
}

int own_threads(pid_t pid) {
#if defined(__SANITIZE_THREAD__)
  constexpr int kSanitizerThreads = 1;
#else
  constexpr int kSanitizerThreads = 0;
#endif
  const std::optional<std::string> field = status_field(pid, "Threads");
  int threads = 0;
  if (!field || !to_number(std::string_view(*field), threads)) {
    throw std::runtime_error("no Threads: line in " + proc_path(pid, "status"));
  }
  // More than one thread means it has started one, and under TSan the runtime's is among them.
  return threads > 1 ? threads - kSanitizerThreads : threads;
}

// The wchan names below are those of recent kernels (5.x, 6.x); an older one may name another
// function, and then the wchan source does not recognise the call (the test fails, saying so).
SystemCall read_call() {
  return {"read",
          {SYS_read},
          {"pipe_read", "anon_pipe_read", "pipe_wait", "pipe_wait_readable", "wait_woken",
           "sk_wait_data", "unix_stream_read_generic"}};
}

SystemCall write_call() {
  return {"write",
          {SYS_write},
          {"pipe_write", "anon_pipe_write", "pipe_wait", "pipe_wait_writable", "wait_woken",
           "sk_stream_wait_memory", "unix_stream_sendmsg"}};
}

SystemCall select_call() {
  SystemCall call{"select", {}, {"poll_schedule_timeout", "do_select", "core_sys_select"}};
#ifdef SYS_select
  call.numbers.push_back(SYS_select);
#endif
  call.numbers.push_back(SYS_pselect6);
  return call;
}

SystemCall poll_call() {
  SystemCall call{"poll", {}, {"poll_schedule_timeout", "do_poll", "do_sys_poll"}};
#ifdef SYS_poll
  call.numbers.push_back(SYS_poll);
#endif
  call.numbers.push_back(SYS_ppoll);
  return call;
}

SystemCall epoll_wait_call() {
  SystemCall call{"epoll_wait", {SYS_epoll_pwait}, {"ep_poll", "do_epoll_wait"}};
#ifdef SYS_epoll_wait
  call.numbers.push_back(SYS_epoll_wait);
#endif
#ifdef SYS_epoll_pwait2
  call.numbers.push_back(SYS_epoll_pwait2);
#endif
  return call;
}

bool Activity::asleep_in(const SystemCall& call) const {
  if (state != 'S') return false;
  switch (source) {
    case Source::kSyscall:
      return std::find(call.numbers.begin(), call.numbers.end(), number) != call.numbers.end();
    case Source::kWchan:
      return std::find(call.wchans.begin(), call.wchans.end(), function_name(wchan)) !=
             call.wchans.end();
    case Source::kStat: return true;  // asleep in some call: which one, /proc does not tell us
  }
  return false;
}

std::string Activity::describe() const {
  const std::string proc = "/proc/" + std::to_string(id);
  if (state == '?') return proc + " is gone";
  const std::string state_text = std::string(1, state);
  switch (source) {
    case Source::kSyscall:
      return proc + "/syscall says " + (number < 0 ? "running" : std::to_string(number)) +
             " (state " + state_text + ")";
    case Source::kWchan:
      return proc + "/wchan says " + wchan + " (state " + state_text + "; " + proc +
             "/syscall was refused)";
    case Source::kStat:
      return proc + "/stat says state " + state_text + " (" + proc + "/syscall and " + proc +
             "/wchan were refused: whether it sleeps, not in which call)";
  }
  return proc;
}

Activity activity_from(pid_t id, const std::optional<std::string>& stat,
                       const std::optional<std::string>& syscall,
                       const std::optional<std::string>& wchan) {
  Activity activity;
  activity.id = id;
  if (stat && !stat->empty()) activity.state = parse_stat_line(*stat).state;
  const std::vector<std::string_view> call =
      syscall ? words_of(*syscall) : std::vector<std::string_view>{};
  if (!call.empty() && (call[0] == "running" || to_number(call[0], activity.number))) {
    activity.source = Activity::Source::kSyscall;
    if (call[0] == "running") activity.number = -1;
    return activity;
  }
  // wchan "0" is what a running thread shows, and what a sleeping one shows when its name is
  // withheld from us: only the second falls through to stat.
  const std::vector<std::string_view> function =
      wchan ? words_of(*wchan) : std::vector<std::string_view>{};
  if (!function.empty() && (function[0] != "0" || activity.state != 'S')) {
    activity.source = Activity::Source::kWchan;
    activity.wchan = std::string(function[0]);
    return activity;
  }
  activity.source = Activity::Source::kStat;
  return activity;
}

Activity activity_of(pid_t id) {
  // Read stat last: when the thread wakes between the reads, its state says so ('R'), and a stale
  // "asleep in select" is not believed.
  const std::optional<std::string> syscall = try_read(proc_path(id, "syscall"));
  const std::optional<std::string> wchan = try_read(proc_path(id, "wchan"));
  return activity_from(id, try_read(proc_path(id, "stat")), syscall, wchan);
}

bool blocked_in(pid_t id, const SystemCall& call) { return activity_of(id).asleep_in(call); }

std::vector<TcpSocket> tcp_sockets() {
  const std::string path = "/proc/net/tcp";
  std::istringstream lines(read_file(path));
  std::string line;
  std::getline(lines, line);  // the header
  std::vector<TcpSocket> sockets;
  while (std::getline(lines, line)) {
    unsigned address = 0, port = 0, state = 0;
    unsigned long long tx = 0, rx = 0, inode = 0;
    // sl: local rem st tx:rx tr:when retrnsmt uid timeout inode
    if (std::sscanf(line.c_str(), " %*u: %x:%x %*x:%*x %x %llx:%llx %*x:%*x %*x %*u %*u %llu",
                    &address, &port, &state, &tx, &rx, &inode) != 6) {
      throw std::runtime_error("unexpected line in " + path + ": " + line);
    }
    sockets.push_back({.local_address = address,
                       .local_port = static_cast<std::uint16_t>(port),
                       .state = static_cast<int>(state),
                       .tx_queue = static_cast<long long>(tx),
                       .rx_queue = static_cast<long long>(rx),
                       .inode = std::to_string(inode)});
  }
  return sockets;
}

std::optional<TcpSocket> loopback_listener(std::uint16_t port) {
  for (const TcpSocket& socket : tcp_sockets()) {
    if (socket.local_address == htonl(INADDR_LOOPBACK) && socket.local_port == port &&
        socket.state == kTcpListen) {
      return socket;
    }
  }
  return std::nullopt;
}

int count_of(std::string_view text, std::string_view needle) {
  int count = 0;
  for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace syslab::test
