// zombies: makes zombies, shows them in /proc, reaps them one by one, and (with --orphan) shows
// orphans re-parented, first to PID 1 or the nearest subreaper, then to this process. With
// --spawn it runs a program instead, and reports a failed exec with its errno.
//   zombies --count 3 --step     and, in another terminal:  ps -o pid,ppid,stat,comm --ppid PID
// Look at: the state letter Z between "ended" and "reaped", and the PPID column of an orphan.
#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "child_process.hpp"
#include "fd_io.hpp"
#include "process_table.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: zombies [--count N] [--orphan] [--step]\n"
    "       zombies [--step] --spawn PROGRAM [ARG...]\n"
    "Forks N children (default 3, at most 64) that exit at once, shows them as zombies (state Z)\n"
    "in /proc, reaps them one by one with waitpid and shows that they are gone.\n"
    "  --orphan  then leaves a grandchild orphaned, twice: without a subreaper (it goes to PID 1\n"
    "            or the nearest subreaper) and with this process as the subreaper (it comes here)\n"
    "  --step    waits for Enter before each step (when standard input is a terminal)\n"
    "  --spawn   instead runs PROGRAM (fork + exec) and says how it ended; an exec that fails is\n"
    "            reported with its errno, and the exit status is 1\n";

struct Options {
  int count = 3;
  bool orphan = false;
  bool step = false;
  std::vector<std::string> spawn;  // --spawn PROGRAM ARG...: the argv to run
};

bool g_step = false;
int g_step_number = 0;

// One narrated step: its title, and a pause for Enter with --step on a terminal.
void begin_step(std::string_view title) {
  fmt::print("\nstep {}: {}\n", ++g_step_number, title);
  if (g_step && ::isatty(STDIN_FILENO) != 0) {
    fmt::print("  (pid {}: press Enter to go on) ", ::getpid());
    std::fflush(stdout);
    for (int c = std::getchar(); c != '\n' && c != EOF;) c = std::getchar();
  }
  std::fflush(stdout);
}

// "1235 (zombies)" for a process that exists, "1235 (gone)" otherwise.
std::string name_of(pid_t pid) {
  const std::optional<proc::ProcessInfo> info = proc::read_process_info(pid);
  return fmt::format("{} ({})", pid, info ? info->comm : "gone");
}

// [slide:show_table]
// This process and its children, like ps -o pid,ppid,stat,comm.
void show_table() {
  std::vector<proc::ProcessInfo> rows = proc::children_of(::getpid());
  if (const auto self = proc::read_process_info(::getpid())) rows.insert(rows.begin(), *self);
  fmt::print("  {:>7} {:>7}  {}  {:<16} {}\n", "PID", "PPID", "S", "COMM", "STATE");
  for (const proc::ProcessInfo& row : rows) {
    fmt::print("  {:>7} {:>7}  {}  {:<16} {}{}\n", row.pid, row.ppid, row.state, row.comm,
               proc::state_name(row.state), row.pid == ::getpid() ? " (this process)" : "");
  }
}
// [/slide]

// Steps 1 to 4: make count zombies, show them, reap them, show they are gone. True if all went
// as the kernel promises.
bool zombie_steps(int count) {
  begin_step(fmt::format("fork {} {}; each exits at once with its own exit code", count,
                         count == 1 ? "child" : "children"));
  std::vector<proc::ChildProcess> children;
  for (int i = 1; i <= count; ++i) {
    children.push_back(proc::fork_child([i] { return i; }));
    fmt::print("  forked child {}, which exits with {}\n", children.back().pid(), i);
  }

  begin_step("wait until each has ended, without reaping it (waitid with WNOWAIT)");
  int zombies = 0;
  for (const proc::ChildProcess& child : children) {
    proc::wait_until_ended(child.pid());
    const auto info = proc::read_process_info(child.pid());
    zombies += info && info->state == 'Z' ? 1 : 0;
  }
  show_table();
  fmt::print("  {} of {} children are zombies: ended, their exit status kept until we wait\n",
             zombies, count);

  begin_step("reap them one by one with waitpid");
  for (proc::ChildProcess& child : children) {
    const pid_t pid = child.pid();
    fmt::print("  reaped {}: {}\n", pid, child.wait().describe());
  }

  begin_step("look again");
  show_table();
  const bool none_left = proc::children_of(::getpid()).empty();
  fmt::print("  {}\n",
             none_left ? "no children left: every zombie was reaped" : "children are still there!");
  return zombies == count && none_left;
}

// A grandchild whose parent has exited, and how to let it go.
struct Orphan {
  pid_t pid = -1;
  pid_t first_parent = -1;
  fdio::UniqueFd hold;  // the grandchild exits when this, the last write end of its pipe, closes
};

// Forks a middle child that forks a grandchild and exits at once. By the time the middle child
// has been reaped, the kernel has already given the grandchild its new parent.
Orphan make_orphan() {
  fdio::Pipe hold = fdio::make_pipe();
  fdio::Pipe report = fdio::make_pipe();
  proc::ChildProcess middle = proc::fork_child([&] {
    proc::ChildProcess grandchild = proc::fork_child([&] {
      hold.write_end.reset();  // else it would hold its own pipe open and never see EOF
      char byte;
      (void)fdio::read_some(hold.read_end, std::span(&byte, 1));  // until EOF
      return 0;
    });
    const pid_t pid = grandchild.release();  // the middle child must not wait: that is the point
    return fdio::write_all(report.write_end, std::as_bytes(std::span(&pid, 1))).done() ? 0 : 1;
  });
  report.write_end.reset();
  pid_t pid = -1;
  if (!fdio::read_exact(report.read_end, std::as_writable_bytes(std::span(&pid, 1))).done()) {
    throw std::runtime_error("the middle child did not say who its child is");
  }
  const pid_t middle_pid = middle.pid();
  middle.wait();
  return {pid, middle_pid, std::move(hold.write_end)};
}

// Steps 5 and 6: an orphan without and with a subreaper. True if the subreaper adopted it.
bool orphan_steps() {
  begin_step("orphan a grandchild: its parent exits first");
  {
    const Orphan orphan = make_orphan();
    const auto info = proc::read_process_info(orphan.pid);
    fmt::print("  grandchild {}: parent was {}, is now {}\n", orphan.pid, orphan.first_parent,
               info ? name_of(info->ppid) : "(gone)");
    fmt::print("  (PID 1, or the nearest ancestor that is a subreaper, reaps it when it exits)\n");
  }  // closing hold lets it exit; its new parent reaps it

  begin_step("the same with this process as a child subreaper (prctl PR_SET_CHILD_SUBREAPER)");
  const proc::SubreaperScope subreaper;
  Orphan orphan = make_orphan();
  const auto info = proc::read_process_info(orphan.pid);
  const bool adopted = info && info->ppid == ::getpid();
  fmt::print("  grandchild {}: parent was {}, is now {}{}\n", orphan.pid, orphan.first_parent,
             info ? name_of(info->ppid) : "(gone)", adopted ? ", this process: adopted" : "");
  show_table();
  if (!adopted) return false;
  proc::ChildProcess adopted_child(orphan.pid, proc::KillPolicy::kWaitOnly);
  orphan.hold.reset();
  fmt::print("  reaped our adopted grandchild {}: {}\n", orphan.pid,
             adopted_child.wait().describe());
  return true;
}

// --spawn: runs argv with fork + exec and says how it ended. A failed exec throws from spawn.
void spawn_steps(const std::vector<std::string>& argv) {
  begin_step(fmt::format("spawn {}: fork, then exec in the child", argv.front()));
  std::fflush(stdout);  // the program writes to the same stdout: keep the order
  proc::ChildProcess child = proc::spawn(argv);
  const pid_t pid = child.pid();
  fmt::print("  spawned {}: the exec worked (the close-on-exec pipe closed)\n", pid);
  begin_step("wait for it");
  fmt::print("  {} ended: {}\n", pid, child.wait().describe());
}

std::optional<int> parse_count(std::string_view text) {
  int count = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (error != std::errc() || end != text.data() + text.size() || count < 1 || count > 64) {
    return std::nullopt;
  }
  return count;
}

std::optional<Options> parse_options(std::span<char*> args) {
  Options options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--orphan") {
      options.orphan = true;
    } else if (arg == "--step") {
      options.step = true;
    } else if (arg == "--spawn" && i + 1 < args.size()) {
      options.spawn.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    } else if (arg == "--count" && i + 1 < args.size()) {
      const std::optional<int> count = parse_count(args[++i]);
      if (!count) return std::nullopt;
      options.count = *count;
    } else {
      return std::nullopt;
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const std::span<char*> args(argv + 1, static_cast<size_t>(argc - 1));
  if (!args.empty() && (std::strcmp(args[0], "--help") == 0 || std::strcmp(args[0], "-h") == 0)) {
    fmt::print("{}", kUsage);
    return 0;
  }
  const std::optional<Options> options = parse_options(args);
  if (!options) {
    fmt::print(stderr, "{}", kUsage);
    return 2;
  }
  g_step = options->step;
  try {
    fmt::print("zombies: pid {}, parent {}\n", ::getpid(), name_of(::getppid()));
    if (!options->spawn.empty()) {
      spawn_steps(options->spawn);
      return 0;
    }
    bool ok = zombie_steps(options->count);
    if (options->orphan) ok = orphan_steps() && ok;
    return ok ? 0 : 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "zombies: {}\n", error.what());
    return 1;
  }
}
