// Lab 02, tasks 1-3: the owning fd type, the borrowed view, and creating fds close-on-exec.
// Every check is made on the kernel's view: /proc/self/fd for what is open, /proc/self/fdinfo for
// the flags, and a child started with exec for what crosses exec.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <concepts>
#include <cstring>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "fd_io.hpp"
#include "fd_raii_test_util.hpp"
#include "unique_fd.hpp"

using namespace fd_raii_test;
using fdio::BorrowedFd;
using fdio::UniqueFd;

namespace {

// `!fd` must not compile: fd 0 is a valid fd, and the test would read as "not open".
template <typename T>
concept Negatable = requires(const T& value) {
  !value;
};

}  // namespace

SYSLAB_TEST(
    UniqueFd, DestructorClosesTheFd, 2,
    "close(2) belongs in reset(); the destructor calls reset() with no argument",
    "reset() closes the fd it owns now, if it owns one (fd_ >= 0), and then stores the new one",
    "void reset(int fd) noexcept { if (fd_ >= 0) ::close(fd_); fd_ = fd; }  (then keep errno, "
    "and see the reset test for reset(get()))") {
  static_assert(std::is_nothrow_destructible_v<UniqueFd>,
                "a destructor that throws ends the program");
  const auto [read_end, write_end] = raw_pipe();
  {
    const UniqueFd reader(read_end);
    const UniqueFd writer(write_end);
    ASSERT_TRUE(is_open(read_end) && is_open(write_end));
    EXPECT_TRUE(reader.ok());
    EXPECT_EQ(writer.get(), write_end);
  }
  EXPECT_FALSE(is_open(read_end)) << "the UniqueFd that owned fd " << read_end << " left it open";
  EXPECT_FALSE(is_open(write_end)) << "the UniqueFd that owned fd " << write_end << " left it open";
}

SYSLAB_TEST(
    UniqueFd, ResetClosesTheOldFdAndOwnsTheNew, 2,
    "reset(fd): close what you own now, then own fd; reset() alone just closes",
    "after reset() the object owns nothing: get() is -1 and ok() is false",
    "reset(get()) must not close the fd it is asked to keep: skip the close when fd == fd_") {
  const auto [first, second] = raw_pipe();
  UniqueFd fd(first);
  fd.reset(second);
  EXPECT_FALSE(is_open(first)) << "reset(other) did not close the fd owned before";
  EXPECT_TRUE(is_open(second)) << "reset(fd) closed the fd it was given";
  EXPECT_EQ(fd.get(), second);

  fd.reset(fd.get());  // owning the same fd again: nothing to close
  EXPECT_TRUE(is_open(second)) << "reset(get()) closed the fd it was asked to keep";
  EXPECT_EQ(fd.get(), second);

  fd.reset();
  EXPECT_FALSE(is_open(second)) << "reset() did not close the fd";
  EXPECT_EQ(fd.get(), -1);
  EXPECT_FALSE(fd.ok());
}

SYSLAB_TEST(UniqueFd, ReleaseGivesUpOwnershipWithoutClosing, 1,
            "release() hands the fd to the caller: return it, and forget it",
            "after release() the object must own nothing, or its destructor closes the fd anyway",
            "int release() noexcept { int fd = fd_; fd_ = -1; return fd; }") {
  const auto [read_end, write_end] = raw_pipe();
  const UniqueFd writer(write_end);
  int released = -1;
  {
    UniqueFd reader(read_end);
    released = reader.release();
    EXPECT_EQ(released, read_end);
    EXPECT_FALSE(reader.ok());
    EXPECT_EQ(reader.get(), -1);
  }
  EXPECT_TRUE(is_open(read_end)) << "fd " << read_end << " was closed although it was released";
  if (released >= 0) ::close(released);  // it is ours now
}

SYSLAB_TEST(
    UniqueFd, IsMoveOnlyAndMovedFromIsEmpty, 2,
    "the move constructor takes the fd with other.release(): there is one owner at a time",
    "a moved-from UniqueFd must own nothing, or two objects close the same fd",
    "vector<UniqueFd> moves its elements when it grows: a copy or a lost fd shows up there") {
  static_assert(!std::is_copy_constructible_v<UniqueFd>, "two owners would close the fd twice");
  static_assert(!std::is_copy_assignable_v<UniqueFd>);
  static_assert(std::is_nothrow_move_constructible_v<UniqueFd>);
  static_assert(std::is_nothrow_move_assignable_v<UniqueFd>);
  static_assert(!Negatable<UniqueFd>, "if (!fd) must not compile: write if (!fd.ok())");
  static_assert(!std::is_constructible_v<bool, const UniqueFd&>,
                "no operator bool, not even explicit");
  static_assert(!std::is_convertible_v<const UniqueFd&, int>, "no implicit conversion to int");
  static_assert(!std::is_convertible_v<int, UniqueFd>, "taking ownership must be explicit");

  const auto [read_end, write_end] = raw_pipe();
  UniqueFd source(read_end);
  const UniqueFd target(std::move(source));
  EXPECT_EQ(target.get(), read_end);
  EXPECT_FALSE(source.ok()) << "a moved-from UniqueFd still owns fd " << source.get();  // NOLINT
  const UniqueFd writer(write_end);

  const std::size_t before = fd_count();
  {
    std::vector<UniqueFd> many;
    for (int i = 0; i < 40; ++i) many.emplace_back(::fcntl(write_end, F_DUPFD_CLOEXEC, 0));
    EXPECT_EQ(fd_count(), before + 40) << "fds were closed while the vector moved them";
  }
  EXPECT_EQ(fd_count(), before) << "fds were left open after the vector of UniqueFd was destroyed";
  EXPECT_TRUE(is_open(read_end));
}

SYSLAB_TEST(
    UniqueFd, MoveAssignmentClosesTheOldFdAndSelfMoveKeepsIt, 2,
    "a = std::move(b): a's old fd must be closed, b must end up empty",
    "write it as reset(other.release()): release first, then reset closes the old fd",
    "a = std::move(a): release() empties a, then reset(fd) owns the same fd again, no close") {
  const auto [read_end, write_end] = raw_pipe();
  UniqueFd a(read_end);
  UniqueFd b(write_end);
  a = std::move(b);
  EXPECT_FALSE(is_open(read_end)) << "move assignment leaked the fd the target owned";
  EXPECT_EQ(a.get(), write_end);
  EXPECT_FALSE(b.ok());  // NOLINT(bugprone-use-after-move): that is what is tested

  UniqueFd& same = a;
  a = std::move(same);
  EXPECT_EQ(a.get(), write_end) << "self-move lost the fd";
  EXPECT_TRUE(is_open(write_end)) << "self-move closed the fd";
}

SYSLAB_TEST(BorrowedFd, LendsWithoutOwning, 1,
            "BorrowedFd only remembers the number; it has no destructor of its own",
            "the I/O functions take a BorrowedFd: pass them the UniqueFd itself",
            "make_pipe() and write_all()/read_exact() must work for this test to run") {
  static_assert(std::is_convertible_v<const UniqueFd&, BorrowedFd>, "lending is implicit");
  static_assert(!std::is_convertible_v<int, BorrowedFd>, "a bare int must be lent explicitly");
  static_assert(std::is_constructible_v<BorrowedFd, int>);
  static_assert(!std::is_constructible_v<BorrowedFd, UniqueFd&&>, "a view of a temporary dangles");
  static_assert(std::is_trivially_copyable_v<BorrowedFd>,
                "cheap to pass by value, like string_view");
  static_assert(!Negatable<BorrowedFd>);

  fdio::Pipe pipe = fdio::make_pipe();
  {
    const BorrowedFd view = pipe.write_end;
    EXPECT_EQ(view.get(), pipe.write_end.get());
    EXPECT_TRUE(fdio::write_all(view, "lent").done());
  }
  EXPECT_TRUE(is_open(pipe.write_end.get())) << "a BorrowedFd closed the fd it only borrowed";
  char got[4];
  EXPECT_TRUE(fdio::read_exact(BorrowedFd(pipe.read_end.get()), got).done());
  EXPECT_EQ(std::string(got, 4), "lent");
}

SYSLAB_TEST(
    UniqueFd, NoFdLeaksWhenAnExceptionUnwinds, 2,
    "every fd the lab creates must be owned by a UniqueFd from the moment it exists",
    "open_file, make_pipe and dup_fd return UniqueFd: nothing to close by hand",
    "if an fd is created and then something throws before it is wrapped, it leaks: wrap at once") {
  TempDir dir;
  const std::map<int, std::string> before = open_fds();
  const auto build_then_fail = [&] {
    const UniqueFd file = fdio::open_file(dir / "scratch", O_RDWR | O_CREAT);
    const fdio::Pipe pipe = fdio::make_pipe();
    std::vector<UniqueFd> copies;
    for (int i = 0; i < 8; ++i) copies.push_back(fdio::dup_fd(file));
    EXPECT_EQ(open_fds().size(), before.size() + 11);
    // The last open fails: the exception unwinds through everything made above.
    const UniqueFd missing = fdio::open_file(dir / "no-such-file", O_RDONLY);
  };
  EXPECT_THROW(build_then_fail(), std::system_error);
  EXPECT_EQ(open_fds(), before) << "fds were left open when the exception unwound the stack";

  const auto fail_in_the_middle = [&] {
    const fdio::Pipe pipe = fdio::make_pipe();
    throw std::runtime_error("something unrelated went wrong");
  };
  EXPECT_THROW(fail_in_the_middle(), std::runtime_error);
  EXPECT_EQ(open_fds(), before) << "a pipe was left open when an exception unwound the stack";
}

SYSLAB_TEST(
    CloseOnExec, EveryNewFdHasIt, 2,
    "look at /proc/self/fdinfo/N: its flags: line has O_CLOEXEC (02000000) when the fd has it",
    "open(2) takes O_CLOEXEC, pipe2(2) takes O_CLOEXEC, fcntl(2) has F_DUPFD_CLOEXEC",
    "set it in the same call that makes the fd: a fork in another thread between open and "
    "fcntl(F_SETFD) would leak it into the child") {
  TempDir dir;
  write_file(dir / "data", "some bytes");
  const UniqueFd file = fdio::open_file(dir / "data", O_RDONLY);
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(has_cloexec(file.get())) << "open_file must add O_CLOEXEC";
  EXPECT_EQ(kernel_flags(file.get()) & O_ACCMODE, O_RDONLY);

  const UniqueFd appender = fdio::open_file(dir / "log", O_WRONLY | O_CREAT | O_APPEND, 0600);
  EXPECT_TRUE(has_cloexec(appender.get()));
  EXPECT_EQ(kernel_flags(appender.get()) & (O_ACCMODE | O_APPEND), O_WRONLY | O_APPEND)
      << "open_file must pass the caller's flags on";

  const fdio::Pipe pipe = fdio::make_pipe(O_NONBLOCK);
  for (const int end : {pipe.read_end.get(), pipe.write_end.get()}) {
    EXPECT_TRUE(has_cloexec(end)) << "make_pipe must use pipe2(O_CLOEXEC)";
    EXPECT_TRUE(kernel_flags(end) & O_NONBLOCK) << "make_pipe must add extra_flags";
  }

  const OwnedFd plain(::open((dir / "data").c_str(), O_RDONLY));  // no O_CLOEXEC on purpose
  ASSERT_FALSE(has_cloexec(plain.get()));
  const UniqueFd copy = fdio::dup_fd(BorrowedFd(plain.get()));
  EXPECT_TRUE(has_cloexec(copy.get())) << "dup_fd must set close-on-exec on the new fd";
  EXPECT_FALSE(has_cloexec(plain.get())) << "close-on-exec belongs to each fd, not to the file";
}

SYSLAB_TEST(OpenFile, ErrorsNameTheCallAndThePath, 1,
            "on failure, throw straight away with syslab::throw_errno(\"open\", path)",
            "the error's code() is the errno, and what() reads open \"PATH\": <text> (ENAME)",
            "read errno before any other call can change it") {
  TempDir dir;
  const std::string missing = dir / "missing";
  try {
    const UniqueFd fd = fdio::open_file(missing, O_RDONLY);
    ADD_FAILURE() << "opening a missing file did not throw";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(error.what()).find("open \"" + missing + "\""), std::string::npos)
        << "the message must name the call and the path: " << error.what();
    EXPECT_NE(std::string(error.what()).find("ENOENT"), std::string::npos) << error.what();
  }
  write_file(dir / "exists", "");
  try {
    const UniqueFd fd = fdio::open_file(dir / "exists", O_WRONLY | O_CREAT | O_EXCL);
    ADD_FAILURE() << "O_CREAT | O_EXCL on an existing file did not throw";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code(), std::errc::file_exists) << error.what();
    EXPECT_NE(std::string(error.what()).find(dir / "exists"), std::string::npos) << error.what();
  }
}

SYSLAB_TEST(CloseOnExec, ExecedChildSeesOnlyFdsWithoutIt, 3,
            "the child is fdls, started with fork and exec: it lists the fds it inherited",
            "fds made by open_file, make_pipe and dup_fd must not reach it; a plain open(2) does",
            "fdls lists /proc/self/fd; list_fds() must work for this test to pass") {
  TempDir dir;
  write_file(dir / "inherited", "");
  write_file(dir / "private", "");
  const OwnedFd inherited(::open((dir / "inherited").c_str(), O_RDONLY));  // no O_CLOEXEC
  ASSERT_GE(inherited.get(), 0);
  const UniqueFd hidden = fdio::open_file(dir / "private", O_RDONLY);
  const fdio::Pipe pipe = fdio::make_pipe();
  const UniqueFd copy = fdio::dup_fd(BorrowedFd(inherited.get()));
  const std::map<int, std::string> ours = open_fds();

  const ProgramResult result = run_program({program_path("fdls")});
  ASSERT_TRUE(result.status.success()) << result.status << "\n" << result.err;
  std::map<int, std::string> theirs;  // fd -> target, from fdls's table
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    int fd = -1;
    std::string word, last;
    if (!(words >> fd)) continue;  // the header
    while (words >> word) last = word;
    theirs[fd] = last;
  }
  EXPECT_EQ(theirs[inherited.get()], dir / "inherited")
      << "an fd without close-on-exec must cross exec\nfdls said:\n"
      << result.out;
  for (const int fd : {hidden.get(), pipe.read_end.get(), pipe.write_end.get(), copy.get()}) {
    if (!theirs.contains(fd)) continue;  // fds 0-2 are the child's own stdin, stdout, stderr
    EXPECT_NE(theirs[fd], ours.at(fd))
        << "fd " << fd << " -> " << ours.at(fd) << " crossed exec: it lacks close-on-exec\n"
        << result.out;
  }
}

SYSLAB_TEST(UniqueFd, DestructorKeepsErrno, 1,
            "a destructor runs between a failed call and the caller's look at errno: "
            "`UniqueFd tmp = ...; if (read(...) < 0) report(errno)` must report read's errno",
            "close(2) sets errno when it fails; save errno before it and put it back after",
            "const int saved = errno; ::close(fd_); errno = saved;") {
  // fd 4000 is not open here, so close(2) fails with EBADF: the one way to make it fail on cue.
  constexpr int kNotOpen = 4000;
  ASSERT_FALSE(is_open(kNotOpen));
  {
    UniqueFd stale(kNotOpen);
    errno = ENOENT;  // what a failed call just before the end of the scope left
  }
  EXPECT_EQ(errno, ENOENT) << "the destructor changed errno from ENOENT to " << std::strerror(errno)
                           << ": the close it made overwrote the caller's error";
  errno = ENOENT;
  UniqueFd other(kNotOpen);
  other.reset();
  EXPECT_EQ(errno, ENOENT) << "reset() changed errno from ENOENT to " << std::strerror(errno);
}
