#include "identity.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "syslab/error.hpp"

namespace ids {

Identity current_identity() {
  // BEGIN SOLUTION: fill an Identity from getpid, getppid, getpgrp, getsid(0), getresuid and getresgid
  Identity self;
  self.pid = ::getpid();
  self.ppid = ::getppid();
  self.pgid = ::getpgrp();
  self.sid = ::getsid(0);
  ::getresuid(&self.ruid, &self.euid, &self.suid);
  ::getresgid(&self.rgid, &self.egid, &self.sgid);
  return self;
  // END SOLUTION
}

ProcStat parse_proc_stat(std::string_view line) {
  // BEGIN SOLUTION: split "pid (comm) state ppid pgrp session ..."; comm ends at the LAST ')'
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    throw std::invalid_argument("not a /proc/PID/stat line: " + std::string(line.substr(0, 80)));
  }
  ProcStat stat;
  stat.comm = std::string(line.substr(open + 1, close - open - 1));
  std::istringstream head{std::string(line.substr(0, open))};
  std::istringstream tail{std::string(line.substr(close + 1))};
  if (!(head >> stat.pid) || !(tail >> stat.state >> stat.ppid >> stat.pgid >> stat.sid)) {
    throw std::invalid_argument("not a /proc/PID/stat line: " + std::string(line.substr(0, 80)));
  }
  return stat;
  // END SOLUTION
}

// BEGIN SOLUTION
namespace {

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) syslab::throw_errno("open", path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "Uid:\t1000\t1000\t1000\t1000" -> real, effective, saved (the fourth is the filesystem id).
template <typename Id>
void parse_id_line(const std::string& status, std::string_view key, Id& real, Id& effective,
                   Id& saved) {
  const auto at = status.find(std::string("\n") + std::string(key));
  if (at == std::string::npos) throw std::invalid_argument("no " + std::string(key) + " line");
  std::istringstream fields(status.substr(at + 1 + key.size()));
  if (!(fields >> real >> effective >> saved)) {
    throw std::invalid_argument("malformed " + std::string(key) + " line");
  }
}

}  // namespace
// END SOLUTION

Identity read_proc_identity(pid_t pid) {
  // BEGIN SOLUTION: parse /proc/PID/stat for the pids and the Uid:/Gid: lines of /proc/PID/status
  const std::string dir = "/proc/" + std::to_string(pid);
  const ProcStat stat = parse_proc_stat(read_whole_file(dir + "/stat"));
  const std::string status = read_whole_file(dir + "/status");
  Identity identity{stat.pid, stat.ppid, stat.pgid, stat.sid};
  parse_id_line(status, "Uid:", identity.ruid, identity.euid, identity.suid);
  parse_id_line(status, "Gid:", identity.rgid, identity.egid, identity.sgid);
  return identity;
  // END SOLUTION
}

}  // namespace ids
