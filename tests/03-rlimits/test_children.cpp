// Lab 03: limits that kill or cannot be undone, each tried in a forked child: RLIMIT_FSIZE and its
// SIGXFSZ, and who may raise a hard limit. As root (CI), a child first drops to uid 65534; as a
// normal user it already is unprivileged.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <system_error>

#include "fd_io.hpp"
#include "rlimit_checks.hpp"
#include "rlimits.hpp"
#include "syslab/test.hpp"
#include "unique_fd.hpp"

using namespace syslab::test;
using namespace rltest;
using testing::HasSubstr;

namespace {

constexpr rlim_t kFileLimit = 4096;

off_t file_size(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? info.st_size : -1;
}

// "soft 32 hard 20000", from getrlimit(2).
std::string raw_nofile() {
  const rlimit limit = raw_limit(RLIMIT_NOFILE);
  return "soft " + proc_text(limit.rlim_cur) + " hard " + proc_text(limit.rlim_max);
}

}  // namespace

SYSLAB_TEST(Fsize, WritingPastTheLimitKillsWithSigxfsz, 2,
            "RLIMIT_FSIZE is the largest file size a process may write: set its soft limit with "
            "set_limit",
            "a write that starts at or past the limit raises SIGXFSZ, whose default action "
            "kills the process (and dumps core)",
            "this test only needs set_limit(RLIMIT_FSIZE, {4096, hard}) to work; the kernel does "
            "the rest") {
  const TempDir dir;
  const std::string path = dir / "big";
  const ChildOutcome outcome = run_in_child([&] {
    ::prctl(PR_SET_DUMPABLE, 0);  // SIGXFSZ dumps core by default: not from a test
    ::signal(SIGXFSZ, SIG_DFL);   // whatever the parent did with it
    rlim::set_limit(RLIMIT_FSIZE, {kFileLimit, raw_limit(RLIMIT_FSIZE).rlim_max});
    const fdio::UniqueFd file = fdio::open_file(path, O_WRONLY | O_CREAT | O_TRUNC);
    const fdio::IoResult result = fdio::write_all(file, std::string(2 * kFileLimit, 'x'));
    return "still alive after writing " + std::to_string(result.count) + " bytes";
  });
  EXPECT_EQ(outcome.status.describe(), "killed by SIGXFSZ") << "the child said: " << outcome.report;
  EXPECT_EQ(file_size(path), static_cast<off_t>(kFileLimit))
      << "the bytes below the limit are written";
}

SYSLAB_TEST(Fsize, IgnoredSigxfszMakesTheWriteFailWithEfbig, 2,
            "with SIGXFSZ ignored, the process lives: the write fails with EFBIG instead",
            "a write that crosses the limit is short: it stops at the limit; the next one fails",
            "this test only needs set_limit(RLIMIT_FSIZE, {4096, hard}) to work") {
  const TempDir dir;
  const std::string path = dir / "big";
  const ChildOutcome outcome = run_in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    rlim::set_limit(RLIMIT_FSIZE, {kFileLimit, raw_limit(RLIMIT_FSIZE).rlim_max});
    const fdio::UniqueFd file = fdio::open_file(path, O_WRONLY | O_CREAT | O_TRUNC);
    const std::string block(2 * kFileLimit, 'x');
    const fdio::IoResult first = fdio::write_some(file, block);
    std::string report = "first write: " + std::to_string(first.count) + " bytes; second write: ";
    try {
      const fdio::IoResult second = fdio::write_some(file, block);
      report += std::to_string(second.count) + " bytes";
    } catch (const std::system_error& error) {
      report += std::string("failed with ") + ::strerrorname_np(error.code().value());
    }
    return report;
  });
  EXPECT_TRUE(outcome.status.success()) << outcome.status << ": " << outcome.report;
  EXPECT_EQ(outcome.report, "first write: 4096 bytes; second write: failed with EFBIG");
  EXPECT_EQ(file_size(path), static_cast<off_t>(kFileLimit));
}

SYSLAB_TEST(Privileges, UnprivilegedCannotRaiseHardLimit, 3,
            "lowering a hard limit is allowed to anyone; raising it needs CAP_SYS_RESOURCE",
            "the error must name the call and the resource: "
            "\"setrlimit RLIMIT_NOFILE: Operation not permitted (EPERM)\"",
            "set_limit throws with syslab::throw_errno(\"setrlimit \" + name) when setrlimit "
            "returns -1; errno is EPERM here") {
  const ChildOutcome outcome = run_in_child([] {
    std::string report = drop_privileges_if_root() + "\n";
    const rlimit start = raw_limit(RLIMIT_NOFILE);
    const rlim_t lower = start.rlim_max - 1;
    const rlim_t soft = std::min(start.rlim_cur, lower);
    rlim::set_limit(RLIMIT_NOFILE, {soft, lower});
    report += "lowered: " + raw_nofile() + "\n";
    const Thrown thrown = system_error_from([&] {
      rlim::set_limit(RLIMIT_NOFILE, {soft, start.rlim_max});
    });
    report +=
        (thrown.threw ? "raising it back failed: " + thrown.what : "raising it back worked") + "\n";
    report += "now: " + raw_nofile() + "\n";
    return report;
  });
  ASSERT_TRUE(outcome.status.success()) << outcome.status << ": " << outcome.report;
  EXPECT_THAT(
      outcome.report,
      HasSubstr(
          "raising it back failed: setrlimit RLIMIT_NOFILE: Operation not permitted (EPERM)"));
  const rlimit start = raw_limit(RLIMIT_NOFILE);
  const std::string lowered = "soft " + proc_text(std::min(start.rlim_cur, start.rlim_max - 1)) +
                              " hard " + proc_text(start.rlim_max - 1);
  EXPECT_THAT(outcome.report, HasSubstr("lowered: " + lowered + "\n"));
  EXPECT_THAT(outcome.report, HasSubstr("now: " + lowered + "\n"))
      << "a failed call changes nothing";
}

SYSLAB_TEST(Privileges, UnprivilegedMayLowerHardAndMoveSoftBelowIt, 2,
            "without privileges, the soft limit moves freely between 0 and the hard limit",
            "set_soft_limit keeps the hard limit as it is now; above it, the kernel says EINVAL",
            "set_soft_limit(r, soft) is set_limit(r, {soft, get_limit(r).hard})") {
  const ChildOutcome outcome = run_in_child([] {
    std::string report = drop_privileges_if_root() + "\n";
    const rlim_t hard = raw_limit(RLIMIT_NOFILE).rlim_max;
    rlim::set_soft_limit(RLIMIT_NOFILE, 32);
    report += raw_nofile() + "\n";
    rlim::set_soft_limit(RLIMIT_NOFILE, hard);
    report += raw_nofile() + "\n";
    rlim::set_limit(RLIMIT_NOFILE, {64, 128});
    report += raw_nofile() + "\n";
    rlim::set_soft_limit(RLIMIT_NOFILE, 128);
    report += raw_nofile() + "\n";
    const Thrown thrown = system_error_from([] { rlim::set_soft_limit(RLIMIT_NOFILE, 129); });
    report += thrown.threw ? std::string(::strerrorname_np(thrown.code)) : "129 was accepted";
    return report;
  });
  ASSERT_TRUE(outcome.status.success()) << outcome.status << ": " << outcome.report;
  const std::string hard = proc_text(raw_limit(RLIMIT_NOFILE).rlim_max);
  EXPECT_THAT(outcome.report,
              testing::EndsWith("\nsoft 32 hard " + hard + "\nsoft " + hard + " hard " + hard +
                                "\nsoft 64 hard 128\nsoft 128 hard 128\nEINVAL"));
}

SYSLAB_TEST(
    Privileges, RaisingHardLimitNeedsCapSysResource, 2,
    "it is the capability CAP_SYS_RESOURCE that may raise a hard limit, not uid 0 as such: "
    "root in a container may lack it",
    "grep Cap /proc/self/status; capsh --decode=... shows whether cap_sys_resource is there "
    "(in a user namespace, a rootless container, it does not count)",
    "nothing to change for this test if set_limit works and reports EPERM as the kernel "
    "does") {
  const bool privileged = can_raise_hard_limits();
  SCOPED_TRACE(privileged ? "this process has CAP_SYS_RESOURCE: raising the hard limit must work"
                          : "this process lacks CAP_SYS_RESOURCE (in the initial user namespace): "
                            "raising the hard limit must fail with EPERM");
  const ChildOutcome outcome = run_in_child([] {
    const rlimit start = raw_limit(RLIMIT_NOFILE);
    const rlim_t soft = std::min(start.rlim_cur, start.rlim_max - 1);
    rlim::set_limit(RLIMIT_NOFILE, {soft, start.rlim_max - 1});
    const Thrown thrown = system_error_from([&] {
      rlim::set_limit(RLIMIT_NOFILE, {soft, start.rlim_max});
    });
    return (thrown.threw ? thrown.what : "raised") + "; now " + raw_nofile();
  });
  ASSERT_TRUE(outcome.status.success()) << outcome.status << ": " << outcome.report;
  const rlimit start = raw_limit(RLIMIT_NOFILE);
  const std::string soft = proc_text(std::min(start.rlim_cur, start.rlim_max - 1));
  if (privileged) {
    EXPECT_EQ(outcome.report, "raised; now soft " + soft + " hard " + proc_text(start.rlim_max));
  } else {
    EXPECT_EQ(outcome.report,
              "setrlimit RLIMIT_NOFILE: Operation not permitted (EPERM); now soft " + soft +
                  " hard " + proc_text(start.rlim_max - 1));
  }
}
