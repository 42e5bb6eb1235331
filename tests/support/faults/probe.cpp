// faults-probe: the fault library's subject. Each mode makes many calls of one kind and prints
// what came back, one "name=count" per line, so tools/kit/faults.py can prove that every fault
// happens, only where it may, and the same way for the same seed. Run with
//   LD_PRELOAD=build/tests/support/faults/libsyslab-faults.so SYSLAB_FAULTS=7 faults-probe io
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kCalls = 400;

using Counts = std::map<std::string, int>;

void print(const Counts& counts) {
  for (const auto& [name, count] : counts) std::printf("%s=%d\n", name.c_str(), count);
}

// One call's outcome: "full", "short", or the errno's name.
std::string outcome(ssize_t result, std::size_t asked) {
  if (result >= 0) return static_cast<std::size_t>(result) == asked ? "full" : "short";
  switch (errno) {
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    default: return std::strerror(errno);
  }
}

int make_socket_pair(int fds[2], int flags) {
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0, fds) != 0) {
    std::perror("socketpair");
    return -1;
  }
  return 0;
}

// Writes 4 KiB at a time into one end of a blocking socket pair and reads it all back at the
// other before the next write, so that no call ever blocks.
int probe_blocking_io() {
  int fds[2];
  if (make_socket_pair(fds, 0) != 0) return 1;
  Counts counts;
  char buffer[4096] = {};
  for (int i = 0; i < kCalls; ++i) {
    const ssize_t written = ::write(fds[0], buffer, sizeof buffer);
    ++counts["write." + outcome(written, sizeof buffer)];
    std::size_t pending = written > 0 ? static_cast<std::size_t>(written) : 0;
    while (pending > 0) {
      const ssize_t got = ::read(fds[1], buffer, pending);
      ++counts["read." + outcome(got, pending)];
      if (got > 0) pending -= static_cast<std::size_t>(got);
    }
  }
  print(counts);
  ::close(fds[0]);
  ::close(fds[1]);
  return 0;
}

void send_one_byte(int fd) {
  const char byte = 'x';
  while (::send(fd, &byte, 1, 0) != 1) {  // EINTR, EAGAIN: the fault library at work
  }
}

// Sends one byte, then reads until it arrives, kCalls times; counts what each first read gave
// ("label.full", "label.EAGAIN", ...). A real read always gets the byte at once.
void count_first_reads(const int fds[2], const std::string& label, Counts& counts) {
  char byte = 0;
  for (int i = 0; i < kCalls; ++i) {
    send_one_byte(fds[0]);
    ssize_t got = -1;
    std::string first;
    while (got != 1) {
      got = ::read(fds[1], &byte, 1);
      if (first.empty()) first = outcome(got, 1);
    }
    ++counts[label + "." + first];
  }
}

// Reads a non-blocking socket with one byte waiting, level-triggered and then edge-triggered.
int probe_nonblocking() {
  int fds[2];
  if (make_socket_pair(fds, SOCK_NONBLOCK) != 0) return 1;
  Counts counts;
  count_first_reads(fds, "level", counts);
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN | EPOLLET;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fds[1], &event) != 0) return 1;
  count_first_reads(fds, "edge", counts);
  print(counts);
  ::close(epoll_fd);
  ::close(fds[0]);
  ::close(fds[1]);
  return 0;
}

// Reads of an eventfd are all or nothing in the kernel: never short.
int probe_eventfd() {
  const int fd = ::eventfd(0, EFD_CLOEXEC);
  Counts counts;
  for (int i = 0; i < kCalls; ++i) {
    std::uint64_t value = 1;
    while (::write(fd, &value, sizeof value) != sizeof value) {
    }
    ssize_t got = -1;
    while (got < 0) got = ::read(fd, &value, sizeof value);
    ++counts[outcome(got, sizeof value)];
  }
  print(counts);
  ::close(fd);
  return 0;
}

// Connects clients to a loopback listener and accepts them all.
int probe_accept() {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 128) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("listener");
    return 1;
  }
  constexpr int kClients = 60;
  std::vector<int> clients;
  for (int i = 0; i < kClients; ++i) {
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return 1;
    clients.push_back(client);
  }
  Counts counts;
  int accepted = 0;
  while (accepted < kClients) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      ++accepted;
      ::close(fd);
    } else {
      ++counts[errno == ECONNABORTED ? "ECONNABORTED" : errno == EINTR ? "EINTR" : "other"];
    }
  }
  counts["accepted"] = accepted;
  print(counts);
  for (const int client : clients) ::close(client);
  ::close(listener);
  return 0;
}

// getpwuid_r with a buffer that starts small and doubles on ERANGE.
int probe_erange() {
  Counts counts;
  std::vector<char> buffer(64);
  passwd entry{};
  passwd* found = nullptr;
  int error = 0;
  while ((error = ::getpwuid_r(0, &entry, buffer.data(), buffer.size(), &found)) == ERANGE) {
    ++counts["ERANGE"];
    buffer.resize(buffer.size() * 2);
  }
  counts[error == 0 && found != nullptr ? "found" : "failed"] = 1;
  print(counts);
  return 0;
}

// fork, and waitpid for each child.
int probe_fork() {
  Counts counts;
  for (int i = 0; i < 60; ++i) {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    if (child < 0) {
      ++counts[errno == EAGAIN ? "fork.EAGAIN" : "fork.other"];
      continue;
    }
    ++counts["fork.ok"];
    while (::waitpid(child, nullptr, 0) < 0)
      ++counts[errno == EINTR ? "waitpid.EINTR" : "waitpid.other"];
  }
  print(counts);
  return 0;
}

// The test library's pause: no fault while it is paused.
int probe_paused() {
  using Step = void (*)();
  const auto pause = reinterpret_cast<Step>(::dlsym(RTLD_DEFAULT, "syslab_faults_pause"));
  if (pause == nullptr) {
    std::printf("no-library=1\n");
    return 0;
  }
  pause();
  return probe_blocking_io();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "io") return probe_blocking_io();
  if (mode == "nonblocking") return probe_nonblocking();
  if (mode == "eventfd") return probe_eventfd();
  if (mode == "accept") return probe_accept();
  if (mode == "erange") return probe_erange();
  if (mode == "fork") return probe_fork();
  if (mode == "paused") return probe_paused();
  std::fprintf(stderr, "usage: faults-probe io|nonblocking|eventfd|accept|erange|fork|paused\n");
  return 2;
}
