// Lab 07: reading "--name=value" and "--name value", and numbers in a range (see command_line.hpp).
#include "command_line.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace net {

std::optional<std::string> take_option_value(std::string_view name, int argc, char** argv, int& i) {
  const std::string_view arg = argv[i];
  if (!arg.starts_with(name)) return std::nullopt;
  if (arg.size() > name.size() && arg[name.size()] == '=') {
    return std::string(arg.substr(name.size() + 1));
  }
  if (arg.size() != name.size()) return std::nullopt;  // "--portx" is not "--port"
  if (i + 1 >= argc) throw std::invalid_argument(std::string(name) + " needs a value");
  return std::string(argv[++i]);
}

long long parse_number(std::string_view option, std::string_view text, long long min,
                       long long max) {
  long long value = 0;
  const char* const last = text.data() + text.size();
  const auto [end, error] = std::from_chars(text.data(), last, value);  // no "+", no spaces
  if (text.empty() || error != std::errc() || end != last || value < min || value > max) {
    throw std::invalid_argument(std::string(option) + ": expected a number from " +
                                std::to_string(min) + " to " + std::to_string(max) + ", got '" +
                                std::string(text) + "'");
  }
  return value;
}

}  // namespace net
