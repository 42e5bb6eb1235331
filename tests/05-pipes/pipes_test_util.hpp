// Helpers for lab 05's tests: the fd table of another process (/proc/PID/fd), a pipeline run with
// a deadline on everything, and a function run in a forked child so that a hang costs one test
// its deadline and never blocks the suite.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "pipeline.hpp"
#include "syslab/test.hpp"
#include "unique_fd.hpp"
#include "wait_status.hpp"

namespace pipes_test {

using namespace syslab::test;

// How many of the fds in table point to target.
inline int count_pointing_to(const std::map<int, std::string>& table, const std::string& target) {
  int count = 0;
  for (const auto& [fd, what] : table) count += what == target ? 1 : 0;
  return count;
}

// The fds open now that were not open in `before`, as "fd -> target" lines, for a message.
inline std::string new_fds(const std::map<int, std::string>& before) {
  std::string lines;
  for (const auto& [fd, target] : open_fds()) {
    if (!before.contains(fd)) lines += "  fd " + std::to_string(fd) + " -> " + target + "\n";
  }
  return lines;
}

// A pipeline that ran with the test's pipes on its stdin and stdout.
struct Ran {
  // The output; nullopt: no EOF before the deadline.
  std::optional<std::string> out;
  // Every stage's status; nullopt: a stage was still running at the deadline.
  std::optional<std::vector<proc::WaitStatus>> statuses;
};

// Starts commands with stdin and stdout on the test's own pipes, writes input (keep it small: it
// is written before the output is read) and closes it, reads the output to EOF and waits for every
// stage, all within budget. Stages still running at the deadline are killed with the pipeline.
inline Ran run_with_deadline(const std::vector<pipes::Command>& commands,
                             const std::string& input = "",
                             std::chrono::milliseconds budget = std::chrono::seconds(10)) {
  const Deadline deadline(budget);
  TestPipe in = make_pipe();
  TestPipe out = make_pipe();
  pipes::PipelineIo io;
  io.stdin_fd = fdio::BorrowedFd(in.read_end.get());
  io.stdout_fd = fdio::BorrowedFd(out.write_end.get());
  pipes::Pipeline pipeline = pipes::start_pipeline(commands, io);
  in.read_end.reset();  // the test's copies: the first and last stage have their own now
  out.write_end.reset();
  {
    const ScopedIgnoreSigpipe ignore;
    write_text(in.write_end.get(), input);
  }
  in.write_end.reset();
  Ran ran;
  ran.out = read_until_eof(out.read_end.get(), deadline);
  ran.statuses = pipeline.wait_for(std::chrono::milliseconds(deadline.remaining_ms()));
  return ran;
}

inline proc::WaitStatus exited(int code) {
  return proc::WaitStatus{.kind = proc::WaitStatus::Kind::kExited, .code = code};
}
inline proc::WaitStatus killed_by(int signal) {
  return proc::WaitStatus{.kind = proc::WaitStatus::Kind::kKilled, .signal = signal};
}

// What a function run in a forked child returned, or why it did not.
struct ChildAnswer {
  std::optional<std::string> text;
  std::string problem;  // set when text is empty
};

// Runs body in a forked child and returns the string it returned. A body that blocks costs
// `budget`, not the suite: the child is killed at the deadline. A body that throws makes the
// child print the exception on stderr and exit with ForkedChild::kThrew.
inline ChildAnswer ask_child(const std::function<std::string()>& body,
                             std::chrono::milliseconds budget = std::chrono::seconds(10)) {
  const Deadline deadline(budget);
  TestPipe answer = make_pipe();
  ForkedChild child([&] {
    answer.read_end.reset();
    write_text(answer.write_end.get(), body());
    return 0;
  });
  answer.write_end.reset();
  const std::optional<std::string> text = read_until_eof(answer.read_end.get(), deadline);
  const std::optional<ExitStatus> status = child.wait(deadline);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(budget).count();
  if (!text || !status) {
    return {std::nullopt, "no answer within " + std::to_string(seconds) + " s: it is stuck"};
  }
  if (!status->success()) {
    return {std::nullopt,
            "the child running it " + status->describe() +
                (status->code == ForkedChild::kThrew ? " (it threw: see above)" : "")};
  }
  return {text, ""};
}

}  // namespace pipes_test
