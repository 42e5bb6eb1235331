// Lab 12: the rules applied to a request head (see http1_rules.hpp). Each rule names the section
// of RFC 9112 (HTTP/1.1) or RFC 9110 (HTTP semantics) that asks for it.
#include "http1_rules.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <vector>
#include "syslab/todo.hpp"

namespace http {

namespace {

}  // namespace

Verdict check_head(const Request& head, const Limits& limits) {
  SYSLAB_TODO("505 for a version other than 1.0/1.1; 400 for a 1.1 request without exactly one Host; then Transfer-Encoding (400 if it cannot frame the body: HTTP/1.0, with Content-Length, chunked not last or twice; 501 for another coding), Content-Length (400 unless exactly one number; 413 above max_body) and Expect (417 unless 100-continue)");
}

bool expects_continue(const Request& head) {
  SYSLAB_TODO("HTTP/1.1, \"Expect: 100-continue\" (any case), and a body: Content-Length above 0 or Transfer-Encoding");
}

bool keep_alive(const Request& head) {
  SYSLAB_TODO("RFC 9112 §9.3: a \"close\" token in any Connection field closes; else HTTP/1.1 stays open, HTTP/1.0 only with a \"keep-alive\" token");
}

Verdict LineChecker::next(char c) {
  SYSLAB_TODO("a '\\n' whose previous byte is not '\\r' is a bare LF (400); a ' ' or '\\t' right after a '\\n' starts a folded line (obs-fold, 400); remember c");
}

}  // namespace http
