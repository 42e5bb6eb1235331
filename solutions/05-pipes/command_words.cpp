// Lab 05: splitting a stage string into words, with sh's quotes and backslash (and nothing else).
#include "command_words.hpp"

#include <stdexcept>

namespace pipes {

// BEGIN SOLUTION
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

[[noreturn]] void cannot_split(std::string_view text, std::string_view why) {
  throw std::invalid_argument("cannot split the command \"" + std::string(text) +
                              "\": " + std::string(why));
}

// text[open] is a quote. Appends what lies between it and its closing quote to word; returns
// the index of the closing quote. Inside "...", \" and \\ stand for " and \.
std::size_t copy_quoted(std::string_view text, std::size_t open, std::string& word) {
  const char quote = text[open];
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == quote) return i;
    if (quote == '"' && text[i] == '\\' && i + 1 < text.size() &&
        (text[i + 1] == '"' || text[i + 1] == '\\')) {
      ++i;
    }
    word += text[i];
  }
  cannot_split(text, quote == '"' ? "a \" is never closed" : "a ' is never closed");
}

}  // namespace
// END SOLUTION

Command split_command(std::string_view text) {
  // BEGIN SOLUTION: split on blanks; '...' and "..." (with \" and \\) keep their content, a backslash keeps the next character; throw std::invalid_argument for an unclosed quote or no word
  Command words;
  std::string word;
  bool in_word = false;  // so that '' makes an empty word, where nothing at all makes none
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_blank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"') {
      i = copy_quoted(text, i, word);
    } else if (c == '\\') {
      if (++i == text.size()) cannot_split(text, "a \\ at the end escapes nothing");
      word += text[i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) cannot_split(text, "there is no word in it");
  return words;
  // END SOLUTION
}

}  // namespace pipes
