// Lab 12: httpd's command line and main's frame, shared by the httpd programs of labs 12-14.
#include "httpd_options.hpp"

#include <fcntl.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "command_line.hpp"
#include "http_server.hpp"
#include "rlimits.hpp"
#include "syslab/error.hpp"
#include "unique_fd.hpp"

namespace http {

const std::string_view kHttpdOptionsHelp =
    "  --root DIR               serve the files under DIR (GET and HEAD); without it, only the\n"
    "                           routes /echo, /headers, /stream, /delay and /status/NNN\n"
    "  --host HOST              the address to listen on (default 127.0.0.1)\n"
    "  --port PORT              the port (default 0: the kernel chooses)\n"
    "  --threads N              I/O loops on their own threads (default 0: one loop does all)\n"
    "  --header-timeout MS      a request must be complete MS ms after its first byte, else\n"
    "                           408 (default 10000)\n"
    "  --keepalive-timeout MS   close a connection with no request in progress after MS ms\n"
    "                           (default 5000; 0: never)\n"
    "  --grace MS               after a stop, close what is still busy after MS ms (default 5000)\n"
    "  --max-body BYTES         a request body above BYTES gets 413, unread (default 1 MiB)\n"
    "  --access-log FILE        the access log to FILE (appended) instead of stdout\n"
    "  --quiet                  no access log\n";

std::string httpd_usage(const std::vector<std::string_view>& extra_synopsis,
                        std::string_view description, std::string_view extra_help) {
  std::string usage =
      "usage: httpd [--root DIR] [--host HOST] [--port PORT] [--threads N] [--header-timeout MS]\n"
      "             [--keepalive-timeout MS] [--grace MS] [--max-body BYTES] [--access-log FILE]\n"
      "             [--quiet]\n";
  for (const std::string_view line : extra_synopsis) {
    usage += "             " + std::string(line) + "\n";
  }
  return usage + std::string(description) + std::string(kHttpdOptionsHelp) +
         std::string(extra_help);
}

std::chrono::milliseconds milliseconds_option(std::string_view option, std::string_view text,
                                              long long min) {
  return std::chrono::milliseconds(net::parse_number(option, text, min, 3'600'000));
}

HttpdCommandLine::HttpdCommandLine(HttpdOptions& options) {
  add_flag("--quiet", [&options] { options.quiet = true; });
  add_value("--root", [&options](std::string_view v) { options.app.root = v; });
  add_value("--host", [&options](std::string_view v) { options.host = v; });
  add_value("--port", [&options](std::string_view v) { options.port = net::parse_port(v); });
  add_value("--threads", [&options](std::string_view v) {
    options.threads = static_cast<int>(net::parse_number("--threads", v, 0, 256));
  });
  add_value("--header-timeout", [&options](std::string_view v) {
    options.http1.header_timeout = milliseconds_option("--header-timeout", v, 1);
  });
  add_value("--keepalive-timeout", [&options](std::string_view v) {
    options.http1.keepalive_timeout = milliseconds_option("--keepalive-timeout", v, 0);
  });
  add_value("--grace", [&options](std::string_view v) {
    options.grace = milliseconds_option("--grace", v, 0);
  });
  add_value("--max-body", [&options](std::string_view v) {
    options.http1.limits.max_body =
        static_cast<std::uint64_t>(net::parse_number("--max-body", v, 0, 1LL << 30));
  });
  add_value("--access-log", [&options](std::string_view v) { options.access_log = v; });
}

void HttpdCommandLine::add_flag(std::string name, Flag set) {
  flags_.emplace_back(std::move(name), std::move(set));
}

void HttpdCommandLine::add_value(std::string name, Value set) {
  values_.emplace_back(std::move(name), std::move(set));
}

bool HttpdCommandLine::take(int argc, char** argv, int& i) const {
  for (const auto& [name, set] : flags_) {
    if (argv[i] == name) {
      set();
      return true;
    }
  }
  for (const auto& [name, set] : values_) {
    if (auto value = net::take_option_value(name, argc, argv, i)) {
      set(*value);
      return true;
    }
  }
  return false;
}

void HttpdCommandLine::parse(int argc, char** argv, std::string_view usage) const {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      std::exit(0);
    }
    if (!take(argc, argv, i)) {
      throw std::invalid_argument("unknown argument \"" + std::string(arg) + "\"");
    }
  }
}

AccessLog make_access_log(const HttpdOptions& options) {
  if (options.quiet) return {};
  auto writer = options.access_log.empty()
                    ? std::make_shared<AccessLogWriter>()
                    : std::make_shared<AccessLogWriter>(fdio::open_file(
                          options.access_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC));
  return [writer](const AccessRecord& record) { writer->write(record); };
}

int httpd_main(std::string_view usage, const std::function<void()>& parse,
               const std::function<int()>& run) {
  try {
    parse();
  } catch (const std::exception& error) {  // invalid_argument: a usage error
    std::cerr << "httpd: " << error.what() << "\n" << usage;
    return 2;
  }
  try {
    if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) syslab::throw_errno("signal SIGPIPE");
    (void)rlim::raise_nofile_soft_limit();
    return run();
  } catch (const std::exception& error) {
    std::cerr << "httpd: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace http
