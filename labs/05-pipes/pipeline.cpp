// Lab 05: running a | b | c with fork, dup2 and exec (lab 04's spawn does the three), and the
// closes that make EOF and SIGPIPE reach the right process.
#include "pipeline.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include "syslab/todo.hpp"

namespace pipes {

std::vector<proc::WaitStatus> Pipeline::wait() {
  std::vector<proc::WaitStatus> statuses;
  for (Stage& stage : stages_) {
    if (!stage.status) stage.status = stage.process.wait();
    statuses.push_back(*stage.status);
  }
  return statuses;
}

std::optional<std::vector<proc::WaitStatus>> Pipeline::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<proc::WaitStatus> statuses;
  for (Stage& stage : stages_) {
    if (!stage.status) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      stage.status = stage.process.wait_for(std::max(left, std::chrono::milliseconds(0)));
      if (!stage.status) return std::nullopt;  // still running: it stays ours
    }
    statuses.push_back(*stage.status);
  }
  return statuses;
}

namespace {

void check_commands(const std::vector<Command>& commands) {
  if (commands.empty()) throw std::invalid_argument("a pipeline needs at least one command");
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (commands[i].empty()) {
      throw std::invalid_argument("stage " + std::to_string(i + 1) + " of the pipeline is empty");
    }
  }
}

}  // namespace

Pipeline start_pipeline(const std::vector<Command>& commands, const PipelineIo& io) {
  check_commands(commands);
  SYSLAB_TODO("for each stage: a pipe to the next (not after the last), spawn with stdin from the previous pipe and stdout into the next, then close the parent's copies of both ends at once");
}

std::vector<proc::WaitStatus> run_pipeline(const std::vector<Command>& commands,
                                           const PipelineIo& io) {
  return start_pipeline(commands, io).wait();
}

int shell_status(const proc::WaitStatus& status) {
  SYSLAB_TODO("the exit code if it exited, else 128 + the signal that ended it");
}

int pipeline_exit_code(std::span<const proc::WaitStatus> statuses, bool pipefail) {
  SYSLAB_TODO("the last stage's shell_status; with pipefail the rightmost non-zero one (0 if none); 0 for no stages");
}

std::string pipestatus_line(std::span<const proc::WaitStatus> statuses) {
  SYSLAB_TODO("\"PIPESTATUS:\" then each stage's shell_status after a space");
}

}  // namespace pipes
