#include "rlimit_checks.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <system_error>

namespace rltest {

using namespace syslab::test;

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

}  // namespace

rlimit raw_limit(int resource) {
  rlimit limit{};
  if (::getrlimit(resource, &limit) != 0) throw_errno("getrlimit " + std::to_string(resource));
  return limit;
}

void raw_set_limit(int resource, rlimit limit) {
  if (::setrlimit(resource, &limit) != 0) throw_errno("setrlimit " + std::to_string(resource));
}

std::string proc_text(rlim_t value) {
  return value == RLIM_INFINITY ? "unlimited" : std::to_string(value);
}

RestoreAtEnd::RestoreAtEnd(int resource) : resource_(resource), saved_(raw_limit(resource)) {}

RestoreAtEnd::~RestoreAtEnd() { ::setrlimit(resource_, &saved_); }

std::map<std::string, ProcRow> parse_proc_limits(const std::string& text) {
  std::map<std::string, ProcRow> rows;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // the header: Limit  Soft Limit  Hard Limit  Units
  while (std::getline(lines, line)) {
    if (line.size() < 26) continue;
    ProcRow row;
    std::istringstream values(line.substr(25));
    values >> row.soft >> row.hard >> row.units;  // some rows have no units
    rows[trim(line.substr(0, 25))] = row;
  }
  return rows;
}

ProcRow proc_limit(const std::string& row, const std::string& pid) {
  const auto rows = parse_proc_limits(read_file("/proc/" + pid + "/limits"));
  const auto found = rows.find(row);
  EXPECT_NE(found, rows.end()) << "no row \"" << row << "\" in /proc/" << pid << "/limits";
  return found != rows.end() ? found->second : ProcRow{};
}

const std::vector<KnownResource>& all_resources() {
  static const std::vector<KnownResource> resources = {
      {RLIMIT_CPU, "CPU", "Max cpu time"},
      {RLIMIT_FSIZE, "FSIZE", "Max file size"},
      {RLIMIT_DATA, "DATA", "Max data size"},
      {RLIMIT_STACK, "STACK", "Max stack size"},
      {RLIMIT_CORE, "CORE", "Max core file size"},
      {RLIMIT_RSS, "RSS", "Max resident set"},
      {RLIMIT_NPROC, "NPROC", "Max processes"},
      {RLIMIT_NOFILE, "NOFILE", "Max open files"},
      {RLIMIT_MEMLOCK, "MEMLOCK", "Max locked memory"},
      {RLIMIT_AS, "AS", "Max address space"},
      {RLIMIT_LOCKS, "LOCKS", "Max file locks"},
      {RLIMIT_SIGPENDING, "SIGPENDING", "Max pending signals"},
      {RLIMIT_MSGQUEUE, "MSGQUEUE", "Max msgqueue size"},
      {RLIMIT_NICE, "NICE", "Max nice priority"},
      {RLIMIT_RTPRIO, "RTPRIO", "Max realtime priority"},
      {RLIMIT_RTTIME, "RTTIME", "Max realtime timeout"},
  };
  return resources;
}

std::size_t count_below(const std::map<int, std::string>& fds, rlim_t limit) {
  std::size_t count = 0;
  for (const auto& [fd, target] : fds) count += static_cast<rlim_t>(fd) < limit ? 1 : 0;
  return count;
}

ParkedChild::ParkedChild(rlim_t nofile_soft) : ready_(make_pipe()) {
  child_.emplace([this, nofile_soft] {
    ready_.read_end.reset();
    rlimit limit = raw_limit(RLIMIT_NOFILE);
    limit.rlim_cur = nofile_soft;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return 1;
    write_text(ready_.write_end.get(), "x");
    ready_.write_end.reset();  // EOF: the parent stops reading
    for (;;) ::pause();        // until the destructor's SIGKILL
  });
  ready_.write_end.reset();
  if (read_until_eof(ready_.read_end.get(), Deadline(5s)).value_or("") != "x") {
    throw std::runtime_error("the parked child did not set its limit");
  }
}

ChildOutcome run_in_child(const std::function<std::string()>& body) {
  TestPipe channel = make_pipe();
  ForkedChild child([&]() -> int {
    channel.read_end.reset();
    std::string report;
    int code = 0;
    try {
      report = body();
    } catch (const std::exception& error) {
      report = std::string("threw: ") + error.what();
      code = ForkedChild::kThrew;
    }
    write_text(channel.write_end.get(), report);
    return code;
  });
  channel.write_end.reset();
  const Deadline deadline(5s);
  ChildOutcome outcome;
  outcome.report = read_until_eof(channel.read_end.get(), deadline).value_or("");
  const std::optional<ExitStatus> status = child.wait(deadline);
  if (status) {
    outcome.status = *status;
  } else {
    outcome.status.timed_out = true;
  }
  return outcome;
}

std::string drop_privileges_if_root() {
  if (::geteuid() != 0)
    return "not root (uid " + std::to_string(::geteuid()) + "): nothing to drop";
  if (!in_initial_user_namespace())
    return "root in a user namespace: its capabilities do not count";
  constexpr uid_t kNobody = 65534;
  // Groups first: once the uid is not 0, setgroups and setresgid are no longer allowed.
  if (::setgroups(0, nullptr) != 0) throw_errno("setgroups");
  if (::setresgid(kNobody, kNobody, kNobody) != 0) throw_errno("setresgid");
  if (::setresuid(kNobody, kNobody, kNobody) != 0) throw_errno("setresuid");
  if (has_cap_sys_resource())
    throw std::runtime_error("still has CAP_SYS_RESOURCE after setresuid");
  return "dropped root: uid and gid 65534";
}

Thrown system_error_from(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::system_error& error) {
    return {true, error.code().value(), error.what()};
  }
  return {};
}

bool in_initial_user_namespace() {
  std::istringstream map(read_file("/proc/self/uid_map"));
  unsigned long long inside = 1, outside = 1, count = 0;
  map >> inside >> outside >> count;
  return inside == 0 && outside == 0 && count == 4294967295ULL;
}

bool can_raise_hard_limits() { return has_cap_sys_resource() && in_initial_user_namespace(); }

bool has_cap_sys_resource() {
  const std::string status = read_file("/proc/self/status");
  const auto at = status.find("\nCapEff:");
  if (at == std::string::npos) throw std::runtime_error("no CapEff: line in /proc/self/status");
  const unsigned long long effective = std::stoull(status.substr(at + 8), nullptr, 16);
  return ((effective >> CAP_SYS_RESOURCE) & 1U) != 0;
}

}  // namespace rltest
