// Lab 07: sigprocmask + signalfd, the stop request of echo-server.
#include "stop_signal.hpp"

#include <signal.h>
#include <sys/signalfd.h>

#include "syslab/error.hpp"

namespace net {

fdio::UniqueFd stop_signal_fd(std::initializer_list<int> signals) {
  sigset_t mask;
  sigemptyset(&mask);
  for (const int signal : signals) sigaddset(&mask, signal);
  // Blocked, a signal stays pending instead of killing us; the signalfd reports it.
  if (::sigprocmask(SIG_BLOCK, &mask, nullptr) < 0) syslab::throw_errno("sigprocmask");
  fdio::UniqueFd fd(::signalfd(-1, &mask, SFD_CLOEXEC));
  if (!fd.ok()) syslab::throw_errno("signalfd");
  return fd;
}

}  // namespace net
