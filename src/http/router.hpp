// router.hpp: the route table. Routes are data: a method, a path pattern with
// {placeholders} (one segment each) and a handler.
//
// dispatch: a path no route matches → 404 `not_found`; a path that matches
// with another method → 405 `method_not_allowed`. Built at start-up, then
// read-only: any thread may dispatch.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace sorak {

using route_handler = std::function<http_response(http_request&)>;

class router {
 public:
  void add(std::string method, std::string_view pattern, route_handler h);
  http_response dispatch(http_request& req) const;
  // True when some route matches the path (any method), filling params.
  bool match(std::string_view pattern, std::string_view path, std::vector<std::string>& params) const;

 private:
  struct route {
    std::string method;
    std::vector<std::string> segments;  // "{x}" matches any one segment
    route_handler handler;
  };
  static bool match_segments(const route& r, const std::vector<std::string_view>& parts,
                             std::vector<std::string>& params);
  std::vector<route> routes_;
};

std::vector<std::string_view> split_path(std::string_view path);

}  // namespace sorak
