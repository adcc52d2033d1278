#include "http/router.hpp"

namespace sorak {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

void router::add(std::string method, std::string_view pattern, route_handler h) {
  route r{std::move(method), {}, std::move(h)};
  for (auto s : split_path(pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

bool router::match_segments(const route& r, const std::vector<std::string_view>& parts,
                            std::vector<std::string>& params) {
  if (parts.size() != r.segments.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& seg = r.segments[i];
    if (!seg.empty() && seg.front() == '{') {
      params.emplace_back(parts[i]);
    } else if (seg != parts[i]) {
      return false;
    }
  }
  return true;
}

bool router::match(std::string_view pattern, std::string_view path, std::vector<std::string>& params) const {
  route r;
  for (auto s : split_path(pattern)) r.segments.emplace_back(s);
  return match_segments(r, split_path(path), params);
}

http_response router::dispatch(http_request& req) const {
  const auto parts = split_path(req.path);
  std::string allowed;  // methods this path takes, for 405's Allow
  std::vector<std::string> params;
  for (const auto& r : routes_) {
    if (!match_segments(r, parts, params)) continue;
    allowed += (allowed.empty() ? "" : ", ") + r.method;
    if (r.method != req.method && !(r.method == "GET" && req.method == "HEAD")) continue;
    req.params = std::move(params);
    return r.handler(req);
  }
  if (!allowed.empty()) {
    auto res = error_response(error(errc::method_not_allowed, "This path does not take " + req.method));
    res.headers.emplace_back("Allow", allowed);
    return res;
  }
  return error_response(error(errc::not_found, "No such endpoint: " + req.path));
}

}  // namespace sorak
