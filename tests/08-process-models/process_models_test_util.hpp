// Helpers for lab 08's tests, written without the lab's code: which sockets a process holds, the
// listening socket of a port as /proc/net/tcp names it, and the servers' command lines.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "syslab/proc.hpp"
#include "syslab/test.hpp"

namespace models_test {

using namespace syslab::test;

// echo-server with one model, on 127.0.0.1 (the suite's checks add --port 0).
inline std::vector<std::string> fork_server() {
  return {program_path("echo-server"), "--host", "127.0.0.1", "--model=fork"};
}
inline std::vector<std::string> prefork_server(int workers) {
  return {program_path("echo-server"), "--host",    "127.0.0.1",
          "--model=prefork",           "--workers", std::to_string(workers)};
}
inline std::vector<std::string> on_port_zero(std::vector<std::string> argv) {
  argv.insert(argv.end(), {"--port", "0"});
  return argv;
}

// "socket:[12345]" for the socket in state LISTEN on 127.0.0.1:port, from /proc/net/tcp; "" if
// none.
inline std::string listening_socket(std::uint16_t port) {
  const std::optional<TcpSocket> listener = loopback_listener(port);
  return listener ? "socket:[" + listener->inode + "]" : "";
}

// The sockets among pid's fds, as "socket:[inode]", sorted; empty when it has none (or is gone).
inline std::multiset<std::string> sockets_of(pid_t pid) {
  std::multiset<std::string> sockets;
  try {
    for (const auto& [fd, target] : fds_of(pid)) {
      if (target.rfind("socket:", 0) == 0) sockets.insert(target);
    }
  } catch (const std::exception&) {
  }
  return sockets;
}

// "1234 S, 1240 Z": pids with their state letter, for failure messages (Z: a zombie).
inline std::string with_states(const std::vector<pid_t>& pids) {
  std::string text;
  for (const pid_t pid : pids) {
    text += (text.empty() ? "" : ", ") + std::to_string(pid) + " " + process_state(pid);
  }
  return text.empty() ? "none" : text;
}

inline bool contains(const std::vector<pid_t>& pids, pid_t pid) {
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// The pids in `now` that are not in `before`.
inline std::vector<pid_t> new_pids(const std::vector<pid_t>& now,
                                   const std::vector<pid_t>& before) {
  std::vector<pid_t> added;
  for (const pid_t pid : now) {
    if (!contains(before, pid)) added.push_back(pid);
  }
  return added;
}

}  // namespace models_test
