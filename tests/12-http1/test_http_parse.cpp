// Lab 12 tests: the http-parse program: requests in, one report per request or the refusal.
#include "syslab/test.hpp"

using namespace syslab::test;

SYSLAB_TEST(HttpParse, PrintsPipelinedRequests, 1,
            "http-parse feeds its input to the codec; run it: printf '...' | http-parse",
            "It prints \"request N: METHOD TARGET HTTP/x.y\" for each, then \"N requests\".") {
  const std::string input =
      "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n"
      "\r\nhi";
  RunOptions options;
  options.input = input;
  const ProgramResult result = run_program({program_path("http-parse"), "--split", "1"}, options);
  EXPECT_EQ(result.status.code, 0) << result.status << "\n" << result.err;
  EXPECT_NE(result.out.find("request 1: GET /a?x=1 HTTP/1.1"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("request 2: POST /b HTTP/1.1"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("2 requests"), std::string::npos) << result.out;
}

SYSLAB_TEST(HttpParse, RefusesSmuggling, 1,
            "A request with both Content-Length and Transfer-Encoding: the status and why, exit 1.",
            "It prints \"error: 400 Bad Request: ...\".") {
  const std::string input =
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n";
  RunOptions options;
  options.input = input;
  const ProgramResult result = run_program({program_path("http-parse")}, options);
  EXPECT_EQ(result.status.code, 1) << result.status << "\n" << result.out << result.err;
  EXPECT_NE(result.out.find("error: 400 Bad Request"), std::string::npos) << result.out;
}
