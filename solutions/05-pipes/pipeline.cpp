// Lab 05: running a | b | c with fork, dup2 and exec (lab 04's spawn does the three), and the
// closes that make EOF and SIGPIPE reach the right process.
#include "pipeline.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

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

// BEGIN SOLUTION
// Spawns one stage. A command that cannot be run becomes a stage that has already ended, with
// 127 (not found) or 126 (found, but not runnable) as bash reports it: the other stages run on,
// and see EOF or SIGPIPE where this one would have been, because its pipe ends get closed too.
Stage start_stage(const Command& command, const proc::SpawnOptions& options) {
  Stage stage{command, proc::ChildProcess(), std::nullopt, ""};
  try {
    stage.process = proc::spawn(command, options);
  } catch (const std::system_error& error) {
    const int code = error.code().value() == ENOENT ? kCommandNotFound : kCannotExecute;
    stage.status = proc::WaitStatus{.kind = proc::WaitStatus::Kind::kExited, .code = code};
    stage.error = error.what();
  }
  return stage;
}
// END SOLUTION

}  // namespace

// [slide:start_pipeline-1]
Pipeline start_pipeline(const std::vector<Command>& commands, const PipelineIo& io) {
  check_commands(commands);
  // BEGIN SOLUTION: for each stage: a pipe to the next (not after the last), spawn with stdin from the previous pipe and stdout into the next, then close the parent's copies of both ends at once
  Pipeline pipeline;
  fdio::UniqueFd previous;  // the read end of the pipe from the stage before: the next stdin
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const bool last = i + 1 == commands.size();
    fdio::Pipe next;  // to the next stage (none after the last); close-on-exec: see below
    if (!last) next = fdio::make_pipe();
    proc::SpawnOptions options;
    options.stdin_fd = i == 0 ? io.stdin_fd : fdio::BorrowedFd(previous);
    options.stdout_fd = last ? io.stdout_fd : fdio::BorrowedFd(next.write_end);
    options.stderr_fd = io.stderr_fd;
    pipeline.add(start_stage(commands[i], options));
    // [/slide]
    // [slide:start_pipeline-2]
    // Stage i has its copies on 0 and 1 now; the parent's must go at once:
    //  - the write end: stage i+1 sees EOF only when every write end is closed, ours included;
    //  - the read end stage i reads (the move closes it): if it stayed open here, stage i-1
    //    would never get SIGPIPE when stage i exits; yes | head -1 would run for ever.
    // The stages themselves hold nothing else: every pipe is O_CLOEXEC, so exec closed all the
    // ends they inherited, except the two that dup2 put on 0 and 1.
    next.write_end.reset();
    previous = std::move(next.read_end);
  }
  return pipeline;
  // END SOLUTION
}
// [/slide]

std::vector<proc::WaitStatus> run_pipeline(const std::vector<Command>& commands,
                                           const PipelineIo& io) {
  return start_pipeline(commands, io).wait();
}

// [slide:exit_codes]
int shell_status(const proc::WaitStatus& status) {
  // BEGIN SOLUTION: the exit code if it exited, else 128 + the signal that ended it
  return status.exited() ? status.code : 128 + status.signal;
  // END SOLUTION
}

int pipeline_exit_code(std::span<const proc::WaitStatus> statuses, bool pipefail) {
  // BEGIN SOLUTION: the last stage's shell_status; with pipefail the rightmost non-zero one (0 if none); 0 for no stages
  if (statuses.empty()) return 0;
  if (!pipefail) return shell_status(statuses.back());
  for (auto stage = statuses.rbegin(); stage != statuses.rend(); ++stage) {
    if (const int status = shell_status(*stage); status != 0) return status;
  }
  return 0;
  // END SOLUTION
}
// [/slide]

std::string pipestatus_line(std::span<const proc::WaitStatus> statuses) {
  // BEGIN SOLUTION: "PIPESTATUS:" then each stage's shell_status after a space
  std::string line = "PIPESTATUS:";
  for (const proc::WaitStatus& status : statuses) {
    line += " " + std::to_string(shell_status(status));
  }
  return line;
  // END SOLUTION
}

}  // namespace pipes
