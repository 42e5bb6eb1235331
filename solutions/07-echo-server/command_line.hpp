// Lab 07: the echo servers' options, read the same way in every lab (07-11): "--port 0" and
// "--port=0" are one option, and a number out of range is refused with one message. Given code,
// not an exercise.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace net {

// The value of option `name` at argv[i], written "--name=value" or "--name value" (then i moves
// past the value); nullopt when argv[i] is another argument. Throws std::invalid_argument when
// "--name" is the last argument: "--port needs a value".
[[nodiscard]] std::optional<std::string> take_option_value(std::string_view name, int argc,
                                                           char** argv, int& i);

// The whole number `text`, given to `option`, from min to max. Throws std::invalid_argument
// otherwise, naming the option and the range: "--threads: expected a number from 0 to 64, got 'x'".
[[nodiscard]] long long parse_number(std::string_view option, std::string_view text, long long min,
                                     long long max);

}  // namespace net
