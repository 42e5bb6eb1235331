// Lab 12: httpd's command line, written once for the three httpd programs (labs 12, 13 and 14).
// Every httpd takes the options of HttpdOptions; a later lab adds its own to the same parser
// (lab 13: the TLS port, lab 14: the workers), so no option is parsed in two places. Given code,
// not an exercise: every test starts httpd with options, and a learner's first TODO should be
// HTTP, not argv. "--port 0" and "--port=0" are one option (lab 07's take_option_value).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app.hpp"
#include "http1_connection.hpp"

namespace http {

// What every httpd takes, with its defaults.
struct HttpdOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the kernel chooses
  AppOptions app;          // --root
  int threads = 0;         // I/O loops on their own threads (lab 11); 0: one loop does all
  Http1Options http1;      // --header-timeout, --keepalive-timeout, --max-body
  std::chrono::milliseconds grace{5'000};  // after a stop, before busy connections are closed
  std::string access_log;                  // empty: stdout
  bool quiet = false;                      // no access log
};

// The lines of --help that describe HttpdOptions; a program's usage puts its own around them.
extern const std::string_view kHttpdOptionsHelp;

// A program's whole --help: "usage: httpd [--root DIR] ..." with HttpdOptions' options and then a
// line for each of extra_synopsis ("[--tls-port PORT ...]"), the description, kHttpdOptionsHelp,
// and extra_help (the lines of the program's own options).
[[nodiscard]] std::string httpd_usage(const std::vector<std::string_view>& extra_synopsis,
                                      std::string_view description, std::string_view extra_help);

// The command-line parser: HttpdOptions' options, plus those a program adds before parse().
class HttpdCommandLine {
 public:
  using Flag = std::function<void()>;                   // --quiet
  using Value = std::function<void(std::string_view)>;  // --port 8080; throws invalid_argument

  // Fills options as parse() reads the arguments.
  explicit HttpdCommandLine(HttpdOptions& options);

  void add_flag(std::string name, Flag set);
  void add_value(std::string name, Value set);

  // Reads argv[1..]: --help (or -h) prints usage and exits 0; an argument that is no option, or
  // a value that is refused, throws std::invalid_argument naming it.
  void parse(int argc, char** argv, std::string_view usage) const;

 private:
  // Takes argv[i] (and its value) if it is one of ours; false when it is not.
  bool take(int argc, char** argv, int& i) const;

  std::vector<std::pair<std::string, Flag>> flags_;
  std::vector<std::pair<std::string, Value>> values_;
};

// A time in milliseconds from 1 ms (or 0, "never", when min is 0) up to 1 hour, for option.
[[nodiscard]] std::chrono::milliseconds milliseconds_option(std::string_view option,
                                                            std::string_view text, long long min);

// The access log the options ask for: none (--quiet), stdout, or a file opened for appending.
[[nodiscard]] AccessLog make_access_log(const HttpdOptions& options);

// main's frame for every httpd: parse (an exception there is a usage error: the message and the
// usage on stderr, exit 2), then run (an exception there: the message, exit 1; a return: run's
// status). Before run, SIGPIPE is ignored (a client that hangs up is an EPIPE on its connection
// only) and the fd soft limit raised to the hard one.
int httpd_main(std::string_view usage, const std::function<void()>& parse,
               const std::function<int()>& run);

}  // namespace http
