// api.hpp: Sorak's REST API as JSON in, JSON out, over an http_client.
//
// call() sends `Authorization: Bearer <credential>` when a credential is set
// (a user token or the admin key), and turns every non-2xx answer into an
// `error` carrying the HTTP status and the server's own `error` sentence and
// `code` (or, when the body is not Sorak's JSON error, a generic one).
//
// Thread-safety: an api_client is used by one thread at a time;
// error_from_http() is a pure function.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "client/endpoint.hpp"
#include "client/http_client.hpp"
#include "sorak/result.hpp"

namespace sorak::client {

// {"error": "...", "code": "..."} → error::received(status, code, sentence).
error error_from_http(int status, std::string_view body);

class api_client {
 public:
  api_client(endpoint ep, std::string credential);

  // `path` starts with "/api/…" (the base URL's own path is put in front).
  // A 204 or an empty body yields a null value.
  result<boost::json::value> call(std::string_view method, std::string_view path,
                                  const query_params& query = {},
                                  const boost::json::value* body = nullptr);

  const endpoint& where() const { return ep_; }

 private:
  endpoint ep_;
  std::string credential_;
  http_client http_;
};

}  // namespace sorak::client
