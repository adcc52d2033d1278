// message.hpp: an HTTP request and response as route handlers see them.
//
// Plain values with no Beast types, so routes compile fast and can be tested
// without sockets. JSON bodies and errors are made here (CONTRACT §3: every
// error is {"error": sentence, "code": machine_code} with the right status).
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sorak/result.hpp"

namespace sorak {

struct http_request {
  std::string method;  // "GET", "POST", …
  std::string path;    // without the query
  std::unordered_map<std::string, std::string> query;  // percent-decoded
  std::string authorization;
  std::string content_type;
  std::string body;
  std::vector<std::string> params;  // the route's {placeholders}, in order

  std::optional<std::string_view> query_value(std::string_view key) const;
  // The credential after "Bearer ", or empty.
  std::string_view bearer() const;
};

struct http_response {
  int status = 200;
  std::string body;
  // When set, the body instead of `body`: bytes many responses share (the
  // newest history page of a room), written from here without a copy.
  std::shared_ptr<const std::string> shared_body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// Splits an origin-form request target into path and percent-decoded query
// parameters. False when the target does not parse (sorakd answers 400).
bool parse_request_target(std::string_view target, http_request& out);

http_response json_response(int status, const boost::json::value& body);
http_response error_response(const error& e);
http_response no_content();

// Parses the body as a JSON object: 400 invalid_json otherwise.
result<boost::json::object> parse_json_object(const http_request& req);

}  // namespace sorak
