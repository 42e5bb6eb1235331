// The main() of every lab's test binary.
//   tests-NN --syslab-list     prints each test's metadata as JSON lines (name, points, hints)
//   tests-NN [gtest flags]     runs the tests, with a leak check around each one
// The runner (tools/syslab) runs one test per process; run by hand, the binary runs them all.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <string>
#include <string_view>

#include "syslab/faults.hpp"
#include "syslab/report.hpp"
#include "syslab/test.hpp"

namespace {

using syslab::test::TestMeta;

std::string json_string(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': quoted += "\\\""; break;
      case '\\': quoted += "\\\\"; break;
      case '\n': quoted += "\\n"; break;
      case '\t': quoted += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          quoted += escaped;
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

void print_metadata() {
  for (const TestMeta& meta : syslab::test::registry()) {
    std::string hints = "[";
    for (size_t i = 0; i < meta.hints.size(); ++i) {
      hints += (i > 0 ? ", " : "") + json_string(meta.hints[i]);
    }
    hints += "]";
    std::printf("{\"name\": %s, \"points\": %d, \"timeout\": %d, \"hints\": %s}\n",
                json_string(meta.name).c_str(), meta.points, meta.timeout_seconds, hints.c_str());
  }
}

// Fails loudly when a test leaves an fd open or a child process behind, then cleans up so that
// the next test in the same process starts clean.
class LeakCheck : public testing::EmptyTestEventListener {
 public:
  [[nodiscard]] bool leaked() const { return leaked_; }

 private:
  void OnTestStart(const testing::TestInfo&) override { fds_before_ = syslab::test::open_fds(); }

  void OnTestEnd(const testing::TestInfo& test) override {
    const std::string name = std::string(test.test_suite_name()) + "." + test.name();
    for (const auto& [fd, target] : syslab::test::open_fds()) {
      if (fds_before_.contains(fd)) continue;
      report(name, "fd " + std::to_string(fd) + " -> " + target + " was left open");
      ::close(fd);
    }
    for (const pid_t pid : syslab::test::child_pids()) {
      const char state = syslab::test::process_state(pid);
      report(name, "child process " + std::to_string(pid) +
                       (state == 'Z' ? " was never waited for (a zombie)" : " was left running"));
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  void report(const std::string& test, const std::string& what) {
    leaked_ = true;
    std::fprintf(stderr, "syslab LEAK: %s: %s\n", test.c_str(), what.c_str());
    std::fflush(stderr);
  }

  std::map<int, std::string> fds_before_;
  bool leaked_ = false;
};

// GoogleTest says "C++ exception with description ... thrown in the test body" but not which
// exception. It reports the failure from inside its catch block, so the exception is still the
// one being handled here: name its type for the runner ("syslab EXCEPTION: Suite.Test: TYPE:
// WHAT"). (GoogleTest holds its own lock while it calls OnTestPartResult: the test's name is kept
// from OnTestStart, since asking GoogleTest for it there would deadlock.)
class ExceptionNamer : public testing::EmptyTestEventListener {
  void OnTestStart(const testing::TestInfo& test) override {
    test_ = std::string(test.test_suite_name()) + "." + test.name();
  }

  void OnTestPartResult(const testing::TestPartResult& result) override {
    const std::string_view summary = result.summary();
    if (!summary.starts_with("C++ exception with description") &&
        !summary.starts_with("Unknown C++ exception")) {
      return;
    }
    if (!std::current_exception()) return;
    const syslab::test::FaultsPaused paused;  // the runner's report, not the test's business
    std::fprintf(stderr, "syslab EXCEPTION: %s: %s\n", test_.empty() ? "?" : test_.c_str(),
                 syslab::test::current_exception_text().c_str());
    std::fflush(stderr);
  }

  std::string test_;
};

// Under fault injection, faults reach the test's body only: GoogleTest's own output, its report
// to the runner and the leak check run with faults paused. Appended after LeakCheck, so that its
// OnTestStart runs after LeakCheck's and its OnTestEnd before (GoogleTest calls the *End events
// in the reverse order).
class FaultsInTestBodyOnly : public testing::EmptyTestEventListener {
  void OnTestStart(const testing::TestInfo&) override { syslab::test::resume_faults(); }
  void OnTestEnd(const testing::TestInfo&) override { syslab::test::pause_faults(); }
};

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--syslab-list") == 0) {
      print_metadata();
      return 0;
    }
  }
  syslab::test::pause_faults();  // resumed for each test's body only
  testing::InitGoogleTest(&argc, argv);
  auto* leak_check = new LeakCheck;  // GoogleTest owns and deletes listeners
  testing::UnitTest::GetInstance()->listeners().Append(leak_check);
  testing::UnitTest::GetInstance()->listeners().Append(new ExceptionNamer);
  testing::UnitTest::GetInstance()->listeners().Append(new FaultsInTestBodyOnly);
  const int failed = RUN_ALL_TESTS();
  return failed != 0 || leak_check->leaked() ? 1 : 0;
}
