// The stub that stands where a learner's code goes. Every skeleton function that is still to be
// written calls SYSLAB_TODO("what it must do"); reaching it prints one line that names the lab,
// the function and the task, then throws syslab::TodoError. The runner sees the line and gives
// the test the verdict TODO instead of FAIL or CRASH.
#pragma once

#include <source_location>
#include <stdexcept>
#include <string>
#include <string_view>

#ifndef SYSLAB_LAB
#define SYSLAB_LAB "syslab"
#endif

namespace syslab {

// Thrown by a stub. A logic_error: the program is not finished, nothing went wrong at run time.
class TodoError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// The line a stub prints starts with this; the runner looks for it on stderr.
inline constexpr std::string_view kTodoMarker = "syslab TODO:";

// Prints "syslab TODO: <lab> <function>: <what>" to stderr and throws TodoError.
// Safe to reach in a forked child: it uses write(2) only, never stdio buffers.
[[noreturn]] void todo(std::string_view lab, const std::source_location& where,
                       std::string_view what);

// "ids::Identity ids::current_identity()" -> "ids::current_identity()"
std::string short_function_name(std::string_view signature);

}  // namespace syslab

#define SYSLAB_TODO(what) ::syslab::todo(SYSLAB_LAB, std::source_location::current(), (what))
