// The web routes (http/routes_static.hpp) against a web dir made in a temp
// directory: pages and assets with their types and caching headers, and every
// way out of the web dir refused with a JSON error.
#include "http/routes_static.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <fstream>
#include <random>
#include <string>

namespace sorak {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string header(const http_response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

class web_routes : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("sorak-web-test-" + std::to_string(std::random_device{}()));
    web_ = base_ / "web";
    write_file(web_ / "index.html", "<h1>streams</h1>");
    write_file(web_ / "chat.html", "<h1>chat</h1>");
    write_file(web_ / "stats.html", "<h1>stats</h1>");
    write_file(web_ / "overlay.html", "<h1>overlay</h1>");
    write_file(web_ / "assets" / "app.js", "export const x = 1;");
    write_file(web_ / "assets" / "style.css", "body{}");
    write_file(web_ / "assets" / ".secret.js", "hidden");
    write_file(web_ / "assets" / "notes.txt", "not a served type");
    write_file(base_ / "outside.js", "SECRET OUTSIDE");
    fs::create_symlink(base_ / "outside.js", web_ / "assets" / "escape.js");
    fs::create_symlink(web_ / "assets" / "app.js", web_ / "assets" / "alias.js");
    add_web_routes(router_, web_);
  }
  void TearDown() override { fs::remove_all(base_); }

  http_response get(std::string path) {
    http_request req;
    req.method = "GET";
    req.path = std::move(path);
    return router_.dispatch(req);
  }

  void expect_json_error(const http_response& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.content_type, "application/json");
    auto v = boost::json::parse(r.body);
    ASSERT_TRUE(v.is_object()) << r.body;
    EXPECT_EQ(v.at("code").as_string(), code) << r.body;
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos);
  }

  fs::path base_, web_;
  router router_;
};

TEST_F(web_routes, serves_each_page_with_html_type_and_revalidation) {
  const std::pair<const char*, const char*> pages[] = {
      {"/", "streams"}, {"/s/100001", "chat"}, {"/s/100001/stats", "stats"}, {"/overlay/100001", "overlay"},
      {"/s/01a2133c-3674-7000-af06-2ac10bf241a2", "chat"}};
  for (const auto& [path, word] : pages) {
    const auto r = get(path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_NE(r.body.find(word), std::string::npos) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << path;
    EXPECT_EQ(header(r, "Cache-Control"), "no-cache") << path;
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff") << path;
    EXPECT_NE(header(r, "Content-Security-Policy").find("script-src 'self'"), std::string::npos) << path;
  }
}

TEST_F(web_routes, page_with_a_room_that_is_not_an_id_is_a_json_404) {
  expect_json_error(get("/s/..."), 404, "not_found");
  expect_json_error(get("/overlay/<script>"), 404, "not_found");
}

TEST_F(web_routes, serves_assets_with_their_types_and_a_short_cache) {
  auto js = get("/assets/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "export const x = 1;");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header(js, "Cache-Control"), "public, max-age=300");
  EXPECT_EQ(get("/assets/style.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(get("/assets/alias.js").status, 200);  // a symlink inside the web dir is fine
}

TEST_F(web_routes, refuses_traversal_and_hidden_files) {
  // The router sees the percent-decoded path: %2e%2e arrives as "..", %2f as "/".
  expect_json_error(get("/assets/.."), 400, "invalid_path");
  expect_json_error(get("/assets/.secret.js"), 400, "invalid_path");
  expect_json_error(get("/assets/..\\..\\outside.js"), 400, "invalid_path");
  expect_json_error(get("/assets/a\x01.js"), 400, "invalid_path");
  expect_json_error(get("/assets/../../outside.js"), 404, "not_found");  // no route has that many segments
  expect_json_error(get("/assets//etc/passwd"), 404, "not_found");
  expect_json_error(get("/assets/escape.js"), 404, "not_found");  // symlink out of the web dir
  expect_json_error(get("/assets/notes.txt"), 404, "not_found");  // not a served type
  expect_json_error(get("/assets/missing.js"), 404, "not_found");
  expect_json_error(get("/index.html"), 404, "not_found");
  expect_json_error(get("/api/v1/nothing"), 404, "not_found");
}

TEST(web_files, safe_file_name_takes_plain_names_only) {
  EXPECT_TRUE(safe_file_name("chat.js"));
  EXPECT_TRUE(safe_file_name("chart-2.svg"));
  for (const char* bad : {"", ".", "..", ".env", "a/b", "a\\b", "c:x.js", "%2e%2e", "a\nb"})
    EXPECT_FALSE(safe_file_name(bad)) << bad;
  EXPECT_FALSE(safe_file_name(std::string(129, 'a')));
}

TEST(web_files, content_types_by_extension) {
  EXPECT_EQ(content_type_for("a.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("a.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("a.txt"), "");
  EXPECT_EQ(content_type_for(".js"), "");
  EXPECT_EQ(content_type_for("js"), "");
}

TEST(web_files, read_web_file_refuses_absolute_and_missing_roots) {
  EXPECT_FALSE(read_web_file("/nonexistent-sorak-web", "index.html").ok());
  EXPECT_FALSE(read_web_file(fs::temp_directory_path(), "/etc/passwd").ok());
}

}  // namespace
}  // namespace sorak
