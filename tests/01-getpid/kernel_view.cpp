#include "kernel_view.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "syslab/proc.hpp"

namespace getpid_test {

using namespace syslab::test;

ids::ProcStat kernel_stat(pid_t pid) {
  const std::optional<StatLine> line = read_stat(pid);
  if (!line) throw std::runtime_error("no /proc/" + std::to_string(pid) + "/stat: it is gone");
  return {.pid = line->pid,
          .comm = line->comm,
          .state = line->state,
          .ppid = line->ppid,
          .pgid = line->pgrp,
          .sid = line->session};
}

KernelIds kernel_ids(pid_t pid) {
  const std::optional<std::string> uids = status_field(pid, "Uid");
  const std::optional<std::string> gids = status_field(pid, "Gid");
  KernelIds found;
  std::istringstream uid_fields(uids.value_or(""));
  std::istringstream gid_fields(gids.value_or(""));
  if (!(uid_fields >> found.uids[0] >> found.uids[1] >> found.uids[2]) ||
      !(gid_fields >> found.gids[0] >> found.gids[1] >> found.gids[2])) {
    throw std::runtime_error("no Uid:/Gid: lines in /proc/" + std::to_string(pid) + "/status");
  }
  return found;
}

void PrintTo(const KernelIds& ids, std::ostream* out) {
  *out << "{uids " << ids.uids[0] << "/" << ids.uids[1] << "/" << ids.uids[2] << ", gids "
       << ids.gids[0] << "/" << ids.gids[1] << "/" << ids.gids[2] << "}";
}

KernelIds own_ids() {
  KernelIds own;
  if (::getresuid(&own.uids[0], &own.uids[1], &own.uids[2]) != 0 ||
      ::getresgid(&own.gids[0], &own.gids[1], &own.gids[2]) != 0) {
    throw std::system_error(errno, std::generic_category(), "getresuid/getresgid");
  }
  return own;
}

KernelIds ids_of(const ids::Identity& identity) {
  return {{identity.ruid, identity.euid, identity.suid},
          {identity.rgid, identity.egid, identity.sgid}};
}

pid_t unused_pid() { return static_cast<pid_t>(std::stol(read_file("/proc/sys/kernel/pid_max"))); }

std::string to_line(const ids::Identity& id) {
  std::ostringstream out;
  out << id.pid << ' ' << id.ppid << ' ' << id.pgid << ' ' << id.sid << ' ' << id.ruid << ' '
      << id.euid << ' ' << id.suid << ' ' << id.rgid << ' ' << id.egid << ' ' << id.sgid << ' '
      << id.comm;
  return out.str();
}

std::optional<ids::Identity> from_line(const std::string& line) {
  std::istringstream in(line);
  ids::Identity id;
  if (!(in >> id.pid >> id.ppid >> id.pgid >> id.sid >> id.ruid >> id.euid >> id.suid >> id.rgid >>
        id.egid >> id.sgid) ||
      in.get() != ' ') {
    return std::nullopt;
  }
  std::getline(in, id.comm);  // the rest of the line: a name may hold spaces
  return id;
}

std::string user_text(uid_t uid) {
  const passwd* entry = ::getpwuid(uid);
  return std::to_string(uid) + (entry != nullptr ? "(" + std::string(entry->pw_name) + ")" : "");
}

std::string group_text(gid_t gid) {
  const group* entry = ::getgrgid(gid);
  return std::to_string(gid) + (entry != nullptr ? "(" + std::string(entry->gr_name) + ")" : "");
}

uid_t uid_without_name() {
  for (uid_t uid = 3'999'999'000;; ++uid) {
    if (::getpwuid(uid) == nullptr) return uid;
  }
}

gid_t gid_without_name() {
  for (gid_t gid = 3'999'999'000;; ++gid) {
    if (::getgrgid(gid) == nullptr) return gid;
  }
}

std::vector<std::pair<std::string, std::string>> key_values(const std::string& output) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const auto space = line.find(' ');
    if (space == std::string::npos) {
      pairs.emplace_back(line, "");
    } else {
      pairs.emplace_back(line.substr(0, space), line.substr(space + 1));
    }
  }
  return pairs;
}

HeldChild::HeldChild(const std::function<std::string()>& setup) {
  child_.emplace([&]() {
    hold_.write_end.reset();  // or the child would hold its own release open
    report_.read_end.reset();
    const std::string report = setup();
    for (size_t done = 0; done < report.size();) {
      const ssize_t n =
          ::write(report_.write_end.get(), report.data() + done, report.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 2;
      done += static_cast<size_t>(n);
    }
    report_.write_end.reset();
    char byte = 0;
    while (::read(hold_.read_end.get(), &byte, 1) < 0 && errno == EINTR) {
    }
    return 0;
  });
  report_.write_end.reset();  // so that the report ends (EOF) when the child closes its copy
  hold_.read_end.reset();
}

std::string HeldChild::report(const Deadline& deadline) {
  std::string text;
  while (report_.read_end.get() >= 0 && wait_readable(report_.read_end.get(), deadline)) {
    char buffer[4096];
    const ssize_t n = ::read(report_.read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      report_.read_end.reset();
      break;
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

std::optional<ExitStatus> HeldChild::release(const Deadline& deadline) {
  hold_.write_end.reset();
  return child_->wait(deadline);
}

}  // namespace getpid_test

namespace ids {

void PrintTo(const Identity& identity, std::ostream* out) {
  *out << "{pid " << identity.pid << ", ppid " << identity.ppid << ", pgid " << identity.pgid
       << ", sid " << identity.sid << ", comm \"" << identity.comm << "\", uids " << identity.ruid
       << "/" << identity.euid << "/" << identity.suid << ", gids " << identity.rgid << "/"
       << identity.egid << "/" << identity.sgid << "}";
}

void PrintTo(const ProcStat& stat, std::ostream* out) {
  *out << "{pid " << stat.pid << ", comm \"" << stat.comm << "\", state " << stat.state << ", ppid "
       << stat.ppid << ", pgid " << stat.pgid << ", sid " << stat.sid << "}";
}

}  // namespace ids
