// Lab 09 tests: counting a process's threads as the kernel does (Threads: in /proc/PID/status),
// minus the one ThreadSanitizer adds. Under make tsan, the TSan runtime starts a background
// thread of its own in a process the first time that process starts a thread; it stays until
// exit. The test and the server are built with the same sanitizer, so the test can tell.
#pragma once

#include <sys/types.h>

#include <string>

#include "syslab/files.hpp"

namespace lab09_test {

#if defined(__SANITIZE_THREAD__)
inline constexpr int kSanitizerThreads = 1;
#else
inline constexpr int kSanitizerThreads = 0;
#endif

// The threads of pid that are its own: more than one means it has started one, and under TSan
// the runtime's thread is then among them.
inline int own_threads(pid_t pid) {
  const std::string status = syslab::test::read_file("/proc/" + std::to_string(pid) + "/status");
  const int threads = std::stoi(status.substr(status.find("\nThreads:") + 9));
  return threads > 1 ? threads - kSanitizerThreads : threads;
}

}  // namespace lab09_test
