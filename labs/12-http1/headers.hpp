// Lab 12: header fields as HTTP has them (RFC 9110 §5): an ordered list of name/value pairs, names
// compared without regard to case, a name that may repeat (Set-Cookie, or a list split over two
// lines). Used by requests, responses and trailers, whatever protocol carries them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace http {

// ASCII case-insensitive equality: field names and most tokens (RFC 9110 §5.1, §5.6.2).
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);

// The items of a comma-separated list field ("a, b ,c" -> a, b, c; RFC 9110 §5.6.1), with the
// optional whitespace around each trimmed and empty items dropped.
[[nodiscard]] std::vector<std::string_view> list_items(std::string_view value);

// True when the list field value holds token, compared case-insensitively ("close" in
// "keep-alive, Close").
[[nodiscard]] bool has_token(std::string_view value, std::string_view token);

class Headers {
 public:
  struct Field {
    std::string name;  // as received: "content-Type" stays so; lookups ignore case
    std::string value;
    bool operator==(const Field&) const = default;
  };

  // Appends a field; a repeated name is kept as another field (RFC 9110 §5.2).
  void add(std::string name, std::string value);
  // Replaces every field of that name with one (appended where the first one was, or at the end).
  void set(std::string_view name, std::string value);
  // Removes every field of that name; returns how many there were.
  std::size_t remove(std::string_view name);

  // The value of the first field of that name, or nullopt.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
  // The values of every field of that name, in order.
  [[nodiscard]] std::vector<std::string_view> get_all(std::string_view name) const;
  [[nodiscard]] bool contains(std::string_view name) const { return get(name).has_value(); }
  // How many fields have that name.
  [[nodiscard]] std::size_t count(std::string_view name) const;

  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
  [[nodiscard]] auto begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() const noexcept { return fields_.end(); }
  [[nodiscard]] const Field& operator[](std::size_t i) const { return fields_.at(i); }

  bool operator==(const Headers&) const = default;

 private:
  std::vector<Field> fields_;
};

}  // namespace http
