// Names for ids, and the text whoami prints. The kernel knows only numbers; names come from the
// user database (/etc/passwd and /etc/group, or LDAP and the like through NSS), as `id` shows them.
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <ranges>
#include <string>
#include <vector>

#include "identity.hpp"
#include "syslab/error.hpp"
#include "syslab/todo.hpp"

namespace ids {

std::optional<std::string> user_name(uid_t uid) {
  SYSLAB_TODO("look uid up with getpwuid_r (grow the buffer on ERANGE); nullopt when it has no entry");
}

std::optional<std::string> group_name(gid_t gid) {
  SYSLAB_TODO("look gid up with getgrgid_r (grow the buffer on ERANGE); nullopt when it has no entry");
}

namespace {

// "1000(alice)", or "1000" when the id has no name.
std::string id_text(unsigned id, const std::optional<std::string>& name) {
  return name ? fmt::format("{}({})", id, *name) : fmt::format("{}", id);
}

}  // namespace

std::string format_identity(const Identity& identity) {
  const auto user = [](uid_t uid) { return id_text(uid, user_name(uid)); };
  const auto group = [](gid_t gid) { return id_text(gid, group_name(gid)); };
  return fmt::format(
      "pid {}\nppid {}\npgid {}\nsid {}\ncomm {}\n"
      "ruid {}\neuid {}\nsuid {}\nrgid {}\negid {}\nsgid {}\n",
      identity.pid, identity.ppid, identity.pgid, identity.sid, identity.comm,  //
      user(identity.ruid), user(identity.euid), user(identity.suid),            //
      group(identity.rgid), group(identity.egid), group(identity.sgid));
}

// Oldest ancestor first, each command indented by two spaces per generation, like ps --forest.
std::string format_ancestry(const std::vector<ProcStat>& chain) {
  std::string text =
      fmt::format("{:>7} {:>7} {:>7} {:>7}  {}\n", "PID", "PPID", "PGID", "SID", "COMM");
  size_t depth = 0;
  for (const ProcStat& process : chain | std::views::reverse) {
    text += fmt::format("{:>7} {:>7} {:>7} {:>7}  {:{}}{}\n", process.pid, process.ppid,
                        process.pgid, process.sid, "", 2 * depth++, process.comm);
  }
  return text;
}

}  // namespace ids
