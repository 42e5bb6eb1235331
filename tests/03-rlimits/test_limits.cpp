// Lab 03: reading and setting limits, the scoped guard and raising RLIMIT_NOFILE, each checked
// against the kernel's own view: getrlimit(2) and /proc/self/limits.
#include <gmock/gmock.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "rlimit_checks.hpp"
#include "rlimits.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace rltest;
using testing::HasSubstr;

namespace {

// The soft RLIMIT_NOFILE as /proc/self/limits shows it.
std::string proc_nofile_soft() { return proc_limit("Max open files").soft; }

}  // namespace

SYSLAB_TEST(Limits, GetMatchesGetrlimitAndProcSelfLimits, 2,
            "get_limit is getrlimit(2): rlim_cur is the soft limit, rlim_max the hard one",
            "compare with `cat /proc/self/limits`; RLIM_INFINITY is what it shows as \"unlimited\"",
            "rlimit raw{}; if (::getrlimit(resource, &raw) != 0) syslab::throw_errno(...); "
            "return {raw.rlim_cur, raw.rlim_max};") {
  for (const KnownResource& resource : all_resources()) {
    SCOPED_TRACE(resource.short_name);
    const rlim::Limit limit = rlim::get_limit(resource.id);
    const rlimit raw = raw_limit(resource.id);
    EXPECT_EQ(limit.soft, raw.rlim_cur);
    EXPECT_EQ(limit.hard, raw.rlim_max);
    const ProcRow row = proc_limit(resource.proc_row);
    EXPECT_EQ(rlim::format_value(limit.soft), row.soft);
    EXPECT_EQ(rlim::format_value(limit.hard), row.hard);
  }
}

SYSLAB_TEST(Limits, GetReadsAnotherProcessWithPrlimit, 2,
            "prlimit(2) reads (and sets) another process's limits: one of the same user, or any "
            "with CAP_SYS_RESOURCE; pass a null new_limit to only read",
            "pid 0 means the calling process; a pid that does not exist gives ESRCH",
            "::prlimit(pid, static_cast<__rlimit_resource>(resource), nullptr, &raw); the error "
            "names prlimit, the pid and the resource") {
  const ParkedChild child(33);
  const rlim::Limit limit = rlim::get_limit(RLIMIT_NOFILE, child.pid());
  EXPECT_EQ(limit, (rlim::Limit{33, raw_limit(RLIMIT_NOFILE).rlim_max}))
      << "the child set its soft RLIMIT_NOFILE to 33";
  EXPECT_EQ(rlim::format_value(limit.soft),
            proc_limit("Max open files", std::to_string(child.pid())).soft);
  EXPECT_EQ(rlim::get_limit(RLIMIT_CORE, 0), rlim::get_limit(RLIMIT_CORE)) << "pid 0 is self";

  // pid_max itself is never a pid: pids are below it.
  const int no_such_pid = std::stoi(read_file("/proc/sys/kernel/pid_max"));
  const Thrown thrown =
      system_error_from([&] { (void)rlim::get_limit(RLIMIT_NOFILE, no_such_pid); });
  EXPECT_TRUE(thrown.threw) << "prlimit on pid " << no_such_pid << " should fail";
  EXPECT_EQ(thrown.code, ESRCH) << thrown.what;
  EXPECT_THAT(thrown.what, HasSubstr(std::to_string(no_such_pid)));
  EXPECT_THAT(thrown.what, HasSubstr("RLIMIT_NOFILE"));
}

SYSLAB_TEST(Names, ResourcesAndValuesRoundTrip, 1,
            "known_resources() is the table: look names and numbers up in it",
            "accept \"RLIMIT_NOFILE\", \"NOFILE\" and \"nofile\"; parse_value reads \"unlimited\" "
            "and plain decimal numbers only",
            "std::from_chars into an rlim_t rejects signs and stops at the first non-digit: check "
            "that it used the whole text, and that it did not overflow") {
  ASSERT_EQ(rlim::known_resources().size(), all_resources().size());
  for (const KnownResource& resource : all_resources()) {
    SCOPED_TRACE(resource.short_name);
    EXPECT_EQ(rlim::resource_name(resource.id), "RLIMIT_" + resource.short_name);
    EXPECT_EQ(rlim::resource_from_name("RLIMIT_" + resource.short_name), resource.id);
    EXPECT_EQ(rlim::resource_from_name(resource.short_name), resource.id);
    std::string lower = resource.short_name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(rlim::resource_from_name(lower), resource.id);
  }
  EXPECT_THROW((void)rlim::resource_name(RLIM_NLIMITS + 3), std::invalid_argument);
  EXPECT_THROW((void)rlim::resource_from_name("FILES"), std::invalid_argument);
  EXPECT_THROW((void)rlim::resource_from_name(""), std::invalid_argument);

  EXPECT_EQ(rlim::parse_value("unlimited"), RLIM_INFINITY);
  EXPECT_EQ(rlim::parse_value("infinity"), RLIM_INFINITY);
  EXPECT_EQ(rlim::parse_value("0"), 0U);
  EXPECT_EQ(rlim::parse_value("1024"), 1024U);
  EXPECT_EQ(rlim::format_value(rlim::parse_value("1048576")), "1048576");
  EXPECT_EQ(rlim::format_value(RLIM_INFINITY), "unlimited");
  for (const char* bad :
       {"", "-1", "+5", " 5", "5 ", "10k", "0x10", "unlimitedx", "18446744073709551616"}) {
    EXPECT_THROW((void)rlim::parse_value(bad), std::invalid_argument) << "\"" << bad << "\"";
  }
}

SYSLAB_TEST(SetLimit, ChangesWhatTheKernelSees, 2,
            "set_limit is setrlimit(2) with both values; set_soft_limit keeps the hard one",
            "for set_soft_limit, read the hard limit first (get_limit), then set both",
            "look at /proc/self/limits after each call: the soft column must change, the hard "
            "one must not") {
  const RestoreAtEnd nofile(RLIMIT_NOFILE);
  const RestoreAtEnd core(RLIMIT_CORE);
  const rlim_t hard = nofile.saved().rlim_max;

  rlim::set_limit(RLIMIT_NOFILE, {77, hard});
  EXPECT_EQ(proc_nofile_soft(), "77");
  EXPECT_EQ(proc_limit("Max open files").hard, proc_text(hard));

  rlim::set_soft_limit(RLIMIT_NOFILE, 88);
  EXPECT_EQ(proc_nofile_soft(), "88");
  EXPECT_EQ(raw_limit(RLIMIT_NOFILE).rlim_max, hard) << "set_soft_limit changed the hard limit";

  // Any soft value up to the hard limit is allowed; 0 or 4096 bytes is, wherever we run.
  const rlim_t core_hard = core.saved().rlim_max;
  const rlim_t core_soft = core.saved().rlim_cur == 0 ? std::min<rlim_t>(core_hard, 4096) : 0;
  rlim::set_soft_limit(RLIMIT_CORE, core_soft);
  EXPECT_EQ(proc_limit("Max core file size").soft, proc_text(core_soft));
  EXPECT_EQ(proc_limit("Max core file size").hard, proc_text(core_hard));
}

SYSLAB_TEST(SetLimit, ErrorNamesTheResourceAndErrno, 2,
            "a soft limit above the hard one is refused with EINVAL; the kernel changes nothing",
            "throw with syslab::throw_errno right after the call fails, naming the call and the "
            "resource",
            "syslab::throw_errno(fmt::format(\"setrlimit {}\", name)) gives "
            "\"setrlimit RLIMIT_NOFILE: Invalid argument (EINVAL)\"") {
  // In a child: a set_limit that swapped soft and hard would lower this process's hard limit.
  const ChildOutcome outcome = run_in_child([] {
    const rlimit before = raw_limit(RLIMIT_NOFILE);
    std::string report;
    for (const auto& [resource, limit] : {std::pair{RLIMIT_NOFILE, rlim::Limit{100, 50}},
                                          std::pair{RLIMIT_CORE, rlim::Limit{2, 1}}}) {
      const Thrown thrown = system_error_from([&] { rlim::set_limit(resource, limit); });
      report += thrown.threw ? thrown.what + "\n" : "accepted soft above hard\n";
      if (thrown.threw && thrown.code != EINVAL) report += "code() is not EINVAL\n";
    }
    const rlimit after = raw_limit(RLIMIT_NOFILE);
    if (after.rlim_cur != before.rlim_cur || after.rlim_max != before.rlim_max) {
      report += "the failed call changed RLIMIT_NOFILE\n";
    }
    const Thrown thrown = system_error_from([] { (void)rlim::get_limit(1000); });
    report += thrown.threw ? thrown.what : "getrlimit accepted resource 1000";
    return report;
  });
  ASSERT_TRUE(outcome.status.success()) << outcome.status << ": " << outcome.report;
  EXPECT_THAT(outcome.report,
              testing::StartsWith("setrlimit RLIMIT_NOFILE: Invalid argument (EINVAL)\n"
                                  "setrlimit RLIMIT_CORE: Invalid argument (EINVAL)\n"));
  EXPECT_THAT(outcome.report, HasSubstr("getrlimit"));
  EXPECT_THAT(outcome.report, testing::EndsWith("1000: Invalid argument (EINVAL)"));
}

SYSLAB_TEST(ScopedLimit, RestoresPreviousLimitAtScopeExit, 2,
            "the constructor sets the new limit and remembers the old one; restore() sets the "
            "old one back",
            "the guard must restore once: disarm it in restore(), so that the destructor does "
            "nothing more",
            "prlimit(0, resource, &wanted, &old) sets and returns the old limit in one call; "
            "scoped_soft_limit builds a guard with the current hard limit") {
  const RestoreAtEnd nofile(RLIMIT_NOFILE);
  const rlimit before = nofile.saved();
  const std::string before_text = proc_nofile_soft();
  {
    const rlim::ScopedLimit outer(RLIMIT_NOFILE, {64, before.rlim_max});
    EXPECT_EQ(proc_nofile_soft(), "64");
    EXPECT_EQ(outer.previous(), (rlim::Limit{before.rlim_cur, before.rlim_max}));
    {
      const rlim::ScopedLimit inner = rlim::scoped_soft_limit(RLIMIT_NOFILE, 32);
      EXPECT_EQ(proc_nofile_soft(), "32");
      EXPECT_EQ(raw_limit(RLIMIT_NOFILE).rlim_max, before.rlim_max);
    }
    EXPECT_EQ(proc_nofile_soft(), "64") << "the inner guard must restore the outer one's limit";
  }
  EXPECT_EQ(proc_nofile_soft(), before_text);

  try {
    const rlim::ScopedLimit guard(RLIMIT_NOFILE, {48, before.rlim_max});
    throw std::runtime_error("leaving the scope early");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(proc_nofile_soft(), before_text) << "an exception ended the scope: restore anyway";

  {
    rlim::ScopedLimit guard(RLIMIT_NOFILE, {40, before.rlim_max});
    guard.restore();
    EXPECT_FALSE(guard.armed());
    EXPECT_EQ(proc_nofile_soft(), before_text);
    raw_set_limit(RLIMIT_NOFILE, {50, before.rlim_max});  // a later change the guard must keep
  }
  EXPECT_EQ(proc_nofile_soft(), "50") << "the destructor restored a second time";
}

SYSLAB_TEST(ScopedLimit, MovedGuardRestoresExactlyOnce, 2,
            "a move hands the restore over: the moved-from guard must restore nothing",
            "move-assigning ends the target's own scope first: it restores what it holds, then "
            "takes over the other guard's restore",
            "mark a guard disarmed with resource_ = -1; std::exchange(other.resource_, -1) moves "
            "and disarms in one step") {
  const RestoreAtEnd nofile(RLIMIT_NOFILE);
  const rlim_t hard = nofile.saved().rlim_max;
  const std::string before = proc_nofile_soft();

  std::optional<rlim::ScopedLimit> kept;
  {
    rlim::ScopedLimit guard(RLIMIT_NOFILE, {48, hard});
    kept.emplace(std::move(guard));
    EXPECT_FALSE(guard.armed());  // NOLINT(bugprone-use-after-move): that is the point
    EXPECT_TRUE(kept->armed());
  }
  EXPECT_EQ(proc_nofile_soft(), "48") << "the moved-from guard restored the limit";
  kept.reset();
  EXPECT_EQ(proc_nofile_soft(), before) << "the guard it was moved into did not restore";

  {
    rlim::ScopedLimit first(RLIMIT_NOFILE, {40, hard});  // will restore `before`
    {
      rlim::ScopedLimit second(RLIMIT_NOFILE, {30, hard});  // will restore 40
      second = std::move(first);
      EXPECT_EQ(proc_nofile_soft(), "40") << "move assignment: the target restores its own first";
      EXPECT_FALSE(first.armed());  // NOLINT(bugprone-use-after-move)
    }
    EXPECT_EQ(proc_nofile_soft(), before);
    raw_set_limit(RLIMIT_NOFILE, {50, hard});  // `first`, moved from, must not undo this
  }
  EXPECT_EQ(proc_nofile_soft(), "50") << "a moved-from guard restored a limit";
}

SYSLAB_TEST(RaiseNofile, RaisesSoftLimitToHardLimit, 2,
            "any process may raise its soft limit up to its hard limit, without privileges",
            "read both limits, set soft = hard, return the new soft limit",
            "if soft < hard: set_limit(RLIMIT_NOFILE, {hard, hard}); return hard;") {
  const RestoreAtEnd nofile(RLIMIT_NOFILE);
  const rlim_t hard = nofile.saved().rlim_max;
  raw_set_limit(RLIMIT_NOFILE, {100, hard});

  EXPECT_EQ(rlim::raise_nofile_soft_limit(), hard);
  EXPECT_EQ(proc_nofile_soft(), proc_text(hard));
  EXPECT_EQ(proc_limit("Max open files").hard, proc_text(hard));

  EXPECT_EQ(rlim::raise_nofile_soft_limit(), hard) << "already at the hard limit";
  EXPECT_EQ(raw_limit(RLIMIT_NOFILE).rlim_cur, hard);
}
