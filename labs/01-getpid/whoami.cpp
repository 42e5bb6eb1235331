// whoami: prints who this process is (or, with --pid N, who process N is).
//   whoami            this process, from the system calls
//   whoami --pid N    process N, from /proc/N
#include <cstdio>
#include <cstring>
#include <string>

#include "identity.hpp"

int main(int argc, char** argv) {
  try {
    ids::Identity id = argc == 3 && std::strcmp(argv[1], "--pid") == 0
                           ? ids::read_proc_identity(std::stoi(argv[2]))
                           : ids::current_identity();
    std::printf("pid %d\nppid %d\npgid %d\nsid %d\n", id.pid, id.ppid, id.pgid, id.sid);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "whoami: %s\n", error.what());
    return 1;
  }
}
