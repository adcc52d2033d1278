// stream_table.cpp: column widths counted in code points, so names in any
// script line up as well as a terminal allows.
#include "stream_table.hpp"

#include <algorithm>
#include <array>

namespace sorak::cli {
namespace {

namespace json = boost::json;
constexpr std::size_t column_count = 6;
using row = std::array<std::string, column_count>;

std::string str(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::size_t width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// "2026-04-25T10:05:30.123Z" → "2026-04-25 10:05:30Z".
std::string short_time(std::string ts) {
  if (ts.size() >= 19) return ts.substr(0, 10) + " " + ts.substr(11, 8) + "Z";
  return ts;
}

row to_row(const json::value& v) {
  static const json::object empty;
  const json::object& s = v.is_object() ? v.get_object() : empty;
  return {str(s, "room_id"), str(s, "status"), short_time(str(s, "started_at")),
          str(s, "id"),      str(s, "broadcaster_user_id"), str(s, "title")};
}

}  // namespace

std::vector<std::string> stream_table(const json::array& streams) {
  std::vector<row> rows{{"ROOM", "STATUS", "STARTED (UTC)", "STREAM ID", "BROADCASTER", "TITLE"}};
  for (const auto& s : streams) rows.push_back(to_row(s));
  std::array<std::size_t, column_count> widths{};
  for (const auto& r : rows) {
    for (std::size_t i = 0; i < column_count; ++i) widths[i] = std::max(widths[i], width(r[i]));
  }
  std::vector<std::string> lines;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i + 1 < column_count; ++i) line += r[i] + std::string(widths[i] - width(r[i]) + 2, ' ');
    lines.push_back(line + r[column_count - 1]);
  }
  return lines;
}

}  // namespace sorak::cli
