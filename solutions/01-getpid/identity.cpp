// Who a process is, asked two ways: the calling process asks the kernel with system calls, and any
// process can be looked up in /proc, which is how ps and top see the system.
#include "identity.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <stdexcept>
#include <string>

#include "syslab/error.hpp"

namespace ids {

Identity current_identity() {
  // BEGIN SOLUTION: fill an Identity from getpid, getppid, getpgrp, getsid(0), prctl(PR_GET_NAME), getresuid and getresgid
  // [slide:current_identity]
  Identity self;
  self.pid = ::getpid();  // getpid, getppid and getpgrp cannot fail
  self.ppid = ::getppid();
  self.pgid = ::getpgrp();
  self.sid = ::getsid(0);  // 0: the caller's own session
  if (self.sid < 0) syslab::throw_errno("getsid");
  char comm[16] = {};  // PR_GET_NAME writes up to 16 bytes, the terminating NUL included
  if (::prctl(PR_GET_NAME, comm) != 0) syslab::throw_errno("prctl(PR_GET_NAME)");
  self.comm = comm;
  if (::getresuid(&self.ruid, &self.euid, &self.suid) != 0) syslab::throw_errno("getresuid");
  if (::getresgid(&self.rgid, &self.egid, &self.sgid) != 0) syslab::throw_errno("getresgid");
  return self;
  // [/slide]
  // END SOLUTION
}

// BEGIN SOLUTION
namespace {

[[noreturn]] void throw_malformed(std::string_view line, std::string_view why) {
  throw std::invalid_argument(
      fmt::format("not a /proc/PID/stat line ({}): \"{}\"", why, line.substr(0, 80)));
}

// Removes and returns the first word of text, words being separated by spaces, tabs or newlines
// ("" when there is none).
std::string_view next_word(std::string_view& text) {
  const auto start = text.find_first_not_of(" \t\n");
  if (start == std::string_view::npos) {
    text = {};
    return {};
  }
  text.remove_prefix(start);
  const auto end = std::min(text.find_first_of(" \t\n"), text.size());
  const std::string_view word = text.substr(0, end);
  text.remove_prefix(end);
  return word;
}

// A decimal number that must fill the whole word: "12x" and "" are not numbers.
std::optional<pid_t> to_pid(std::string_view word) {
  pid_t value = 0;
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (error != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return value;
}

pid_t pid_field(std::string_view& rest, std::string_view line, std::string_view name) {
  const std::optional<pid_t> value = to_pid(next_word(rest));
  if (!value) throw_malformed(line, fmt::format("{} is not a number", name));
  return *value;
}

}  // namespace
// END SOLUTION

ProcStat parse_proc_stat(std::string_view line) {
  // BEGIN SOLUTION: split "pid (comm) state ppid pgrp session ..."; comm ends at the LAST ')'; throw std::invalid_argument for a malformed line
  // [slide:parse_proc_stat-1]
  // comm is whatever the process called itself, ")" and spaces included, so it cannot be split
  // on spaces: it runs from the first '(' to the LAST ')'. Everything else is a plain number.
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    throw_malformed(line, "no (comm)");
  }
  ProcStat stat;
  stat.comm = line.substr(open + 1, close - open - 1);
  // [/slide]
  // [slide:parse_proc_stat-2]
  std::string_view head = line.substr(0, open);
  stat.pid = pid_field(head, line, "pid");
  if (!next_word(head).empty()) throw_malformed(line, "more than a pid before (comm)");
  std::string_view rest = line.substr(close + 1);
  const std::string_view state = next_word(rest);
  if (state.size() != 1) throw_malformed(line, "no one-letter state");
  stat.state = state[0];
  stat.ppid = pid_field(rest, line, "ppid");
  stat.pgid = pid_field(rest, line, "pgrp");
  stat.sid = pid_field(rest, line, "session");
  return stat;
  // [/slide]
  // END SOLUTION
}

// BEGIN SOLUTION
namespace {

std::string proc_path(pid_t pid, std::string_view file) {
  return fmt::format("/proc/{}/{}", pid, file);
}

// [slide:read_proc_file-1]
// The whole of a small /proc file. They report a size of 0, so read until EOF; the kernel
// builds the text when it is read, and a process that exits meanwhile makes read fail (ESRCH).
std::string read_proc_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) syslab::throw_errno("open", path);
  std::string text;
  char buffer[4096];
  // [/slide]
  // [slide:read_proc_file-2]
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      const int error = errno;  // close() may change errno
      ::close(fd);
      syslab::throw_error(error, "read", path);
    }
  }
  ::close(fd);  // a read-only fd: close has nothing to report that would change the result
  return text;
}
// [/slide]

// "Uid:\t1000\t1000\t1000\t1000\n": real, effective, saved (the fourth is the filesystem id).
template <typename Id>
void parse_id_line(const std::string& status, std::string_view key, const std::string& path,
                   Id& real, Id& effective, Id& saved) {
  const auto at = status.find(fmt::format("\n{}\t", key));
  if (at == std::string::npos) {
    throw std::invalid_argument(fmt::format("{}: no {} line", path, key));
  }
  std::string_view rest = std::string_view(status).substr(at + key.size() + 2);
  rest = rest.substr(0, rest.find('\n'));
  for (Id* field : {&real, &effective, &saved}) {
    const std::string_view word = next_word(rest);
    const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), *field);
    if (word.empty() || error != std::errc() || end != word.data() + word.size()) {
      throw std::invalid_argument(fmt::format("{}: malformed {} line", path, key));
    }
  }
}

ProcStat read_proc_stat(pid_t pid) {
  return parse_proc_stat(read_proc_file(proc_path(pid, "stat")));
}

}  // namespace
// END SOLUTION

Identity read_proc_identity(pid_t pid) {
  // BEGIN SOLUTION: parse /proc/PID/stat for the pids and comm, and the Uid:/Gid: lines of /proc/PID/status for the ids
  // [slide:read_proc_identity]
  const ProcStat stat = read_proc_stat(pid);
  const std::string status_path = proc_path(pid, "status");
  const std::string status = read_proc_file(status_path);
  Identity identity{
      .pid = stat.pid, .ppid = stat.ppid, .pgid = stat.pgid, .sid = stat.sid, .comm = stat.comm};
  parse_id_line(status, "Uid:", status_path, identity.ruid, identity.euid, identity.suid);
  parse_id_line(status, "Gid:", status_path, identity.rgid, identity.egid, identity.sgid);
  return identity;
  // [/slide]
  // END SOLUTION
}

std::vector<ProcStat> ancestry(pid_t pid) {
  // BEGIN SOLUTION: follow ppid through /proc/PID/stat from pid up to the process whose ppid is 0
  // [slide:ancestry]
  std::vector<ProcStat> chain{read_proc_stat(pid)};
  while (chain.back().ppid != 0) {
    const pid_t parent = chain.back().ppid;
    // A pid seen twice means an ancestor exited and its pid was reused while we walked.
    if (std::ranges::any_of(chain, [&](const ProcStat& seen) { return seen.pid == parent; })) {
      throw std::runtime_error(fmt::format("ancestry of {}: pid {} seen twice", pid, parent));
    }
    chain.push_back(read_proc_stat(parent));
  }
  return chain;
  // [/slide]
  // END SOLUTION
}

}  // namespace ids
