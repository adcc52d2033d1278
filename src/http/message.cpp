#include "http/message.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include "protocol/plain_json.hpp"

namespace sorak {

namespace json = boost::json;

std::optional<std::string_view> http_request::query_value(std::string_view key) const {
  auto it = query.find(std::string(key));
  if (it == query.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string_view http_request::bearer() const {
  constexpr std::string_view prefix = "Bearer ";
  std::string_view a = authorization;
  if (a.size() <= prefix.size()) return {};
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return {};
  a.remove_prefix(prefix.size());
  while (!a.empty() && a.front() == ' ') a.remove_prefix(1);
  return a;
}

bool parse_request_target(std::string_view target, http_request& out) {
  auto u = boost::urls::parse_origin_form(target);
  if (!u) return false;
  out.path = u->path();
  for (auto p : u->params()) out.query.emplace(p.key, p.value);
  return true;
}

http_response json_response(int status, const json::value& body) {
  http_response r;
  r.status = status;
  r.body = serialize_plain(body);
  return r;
}

http_response error_response(const error& e) {
  http_response r = json_response(e.http_status, json::object{{"error", e.message}, {"code", e.code}});
  if (e.kind().extra == error_extra::retry_after_ms && e.retry_after_ms > 0) r.headers.emplace_back("Retry-After", std::to_string((e.retry_after_ms + 999) / 1000));
  return r;
}

http_response no_content() {
  http_response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

result<json::object> parse_json_object(const http_request& req) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return error(errc::invalid_json, "The request body must be a JSON object");
  return std::move(v.get_object());
}

}  // namespace sorak
