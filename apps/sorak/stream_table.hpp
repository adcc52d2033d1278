// stream_table.hpp: streams as an aligned text table for `sorak stream list`.
// A pure function; any thread may call it.
#pragma once

#include <boost/json/array.hpp>

#include <string>
#include <vector>

namespace sorak::cli {

// A header line and one line per Stream object: room, status, started,
// stream id, broadcaster, title (last, so long titles need no padding).
std::vector<std::string> stream_table(const boost::json::array& streams);

}  // namespace sorak::cli
