// Lab 03: EMFILE on purpose. The soft RLIMIT_NOFILE bounds fd numbers, so how many more fds fit
// depends on which numbers below it are taken already; afterwards nothing may be left open.
#include <gmock/gmock.h>
#include <sys/resource.h>

#include <cerrno>
#include <map>
#include <string>

#include "emfile.hpp"
#include "rlimit_checks.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;
using namespace rltest;
using testing::HasSubstr;

SYSLAB_TEST(Emfile, OpensExactlyUpToTheSoftLimit, 3,
            "lower the soft limit with a guard (scoped_soft_limit), then open(2) /dev/null in a "
            "loop until it fails with EMFILE",
            "own each fd in an fdio::UniqueFd kept in a std::vector: when the vector goes out of "
            "scope they are all closed; count them before that",
            "already_open is the number of fds below the limit before you begin (fdio::list_fds, "
            "called before the limit is lowered: listing /proc/self/fd needs an fd too)") {
  const std::map<int, std::string> before = open_fds();
  const rlimit limit_before = raw_limit(RLIMIT_NOFILE);
  constexpr rlim_t kMore = 5;
  const rlim_t soft = before.size() + kMore;
  // With fds 0..n-1 open, that is all of them and kMore fit; a stray high fd would not count.
  const std::size_t below = count_below(before, soft);

  const rlim::EmfileReport report = rlim::open_until_emfile(soft);
  SCOPED_TRACE(rlim::to_string(report));
  EXPECT_EQ(report.opened, soft - below);
  EXPECT_EQ(report.error, EMFILE);
  EXPECT_THAT(report.message, HasSubstr("EMFILE"));
  EXPECT_EQ(report.soft_limit, soft);
  EXPECT_EQ(report.already_open, below);
  EXPECT_EQ(report.highest_fd, static_cast<int>(soft) - 1)
      << "fd numbers stop just below the limit";

  EXPECT_EQ(open_fds(), before) << "every fd the experiment opened must be closed again";
  EXPECT_EQ(raw_limit(RLIMIT_NOFILE).rlim_cur, limit_before.rlim_cur)
      << "the limit was not restored";
  EXPECT_EQ(proc_limit("Max open files").soft, proc_text(limit_before.rlim_cur));
}

SYSLAB_TEST(Emfile, CountsFdsAlreadyOpenIncludingHoles, 2,
            "open(2) returns the lowest free fd number: a hole left by a close is filled first",
            "count what you opened, not soft_limit - 3: stdin, stdout and stderr are not the only "
            "fds a process may have",
            "with the soft limit below the fds already open, the very first open fails: opened 0") {
  TestPipe first = make_pipe();
  const TestPipe second = make_pipe();
  first.read_end.reset();  // a hole below the other three
  const std::map<int, std::string> before = open_fds();
  const rlim_t soft = static_cast<rlim_t>(before.rbegin()->first) + 1 + 3;
  const std::size_t below = count_below(before, soft);

  const rlim::EmfileReport report = rlim::open_until_emfile(soft);
  SCOPED_TRACE(rlim::to_string(report));
  EXPECT_EQ(report.already_open, below);
  EXPECT_EQ(report.opened, soft - below) << "3 above the highest fd, and the hole";
  EXPECT_EQ(report.error, EMFILE);
  EXPECT_EQ(report.highest_fd, static_cast<int>(soft) - 1);
  EXPECT_EQ(open_fds(), before);

  const rlim::EmfileReport none = rlim::open_until_emfile(2);
  SCOPED_TRACE(rlim::to_string(none));
  EXPECT_EQ(none.opened, 0U);
  EXPECT_EQ(none.error, EMFILE);
  EXPECT_EQ(none.already_open, count_below(before, 2));
  EXPECT_EQ(none.highest_fd, -1);
  EXPECT_EQ(open_fds(), before);
}
