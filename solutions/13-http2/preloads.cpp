// Lab 13: the preloads of a page, for its 103 Early Hints and its pushes (see preloads.hpp).
#include "preloads.hpp"

#include <algorithm>

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
  // BEGIN SOLUTION: none unless is_page_request; else every asset but the page's own path
  std::vector<std::string> assets;
  if (!is_page_request(request)) return assets;
  std::copy_if(preloads.assets.begin(), preloads.assets.end(), std::back_inserter(assets),
               [&request](const std::string& asset) { return asset != request.path; });
  return assets;
  // END SOLUTION
}

std::string preload_link(std::string_view path) {
  std::string link = "<" + std::string(path) + ">; rel=preload";
  if (ends_with(path, ".js")) link += "; as=script";
  if (ends_with(path, ".css")) link += "; as=style";
  return link;
}

http::Headers early_hint_fields(const http::Request& request, const Preloads& preloads) {
  // BEGIN SOLUTION: one Link field (preload_link) per asset preloads_for gives
  http::Headers fields;
  for (const std::string& asset : preloads_for(request, preloads)) {
    fields.add("Link", preload_link(asset));
  }
  return fields;
  // END SOLUTION
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
