// The test library's side of fault injection (tests/support/faults): its own plumbing is not
// what a test is about, so faults are paused on this thread while it runs (its pipes and
// handshakes with the programs it starts, /proc reads, the fork of a test child, GoogleTest's
// output and report to the runner, the echo clients). The learner's code, in the test process
// or in a program it starts, still gets them.
// The library is found at run time (dlsym), so without it preloaded this does nothing.
#pragma once

namespace syslab::test {

void pause_faults();
void resume_faults();

// Faults paused on this thread for a scope; scopes nest.
class FaultsPaused {
 public:
  FaultsPaused() { pause_faults(); }
  ~FaultsPaused() { resume_faults(); }
  FaultsPaused(const FaultsPaused&) = delete;
  FaultsPaused& operator=(const FaultsPaused&) = delete;
};

// Calls f() with faults paused: a test's own set-up call whose exact result it asserts (a raw
// read(2) that moves an offset), so that a fault there is not taken for the learner's bug.
//   ASSERT_EQ(without_faults([&] { return ::read(fd, three, 3); }), 3);
template <typename Function>
auto without_faults(Function&& f) {
  const FaultsPaused paused;
  return f();
}

}  // namespace syslab::test
