// The route table and the HTTP values handlers see (http/router.hpp,
// http/message.hpp): which handler a request reaches, the JSON error when none
// does (CONTRACT §3: {"error", "code"} with the right status, never HTML), and
// how credentials and waits are read from and written to headers.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <set>
#include <string>
#include <vector>

#include "http/message.hpp"

namespace sorak {
namespace {

namespace json = boost::json;

http_request request(std::string method, std::string path) {
  http_request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

json::object body_of(const http_response& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "body is not a JSON object: " << r.body;
    return {};
  }
  return v.get_object();
}

std::set<std::string> keys_of(const json::object& o) {
  std::set<std::string> out;
  for (const auto& kv : o) out.emplace(kv.key());
  return out;
}

// Expects the contract's JSON error with this status and code.
void expect_json_error(const http_response& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.content_type, "application/json");
  const json::object o = body_of(r);
  EXPECT_EQ(keys_of(o), (std::set<std::string>{"error", "code"})) << r.body;
  ASSERT_TRUE(o.contains("code") && o.at("code").is_string()) << r.body;
  EXPECT_EQ(o.at("code").get_string(), code);
  ASSERT_TRUE(o.contains("error") && o.at("error").is_string()) << r.body;
  EXPECT_FALSE(o.at("error").get_string().empty());
}

// A handler that answers with its name and the params it was given.
route_handler named(std::string name) {
  return [name](http_request& req) {
    json::array params;
    for (const auto& p : req.params) params.emplace_back(p);
    return json_response(200, json::object{{"route", name}, {"params", std::move(params)}});
  };
}

std::string route_of(const http_response& r) {
  const json::object o = body_of(r);
  return o.contains("route") ? std::string(o.at("route").as_string()) : "(none: " + r.body + ")";
}

std::vector<std::string> params_of(const http_response& r) {
  std::vector<std::string> out;
  const json::object o = body_of(r);
  if (!o.contains("params")) return out;
  for (const auto& p : o.at("params").as_array()) out.emplace_back(p.as_string());
  return out;
}

// A table shaped like Sorak's own (CONTRACT §4, §6, §8).
router sorak_like_router() {
  router rt;
  rt.add("GET", "/api/v1/streams", named("list_streams"));
  rt.add("POST", "/api/v1/streams", named("create_stream"));
  rt.add("GET", "/api/v1/streams/{stream_id}", named("get_stream"));
  rt.add("PATCH", "/api/v1/streams/{stream_id}", named("patch_stream"));
  rt.add("GET", "/api/v1/streams/{stream_id}/chat/history", named("history"));
  rt.add("DELETE", "/api/v1/streams/{stream_id}/chat/messages/{message_id}", named("delete_message"));
  rt.add("GET", "/healthz", named("healthz"));
  return rt;
}

// ---- matching ------------------------------------------------------------------------

TEST(Router, ExactPathsReachTheirHandler) {
  const router rt = sorak_like_router();
  auto req = request("GET", "/api/v1/streams");
  const auto r = rt.dispatch(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(route_of(r), "list_streams");
  EXPECT_TRUE(params_of(r).empty());
}

TEST(Router, TheMethodPicksAmongRoutesOfOnePath) {
  const router rt = sorak_like_router();
  auto get = request("GET", "/api/v1/streams");
  auto post = request("POST", "/api/v1/streams");
  EXPECT_EQ(route_of(rt.dispatch(get)), "list_streams");
  EXPECT_EQ(route_of(rt.dispatch(post)), "create_stream");
  auto patch = request("PATCH", "/api/v1/streams/abc");
  EXPECT_EQ(route_of(rt.dispatch(patch)), "patch_stream");
}

TEST(Router, PlaceholdersFillParamsInOrder) {
  const router rt = sorak_like_router();
  auto req = request("DELETE", "/api/v1/streams/0196699c-7d6b-7000-8000-0000000000aa/chat/messages/m-42");
  const auto r = rt.dispatch(req);
  EXPECT_EQ(route_of(r), "delete_message");
  EXPECT_EQ(params_of(r), (std::vector<std::string>{"0196699c-7d6b-7000-8000-0000000000aa", "m-42"}));
  EXPECT_EQ(req.params, (std::vector<std::string>{"0196699c-7d6b-7000-8000-0000000000aa", "m-42"}));
}

TEST(Router, APlaceholderMatchesExactlyOneSegment) {
  const router rt = sorak_like_router();
  auto deeper = request("GET", "/api/v1/streams/abc/extra");
  expect_json_error(rt.dispatch(deeper), 404, "not_found");
  auto history = request("GET", "/api/v1/streams/abc/chat/history");
  const auto r = rt.dispatch(history);
  EXPECT_EQ(route_of(r), "history");
  EXPECT_EQ(params_of(r), std::vector<std::string>{"abc"});
}

TEST(Router, LiteralSegmentsMustMatchExactly) {
  const router rt = sorak_like_router();
  for (const char* path : {"/api/v1/Streams", "/api/v2/streams", "/api/v1/stream", "/api/v1/streamsx",
                           "/api/v1/streams/abc/chat/historyx"}) {
    auto req = request("GET", path);
    expect_json_error(rt.dispatch(req), 404, "not_found");
  }
}

TEST(Router, RepeatedAndTrailingSlashesAreIgnored) {
  const router rt = sorak_like_router();
  for (const char* path : {"/api/v1/streams/", "//api//v1/streams", "api/v1/streams"}) {
    auto req = request("GET", path);
    EXPECT_EQ(route_of(rt.dispatch(req)), "list_streams") << path;
  }
}

TEST(Router, TheFirstMatchingRouteWins) {
  router rt;
  rt.add("GET", "/api/v1/streams/live", named("literal"));
  rt.add("GET", "/api/v1/streams/{stream_id}", named("placeholder"));
  auto live = request("GET", "/api/v1/streams/live");
  auto other = request("GET", "/api/v1/streams/123");
  EXPECT_EQ(route_of(rt.dispatch(live)), "literal");
  EXPECT_EQ(route_of(rt.dispatch(other)), "placeholder");
}

TEST(Router, MatchComparesOnePatternWithOnePath) {
  const router rt;
  std::vector<std::string> params;
  EXPECT_TRUE(rt.match("/s/{room_id}", "/s/100001", params));
  EXPECT_EQ(params, std::vector<std::string>{"100001"});
  EXPECT_TRUE(rt.match("/s/{room_id}/stats", "/s/100001/stats", params));
  EXPECT_EQ(params, std::vector<std::string>{"100001"});
  EXPECT_FALSE(rt.match("/s/{room_id}", "/s/100001/stats", params));
  EXPECT_FALSE(rt.match("/s/{room_id}", "/s", params));
  EXPECT_FALSE(rt.match("/overlay/{room_id}", "/s/100001", params));
}

TEST(SplitPath, SplitsOnSlashesSkippingEmptySegments) {
  EXPECT_EQ(split_path("/a/b/c"), (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_EQ(split_path("//a///b/"), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_TRUE(split_path("/").empty());
  EXPECT_TRUE(split_path("").empty());
}

// ---- errors ----------------------------------------------------------------------------

TEST(Router, UnknownPathIs404NotFoundJson) {
  const router rt = sorak_like_router();
  for (const char* path : {"/", "/nope", "/api/v1", "/api/v1/streams/a/b/c/d/e"}) {
    auto req = request("GET", path);
    expect_json_error(rt.dispatch(req), 404, "not_found");
  }
  auto post = request("POST", "/nope");
  expect_json_error(rt.dispatch(post), 404, "not_found");
}

TEST(Router, KnownPathWithAnotherMethodIs405MethodNotAllowedJson) {
  const router rt = sorak_like_router();
  const std::pair<const char*, const char*> rows[] = {{"DELETE", "/api/v1/streams"},
                                                       {"PUT", "/api/v1/streams/abc"},
                                                       {"POST", "/api/v1/streams/abc/chat/history"},
                                                       {"GET", "/api/v1/streams/abc/chat/messages/m1"},
                                                       {"POST", "/healthz"}};
  for (const auto& [method, path] : rows) {
    auto req = request(method, path);
    const auto r = rt.dispatch(req);
    expect_json_error(r, 405, "method_not_allowed");
    EXPECT_NE(body_of(r).at("error").as_string().find(method), json::string::npos) << r.body;
  }
}

TEST(Router, HeadIsServedByTheGetRoute) {
  const router rt = sorak_like_router();
  auto head = request("HEAD", "/api/v1/streams/abc");
  const auto r = rt.dispatch(head);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(route_of(r), "get_stream");
  EXPECT_EQ(head.params, std::vector<std::string>{"abc"});
}

TEST(Router, HeadOnAPathWithoutGetIs405) {
  router rt;
  rt.add("POST", "/api/v1/admin/api-keys", named("create_key"));
  auto head = request("HEAD", "/api/v1/admin/api-keys");
  expect_json_error(rt.dispatch(head), 405, "method_not_allowed");
}

TEST(Router, AnEmptyTableAnswers404) {
  const router rt;
  auto req = request("GET", "/healthz");
  expect_json_error(rt.dispatch(req), 404, "not_found");
}

// ---- http_request ----------------------------------------------------------------------

TEST(Bearer, ReadsTheTokenAfterBearer) {
  http_request r;
  r.authorization = "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig";
  EXPECT_EQ(r.bearer(), "eyJhbGciOiJIUzI1NiJ9.e30.sig");
}

TEST(Bearer, TheSchemeIsCaseInsensitive) {
  // RFC 9110 §11.1: auth schemes are case-insensitive.
  for (const char* h : {"bearer tok", "BEARER tok", "BeArEr tok"}) {
    http_request r;
    r.authorization = h;
    EXPECT_EQ(r.bearer(), "tok") << h;
  }
}

TEST(Bearer, ExtraSpacesBeforeTheTokenAreSkipped) {
  http_request r;
  r.authorization = "Bearer    tok";
  EXPECT_EQ(r.bearer(), "tok");
}

TEST(Bearer, NoCredentialIsEmpty) {
  for (const char* h : {"", "Bearer", "Bearer ", "Bearer     ", "Basic dXNlcjpwYXNz", "Bearertok", "tok",
                        "Token tok"}) {
    http_request r;
    r.authorization = h;
    EXPECT_EQ(r.bearer(), "") << '"' << h << '"';
  }
}

TEST(QueryValue, PresentEmptyAndMissingDiffer) {
  http_request r;
  r.query = {{"limit", "50"}, {"before", ""}};
  ASSERT_TRUE(r.query_value("limit").has_value());
  EXPECT_EQ(*r.query_value("limit"), "50");
  ASSERT_TRUE(r.query_value("before").has_value());
  EXPECT_EQ(*r.query_value("before"), "");
  EXPECT_FALSE(r.query_value("since").has_value());
}

// ---- responses -------------------------------------------------------------------------

TEST(ErrorResponse, IsTheContractJsonWithTheErrorsStatus) {
  const auto r = error_response(error(errc::stream_not_found, "No such stream"));
  expect_json_error(r, 404, "stream_not_found");
  EXPECT_EQ(body_of(r).at("error").as_string(), "No such stream");
  EXPECT_TRUE(r.headers.empty());
}

TEST(ErrorResponse, EachHelperHasItsStatus) {
  expect_json_error(error_response(error(errc::invalid_limit, "bad")), 400, "invalid_limit");
  expect_json_error(error_response(error(errc::invalid_token, "bad")), 401, "invalid_token");
  expect_json_error(error_response(error(errc::forbidden, "no")), 403, "forbidden");
  expect_json_error(error_response(error(errc::room_taken, "taken")), 409, "room_taken");
  expect_json_error(error_response(error(errc::shutting_down, "bye")), 503, "shutting_down");
  expect_json_error(error_response(error(errc::internal, "oops")), 500, "internal");
}

TEST(ErrorResponse, MessageTextIsEscapedIntoValidJson) {
  const auto r = error_response(error(errc::invalid_json, "Expected \"}\" at <line 1>\n"));
  EXPECT_EQ(body_of(r).at("error").as_string(), "Expected \"}\" at <line 1>\n");
}

std::optional<std::string> header(const http_response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return std::nullopt;
}

TEST(ErrorResponse, RateLimitedCarriesRetryAfterInWholeSecondsRoundedUp) {
  const std::pair<std::int64_t, const char*> rows[] = {{1, "1"}, {999, "1"}, {1000, "1"}, {1001, "2"},
                                                       {29500, "30"}, {30000, "30"}};
  for (const auto& [ms, seconds] : rows) {
    error e(errc::rate_limited, "Too many requests");
    e.retry_after_ms = ms;
    const auto r = error_response(e);
    expect_json_error(r, 429, "rate_limited");
    EXPECT_EQ(header(r, "Retry-After"), std::optional<std::string>(seconds)) << ms;
  }
}

TEST(ErrorResponse, NoWaitNoRetryAfter) {
  error e(errc::rate_limited, "Too many requests");
  EXPECT_FALSE(header(error_response(e), "Retry-After").has_value());
}

TEST(JsonResponse, SerializesTheBodyWithTheStatus) {
  const auto r = json_response(201, json::object{{"id", "s1"}, {"room_id", "100001"}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.content_type, "application/json");
  const json::object o = body_of(r);
  EXPECT_EQ(o.at("id").as_string(), "s1");
  EXPECT_EQ(o.at("room_id").as_string(), "100001");
}

TEST(NoContent, Is204WithNoBody) {
  const auto r = no_content();
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.content_type.empty());
}

TEST(ParseJsonObject, AnObjectBodyParses) {
  http_request req;
  req.body = R"({"title":"Evening show","member":{"name":"Ami"}})";
  auto o = parse_json_object(req);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->at("title").as_string(), "Evening show");
}

TEST(ParseJsonObject, AnythingElseIs400InvalidJson) {
  for (const char* body : {"", "not json", "[1,2]", "\"title\"", "42", "null", "{\"a\":"}) {
    http_request req;
    req.body = body;
    auto o = parse_json_object(req);
    ASSERT_FALSE(o) << body;
    EXPECT_EQ(o.err().http_status, 400) << body;
    EXPECT_EQ(o.err().code, "invalid_json") << body;
    // It becomes the contract's JSON error.
    expect_json_error(error_response(o.err()), 400, "invalid_json");
  }
}

}  // namespace
}  // namespace sorak
