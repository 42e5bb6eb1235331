// Lab 02, tasks 6-7: the fd table from /proc/PID/fd and /proc/PID/fdinfo, and the two programs,
// fdls and copy, run as a user would run them.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fd_raii_test_util.hpp"
#include "fd_table.hpp"
#include "unique_fd.hpp"

using namespace fd_raii_test;
using fdio::UniqueFd;

namespace {

// The entry for fd in a table, or a failure that shows the table.
const fdio::FdInfo* find_fd(const std::vector<fdio::FdInfo>& table, int fd) {
  for (const fdio::FdInfo& entry : table) {
    if (entry.fd == fd) return &entry;
  }
  ADD_FAILURE() << "fd " << fd << " is missing from the table of " << table.size() << " fds";
  return nullptr;
}

// "O_WRONLY|O_APPEND" -> {"O_WRONLY", "O_APPEND"}
std::vector<std::string> split_flags(const std::string& text) {
  std::vector<std::string> names;
  std::istringstream parts(text);
  for (std::string name; std::getline(parts, name, '|');) names.push_back(name);
  return names;
}

// The line of fdls's output that ends with target, or "".
std::string line_ending_with(const std::string& out, const std::string& target) {
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() >= target.size() && line.ends_with(target)) return line;
  }
  return "";
}

}  // namespace

SYSLAB_TEST(ListFds, ShowsEachFdWithTargetFlagsAndOffset, 2,
            "each name in /proc/self/fd is an fd number; readlink(2) on it gives the target",
            "/proc/self/fdinfo/N has pos: (decimal) and flags: (octal); leave out the fd of the "
            "directory you are reading (dirfd(3))",
            "opendir, readdir until NULL, readlinkat(dirfd, name), read fdinfo with open_file + "
            "read_to_eof, parse_fdinfo, sort by fd; skip an fd that vanished (ENOENT)") {
  TempDir dir;
  write_file(dir / "digits", "0123456789");
  const UniqueFd file = fdio::open_file(dir / "digits", O_RDONLY);
  char three[3];
  ASSERT_EQ(without_faults([&] { return ::read(file.get(), three, 3); }), 3);
  const fdio::Pipe pipe = fdio::make_pipe(O_NONBLOCK);

  const std::vector<fdio::FdInfo> table = fdio::list_fds();
  const std::map<int, std::string> kernel = open_fds();
  std::set<int> listed;
  for (const fdio::FdInfo& entry : table) listed.insert(entry.fd);
  std::set<int> expected;
  for (const auto& [fd, target] : kernel) expected.insert(fd);
  EXPECT_EQ(listed, expected) << "the table must hold every open fd but the directory's own";
  EXPECT_TRUE(std::is_sorted(table.begin(), table.end(),
                             [](const auto& a, const auto& b) { return a.fd < b.fd; }));

  if (const fdio::FdInfo* entry = find_fd(table, file.get())) {
    EXPECT_EQ(entry->target, dir / "digits");
    EXPECT_EQ(entry->pos, 3) << "3 bytes were read: the offset is 3";
    EXPECT_EQ(entry->access_mode(), O_RDONLY);
    EXPECT_TRUE(entry->cloexec());
  }
  if (const fdio::FdInfo* entry = find_fd(table, pipe.write_end.get())) {
    EXPECT_EQ(entry->target, kernel.at(pipe.write_end.get()));
    EXPECT_TRUE(entry->target.starts_with("pipe:[")) << entry->target;
    EXPECT_EQ(entry->access_mode(), O_WRONLY);
    EXPECT_TRUE(entry->flags & O_NONBLOCK);
  }
}

SYSLAB_TEST(
    ListFds, ReadsAnotherProcessAndNamesAMissingOne, 1,
    "list_fds(pid) reads /proc/PID instead of /proc/self",
    "a process that does not exist has no /proc/PID/fd: opendir fails with ENOENT",
    "throw with syslab::throw_errno(\"open\", \"/proc/PID/fd\") so the error names the path") {
  TempDir dir;
  write_file(dir / "shared", "");
  const UniqueFd file = fdio::open_file(dir / "shared", O_RDONLY);
  fdio::Pipe hold = fdio::make_pipe();
  ForkedChild child([&] {
    hold.write_end.reset();
    char byte;
    const FaultsPaused handshake;
    return ::read(hold.read_end.get(), &byte, 1) == 0 ? 0 : 1;  // waits for the parent's close
  });
  std::vector<fdio::FdInfo> table;
  EXPECT_NO_THROW(table = fdio::list_fds(child.pid()));
  if (const fdio::FdInfo* entry = find_fd(table, file.get())) {
    EXPECT_EQ(entry->target, dir / "shared") << "the child inherited this fd across fork";
  }
  hold.write_end.reset();
  const auto status = child.wait(Deadline(5s));
  ASSERT_TRUE(status.has_value() && status->success());

  const std::string missing = "/proc/" + std::to_string(child.pid()) + "/fd";  // reaped: gone
  try {
    table = fdio::list_fds(child.pid());
    ADD_FAILURE() << "listing a process that is gone did not throw";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::no_such_file_or_directory) << error.what();
    EXPECT_NE(std::string(error.what()).find(missing), std::string::npos)
        << "the error must name " << missing << ": " << error.what();
  }
}

SYSLAB_TEST(
    Fdinfo, ParsesFieldsAndNamesFlags, 1,
    "fdinfo lines look like \"pos:\\t42\"; flags: is octal (std::from_chars with base 8)",
    "describe_flags: the access mode is flags & O_ACCMODE (O_RDONLY is 0); then test each flag",
    "print bits you have no name for in octal with a leading 0, so nothing is hidden") {
  const fdio::FdinfoFields fields =
      fdio::parse_fdinfo("pos:\t42\nflags:\t02104001\nmnt_id:\t15\nino:\t4242\n");
  EXPECT_EQ(fields.pos, 42);
  EXPECT_EQ(fields.flags, 02104001);
  EXPECT_THROW((void)fdio::parse_fdinfo("mnt_id:\t15\n"), std::invalid_argument);
  EXPECT_THROW((void)fdio::parse_fdinfo("pos:\tfoo\nflags:\t0\n"), std::invalid_argument);

  EXPECT_EQ(fdio::describe_flags(O_RDONLY), "O_RDONLY");
  const std::vector<std::string> names =
      split_flags(fdio::describe_flags(O_WRONLY | O_APPEND | O_CLOEXEC));
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "O_WRONLY") << "the access mode comes first";
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()),
            (std::set<std::string>{"O_WRONLY", "O_APPEND", "O_CLOEXEC"}));
  const std::vector<std::string> rdwr = split_flags(fdio::describe_flags(O_RDWR | O_NONBLOCK));
  EXPECT_EQ(std::set<std::string>(rdwr.begin(), rdwr.end()),
            (std::set<std::string>{"O_RDWR", "O_NONBLOCK"}));
  EXPECT_NE(fdio::describe_flags(O_RDONLY | 040000000).find("040000000"), std::string::npos)
      << "a bit without a name must still be shown, in octal: " << fdio::describe_flags(040000000);
}

SYSLAB_TEST(Fdls, ShowsAProcessTableWithFlagsAndOffsets, 2,
            "fdls PID prints one line per fd: number, offset, flags by name, target",
            "it is list_fds(pid) and describe_flags(flags), printed",
            "run it by hand: ./fdls $$ in a shell, then compare with ls -l /proc/$$/fd") {
  TempDir dir;
  write_file(dir / "watched", "abcdefgh");
  const UniqueFd file = fdio::open_file(dir / "watched", O_RDONLY);
  char four[4];
  ASSERT_EQ(without_faults([&] { return ::read(file.get(), four, 4); }), 4);
  const ProgramResult result = run_program({program_path("fdls"), std::to_string(::getpid())});
  ASSERT_TRUE(result.status.success()) << result.status << "\n" << result.err;
  const std::string line = line_ending_with(result.out, dir / "watched");
  ASSERT_FALSE(line.empty()) << "no line for " << dir / "watched"
                             << " in:\n"
                             << result.out;
  std::istringstream words(line);
  int fd = -1;
  long long pos = -1;
  std::string flags;
  words >> fd >> pos >> flags;
  EXPECT_EQ(fd, file.get()) << line;
  EXPECT_EQ(pos, 4) << line;
  const std::vector<std::string> names = split_flags(flags);
  EXPECT_NE(std::find(names.begin(), names.end(), "O_RDONLY"), names.end()) << line;
  EXPECT_NE(std::find(names.begin(), names.end(), "O_CLOEXEC"), names.end()) << line;
}

SYSLAB_TEST(Fdls, HelpAndErrors, 1, "--help prints the usage and exits 0; a bad argument exits 2",
            "a process that does not exist is an error: a message naming /proc/PID/fd, exit 1",
            "catch the exception in main, print \"fdls: \" + what() to stderr, return 1") {
  const ProgramResult help = run_program({program_path("fdls"), "--help"});
  EXPECT_EQ(help.status.code, 0) << help.status;
  EXPECT_NE(help.out.find("usage"), std::string::npos) << help.out;
  const ProgramResult bad = run_program({program_path("fdls"), "not-a-pid"});
  EXPECT_EQ(bad.status.code, 2) << bad.status;

  // A pid that existed and was reaped: nobody has it now.
  pid_t gone = -1;
  {
    ForkedChild child([] { return 0; });
    gone = child.pid();
    ASSERT_TRUE(child.wait(Deadline(5s)).has_value());
  }
  const ProgramResult missing = run_program({program_path("fdls"), std::to_string(gone)});
  EXPECT_EQ(missing.status.code, 1) << missing.status;
  EXPECT_NE(missing.err.find("/proc/" + std::to_string(gone) + "/fd"), std::string::npos)
      << "the error must name the path: " << missing.err;
  EXPECT_NE(missing.err.find("ENOENT"), std::string::npos) << missing.err;
}

SYSLAB_TEST(
    Copy, CopiesEveryByte, 2,
    "copy reads chunks with read_some and writes each with write_all until read_some says kEof",
    "write exactly got.count bytes of each chunk: the last one is usually short",
    "a DST that exists is truncated first; DST may also be a pipe, such as /dev/stdout") {
  TempDir dir;
  std::string data = pattern(3 * 1024 * 1024 + 17);
  data[1000] = '\0';
  write_file(dir / "src", data);
  write_file(dir / "dst", std::string(4 * 1024 * 1024, 'x'));  // longer: must be truncated
  const ProgramResult result = run_program({program_path("copy"), dir / "src", dir / "dst"});
  ASSERT_TRUE(result.status.success()) << result.status << "\n" << result.err;
  const std::string copied = read_file(dir / "dst");
  EXPECT_EQ(copied.size(), data.size());
  EXPECT_TRUE(copied == data) << "the copy differs from the source";

  const ProgramResult to_pipe = run_program({program_path("copy"), dir / "src", "/dev/stdout"});
  ASSERT_TRUE(to_pipe.status.success()) << to_pipe.status << "\n" << to_pipe.err;
  EXPECT_EQ(to_pipe.out.size(), data.size());
  EXPECT_TRUE(to_pipe.out == data) << "copying into a pipe lost or reordered bytes";
}

SYSLAB_TEST(
    Copy, ErrorsNameThePathAndExitOne, 1,
    "every failure is one line on stderr naming the call and the file, and exit status 1",
    "read_some and write_all name \"fd N\"; catch std::system_error and name the path instead",
    "copy a directory: read fails with EISDIR; copy to /dev/full: write fails with ENOSPC") {
  TempDir dir;
  write_file(dir / "src", "some bytes");
  const auto run = [](const std::vector<std::string>& args) {
    std::vector<std::string> argv{program_path("copy")};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv);
  };
  const ProgramResult missing = run({dir / "missing", dir / "out"});
  EXPECT_EQ(missing.status.code, 1) << missing.status;
  EXPECT_NE(missing.err.find("open \"" + (dir / "missing") + "\""), std::string::npos)
      << missing.err;
  EXPECT_NE(missing.err.find("ENOENT"), std::string::npos) << missing.err;

  const ProgramResult directory = run({dir.path(), dir / "out"});
  EXPECT_EQ(directory.status.code, 1) << directory.status;
  EXPECT_NE(directory.err.find("read \"" + dir.path() + "\""), std::string::npos) << directory.err;
  EXPECT_NE(directory.err.find("EISDIR"), std::string::npos) << directory.err;

  const ProgramResult full = run({dir / "src", "/dev/full"});
  EXPECT_EQ(full.status.code, 1) << full.status;
  EXPECT_NE(full.err.find("write \"/dev/full\""), std::string::npos) << full.err;
  EXPECT_NE(full.err.find("ENOSPC"), std::string::npos) << full.err;

  EXPECT_EQ(run({"--help"}).status.code, 0);
  EXPECT_EQ(run({}).status.code, 2);
}
