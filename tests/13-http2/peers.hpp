// Lab 13 tests: real peers against httpd: curl over HTTP/1.1, HTTP/2 with prior knowledge or by
// Upgrade, and over TLS with ALPN, and nghttp, each run as a program with a deadline, their
// output parsed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "syslab/process.hpp"

namespace h2_test {

// How curl reaches httpd: in clear text on its first port, or over TLS on its --tls-port, where
// ALPN chooses the protocol (curl --http1.1 offers http/1.1 only; --http2 offers h2 first).
enum class Wire { kHttp1, kH2cPriorKnowledge, kH2cUpgrade, kHttp1OverTls, kH2OverTls };
std::string wire_name(Wire wire);  // "h1", "h2c", "upgrade", "h1-tls", "h2-tls": for messages
[[nodiscard]] bool over_tls(Wire wire);
// What curl sends as Host (HTTP/1.1) or :authority (HTTP/2) to port on wire: over TLS the name
// the kit's certificate is for ("localhost:PORT"), else "127.0.0.1:PORT".
std::string authority(Wire wire, std::uint16_t port);

struct Fetched {
  std::string version;  // "1.1" or "2", from the status line
  int status = 0;
  std::string head;  // the final response's head, names lowercased
  std::string body;
  [[nodiscard]] bool has(std::string_view field_line) const;  // "content-length: 6"
};

// curl on wire: method, target, optional body, extra header lines ("Name: value"). port is the
// wire's: the TLS port for the TLS wires (curl trusts the kit's certificate, localhost resolved to
// 127.0.0.1).
Fetched curl(Wire wire, std::uint16_t port, const std::string& method, const std::string& target,
             const std::string& body = {}, const std::vector<std::string>& extra = {});

// Runs nghttp with args against http://127.0.0.1:port + each target; its result.
syslab::test::ProgramResult nghttp(std::uint16_t port, const std::vector<std::string>& args,
                                   const std::vector<std::string>& targets);

}  // namespace h2_test
