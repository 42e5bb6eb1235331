// Lab 11 tests: the helpers, with plain system calls (not the lab's code under test).
#include "epoll_test_util.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "syslab/faults.hpp"

namespace epoll_test {

SocketPair make_socket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) {
    ADD_FAILURE() << "socketpair: " << std::strerror(errno);
  }
  return {OwnedFd(fds[0]), OwnedFd(fds[1])};
}

// The helpers are the test's side: no injected faults in them (syslab/faults.hpp).
void put(int fd, const std::string& text) {
  const syslab::test::FaultsPaused plumbing;
  const ssize_t n = ::write(fd, text.data(), text.size());
  ASSERT_EQ(n, static_cast<ssize_t>(text.size())) << "write: " << std::strerror(errno);
}

std::string read_some(int fd, std::size_t n) {
  const syslab::test::FaultsPaused plumbing;
  std::string buffer(n, '\0');
  const ssize_t got = ::read(fd, buffer.data(), n);
  if (got < 0) {
    EXPECT_EQ(errno, EAGAIN) << "read: " << std::strerror(errno);
    return "";
  }
  buffer.resize(static_cast<std::size_t>(got));
  return buffer;
}

std::string drain(int fd) {
  std::string all;
  for (;;) {
    const std::string piece = read_some(fd, 4096);
    if (piece.empty()) return all;
    all += piece;
  }
}

std::vector<WatchedFd> epoll_watch_list(int epoll_fd, pid_t pid) {
  const std::string path = "/proc/" + (pid == 0 ? std::string("self") : std::to_string(pid)) +
                           "/fdinfo/" + std::to_string(epoll_fd);
  std::istringstream text(syslab::test::read_file(path));
  std::vector<WatchedFd> watched;
  std::string line;
  while (std::getline(text, line)) {
    // tfd:        5 events:       19 data:                5  pos:0 ino:... sdev:...
    std::istringstream words(line);
    std::string key, events_key;
    WatchedFd entry;
    if (words >> key >> entry.fd >> events_key >> std::hex >> entry.events && key == "tfd:") {
      watched.push_back(entry);
    }
  }
  return watched;
}

std::vector<int> fds_pointing_to(pid_t pid, const std::string& target) {
  std::vector<int> found;
  for (const auto& [fd, link] : syslab::test::fds_of(pid == 0 ? ::getpid() : pid)) {
    if (link == target) found.push_back(fd);
  }
  return found;
}

}  // namespace epoll_test
