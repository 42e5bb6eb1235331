// Lab 05: a pipeline a | b | c, as a shell runs it. Each stage is a child process whose stdout is
// the write end of a pipe and whose stdin is the read end of the pipe before it. The parent makes
// the pipes, spawns the stages, and closes its own copy of every end at once: a reader sees EOF
// only when EVERY write end of its pipe is closed, and a writer gets SIGPIPE only when EVERY read
// end is closed, so one forgotten copy (in the parent or in another stage) hangs the pipeline.
// Look at: ./pipeline --status 'printf "b\na\n"' sort 'head -1', and ls -l /proc/PID/fd of a stage.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "command_words.hpp"
#include "unique_fd.hpp"
#include "wait_status.hpp"

namespace pipes {

// Where a pipeline's outer ends go. -1 (the default) leaves the caller's own fd.
struct PipelineIo {
  fdio::BorrowedFd stdin_fd{-1};   // the first stage's stdin
  fdio::BorrowedFd stdout_fd{-1};  // the last stage's stdout
  fdio::BorrowedFd stderr_fd{-1};  // every stage's stderr
};

// The exit status bash reports for a command that could not be run: 127 when it was not found,
// 126 when it was found but could not be executed (EACCES, ENOEXEC, ...).
inline constexpr int kCommandNotFound = 127;
inline constexpr int kCannotExecute = 126;

// One stage of a running pipeline.
struct Stage {
  Command command;
  // The running stage; owns nothing once reaped, or if it never started.
  proc::ChildProcess process;
  // Known once the stage has been reaped, or at once if it could not start.
  std::optional<proc::WaitStatus> status;
  // Why it could not start: exec "nosuch": No such file or directory (ENOENT); else empty.
  std::string error;
};

// A running pipeline: owns its stages. Destroying it before every stage has ended kills (SIGKILL)
// and reaps the ones still running, so no stage outlives it, even in a test that gave up waiting.
class Pipeline {
 public:
  // Adds the next stage (start_pipeline calls this, in order).
  void add(Stage stage) { stages_.push_back(std::move(stage)); }

  [[nodiscard]] const std::vector<Stage>& stages() const { return stages_; }
  [[nodiscard]] std::size_t size() const { return stages_.size(); }
  // The pid of a stage that is running (or ended but not yet reaped); -1 otherwise.
  [[nodiscard]] pid_t pid(std::size_t stage) const { return stages_.at(stage).process.pid(); }

  // Waits for every stage to end: their statuses in order, like bash's PIPESTATUS.
  std::vector<proc::WaitStatus> wait();

  // The same, giving up after timeout: nullopt if a stage is still running then (it stays owned,
  // so a later wait, or the destructor, deals with it).
  [[nodiscard]] std::optional<std::vector<proc::WaitStatus>> wait_for(
      std::chrono::milliseconds timeout);

 private:
  std::vector<Stage> stages_;
};

// Starts commands[0] | commands[1] | ... with the outer ends as io says. Returns once every stage
// has been started (or has failed to start). When the parent returns, it holds no end of any pipe
// it made, and each stage holds only its stdin and stdout (every pipe is close-on-exec).
// A stage that cannot be run does not stop the others, as in bash: its status is exited 127 (not
// found) or 126, and Stage::error says why. Throws std::invalid_argument for no commands or an
// empty one, and syslab::SystemError when a pipe cannot be made (the stages already started are
// then killed and reaped).
[[nodiscard]] Pipeline start_pipeline(const std::vector<Command>& commands,
                                      const PipelineIo& io = {});

// start_pipeline(commands, io).wait(): each stage's status, in order (PIPESTATUS).
[[nodiscard]] std::vector<proc::WaitStatus> run_pipeline(const std::vector<Command>& commands,
                                                         const PipelineIo& io = {});

// The number bash shows for one command in $? and PIPESTATUS: the exit code, or 128 + the signal
// that ended it (141 for SIGPIPE, 143 for SIGTERM).
[[nodiscard]] int shell_status(const proc::WaitStatus& status);

// The exit status of a whole pipeline, as bash computes it: the last stage's; with pipefail, the
// last (rightmost) non-zero one, or 0 when every stage succeeded. 0 for no stages.
[[nodiscard]] int pipeline_exit_code(std::span<const proc::WaitStatus> statuses, bool pipefail);

// "PIPESTATUS: 141 0", as `echo PIPESTATUS: ${PIPESTATUS[@]}` would print it.
[[nodiscard]] std::string pipestatus_line(std::span<const proc::WaitStatus> statuses);

}  // namespace pipes
