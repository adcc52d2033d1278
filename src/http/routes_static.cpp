// The web pages and their assets (CONTRACT §11), read from the web dir.
// Path safety is in three layers: the route table takes exactly one segment
// for a file (an encoded "/" decodes into a second segment, which no route
// matches), safe_file_name() refuses "..", dot files, backslashes and control
// characters, and read_web_file() resolves symlinks and refuses any real path
// outside the web dir.
#include "http/routes_static.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

#ifndef SORAK_SOURCE_WEB_DIR
#define SORAK_SOURCE_WEB_DIR "web"
#endif

namespace sorak {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t max_web_file_bytes = 4 * 1024 * 1024;

// Security headers every page and asset carries. The pages insert user text
// only as text; the policy is a second wall: no inline script, no other origin.
constexpr std::string_view page_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'";

// The chat page also plays the stream's video (its playback_url, an HLS
// playlist on whatever host serves it: a CDN, or the site's own): media and
// the playlist's fetches may go to any http(s) origin, and hls.js feeds the
// video element from blob: URLs. Scripts stay 'self' only.
constexpr std::string_view video_page_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' https: http:; media-src 'self' blob: https: http:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'";

error no_such_file() { return error(errc::not_found, "No such file"); }

bool is_room_or_stream_id(std::string_view id) {
  if (id.empty()) return false;
  const bool digits = id.size() <= 18 && id.find_first_not_of("0123456789") == std::string_view::npos;
  const bool uuid = id.size() == 36 && id.find_first_not_of("0123456789abcdefABCDEF-") == std::string_view::npos;
  return digits || uuid;
}

http_response file_response(const fs::path& dir, std::string_view relative, std::string_view cache_control) {
  auto body = read_web_file(dir, relative);
  if (!body) return error_response(body.err());
  http_response res;
  res.body = std::move(*body);
  res.content_type = std::string(content_type_for(relative));
  res.headers.emplace_back("Cache-Control", std::string(cache_control));
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  res.headers.emplace_back("Referrer-Policy", "no-referrer");
  if (relative.ends_with(".html"))
    res.headers.emplace_back("Content-Security-Policy",
                             std::string(relative == "chat.html" ? video_page_policy : page_policy));
  return res;
}

// A page route: the HTML file, revalidated on every visit so a new version
// is seen at once.
route_handler page(fs::path dir, std::string file, bool takes_room) {
  return [dir = std::move(dir), file = std::move(file), takes_room](http_request& req) {
    if (takes_room && !is_room_or_stream_id(req.params.at(0)))
      return error_response(error(errc::not_found, "No such page: a room id is digits or a stream id"));
    return file_response(dir, file, "no-cache");
  };
}

http_response asset(const fs::path& dir, const std::string& name) {
  if (!safe_file_name(name)) return error_response(error(errc::invalid_path, "That is not a file name"));
  if (content_type_for(name).empty()) return error_response(no_such_file());
  return file_response(dir, "assets/" + name, "public, max-age=300");
}

}  // namespace

fs::path resolve_web_dir(const server_config& cfg) {
  return cfg.web_dir.empty() ? fs::path(SORAK_SOURCE_WEB_DIR) : fs::path(cfg.web_dir);
}

bool safe_file_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == ':' || c == '%') return false;
  }
  return true;
}

std::string_view content_type_for(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> types{{
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
  }};
  for (const auto& [ext, type] : types)
    if (file_name.size() > ext.size() && file_name.ends_with(ext)) return type;
  return {};
}

result<std::string> read_web_file(const fs::path& dir, std::string_view relative) {
  std::error_code ec;
  const fs::path root = fs::canonical(dir, ec);
  if (ec) return error(errc::not_found, "The web pages are not installed here; start sorakd with --web-dir");
  const fs::path real = fs::canonical(root / fs::path(relative), ec);
  if (ec) return no_such_file();
  // Inside the root: the root's parts are a prefix of the file's parts.
  auto [root_end, real_it] = std::mismatch(root.begin(), root.end(), real.begin(), real.end());
  if (root_end != root.end() || real_it == real.end()) return no_such_file();
  if (!fs::is_regular_file(real, ec) || ec) return no_such_file();
  const auto size = fs::file_size(real, ec);
  if (ec || size > max_web_file_bytes) return no_such_file();
  std::ifstream in(real, std::ios::binary);
  if (!in) return no_such_file();
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void add_web_routes(router& r, const fs::path& web_dir) {
  r.add("GET", "/", page(web_dir, "index.html", false));
  r.add("GET", "/s/{room_id}", page(web_dir, "chat.html", true));
  r.add("GET", "/s/{room_id}/stats", page(web_dir, "stats.html", true));
  r.add("GET", "/s/{room_id}/replay", page(web_dir, "replay.html", true));
  r.add("GET", "/overlay/{room_id}", page(web_dir, "overlay.html", true));
  r.add("GET", "/assets/{file}", [web_dir](http_request& req) { return asset(web_dir, req.params.at(0)); });
  // hls.js from npm (web/package.json, installed by `make run` / `make test`), for
  // browsers without native HLS: served from here, so the page makes no foreign request.
  r.add("GET", "/assets/vendor/hls.js", [web_dir](http_request&) {
    return file_response(web_dir, "node_modules/hls.js/dist/hls.min.js", "public, max-age=86400");
  });
}

void add_static_routes(router& r, services& svc) {
  const fs::path dir = resolve_web_dir(svc.config);
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    spdlog::warn("web: no web pages at {} (set --web-dir); the page routes will answer 404", dir.string());
  add_web_routes(r, dir);
}

}  // namespace sorak
