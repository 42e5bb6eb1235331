// Lab 05: splitting a stage string into words, with sh's quotes and backslash (and nothing else).
#include "command_words.hpp"

#include <stdexcept>
#include "syslab/todo.hpp"

namespace pipes {

Command split_command(std::string_view text) {
  SYSLAB_TODO("split on blanks; '...' and \"...\" (with \\\" and \\\\) keep their content, a backslash keeps the next character; throw std::invalid_argument for an unclosed quote or no word");
}

}  // namespace pipes
