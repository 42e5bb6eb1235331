#include "syslab/server_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "syslab/echo_client.hpp"  // fail
#include "syslab/faults.hpp"
#include "syslab/report.hpp"

namespace syslab::test::echo {

using namespace std::chrono_literals;

ServerProcess::ServerProcess(std::vector<std::string> argv, std::chrono::milliseconds startup)
    : argv_(std::move(argv)) {
  const FaultsPaused plumbing;  // the server (a new image) gets its faults; its start is ours
  TestPipe out = make_pipe();
  std::vector<char*> args;
  for (std::string& arg : argv_) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) fail("fork", errno);
  if (pid_ == 0) {
    // Only async-signal-safe calls between fork and exec.
    ::dup2(out.write_end.get(), STDOUT_FILENO);  // the copy is not close-on-exec
    ::close_range(3, ~0U, 0);  // the server starts with 0, 1 and 2 only: its fd counts are its own
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  out.write_end.reset();
  stdout_ = std::move(out.read_end);

  const Deadline deadline(startup);
  std::string text;
  while (text.find('\n') == std::string::npos) {
    char buffer[256];
    if (!wait_readable(stdout_.get(), deadline)) {
      report_stuck(pid_, "the server " + argv_[0] + ", before its \"listening on\" line", startup);
      stop(100ms);
      fail("server " + argv_[0] + ": no \"listening on\" line within " +
           std::to_string(startup.count()) + " ms; it printed: \"" + text + "\"");
    }
    const ssize_t n = ::read(stdout_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const ExitStatus status = stop(2s);
      fail("server " + argv_[0] + " ended (" + status.describe() +
           ") before it printed \"listening on ADDRESS:PORT\"; it printed: \"" + text + "\"");
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  line_ = text.substr(0, text.find('\n'));
  const std::string prefix = "listening on ";
  // The first ADDRESS:PORT after the prefix (a server may name more after it: httpd's TLS port).
  const std::string first = line_.substr(0, line_.find(' ', prefix.size()));
  const std::size_t colon = first.rfind(':');
  int port = 0;
  if (line_.rfind(prefix, 0) == 0 && colon != std::string::npos) {
    try {
      port = std::stoi(first.substr(colon + 1));
    } catch (const std::exception&) {
      port = 0;
    }
  }
  if (port <= 0 || port > 65535) {
    stop(2s);
    fail("server " + argv_[0] +
         ": expected \"listening on ADDRESS:PORT\" with a real port, got \"" + line_ + "\"");
  }
  port_ = static_cast<std::uint16_t>(port);
}

ServerProcess::~ServerProcess() {
  try {
    stop();
  } catch (...) {  // a destructor must not throw; stop reaps even when /proc misbehaves
  }
}

std::vector<pid_t> ServerProcess::children() const { return children_of(pid_); }

std::size_t ServerProcess::open_fd_count() const { return fds_of(pid_).size(); }

void ServerProcess::signal(int signal) const {
  if (!status_ && ::kill(pid_, signal) < 0) fail("kill", errno);
}

bool ServerProcess::running() {
  if (status_) return false;
  const FaultsPaused plumbing;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done == pid_) status_ = decode_wait_status(status);
  return !status_;
}

std::optional<ExitStatus> ServerProcess::wait(const Deadline& deadline) {
  (void)poll_until(deadline, [this] { return !running(); });
  return status_;
}

ExitStatus ServerProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return {};
  const FaultsPaused plumbing;
  if (status_) return *status_;
  ::kill(pid_, SIGTERM);
  if (wait(Deadline(grace))) return *status_;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = decode_wait_status(status);
  status_->timed_out = true;
  return *status_;
}

}  // namespace syslab::test::echo
