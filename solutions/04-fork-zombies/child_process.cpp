#include "child_process.hpp"

#include <stdexcept>

namespace proc {

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  const KillPolicy policy = other.policy_;
  const std::chrono::milliseconds grace = other.grace_;
  const pid_t pid = other.release();
  try {
    reset();
  } catch (...) {
  }
  pid_ = pid;
  policy_ = policy;
  grace_ = grace;
  return *this;
}

ChildProcess::~ChildProcess() {
  try {
    reset();
  } catch (...) {
  }
}

WaitStatus ChildProcess::wait() { throw std::logic_error("not yet"); }
std::optional<WaitStatus> ChildProcess::try_wait() { throw std::logic_error("not yet"); }
std::optional<WaitStatus> ChildProcess::wait_for(std::chrono::milliseconds) {
  throw std::logic_error("not yet");
}
void ChildProcess::kill(int) { throw std::logic_error("not yet"); }
WaitStatus ChildProcess::terminate(std::chrono::milliseconds) { throw std::logic_error("not yet"); }
void ChildProcess::reset() {}

ChildProcess fork_child(const std::function<int()>&, KillPolicy) {
  throw std::logic_error("not yet");
}

ChildProcess spawn(const std::vector<std::string>&, const SpawnOptions&) {
  throw std::logic_error("not yet");
}

}  // namespace proc
