#include "syslab/report.hpp"

#include <cxxabi.h>
#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <typeinfo>
#include <vector>

#include "syslab/proc.hpp"
#include "syslab/process.hpp"

namespace syslab::test {

namespace {

// The readable name of a type, as the C++ runtime's demangler spells it.
std::string demangled(const std::type_info& type) {
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

// The thread ids of a process, from /proc/PID/task; empty when it is gone.
std::vector<pid_t> threads_of(pid_t pid) {
  std::vector<pid_t> tids;
  DIR* tasks = ::opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (tasks == nullptr) return tids;
  while (const dirent* entry = ::readdir(tasks)) {
    const pid_t tid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (tid > 0) tids.push_back(tid);
  }
  ::closedir(tasks);
  return tids;
}

long long cpu_of(pid_t tid) {
  const std::optional<StatLine> stat = read_stat(tid);
  return stat ? stat->utime + stat->stime : 0;
}

// gdb's path, or "" when it is not installed.
std::string find_gdb() {
  const char* path = std::getenv("PATH");
  std::istringstream directories(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string directory; std::getline(directories, directory, ':');) {
    const std::string candidate = directory + "/gdb";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// gdb's backtrace of every thread of pid: only its "Thread" and "#N" lines.
std::string backtrace_of(pid_t pid) {
  const std::string gdb = find_gdb();
  if (gdb.empty()) return "";
  RunOptions options;
  options.timeout = std::chrono::seconds(20);
  options.report_hang = false;  // gdb that hangs is not the test's hang
  const ProgramResult traced = run_program(
      {gdb, "-p", std::to_string(pid), "-batch", "-nx", "-ex", "thread apply all bt"}, options);
  std::istringstream lines(traced.out);
  std::string kept;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("Thread ") || line.starts_with("#")) kept += "syslab GDB: " + line + "\n";
  }
  return kept;
}

}  // namespace

std::string current_exception_text() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  const std::string name = type != nullptr ? demangled(*type) : "an exception of unknown type";
  try {
    throw;
  } catch (const std::exception& error) {
    return name + ": " + error.what();
  } catch (...) {
    return name + " (not a std::exception)";
  }
}

std::string thread_lines(pid_t pid, std::chrono::milliseconds watch) {
  std::map<pid_t, long long> before;
  for (const pid_t tid : threads_of(pid)) before[tid] = cpu_of(tid);
  std::this_thread::sleep_for(watch);  // a report, not a synchronisation: CPU rising or not
  std::string lines;
  for (const auto& [tid, cpu] : before) {
    const Activity activity = activity_of(tid);
    if (activity.state == '?') continue;  // it ended while we watched
    lines += "syslab THREAD: " + std::to_string(tid) + " " + activity.state + " " +
             std::to_string(activity.number) + " " +
             (activity.wchan.empty() ? "-" : activity.wchan) + " " +
             std::to_string(cpu_of(tid) - cpu) + "\n";
  }
  return lines;
}

void report_stuck(pid_t pid, const std::string& what, std::chrono::milliseconds waited) {
  std::string report = "syslab HANG: " + what + " (pid " + std::to_string(pid) +
                       ") was still running after " + std::to_string(waited.count()) + " ms\n";
  report += thread_lines(pid, std::chrono::milliseconds(300));
  report += backtrace_of(pid);
  std::fputs(report.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace syslab::test
