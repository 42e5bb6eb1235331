// Lab 13: the preloads of a page, for its 103 Early Hints and its pushes (see preloads.hpp).
#include "preloads.hpp"

#include <algorithm>
#include "syslab/todo.hpp"

namespace h2 {

namespace {

bool ends_with(std::string_view text, std::string_view end) {
  return text.size() >= end.size() && text.substr(text.size() - end.size()) == end;
}

}  // namespace

bool is_page_request(const http::Request& request) {
  return request.method == "GET" &&
         (ends_with(request.path, "/") || ends_with(request.path, ".html"));
}

std::vector<std::string> preloads_for(const http::Request& request, const Preloads& preloads) {
  SYSLAB_TODO("none unless is_page_request; else every asset but the page's own path");
}

std::string preload_link(std::string_view path) {
  std::string link = "<" + std::string(path) + ">; rel=preload";
  if (ends_with(path, ".js")) link += "; as=script";
  if (ends_with(path, ".css")) link += "; as=style";
  return link;
}

http::Headers early_hint_fields(const http::Request& request, const Preloads& preloads) {
  SYSLAB_TODO("one Link field (preload_link) per asset preloads_for gives");
}

http::Request promised_request(const http::Request& page, std::string_view path) {
  http::Request request;
  request.method = "GET";
  request.target = std::string(path);
  http::split_target(request.target, request.path, request.query);
  request.version = page.version;
  if (const auto host = page.headers.get("Host")) request.headers.add("Host", std::string(*host));
  return request;
}

}  // namespace h2
