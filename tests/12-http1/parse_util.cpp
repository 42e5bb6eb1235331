// Lab 12 tests: the codec driver (see parse_util.hpp).
#include "parse_util.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <random>
#include <set>
#include <stdexcept>

namespace http_test {

using http::Http1Parser;

namespace {

// Feeds one piece; false once the parser refused a request.
bool feed_piece(Http1Parser& parser, std::string_view piece, Outcome& outcome) {
  for (int events = 0; events < 10'000; ++events) {
    const auto [event, consumed] = parser.feed(piece);
    if (consumed > piece.size()) throw std::logic_error("feed consumed more than it was given");
    piece.remove_prefix(consumed);
    switch (event) {
      case Http1Parser::Event::kNeedMore:
        if (!piece.empty()) throw std::logic_error("kNeedMore left bytes unused");
        return true;
      case Http1Parser::Event::kRequest:
        outcome.requests.push_back(parser.take_request());
        outcome.keep_alive.push_back(parser.keep_alive());
        break;
      case Http1Parser::Event::kExpectContinue: ++outcome.continues; break;
      case Http1Parser::Event::kError: outcome.error = parser.error(); return false;
    }
  }
  throw std::logic_error("10,000 events from one piece: the parser does not advance");
}

}  // namespace

Outcome parse_pieces(std::string_view bytes, const std::vector<std::size_t>& cuts,
                     const http::Limits& limits) {
  Http1Parser parser(limits);
  Outcome outcome;
  std::size_t from = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(bytes.size());
  for (const std::size_t end : ends) {
    if (end <= from) continue;
    if (!feed_piece(parser, bytes.substr(from, end - from), outcome)) break;
    from = end;
  }
  outcome.idle = parser.idle();
  return outcome;
}

Outcome parse_whole(std::string_view bytes, const http::Limits& limits) {
  return parse_pieces(bytes, {}, limits);
}

Outcome parse_bytewise(std::string_view bytes, const http::Limits& limits) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < bytes.size(); ++i) cuts.push_back(i);
  return parse_pieces(bytes, cuts, limits);
}

Outcome parse_random(std::string_view bytes, std::uint32_t seed, const http::Limits& limits) {
  std::mt19937 random(seed);
  std::set<std::size_t> cuts;
  if (bytes.size() > 1) {
    std::uniform_int_distribution<std::size_t> where(1, bytes.size() - 1);
    std::uniform_int_distribution<std::size_t> how_many(1, std::min<std::size_t>(bytes.size(), 12));
    for (std::size_t n = how_many(random); n > 0; --n) cuts.insert(where(random));
  }
  return parse_pieces(bytes, {cuts.begin(), cuts.end()}, limits);
}

std::uint32_t test_seed() {
  if (const char* text = std::getenv("SYSLAB_SEED"))
    return static_cast<std::uint32_t>(std::stoul(text));
  return std::random_device{}();
}

namespace {

std::string fields(std::string_view what, const http::Headers& headers) {
  std::string out;
  for (const auto& field : headers) {
    out += fmt::format("\n  {} \"{}\": \"{}\"", what, field.name, field.value);
  }
  return out;
}

}  // namespace

std::string describe(const http::Request& r) {
  return fmt::format("{} \"{}\" (path \"{}\", query \"{}\") HTTP/{}.{}{}\n  body \"{}\"{}",
                     r.method, r.target, r.path, r.query, r.version.major, r.version.minor,
                     fields("header", r.headers), r.body, fields("trailer", r.trailers));
}

std::string describe(const Outcome& outcome) {
  std::string out;
  for (std::size_t i = 0; i < outcome.requests.size(); ++i) {
    out += fmt::format("request {} (keep-alive {}): {}\n", i + 1, outcome.keep_alive[i],
                       describe(outcome.requests[i]));
  }
  if (outcome.error) {
    out += fmt::format("error {}: {}\n", outcome.error->status, outcome.error->reason);
  }
  out += fmt::format("100-continue events: {}; idle at the end: {}\n", outcome.continues,
                     outcome.idle);
  return out;
}

std::string describe_bytes(std::string_view bytes) {
  std::string out = "\"";
  for (const char c : bytes.substr(0, 300)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  return out + (bytes.size() > 300 ? "...\"" : "\"");
}

std::string get_request(std::string_view target, std::string_view fields) {
  return fmt::format("GET {} HTTP/1.1\r\nHost: test.example\r\n{}\r\n", target, fields);
}

}  // namespace http_test
