// history_walk.hpp: reading a stream's whole chat history through
// `GET /api/v1/streams/{id}/chat/history?limit=&before=` (CONTRACT §8).
//
// Pages come newest first, each page's messages oldest first, exactly as the
// server sends them; the walk follows next_cursor until has_more is false or
// the callback says it has seen enough. A server that claims more pages
// without a cursor, or repeats a cursor, ends the walk with an error rather
// than a loop. Single-threaded, like the api_client it uses.
#pragma once

#include <boost/json/array.hpp>

#include <functional>
#include <string_view>

#include "client/api.hpp"
#include "sorak/result.hpp"

namespace sorak::client {

// on_page returns false to stop early.
using history_page_fn = std::function<bool(boost::json::array& messages)>;

status walk_history(api_client& api, std::string_view stream, int limit_per_page, const history_page_fn& on_page);

}  // namespace sorak::client
