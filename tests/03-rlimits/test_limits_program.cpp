// Lab 03: the limits program, seen from outside: its table against /proc/PID/limits, a command
// run under new soft limits, and its exit statuses.
#include <gmock/gmock.h>
#include <sys/resource.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "rlimit_checks.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace rltest;
using testing::HasSubstr;

namespace {

// "NOFILE -> (soft, hard)", from the program's table: name, soft and hard are its first columns.
std::map<std::string, std::pair<std::string, std::string>> parse_table(const std::string& out) {
  std::map<std::string, std::pair<std::string, std::string>> table;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string name, soft, hard;
    if (words >> name >> soft >> hard) table[name] = {soft, hard};
  }
  return table;
}

// Every resource's row of the table must say what /proc/<pid>/limits says.
void expect_table_matches_proc(const std::string& out, const std::string& pid) {
  const auto table = parse_table(out);
  const auto proc = parse_proc_limits(read_file("/proc/" + pid + "/limits"));
  for (const KnownResource& resource : all_resources()) {
    SCOPED_TRACE(resource.short_name + " (" + resource.proc_row + ")");
    const auto row = table.find(resource.short_name);
    ASSERT_NE(row, table.end()) << "no line starts with " << resource.short_name << " in:\n" << out;
    EXPECT_EQ(row->second.first, proc.at(resource.proc_row).soft) << out;
    EXPECT_EQ(row->second.second, proc.at(resource.proc_row).hard) << out;
  }
}

ProgramResult limits(std::vector<std::string> args) {
  args.insert(args.begin(), program_path("limits"));
  return run_program(args);
}

}  // namespace

SYSLAB_TEST(LimitsProgram, ListsLimitsOfItselfAndOfAPid, 2,
            "one line per resource: the short name (NOFILE), then soft and hard, then the unit",
            "the program inherits the test's limits, so its table must match the test's "
            "/proc/self/limits; with --pid N, get_limit(resource, N) asks prlimit(2)",
            "format each value with format_value, so that RLIM_INFINITY prints as \"unlimited\"") {
  const ProgramResult self = limits({});
  ASSERT_TRUE(self.status.success()) << self.status << "\n" << self.err;
  expect_table_matches_proc(self.out, "self");

  const ParkedChild child(33);
  const std::string pid = std::to_string(child.pid());
  const ProgramResult other = limits({"--pid", pid});
  ASSERT_TRUE(other.status.success()) << other.status << "\n" << other.err;
  expect_table_matches_proc(other.out, pid);
  EXPECT_EQ(parse_table(other.out)["NOFILE"].first, "33") << "the child's soft RLIMIT_NOFILE is 33";
}

SYSLAB_TEST(LimitsProgram, RunsCommandUnderNewSoftLimits, 2,
            "set the soft limits in the limits process itself, then execvp the command: limits "
            "survive execve",
            "the hard limits stay as they are (set_soft_limit); the command's exit status is the "
            "program's, because the command replaced it",
            "try it: ./limits --nofile 17 -- sh -c 'ulimit -n'") {
  ProgramResult result = limits({"--nofile", "17", "--", "/bin/sh", "-c", "ulimit -n"});
  ASSERT_TRUE(result.status.success()) << result.status << "\n" << result.err;
  EXPECT_EQ(result.out, "17\n");

  const rlim_t core = std::min<rlim_t>(raw_limit(RLIMIT_CORE).rlim_max, 4096);
  result = limits({"--nofile", "23", "--fsize", "5000", "--core", std::to_string(core), "--", "cat",
                   "/proc/self/limits"});
  ASSERT_TRUE(result.status.success()) << result.status << "\n" << result.err;
  const auto rows = parse_proc_limits(result.out);
  ASSERT_TRUE(rows.contains("Max open files")) << result.out;
  EXPECT_EQ(rows.at("Max open files").soft, "23");
  EXPECT_EQ(rows.at("Max open files").hard, proc_text(raw_limit(RLIMIT_NOFILE).rlim_max));
  EXPECT_EQ(rows.at("Max file size").soft, "5000");
  EXPECT_EQ(rows.at("Max file size").hard, proc_text(raw_limit(RLIMIT_FSIZE).rlim_max));
  EXPECT_EQ(rows.at("Max core file size").soft, proc_text(core));

  result = limits({"--nofile", "30", "--", "/bin/sh", "-c", "exit 7"});
  EXPECT_EQ(result.status.describe(), "exited 7") << result.err;
}

SYSLAB_TEST(LimitsProgram, RejectsBadUsageAndMissingCommands, 2,
            "a bad command line exits 2 with the usage on stderr; --help prints it on stdout and "
            "exits 0",
            "when execvp returns, it failed: print why and exit 127 if the command was not found "
            "(ENOENT), 126 if it could not be run",
            "parse_args throws UsageError; main catches it, prints the message and usage(), and "
            "returns 2") {
  const std::vector<std::vector<std::string>> bad = {
      {"--nofile", "abc", "--", "true"},
      {"--bogus"},
      {"--nofile", "5"},
      {"--nofile"},
      {"--nofile", "5", "--"},
      {"--pid"},
      {"--pid", "-3"},
      {"--pid", "1", "--", "true"},
      {"extra"},
  };
  for (const auto& args : bad) {
    std::string shown;
    for (const auto& arg : args) shown += " " + arg;
    SCOPED_TRACE("limits" + shown);
    const ProgramResult result = limits(args);
    EXPECT_EQ(result.status.describe(), "exited 2") << result.err;
    EXPECT_THAT(result.err, HasSubstr("usage:"));
  }

  const ProgramResult help = limits({"--help"});
  EXPECT_TRUE(help.status.success()) << help.status << "\n" << help.err;
  EXPECT_THAT(help.out, HasSubstr("usage:"));

  const ProgramResult missing = limits({"--nofile", "50", "--", "/no/such/command"});
  EXPECT_EQ(missing.status.describe(), "exited 127") << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("/no/such/command"));
  EXPECT_THAT(missing.err, HasSubstr("ENOENT"));

  const ProgramResult not_executable = limits({"--", "/etc/passwd"});
  EXPECT_EQ(not_executable.status.describe(), "exited 126") << not_executable.err;
  EXPECT_THAT(not_executable.err, HasSubstr("EACCES"));
}

// Twelve runs of a program built with sanitizers: room for a loaded machine.
SYSLAB_TIMEOUT(LimitsProgram, RejectsBadUsageAndMissingCommands, 30);
