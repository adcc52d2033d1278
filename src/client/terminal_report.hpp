// terminal_report.hpp: small text renderings for `sorak stats`, `sorak poll`
// and `sorak history --format csv`. Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sorak::client {

// "1 message", "2 messages", "0 messages": a count with its noun in the
// right number (English: singular for exactly one).
std::string count_of(std::int64_t n, std::string_view singular, std::string_view plural);
// One character per value, ▁ (zero or the least) to █ (the most): "▁▃█▂".
std::string sparkline(const std::vector<std::int64_t>& values);
// A CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF.
std::string csv_field(std::string_view text);
// The CSV header and one row per Message object (docs/api.md), oldest first.
std::string csv_header();
std::string csv_row(const boost::json::object& message);
// A Showroom chat_messages entry (seed 000) as the Message object that
// format_chat_line() prints.
boost::json::object message_from_showroom(const boost::json::object& entry);

}  // namespace sorak::client
