// Lab 01, tasks 4 to 6: another process's identity from /proc (read_proc_identity), its chain of
// parents (ancestry), and names for ids (user_name, group_name).
#include <gmock/gmock.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <vector>

#include "identity.hpp"
#include "kernel_view.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace getpid_test;
using testing::HasSubstr;

namespace {

constexpr std::chrono::seconds kBudget{5};

void expect_clean_exit(HeldChild& child) {
  const std::optional<ExitStatus> status = child.release(Deadline(kBudget));
  ASSERT_TRUE(status.has_value()) << "the child did not exit after it was released";
  EXPECT_TRUE(status->success()) << "the child " << *status;
}

// A held child in a process group of its own, under a name of its own.
HeldChild make_renamed_group_leader() {
  return HeldChild([] {
    if (::setpgid(0, 0) != 0 || ::prctl(PR_SET_NAME, "held child") != 0) {
      throw std::system_error(errno, std::generic_category(), "setpgid/prctl");
    }
    return std::string("ready");
  });
}

}  // namespace

SYSLAB_TEST(
    ProcIdentity, SelfMatchesSyscalls, 2,
    "read_proc_identity(getpid()) reads /proc/PID/stat (pids and comm) and /proc/PID/status "
    "(the Uid: and Gid: lines): it must agree with what the system calls say.",
    "/proc files report a size of 0: read until read() returns 0. In /proc/PID/status the "
    "Uid: line is \"Uid:\\treal\\teffective\\tsaved\\tfilesystem\".",
    "Reuse parse_proc_stat for the stat file; in the status text find \"\\nUid:\" and "
    "\"\\nGid:\" and read three numbers after each.") {
  const ids::Identity identity = ids::read_proc_identity(::getpid());
  EXPECT_EQ(identity.pid, ::getpid());
  EXPECT_EQ(identity.ppid, ::getppid());
  EXPECT_EQ(identity.pgid, ::getpgrp());
  EXPECT_EQ(identity.sid, ::getsid(0));
  EXPECT_EQ(identity.comm, kernel_stat(::getpid()).comm);
  EXPECT_EQ(ids_of(identity), own_ids()) << "vs getresuid and getresgid";
}

SYSLAB_TEST(ProcIdentity, ReadsAnotherLiveProcess, 2,
            "read_proc_identity(pid) works for any process: build the paths from the pid you are "
            "given, not from \"self\".",
            "The child here is in a process group of its own (setpgid(0, 0)) and is called "
            "\"held child\", with a space: the comm is everything between the parentheses.",
            "\"/proc/\" + std::to_string(pid) + \"/stat\" and \"/status\"; every field of the "
            "Identity, comm included, comes from those two files.") {
  HeldChild child = make_renamed_group_leader();
  ASSERT_EQ(child.report(Deadline(kBudget)), "ready") << "the child could not set itself up";
  const ids::Identity identity = ids::read_proc_identity(child.pid());
  EXPECT_EQ(identity.pid, child.pid());
  EXPECT_EQ(identity.ppid, ::getpid()) << "the child's parent is this test";
  EXPECT_EQ(identity.pgid, child.pid()) << "the child leads a process group of its own";
  EXPECT_EQ(identity.sid, ::getsid(0)) << "but stays in this test's session";
  EXPECT_EQ(identity.comm, "held child");
  EXPECT_EQ(ids_of(identity), own_ids()) << "the child has this test's ids";
  expect_clean_exit(child);
}

SYSLAB_TEST(ProcIdentity, MissingPidNamesProcPath, 1,
            "A pid with no process has no /proc/PID directory: open(2) fails with ENOENT, and the "
            "error must say which file could not be read.",
            "Throw std::system_error carrying errno (syslab::throw_errno(\"open\", path) does it), "
            "right after the failing call, before anything can change errno.",
            "int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC); if (fd < 0) "
            "syslab::throw_errno(\"open\", path);") {
  const pid_t missing = unused_pid();
  const std::string dir = "/proc/" + std::to_string(missing) + "/";
  try {
    static_cast<void>(ids::read_proc_identity(missing));
    FAIL() << "read_proc_identity(" << missing << ") returned, but there is no such process";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::no_such_file_or_directory) << error.what();
    EXPECT_THAT(error.what(), HasSubstr(dir)) << "the message should name the file";
  }
}

SYSLAB_TEST(Ancestry, ChainEndsAtInit, 2,
            "ancestry(pid) starts with pid itself, then its parent, and so on: each entry's pid is "
            "the previous entry's ppid. It stops after the process whose ppid is 0.",
            "Read /proc/PID/stat with parse_proc_stat, then move to its ppid. A process whose ppid "
            "is 0 (pid 1, or the first process of a container) is the last one.",
            "std::vector<ProcStat> chain{read(pid)}; while (chain.back().ppid != 0) "
            "chain.push_back(read(chain.back().ppid));") {
  HeldChild child = make_renamed_group_leader();
  ASSERT_EQ(child.report(Deadline(kBudget)), "ready") << "the child could not set itself up";
  // The same walk, done by the test with its own parser.
  std::vector<ids::ProcStat> expected{kernel_stat(child.pid())};
  while (expected.back().ppid != 0) expected.push_back(kernel_stat(expected.back().ppid));

  const std::vector<ids::ProcStat> chain = ids::ancestry(child.pid());
  ASSERT_EQ(chain.size(), expected.size()) << "the child, this test, then its parents up to pid 1";
  for (size_t i = 0; i < chain.size(); ++i) {
    SCOPED_TRACE("ancestry(" + std::to_string(child.pid()) + ")[" + std::to_string(i) + "]");
    // The state letter may change between two reads; everything else may not.
    EXPECT_EQ(chain[i].pid, expected[i].pid);
    EXPECT_EQ(chain[i].ppid, expected[i].ppid);
    EXPECT_EQ(chain[i].pgid, expected[i].pgid);
    EXPECT_EQ(chain[i].sid, expected[i].sid);
    EXPECT_EQ(chain[i].comm, expected[i].comm);
  }
  EXPECT_EQ(chain[0].comm, "held child");
  EXPECT_THROW(static_cast<void>(ids::ancestry(unused_pid())), std::system_error)
      << "ancestry of a pid that no process has";
  expect_clean_exit(child);
}

SYSLAB_TEST(Names, UserAndGroupNames, 1,
            "getpwuid_r(3) and getgrgid_r(3) look an id up in the user database (/etc/passwd, "
            "/etc/group, or what nsswitch.conf(5) says). An id with no entry is not an error.",
            "Both want a buffer for the strings. They return 0 with a null result pointer when the "
            "id has no entry, ERANGE when the buffer is too small (grow it and try again), and "
            "another error number when the lookup failed.",
            "std::vector<char> buffer(1024); passwd entry; passwd* found = nullptr; int error = "
            "getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found); "
            "found ? entry.pw_name : nullopt.") {
  const auto expected_user = [](uid_t uid) -> std::optional<std::string> {
    const passwd* entry = ::getpwuid(uid);
    return entry != nullptr ? std::optional<std::string>(entry->pw_name) : std::nullopt;
  };
  const auto expected_group = [](gid_t gid) -> std::optional<std::string> {
    const group* entry = ::getgrgid(gid);
    return entry != nullptr ? std::optional<std::string>(entry->gr_name) : std::nullopt;
  };
  for (const uid_t uid : {static_cast<uid_t>(0), ::getuid(), static_cast<uid_t>(65534)}) {
    EXPECT_EQ(ids::user_name(uid), expected_user(uid)) << "user_name(" << uid << ")";
  }
  for (const gid_t gid : {static_cast<gid_t>(0), ::getgid(), static_cast<gid_t>(65534)}) {
    EXPECT_EQ(ids::group_name(gid), expected_group(gid)) << "group_name(" << gid << ")";
  }
  EXPECT_EQ(ids::user_name(uid_without_name()), std::nullopt) << "a uid with no entry";
  EXPECT_EQ(ids::group_name(gid_without_name()), std::nullopt) << "a gid with no entry";
}
