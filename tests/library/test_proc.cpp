// The test library's own tests: syslab/proc.hpp, the /proc readers every lab's tests lean on.
// Not a lab: make test builds tests-library and requires every test to pass (tools/kit/kittest.py).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

#include "syslab/proc.hpp"
#include "syslab/test.hpp"

using namespace syslab::test;

namespace {

// A real line's tail after the session field (tty_nr ... exit_code), with utime 7 (field 14),
// stime 3 (field 15) and num_threads 5 (field 20).
constexpr const char* kTail =
    " 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 5 0 12345 1000000 200 18446744073709551615 1 1 0 0 0 "
    "0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0";

pid_t this_thread_tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

// A thread blocked in read(2) on a pipe until the test writes a byte (or the pipe is closed).
class ThreadBlockedInRead {
 public:
  ThreadBlockedInRead() {
    thread_ = std::thread([this] {
      tid_ = this_thread_tid();
      char byte = 0;
      while (::read(pipe_.read_end.get(), &byte, 1) < 0 && errno == EINTR) {
      }
    });
    const bool started = poll_until(Deadline(5s), [this] { return tid_.load() != 0; });
    if (!started) {
      write_text(pipe_.write_end.get(), "x");  // let it end: a joinable thread must not be left
      thread_.join();
      throw std::runtime_error("the reader thread did not start");
    }
  }
  ~ThreadBlockedInRead() {
    write_text(pipe_.write_end.get(), "x");
    thread_.join();
  }
  ThreadBlockedInRead(const ThreadBlockedInRead&) = delete;
  ThreadBlockedInRead& operator=(const ThreadBlockedInRead&) = delete;

  [[nodiscard]] pid_t tid() const { return tid_.load(); }

 private:
  TestPipe pipe_ = make_pipe();
  std::atomic<pid_t> tid_ = 0;
  std::thread thread_;
};

}  // namespace

SYSLAB_TEST(StatLine, TakesCommUpToTheLastParenthesis, 1,
            "comm runs from the first '(' to the last ')'") {
  const StatLine stat = parse_stat_line("4321 (a) b (c)) S 1 4321 4300" + std::string(kTail));
  EXPECT_EQ(stat.pid, 4321);
  EXPECT_EQ(stat.comm, "a) b (c)");
  EXPECT_EQ(stat.state, 'S');
  EXPECT_EQ(stat.ppid, 1);
  EXPECT_EQ(stat.pgrp, 4321);
  EXPECT_EQ(stat.session, 4300);
  EXPECT_EQ(stat.utime, 7);
  EXPECT_EQ(stat.stime, 3);
  EXPECT_EQ(stat.threads, 5);
}

SYSLAB_TEST(StatLine, RefusesWhatIsNotAStatLine, 1, "std::invalid_argument, never garbage") {
  EXPECT_THROW((void)parse_stat_line(""), std::invalid_argument);
  EXPECT_THROW((void)parse_stat_line("12 cat S 1 12 12"), std::invalid_argument);
  EXPECT_THROW((void)parse_stat_line("12 (cat) S 1 12 12"), std::invalid_argument);  // cut short
  EXPECT_THROW((void)parse_stat_line("x (cat) S 1 12 12" + std::string(kTail)),
               std::invalid_argument);
  EXPECT_THROW((void)parse_stat_line("12 (cat) S one 12 12" + std::string(kTail)),
               std::invalid_argument);
}

SYSLAB_TEST(StatLine, ReadsThisProcess, 1, "/proc/self/stat against the system calls") {
  const std::optional<StatLine> stat = read_stat(::getpid());
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->pid, ::getpid());
  EXPECT_EQ(stat->state, 'R');  // reading its own stat, it runs
  EXPECT_EQ(parent_of(::getpid()), ::getppid());
  EXPECT_EQ(process_group_of(::getpid()), ::getpgrp());
  EXPECT_EQ(stat->session, ::getsid(0));
  EXPECT_GE(cpu_ticks(::getpid()), 0);
}

SYSLAB_TEST(StatLine, SaysWhenAProcessIsGone, 1, "nullopt and -1, not an exception") {
  ForkedChild child([] { return 0; });
  const pid_t pid = child.pid();
  ASSERT_TRUE(child.wait(Deadline(5s)).has_value());
  EXPECT_FALSE(read_stat(pid).has_value());
  EXPECT_EQ(parent_of(pid), -1);
  EXPECT_EQ(process_group_of(pid), -1);
}

SYSLAB_TEST(Threads, CountsThisProcessThreads, 1, "Threads: in /proc/self/status") {
  const int before = own_threads();
  EXPECT_EQ(own_threads(::getpid()), before);
  {
    const ThreadBlockedInRead reader;
    EXPECT_EQ(own_threads(), before + 1);
    EXPECT_EQ(read_stat(::getpid())->threads, own_threads())
        << "num_threads in stat, Threads: in status";
  }
  EXPECT_EQ(own_threads(), before);
  EXPECT_EQ(status_field(0, "Threads"), std::to_string(before));
  EXPECT_FALSE(status_field(0, "NoSuchKey").has_value());
}

SYSLAB_TEST(Activity, SeesAThreadBlockedInRead, 2, "/proc/TID/syscall, wchan or stat") {
  const ThreadBlockedInRead reader;
  EXPECT_TRUE(poll_until(Deadline(5s), [&] { return blocked_in(reader.tid(), read_call()); }))
      << activity_of(reader.tid()).describe();
  const Activity activity = activity_of(reader.tid());
  EXPECT_EQ(activity.state, 'S') << activity.describe();
  if (activity.source != Activity::Source::kStat) {  // where /proc names the call
    EXPECT_FALSE(activity.asleep_in(select_call())) << activity.describe();
    EXPECT_FALSE(activity.asleep_in(write_call())) << activity.describe();
  }
  const Activity self = activity_of(this_thread_tid());
  EXPECT_EQ(self.state, 'R') << self.describe();
  EXPECT_FALSE(self.asleep_in(read_call())) << self.describe();
}

SYSLAB_TEST(Activity, FallsBackToWchanThenStat, 2,
            "syscall and wchan need ptrace access, which a container may refuse") {
  const std::string asleep = "77 (server) S 1 77 77" + std::string(kTail);
  const std::string running = "77 (server) R 1 77 77" + std::string(kTail);

  const Activity by_syscall = activity_from(77, asleep, "7 0x3 0x1 0x0", "0");
  EXPECT_EQ(by_syscall.source, Activity::Source::kSyscall);
  EXPECT_EQ(by_syscall.number, 7);
  EXPECT_NE(by_syscall.describe().find("/proc/77/syscall says 7"), std::string::npos)
      << by_syscall.describe();

  const Activity by_wchan =
      activity_from(77, asleep, std::nullopt, "poll_schedule_timeout.constprop.0");
  EXPECT_EQ(by_wchan.source, Activity::Source::kWchan);
  EXPECT_TRUE(by_wchan.asleep_in(select_call()));
  EXPECT_TRUE(by_wchan.asleep_in(poll_call()));  // wchan cannot tell these two apart
  EXPECT_FALSE(by_wchan.asleep_in(epoll_wait_call()));
  EXPECT_NE(by_wchan.describe().find("/proc/77/wchan says poll_schedule_timeout"),
            std::string::npos)
      << by_wchan.describe();

  const Activity by_stat = activity_from(77, asleep, std::nullopt, "0");  // name withheld
  EXPECT_EQ(by_stat.source, Activity::Source::kStat);
  EXPECT_TRUE(by_stat.asleep_in(select_call()));
  EXPECT_NE(by_stat.describe().find("/proc/77/stat says state S"), std::string::npos)
      << by_stat.describe();

  EXPECT_FALSE(activity_from(77, running, std::nullopt, std::nullopt).asleep_in(select_call()));
  EXPECT_FALSE(activity_from(77, running, "running", "0").asleep_in(select_call()));
  EXPECT_FALSE(activity_from(77, std::nullopt, std::nullopt, std::nullopt).asleep_in(read_call()));
}

SYSLAB_TEST(NetTcp, FindsAListenerAndItsBacklog, 1, "/proc/net/tcp: LISTEN is 0A, rx_queue") {
  const OwnedFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener.get(), 8), 0);
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::uint16_t port = ntohs(address.sin_port);

  const std::optional<TcpSocket> seen = loopback_listener(port);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(open_fds().at(listener.get()), "socket:[" + seen->inode + "]");
  EXPECT_EQ(seen->rx_queue, 0);

  const OwnedFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_TRUE(poll_until(Deadline(5s), [&] {
    const std::optional<TcpSocket> now = loopback_listener(port);
    return now && now->rx_queue == 1;
  })) << "one connection completed, not accepted";
}

SYSLAB_TEST(Text, CountsOccurrences, 1, "overlapping ones too") {
  EXPECT_EQ(count_of("reaped 1\nreaped 2\n", "reaped "), 2);
  EXPECT_EQ(count_of("aaa", "aa"), 2);
  EXPECT_EQ(count_of("", "x"), 0);
}
