// http_client.hpp: a small synchronous HTTP/1.1 client over one keep-alive
// connection, for the CLI and tests.
//
// request() connects on first use, reuses the connection while the server
// keeps it alive, and reconnects (retrying once, for idempotent methods) when
// a reused connection turns out to have been closed. Transport failures come
// back as an `error` with http_status 0 and code "connection_failed" or
// "timeout"; any HTTP status, 4xx and 5xx included, is a response.
//
// Thread-safety: an http_client is used by one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/endpoint.hpp"
#include "sorak/result.hpp"

namespace sorak::client {

struct http_header {
  std::string name;
  std::string value;
};

struct http_response {
  int status = 0;
  std::string content_type;
  std::string body;
};

class http_client {
 public:
  explicit http_client(endpoint ep, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // `method` is "GET", "POST", …; `target` is the path and query, already
  // encoded. A non-empty body is sent as application/json unless `headers`
  // names a Content-Type.
  result<http_response> request(std::string_view method, std::string_view target,
                                const std::vector<http_header>& headers = {},
                                std::string_view body = {});

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sorak::client
