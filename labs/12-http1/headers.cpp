// Lab 12: header fields (see headers.hpp).
#include "headers.hpp"

#include <algorithm>
#include "syslab/todo.hpp"

namespace http {

namespace {

std::string_view trim_ows(std::string_view s) noexcept {
  const auto is_ows = [](char c) { return c == ' ' || c == '\t'; };
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  SYSLAB_TODO("compare a and b ignoring ASCII case (field names are case-insensitive)");
}

std::vector<std::string_view> list_items(std::string_view value) {
  std::vector<std::string_view> items;
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view item = trim_ows(value.substr(0, comma));
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) return items;
    value.remove_prefix(comma + 1);
  }
}

bool has_token(std::string_view value, std::string_view token) {
  const auto items = list_items(value);
  return std::any_of(items.begin(), items.end(),
                     [token](std::string_view item) { return iequals(item, token); });
}

void Headers::add(std::string name, std::string value) {
  fields_.push_back({std::move(name), std::move(value)});
}

void Headers::set(std::string_view name, std::string value) {
  const auto first = std::find_if(fields_.begin(), fields_.end(),
                                  [name](const Field& f) { return iequals(f.name, name); });
  if (first == fields_.end()) {
    fields_.push_back({std::string(name), std::move(value)});
    return;
  }
  first->value = std::move(value);
  const auto later = std::remove_if(std::next(first), fields_.end(),
                                    [name](const Field& f) { return iequals(f.name, name); });
  fields_.erase(later, fields_.end());
}

std::size_t Headers::remove(std::string_view name) {
  return std::erase_if(fields_, [name](const Field& f) { return iequals(f.name, name); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  SYSLAB_TODO("the value of the first field whose name equals name, ignoring case");
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
  SYSLAB_TODO("the values of every field of that name (ignoring case), in order");
}

std::size_t Headers::count(std::string_view name) const { return get_all(name).size(); }

}  // namespace http
