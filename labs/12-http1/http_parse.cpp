// Lab 12: http-parse: feeds bytes (a file, or stdin) to the lab's HTTP/1.1 codec the way a server
// feeds what it reads from a connection, and prints each request it makes of them, or the status
// a server would refuse it with and why. No socket: what you see is the codec alone.
// Try: printf 'GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n' | http-parse --split 1
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "command_line.hpp"
#include "fd_io.hpp"
#include "http1_parser.hpp"
#include "http1_writer.hpp"
#include "status.hpp"
#include "unique_fd.hpp"

namespace {

constexpr std::string_view kUsage =
    "usage: http-parse [FILE] [--split N] [--max-body N] [--max-line N] [--max-head N]\n"
    "                  [--max-fields N] [--respond]\n"
    "  Parses HTTP/1.1 requests from FILE (default: standard input) with the lab's codec, as a\n"
    "  server reads them from a connection, and prints each request, or the status a server\n"
    "  refuses it with and why. Exit status: 0 when every byte made complete requests, 1 when a\n"
    "  request is refused or the input ends inside one, 2 for a bad argument.\n"
    "  --split N       feed the bytes N at a time, as N-byte reads would (1: byte by byte)\n"
    "  --max-body N    the largest body accepted (default 1048576); 413 above\n"
    "  --max-line N    the longest request line (default 8192); 414 above\n"
    "  --max-head N    the largest header block (default 65536); 431 above\n"
    "  --max-fields N  the most header fields (default 100); 431 above\n"
    "  --respond       on an error, also print the response a server would send\n";

struct Options {
  std::string file;       // empty: standard input
  std::size_t split = 0;  // 0: the whole input at once
  http::Limits limits;
  bool respond = false;
};

std::uint64_t parse_number(const std::string& text, std::string_view what) {
  std::size_t end = 0;
  const unsigned long long value = std::stoull(text, &end);
  if (end != text.size() || text.starts_with('-')) {
    throw std::invalid_argument("bad " + std::string(what) + " \"" + text + "\"");
  }
  return value;
}

Options parse_arguments(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (arg == "--respond") {
      options.respond = true;
    } else if (auto v = net::take_option_value("--split", argc, argv, i)) {
      options.split = parse_number(*v, "--split");
    } else if (auto v = net::take_option_value("--max-body", argc, argv, i)) {
      options.limits.max_body = parse_number(*v, "--max-body");
    } else if (auto v = net::take_option_value("--max-line", argc, argv, i)) {
      options.limits.max_request_line = parse_number(*v, "--max-line");
    } else if (auto v = net::take_option_value("--max-head", argc, argv, i)) {
      options.limits.max_head_bytes = parse_number(*v, "--max-head");
    } else if (auto v = net::take_option_value("--max-fields", argc, argv, i)) {
      options.limits.max_fields = parse_number(*v, "--max-fields");
    } else if (!arg.starts_with("-") && options.file.empty()) {
      options.file = arg;
    } else {
      throw std::invalid_argument("unknown argument \"" + std::string(arg) + "\"");
    }
  }
  return options;
}

// Bytes as C would write them: "\r\n" shows, and so does anything unprintable.
std::string escaped(std::string_view bytes, std::size_t max = 200) {
  std::string out;
  for (const char c : bytes.substr(0, max)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  if (bytes.size() > max) out += "...";
  return out;
}

void print_request(int number, const http::Request& r, bool keep_alive) {
  std::cout << "request " << number << ": " << r.method << ' ' << r.target << " HTTP/"
            << r.version.major << '.' << r.version.minor << (keep_alive ? "" : "  (then close)")
            << "\n  path   " << r.path << "\n";
  if (!r.query.empty()) std::cout << "  query  " << r.query << "\n";
  for (const auto& field : r.headers) {
    std::cout << "  header " << field.name << ": " << escaped(field.value) << "\n";
  }
  if (!r.body.empty()) {
    std::cout << "  body   " << r.body.size() << " bytes: " << escaped(r.body) << "\n";
  }
  for (const auto& field : r.trailers) {
    std::cout << "  trailer " << field.name << ": " << escaped(field.value) << "\n";
  }
}

// Feeds one piece of input, and every request it completes; false once a request is refused.
bool feed_piece(http::Http1Parser& parser, std::string_view piece, int& requests,
                const Options& options) {
  while (true) {
    const auto [event, consumed] = parser.feed(piece);
    piece.remove_prefix(consumed);
    switch (event) {
      case http::Http1Parser::Event::kNeedMore: return true;
      case http::Http1Parser::Event::kRequest:
        print_request(++requests, parser.take_request(), parser.keep_alive());
        break;
      case http::Http1Parser::Event::kExpectContinue:
        std::cout << "100-continue: " << parser.head().method << ' ' << parser.head().target
                  << " waits for \"HTTP/1.1 100 Continue\" before its body (sent: go on)\n";
        break;
      case http::Http1Parser::Event::kError: {
        const http::ParseError& error = parser.error();
        std::cout << "error: " << error.status << ' ' << http::reason_phrase(error.status) << ": "
                  << error.reason << "\n";
        if (options.respond) {
          std::cout << "response:\n"
                    << http::write_error(error, "Thu, 01 Jan 1970 00:00:00 GMT", "http-parse");
        }
        return false;
      }
    }
  }
}

int run(const Options& options) {
  const fdio::UniqueFd file =
      options.file.empty() ? fdio::UniqueFd() : fdio::open_file(options.file, O_RDONLY);
  const fdio::BorrowedFd input =
      file.ok() ? fdio::BorrowedFd(file) : fdio::BorrowedFd(STDIN_FILENO);
  const std::string bytes = fdio::read_to_eof(input);
  http::Http1Parser parser(options.limits);
  int requests = 0;
  const std::size_t step =
      options.split == 0 ? std::max<std::size_t>(bytes.size(), 1) : options.split;
  for (std::size_t at = 0; at < bytes.size(); at += step) {
    if (!feed_piece(parser, std::string_view(bytes).substr(at, step), requests, options)) return 1;
  }
  if (!parser.idle()) {
    std::cout << "incomplete: the input ends inside a request (a server would wait for more)\n";
    return 1;
  }
  std::cout << requests << (requests == 1 ? " request\n" : " requests\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse_arguments(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "http-parse: " << error.what() << "\n" << kUsage;
    return 2;
  }
  try {
    return run(options);
  } catch (const std::exception& error) {
    std::cerr << "http-parse: " << error.what() << "\n";
    return 1;
  }
}
