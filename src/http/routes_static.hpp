// routes_static.hpp: the web pages of CONTRACT §11, served from files.
//
// Page routes map a URL to one HTML file of the web dir:
//   /                      index.html     (live streams)
//   /s/{room_id}           chat.html      (the chat beside the video)
//   /s/{room_id}/stats     stats.html     (charts)
//   /overlay/{room_id}     overlay.html   (transparent overlay for OBS)
// and /assets/{file} serves web/assets/{file} (CSS, JS modules, SVG). Nothing
// else of the web dir is reachable: one path segment names a file, and it must
// be a plain name (no "..", no dot files, no slash or backslash, no control
// characters), whose real path (symlinks resolved) lies inside the web dir.
// Anything refused is a JSON error like every other route (400
// `invalid_path`, 404 `not_found`).
//
// The dev token route (add_dev_routes): POST /api/v1/dev/token {username}
// mints a user token with the server's own secret, only under --dev; without
// --dev it answers the plain 404 of an unknown endpoint.
//
// Files are read at request time (edit a page, reload the browser). All
// functions here are safe to call from any worker thread.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "net/services.hpp"
#include "http/router.hpp"
#include "sorak/result.hpp"

namespace sorak {

// --web-dir when given, else the source tree's web/ (SORAK_SOURCE_WEB_DIR,
// set by CMake at build time).
std::filesystem::path resolve_web_dir(const server_config& cfg);

// True for a plain file name that may be looked up in the web dir.
bool safe_file_name(std::string_view name);

// The Content-Type for a file name by its extension, or empty when the type
// is not one the web dir serves (such files are never served).
std::string_view content_type_for(std::string_view file_name);

// Reads dir/relative when it is a regular file whose real path lies inside
// the real path of dir. 404 `not_found` otherwise.
result<std::string> read_web_file(const std::filesystem::path& dir, std::string_view relative);

// The page and asset routes for the web files in `web_dir`.
void add_web_routes(router& r, const std::filesystem::path& web_dir);

// add_web_routes with resolve_web_dir(svc.config); logs a warning when the
// directory is missing.
void add_static_routes(router& r, services& svc);

// POST /api/v1/dev/token (see the file comment).
void add_dev_routes(router& r, services& svc);

}  // namespace sorak
