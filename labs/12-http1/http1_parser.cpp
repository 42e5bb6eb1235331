// Lab 12: the HTTP/1.1 request codec over llhttp (see http1_parser.hpp).
//
// llhttp calls back as it recognises each part, and may call several times for one part when the
// part is split across reads: "Cont" now, "ent-Length" with the next read. So a part is appended
// to until its *_complete callback says it is whole. The codec pauses llhttp (HPE_PAUSED) at the
// two moments it must act on: the end of a head (rules, limits, 100-continue) and the end of a
// message (a request to hand over), and llhttp_execute returns there with the position reached.
#include "http1_parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>
#include "syslab/todo.hpp"

namespace http {

// llhttp is C: its callbacks are plain functions, which find the parser in llhttp_t::data.
struct Callbacks {
  static Http1Parser& self(llhttp_t* p) { return *static_cast<Http1Parser*>(p->data); }
  static std::string_view part(const char* at, std::size_t n) { return {at, n}; }

  static const llhttp_settings_t& settings() {
    static const llhttp_settings_t settings = [] {
      llhttp_settings_t s;
      llhttp_settings_init(&s);
      s.on_message_begin = [](llhttp_t* p) { return self(p).on_message_begin(); };
      s.on_method = [](llhttp_t* p, const char* at, std::size_t n) {
        return self(p).on_method(part(at, n));
      };
      s.on_url = [](llhttp_t* p, const char* at, std::size_t n) {
        return self(p).on_url(part(at, n));
      };
      s.on_version = [](llhttp_t* p, const char* at, std::size_t n) {
        return self(p).on_version(part(at, n));
      };
      s.on_version_complete = [](llhttp_t* p) { return self(p).on_version_complete(); };
      s.on_header_field = [](llhttp_t* p, const char* at, std::size_t n) {
        return self(p).on_header_field(part(at, n));
      };
      s.on_header_field_complete = [](llhttp_t* p) { return self(p).on_header_field_complete(); };
      s.on_header_value = [](llhttp_t* p, const char* at, std::size_t n) {
        return self(p).on_header_value(part(at, n));
      };
      s.on_header_value_complete = [](llhttp_t* p) { return self(p).on_header_value_complete(); };
      s.on_headers_complete = [](llhttp_t* p) { return self(p).on_headers_complete(); };
      s.on_body = [](llhttp_t* p, const char* at, std::size_t n) {
        return self(p).on_body(part(at, n));
      };
      s.on_chunk_header = [](llhttp_t* p) { return self(p).on_chunk_header(); };
      s.on_message_complete = [](llhttp_t* p) { return self(p).on_message_complete(); };
      return s;
    }();
    return settings;
  }
};

Http1Parser::Http1Parser(Limits limits) : limits_(limits) {
  // Lenient flags stay off (llhttp's default): each one lets through something smuggling uses.
  llhttp_init(&parser_, HTTP_REQUEST, &Callbacks::settings());
  parser_.data = this;
}

// ---- the callbacks ------------------------------------------------------------------------------

int Http1Parser::on_message_begin() {
  request_ = Request{};
  field_.clear();
  value_.clear();
  version_.clear();
  version_done_ = in_trailers_ = false;
  in_message_ = true;
  line_bytes_ = head_bytes_ = fields_ = 0;
  body_bytes_ = 0;
  return 0;
}

int Http1Parser::fail(int status, std::string reason) {
  error_ = ParseError{status, std::move(reason)};
  return HPE_USER;
}

int Http1Parser::count_line_bytes(std::size_t n) {
  SYSLAB_TODO("add n to the request line's bytes; above limits_.max_request_line fail with 414 (RFC 9112 §3); then count them as head bytes too");
}

int Http1Parser::count_head_bytes(std::size_t n) {
  SYSLAB_TODO("add n to the head's bytes; above limits_.max_head_bytes fail with 431 (RFC 6585 §5)");
}

int Http1Parser::on_method(std::string_view part) {
  request_.method.append(part);
  return count_line_bytes(part.size());
}

int Http1Parser::on_url(std::string_view part) {
  request_.target.append(part);
  return count_line_bytes(part.size());
}

int Http1Parser::on_version(std::string_view part) {
  version_.append(part);
  return count_line_bytes(part.size());
}

int Http1Parser::on_version_complete() {
  version_done_ = true;
  // Refused before the fields are read: they may not even be HTTP/1 fields.
  if (version_ != "1.1" && version_ != "1.0") {
    return fail(505,
                "HTTP/" + version_ + ": this server speaks HTTP/1.0 and 1.1 (RFC 9110 §15.6.6)");
  }
  return 0;
}

int Http1Parser::on_header_field(std::string_view part) {
  SYSLAB_TODO("append the piece to field_ (a name may come in several pieces) and count it as head bytes");
}

int Http1Parser::on_header_field_complete() {
  SYSLAB_TODO("the name is whole: count one more field (431 above limits_.max_fields); a name that ends in SP or HT had whitespace before its colon (400, RFC 9112 §5.1)");
}

int Http1Parser::on_header_value(std::string_view part) {
  SYSLAB_TODO("append the piece to value_ and count it as head bytes");
}

int Http1Parser::on_header_value_complete() {
  SYSLAB_TODO("the field is whole: strip the whitespace after the value (RFC 9110 §5.5), add the field to the trailers when in_trailers_, else to the headers; clear field_ and value_");
}

int Http1Parser::on_headers_complete() {
  request_.version =
      Version{static_cast<int>(parser_.http_major), static_cast<int>(parser_.http_minor)};
  split_target(request_.target, request_.path, request_.query);
  paused_ = Pause::kHead;  // feed() applies the rules before llhttp reads on
  return HPE_PAUSED;
}

int Http1Parser::on_body(std::string_view part) {
  content_spans_.push_back({part.data(), part.data() + part.size()});
  request_.body.append(part);
  return 0;
}

int Http1Parser::on_chunk_header() {
  SYSLAB_TODO("llhttp put this chunk's size in parser_.content_length: size 0 is the last chunk (trailer fields follow: set in_trailers_); otherwise add it to body_bytes_ and fail with 413 above limits_.max_body, before the chunk is read");
}

int Http1Parser::on_message_complete() {
  paused_ = Pause::kMessage;  // feed() hands the request over
  return HPE_PAUSED;
}

// ---- feeding ------------------------------------------------------------------------------------

std::optional<ParseError> Http1Parser::check_line_endings(const char* begin, const char* end) {
  // The bytes between content spans are the message's lines; each span breaks the line.
  for (const Span& span : content_spans_) {
    for (const char* p = begin; p < span.begin; ++p) {
      if (auto error = lines_.next(*p)) return error;
    }
    lines_.restart();
    begin = std::max(begin, span.end);
  }
  content_spans_.clear();
  for (const char* p = begin; p < end; ++p) {
    if (auto error = lines_.next(*p)) return error;
  }
  return std::nullopt;
}

ParseError Http1Parser::error_from_llhttp(llhttp_errno_t code, const char* at) const {
  const std::string what =
      llhttp_errno_name(code) + std::string(": ") + llhttp_get_error_reason(&parser_);
  SYSLAB_TODO("505 for HPE_PAUSED_H2_UPGRADE (the HTTP/2 preface), and for HPE_INVALID_VERSION when the version read so far is a well-formed \"D.D\" that llhttp refused (1.2, 3.0) before on_version_complete; 501 for HPE_INVALID_METHOD when the byte at is a token character (a method llhttp does not know); 400 for the rest");
}

Http1Parser::Event Http1Parser::refuse(ParseError error) {
  error_ = std::move(error);
  return Event::kError;
}

// The end of a head: the rules, then 100-continue, or read on.
Http1Parser::Step Http1Parser::after_head() {
  if (auto error = check_head(request_, limits_)) return refuse(std::move(*error));
  if (expects_continue(request_)) return Event::kExpectContinue;
  return std::nullopt;
}

// The end of a message: a request to hand over, and whether another may follow.
Http1Parser::Event Http1Parser::after_message() {
  in_message_ = false;
  keep_alive_ = http::keep_alive(request_);
  done_ = !keep_alive_;
  return Event::kRequest;
}

Http1Parser::Step Http1Parser::event_after(llhttp_errno_t err, const char* at) {
  if (err == HPE_OK) return Event::kNeedMore;  // every byte used
  if (error_) return Event::kError;            // one of our callbacks refused
  if (err == HPE_PAUSED_UPGRADE) {
    // Upgrade or CONNECT: ignored (RFC 9110 §7.8); HTTP/1.1 goes on.
    llhttp_resume_after_upgrade(&parser_);
    return std::nullopt;
  }
  if (err == HPE_PAUSED && paused_ == Pause::kHead) return after_head();
  if (err == HPE_PAUSED && paused_ == Pause::kMessage) return after_message();
  return refuse(error_from_llhttp(err, at));
}

Http1Parser::Result Http1Parser::feed(std::string_view bytes) {
  if (error_) return {Event::kError, 0};
  if (done_) return {Event::kNeedMore, bytes.size()};  // after a last request
  const char* const end = bytes.data() + bytes.size();
  const char* from = bytes.data();
  while (true) {
    if (paused_ != Pause::kNone) llhttp_resume(&parser_);
    paused_ = Pause::kNone;
    const auto code = llhttp_execute(&parser_, from, end - from);
    const char* stop = code == HPE_OK ? end : llhttp_get_error_pos(&parser_);
    if (auto error = check_line_endings(from, stop)) return {refuse(*error), 0};
    if (auto event = event_after(code, stop)) {
      return {*event, static_cast<std::size_t>(stop - bytes.data())};
    }
    from = stop;
  }
}

}  // namespace http
