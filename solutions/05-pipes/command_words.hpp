// Lab 05: turning a stage string such as "sh -c 'exit 3'" into the argv that exec needs. A small
// part of what a shell does, enough to write a pipeline's stages on a command line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pipes {

// One program and its arguments: argv[0] is the program (searched in $PATH), as for exec.
using Command = std::vector<std::string>;

// Splits text into words, the way sh does for plain words and quotes, and nothing more:
//   - words are separated by spaces, tabs and newlines;
//   - '...' keeps everything inside as it is, up to the next single quote;
//   - "..." keeps everything inside as it is, except that \" and \\ stand for " and \;
//   - outside quotes, a backslash keeps the next character as it is ("a\ b" is one word);
//   - quoted and unquoted parts next to each other make one word (a'b c'd is "ab cd"), and ''
//     is an empty word.
// No variables, globs, redirections or pipes: run "sh -c '...'" as a stage for those.
// Throws std::invalid_argument for an unclosed quote, a backslash at the very end, or a text
// without any word.
[[nodiscard]] Command split_command(std::string_view text);

}  // namespace pipes
