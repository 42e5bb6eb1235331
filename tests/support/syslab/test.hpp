// The kit's test library. A lab test is written like a GoogleTest TEST, with points and hints:
//
//   SYSLAB_TEST(CurrentIdentity, PidMatchesProcSelfStat, 2,
//               "getpid(2) returns the caller's pid",
//               "compare with the first field of /proc/self/stat") {
//     EXPECT_EQ(ids::current_identity().pid, ::getpid());
//   }
//
// Around every test the library counts open fds and child processes, and reports any that a test
// leaves behind ("syslab LEAK: ..."), which the runner turns into the verdict LEAK.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "syslab/deadline.hpp"
#include "syslab/files.hpp"
#include "syslab/process.hpp"

namespace syslab::test {

// What the runner needs to know of a test besides its result.
struct TestMeta {
  std::string name;  // "Suite.Test", as GoogleTest names it
  int points = 1;
  std::vector<std::string> hints;  // tiered: the first is gentle, the last nearly gives it away
  int timeout_seconds = 0;         // 0: the runner's default
};

// Every test's metadata, in the order the tests were defined.
std::vector<TestMeta>& registry();

// Registers one test's metadata; used by SYSLAB_TEST at namespace scope.
struct Registrar {
  Registrar(const char* suite, const char* name, int points,
            std::initializer_list<const char*> hints);
};

// Gives one test a longer deadline than the runner's default.
struct TimeoutRegistrar {
  TimeoutRegistrar(const char* suite, const char* name, int seconds);
};

}  // namespace syslab::test

// clang-format off
#define SYSLAB_TEST(suite, name, points, ...)                                               \
  static const ::syslab::test::Registrar syslab_meta_##suite##_##name{#suite, #name, points, \
                                                                      {__VA_ARGS__}};       \
  TEST(suite, name)

// The same for a fixture class (which derives from ::testing::Test).
#define SYSLAB_TEST_F(fixture, name, points, ...)                                               \
  static const ::syslab::test::Registrar syslab_meta_##fixture##_##name{#fixture, #name, points, \
                                                                        {__VA_ARGS__}};         \
  TEST_F(fixture, name)

// SYSLAB_TIMEOUT(Suite, Name, 60); at namespace scope, for a test that needs longer.
#define SYSLAB_TIMEOUT(suite, name, seconds) \
  static const ::syslab::test::TimeoutRegistrar syslab_timeout_##suite##_##name{#suite, #name, seconds}
// clang-format on
