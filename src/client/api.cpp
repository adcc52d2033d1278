// api.cpp: JSON requests and Sorak's JSON errors.
#include "client/api.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sorak::client {
namespace {

std::string string_field(const boost::json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string generic_code(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 409: return "conflict";
    case 413: return "payload_too_large";
    case 429: return "rate_limited";
    case 503: return "unavailable";
    default: return "http_" + std::to_string(status);
  }
}

// The first line of a non-JSON body, cut short: enough to say what happened.
std::string body_excerpt(std::string_view body) {
  std::string line(body.substr(0, body.find('\n')));
  if (line.size() > 200) line = line.substr(0, 200) + "…";
  return line;
}

}  // namespace

error error_from_http(int status, std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(body, ec);
  if (!ec && doc.is_object()) {
    std::string sentence = string_field(doc.get_object(), "error");
    std::string code = string_field(doc.get_object(), "code");
    if (!sentence.empty() || !code.empty()) {
      if (code.empty()) code = generic_code(status);
      if (sentence.empty()) sentence = "the server answered HTTP " + std::to_string(status);
      return error::received(status, std::move(code), std::move(sentence));
    }
  }
  std::string sentence = "the server answered HTTP " + std::to_string(status);
  if (!body.empty()) sentence += ": " + body_excerpt(body);
  return error::received(status, generic_code(status), std::move(sentence));
}

api_client::api_client(endpoint ep, std::string credential)
    : ep_(ep), credential_(std::move(credential)), http_(std::move(ep)) {}

result<boost::json::value> api_client::call(std::string_view method, std::string_view path,
                                            const query_params& query, const boost::json::value* body) {
  std::vector<http_header> headers;
  if (!credential_.empty()) headers.push_back({"Authorization", "Bearer " + credential_});
  const std::string payload = body ? boost::json::serialize(*body) : std::string();
  auto res = http_.request(method, make_target(ep_, path, query), headers, payload);
  if (!res) return res.err();
  if (res->status < 200 || res->status > 299) return error_from_http(res->status, res->body);
  if (res->body.empty()) return boost::json::value(nullptr);
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(res->body, ec);
  if (ec) return error(errc::invalid_response, "the server sent invalid JSON: " + ec.message());
  return doc;
}

}  // namespace sorak::client
