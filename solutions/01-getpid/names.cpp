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

namespace ids {

// BEGIN SOLUTION
namespace {

// [slide:lookup_name-1]
// getpwuid_r and getgrgid_r share one shape: the caller lends a buffer for the entry's strings,
// and ERANGE means "too small, try a bigger one". Unlike getpwuid, nothing is kept in a static
// buffer, so two lookups (or two threads) cannot overwrite each other's result.
// `name` is the member that holds the name: &passwd::pw_name or &group::gr_name.
template <typename Entry, typename Id, typename Lookup>
std::optional<std::string> lookup_name(Lookup lookup, char* Entry::*name, Id id,
                                       std::string_view call) {
  constexpr size_t kLargestBuffer = 1 << 20;  // a sane bound for one entry's strings
                                              // [/slide]
                                              // [slide:lookup_name-2]
  std::vector<char> buffer(1024);
  for (;;) {
    Entry entry{};
    Entry* found = nullptr;
    const int error = lookup(id, &entry, buffer.data(), buffer.size(), &found);
    if (error == ERANGE && buffer.size() < kLargestBuffer) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    // "Not found" is found == nullptr with 0, or, for some NSS modules, ENOENT (getpwnam(3)).
    if (error != 0 && error != ENOENT) syslab::throw_error(error, call, std::to_string(id));
    if (found == nullptr) return std::nullopt;
    return std::string(entry.*name);
  }
}
// [/slide]

}  // namespace
// END SOLUTION

std::optional<std::string> user_name(uid_t uid) {
  // BEGIN SOLUTION: look uid up with getpwuid_r (grow the buffer on ERANGE); nullopt when it has no entry
  return lookup_name<passwd>(::getpwuid_r, &passwd::pw_name, uid, "getpwuid_r");
  // END SOLUTION
}

std::optional<std::string> group_name(gid_t gid) {
  // BEGIN SOLUTION: look gid up with getgrgid_r (grow the buffer on ERANGE); nullopt when it has no entry
  return lookup_name<group>(::getgrgid_r, &group::gr_name, gid, "getgrgid_r");
  // END SOLUTION
}

namespace {

// "1000(alice)", or "1000" when the id has no name.
std::string id_text(unsigned id, const std::optional<std::string>& name) {
  return name ? fmt::format("{}({})", id, *name) : fmt::format("{}", id);
}

}  // namespace

// [slide:format_identity]
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
// [/slide]

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
