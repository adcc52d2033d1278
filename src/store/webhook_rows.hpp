// webhook_rows.hpp: how both SQL stores keep a webhook's event list (comma-separated
// names, e.g. "message,gift"), so psql and the sqlite3 shell show it as typed.
//
// Internal to src/store/. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sorak/types.hpp"

namespace sorak::store_rows {

std::string encode_events(const std::vector<webhook_event>& events);
// Unknown names are skipped (a row written by a newer sorak is still read).
std::vector<webhook_event> decode_events(std::string_view text);

}  // namespace sorak::store_rows
