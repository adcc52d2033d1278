// history_walk.cpp: following next_cursor.
#include "client/history_walk.hpp"

#include <set>
#include <string>

namespace sorak::client {
namespace {

namespace json = boost::json;

error bad_page(std::string why) { return error(errc::invalid_response, "unexpected history page: " + std::move(why)); }

}  // namespace

status walk_history(api_client& api, std::string_view stream, int limit_per_page, const history_page_fn& on_page) {
  const std::string path = stream_path(stream) + "/chat/history";
  std::string cursor;
  std::set<std::string> cursors_seen;
  for (;;) {
    query_params query{{"limit", std::to_string(limit_per_page)}};
    if (!cursor.empty()) query.emplace_back("before", cursor);
    auto page = api.call("GET", path, query);
    if (!page) return page.err();
    json::object* body = page->if_object();
    json::value* messages = body ? body->if_contains("messages") : nullptr;
    if (!messages || !messages->is_array()) return bad_page("no messages array");
    if (!on_page(messages->get_array())) return ok_value;
    const json::value* more = body->if_contains("has_more");
    if (!more || !more->is_bool()) return bad_page("no has_more");
    if (!more->get_bool()) return ok_value;
    const json::value* next = body->if_contains("next_cursor");
    if (!next || !next->is_string() || next->get_string().empty()) return bad_page("has_more without next_cursor");
    cursor = std::string(next->get_string());
    if (!cursors_seen.insert(cursor).second) return bad_page("next_cursor " + cursor + " came twice");
  }
}

}  // namespace sorak::client
