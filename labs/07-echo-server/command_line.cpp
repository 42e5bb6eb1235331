// Lab 07: reading "--name=value" and "--name value" (see command_line.hpp).
#include "command_line.hpp"

#include <stdexcept>

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

}  // namespace net
