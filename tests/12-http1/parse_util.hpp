// Lab 12 tests: a driver for the codec. It feeds a parser the way a connection would (each piece
// as one read, the rest of a piece again after each event) and collects what came out, so that
// one input can be fed whole, byte by byte and in random pieces and the outcomes compared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http1_parser.hpp"
#include "request.hpp"

namespace http_test {

struct Outcome {
  std::vector<http::Request> requests;
  std::vector<bool> keep_alive;  // per request
  std::optional<http::ParseError> error;
  int continues = 0;  // kExpectContinue events
  bool idle = true;   // the parser was between requests at the end
};

// Feeds bytes cut before each offset in cuts (ascending), each piece as one read.
Outcome parse_pieces(std::string_view bytes, const std::vector<std::size_t>& cuts,
                     const http::Limits& limits = {});
Outcome parse_whole(std::string_view bytes, const http::Limits& limits = {});
Outcome parse_bytewise(std::string_view bytes, const http::Limits& limits = {});
// Random cuts from seed: a piece boundary anywhere, even inside "\r\n" or a field name.
Outcome parse_random(std::string_view bytes, std::uint32_t seed, const http::Limits& limits = {});

// The seed for random splits: $SYSLAB_SEED if set (to repeat a failure), else a fresh one.
std::uint32_t test_seed();

// A request as one readable line per part, for failure messages and comparisons.
std::string describe(const http::Request& request);
std::string describe(const Outcome& outcome);
// Bytes with \r, \n and the unprintable escaped, in quotes.
std::string describe_bytes(std::string_view bytes);

// A request line, Host, then the given fields and an empty line.
std::string get_request(std::string_view target, std::string_view fields = "");

}  // namespace http_test
