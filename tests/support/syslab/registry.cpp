#include "syslab/test.hpp"

namespace syslab::test {

std::vector<TestMeta>& registry() {
  static std::vector<TestMeta> tests;  // a function-local static: safe during static init
  return tests;
}

Registrar::Registrar(const char* suite, const char* name, int points,
                     std::initializer_list<const char*> hints) {
  TestMeta meta{std::string(suite) + "." + name, points, {}, 0};
  for (const char* hint : hints) meta.hints.emplace_back(hint);
  registry().push_back(std::move(meta));
}

TimeoutRegistrar::TimeoutRegistrar(const char* suite, const char* name, int seconds) {
  const std::string full = std::string(suite) + "." + name;
  for (TestMeta& meta : registry()) {
    if (meta.name == full) meta.timeout_seconds = seconds;
  }
}

}  // namespace syslab::test
