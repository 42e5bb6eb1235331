#include "syslab/faults.hpp"

#include <dlfcn.h>

namespace syslab::test {

namespace {

using Hook = void (*)();

// The fault library's function, or nullptr when it is not loaded (a plain run).
Hook find_hook(const char* name) { return reinterpret_cast<Hook>(::dlsym(RTLD_DEFAULT, name)); }

}  // namespace

void pause_faults() {
  static const Hook pause = find_hook("syslab_faults_pause");
  if (pause != nullptr) pause();
}

void resume_faults() {
  static const Hook resume = find_hook("syslab_faults_resume");
  if (resume != nullptr) resume();
}

}  // namespace syslab::test
