// Lab 13 tests: curl and nghttp against httpd (see peers.hpp).
#include "peers.hpp"

#include <algorithm>
#include <cctype>

#include "h2_client.hpp"
#include "syslab/echo_client.hpp"
#include "syslab/files.hpp"
#include "tls_test_server.hpp"

namespace h2_test {

std::string wire_name(Wire wire) {
  switch (wire) {
    case Wire::kHttp1: return "h1";
    case Wire::kH2cPriorKnowledge: return "h2c";
    case Wire::kH2cUpgrade: return "upgrade";
    case Wire::kHttp1OverTls: return "h1-tls";
    case Wire::kH2OverTls: return "h2-tls";
  }
  return "?";
}

bool over_tls(Wire wire) { return wire == Wire::kHttp1OverTls || wire == Wire::kH2OverTls; }

std::string authority(Wire wire, std::uint16_t port) {
  return (over_tls(wire) ? "localhost:" : "127.0.0.1:") + std::to_string(port);
}

bool Fetched::has(std::string_view field_line) const {
  return head.find("\r\n" + std::string(field_line) + "\r\n") != std::string::npos;
}

Fetched curl(Wire wire, std::uint16_t port, const std::string& method, const std::string& target,
             const std::string& body, const std::vector<std::string>& extra) {
  const syslab::test::TempDir dir;
  std::vector<std::string> argv = {tool("curl"), "-sS",        "--max-time", "8",
                                   "-D",         dir / "head", "-o",         dir / "body"};
  if (wire == Wire::kHttp1 || wire == Wire::kHttp1OverTls) argv.push_back("--http1.1");
  if (wire == Wire::kH2cPriorKnowledge) argv.push_back("--http2-prior-knowledge");
  if (wire == Wire::kH2cUpgrade || wire == Wire::kH2OverTls) argv.push_back("--http2");
  if (over_tls(wire)) {
    argv.insert(argv.end(), {"--cacert", tls_test::cert_path(), "--resolve",
                             authority(wire, port) + ":127.0.0.1"});
  }
  if (method == "HEAD") {
    argv.push_back("--head");
  } else {
    argv.insert(argv.end(), {"-X", method});
  }
  if (!body.empty()) {
    syslab::test::write_file(dir / "upload", body);
    argv.insert(argv.end(), {"--data-binary", "@" + (dir / "upload")});
  }
  for (const auto& line : extra) argv.insert(argv.end(), {"-H", line});
  argv.push_back((over_tls(wire) ? "https://" : "http://") + authority(wire, port) + target);
  const auto result = syslab::test::run_program(argv);
  if (!result.status.success()) {
    syslab::test::echo::fail("curl " + target + ": " + result.status.describe() + ": " +
                             result.err);
  }
  std::string head = syslab::test::read_file(dir / "head");
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // -D writes every head, a 101 first on an upgrade: the final one is the last.
  const std::size_t last = head.rfind("\r\n\r\nhttp/");
  if (last != std::string::npos) head = head.substr(last + 4);
  Fetched fetched;
  fetched.head = head;
  const std::size_t space = head.find(' ');
  fetched.version = head.substr(5, space - 5);
  fetched.status = std::stoi(head.substr(space + 1, 3));
  if (method != "HEAD") fetched.body = syslab::test::read_file(dir / "body");
  return fetched;
}

syslab::test::ProgramResult nghttp(std::uint16_t port, const std::vector<std::string>& args,
                                   const std::vector<std::string>& targets) {
  std::vector<std::string> argv = {tool("nghttp"), "--timeout=8"};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const auto& target : targets) {
    argv.push_back("http://127.0.0.1:" + std::to_string(port) + target);
  }
  return syslab::test::run_program(argv);
}

}  // namespace h2_test
