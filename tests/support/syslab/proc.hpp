// The kernel's view of processes and threads, read from /proc the way every lab's tests need it:
// one parser of /proc/PID/stat, the Threads: count, CPU time, and where a thread is asleep.
// Written without any lab's code, so a test never leans on the parser a learner is writing.
#pragma once

#include <netinet/in.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace syslab::test {

// The fields of one /proc/PID/stat line that the tests read (proc(5) numbers them from 1).
struct StatLine {
  pid_t pid = -1;         // (1)
  std::string comm;       // (2) without its parentheses; it may hold spaces and ')'
  char state = '?';       // (3) R running, S asleep, D disk sleep, Z zombie, ...
  pid_t ppid = -1;        // (4)
  pid_t pgrp = -1;        // (5)
  pid_t session = -1;     // (6)
  long long utime = 0;    // (14) user CPU time, in clock ticks
  long long stime = 0;    // (15) system CPU time, in clock ticks
  long long threads = 0;  // (20) num_threads
};

// Parses one /proc/PID/stat line. comm runs from the first '(' to the LAST ')', since a process
// may name itself "a) b (c". Throws std::invalid_argument naming what is wrong.
StatLine parse_stat_line(std::string_view line);

// /proc/ID/stat of a process, or of any thread by its tid (proc(5): /proc/TID is there for every
// thread, only hidden from a listing of /proc); nullopt when it is gone.
std::optional<StatLine> read_stat(pid_t id);

// Its parent and its process group now; -1 when it is gone. (Its state: process_state.)
pid_t parent_of(pid_t pid);
pid_t process_group_of(pid_t pid);

// utime + stime of a process in clock ticks (sysconf(_SC_CLK_TCK) a second); throws when gone.
long long cpu_ticks(pid_t pid);

// The text after "key:" in /proc/PID/status (pid 0: this process), trimmed ("Threads" -> "3");
// nullopt when the line is not there. Throws std::system_error when the process is gone.
std::optional<std::string> status_field(pid_t pid, std::string_view key);

// The threads of a process (pid 0: this one) that are its own: Threads: in /proc/PID/status,
// minus the background thread ThreadSanitizer's runtime starts in a process the first time it
// starts a thread (the tests and the programs they run are built with the same sanitizer).
int own_threads(pid_t pid = 0);

// A system call as /proc shows a thread asleep in it: its numbers in /proc/ID/syscall (select is
// select or pselect6), and the kernel functions /proc/ID/wchan names meanwhile.
struct SystemCall {
  std::string name;                 // "select", for messages
  std::vector<long> numbers;        // SYS_select, SYS_pselect6, ... as this architecture has them
  std::vector<std::string> wchans;  // "poll_schedule_timeout" (shared by select and poll)
};
SystemCall read_call();
SystemCall write_call();
SystemCall select_call();
SystemCall poll_call();
SystemCall epoll_wait_call();

// What a thread is doing, from the most precise /proc file the kernel lets us read: syscall (the
// call's number), else wchan (the kernel function it sleeps in), else stat (only whether it
// sleeps). A stricter container refuses the first two; the messages say which one was used.
struct Activity {
  enum class Source { kSyscall, kWchan, kStat };
  Source source = Source::kStat;
  pid_t id = -1;
  char state = '?';   // from stat: 'S' asleep in a call, 'R' running, '?' gone
  long number = -1;   // kSyscall: the call it is in; -1 while it runs
  std::string wchan;  // kWchan: the kernel function it sleeps in

  // Whether it sleeps in `call`, as far as the source can tell (stat: asleep in any call).
  [[nodiscard]] bool asleep_in(const SystemCall& call) const;
  // "/proc/123/syscall says 23", "/proc/123/wchan says do_select (/proc/123/syscall refused)"...
  [[nodiscard]] std::string describe() const;
};

// Builds an Activity from the texts of the three files; nullopt stands for a file we may not
// read (or one that says nothing: wchan "0"). Separate from the reading so it can be tested.
Activity activity_from(pid_t id, const std::optional<std::string>& stat,
                       const std::optional<std::string>& syscall,
                       const std::optional<std::string>& wchan);

// Reads /proc/ID/{stat,syscall,wchan} of a process or thread.
Activity activity_of(pid_t id);

// True when thread or process `id` sleeps in `call` (see Activity::asleep_in).
bool blocked_in(pid_t id, const SystemCall& call);

// One IPv4 TCP socket as /proc/net/tcp lists it (proc(5): sl, local_address, rem_address, st,
// tx_queue:rx_queue, ..., inode).
struct TcpSocket {
  in_addr_t local_address = 0;  // network byte order, as in sin_addr.s_addr
  std::uint16_t local_port = 0;
  int state = 0;  // 0x0A LISTEN, 0x06 TIME_WAIT, 0x01 ESTABLISHED (include/net/tcp_states.h)
  long long tx_queue = 0;
  long long rx_queue = 0;  // of a LISTEN socket: connections completed, not yet accepted
  std::string inode;       // as in an fd's link "socket:[inode]"
};
inline constexpr int kTcpEstablished = 0x01;
inline constexpr int kTcpTimeWait = 0x06;
inline constexpr int kTcpListen = 0x0A;

// Every IPv4 TCP socket of this network namespace, from /proc/net/tcp.
std::vector<TcpSocket> tcp_sockets();

// The socket in state LISTEN on 127.0.0.1:port, or nullopt.
std::optional<TcpSocket> loopback_listener(std::uint16_t port);

// How many times needle occurs in text, overlapping ones too: the lines of a program's report
// (its view of the processes it ran) that say one thing.
int count_of(std::string_view text, std::string_view needle);

}  // namespace syslab::test
