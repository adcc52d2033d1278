#include "client/terminal_report.hpp"

#include <algorithm>
#include <iterator>

namespace sorak::client {

namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  if (it->value().is_string()) return std::string(it->value().get_string());
  if (it->value().is_int64()) return std::to_string(it->value().get_int64());
  return {};
}

const json::object& sub(const json::object& o, std::string_view key) {
  static const json::object empty;
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? it->value().get_object() : empty;
}

}  // namespace

std::string count_of(std::int64_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + " " + std::string(n == 1 ? singular : plural);
}

std::string sparkline(const std::vector<std::int64_t>& values) {
  static const char* bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  const std::int64_t top = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
  std::string out;
  for (auto v : values) {
    const std::int64_t level = top <= 0 || v <= 0 ? 0 : std::max<std::int64_t>(1, (v * 7 + top - 1) / top);
    out += bars[std::min<std::int64_t>(level, 7)];
  }
  return out;
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_header() {
  return "id,created_at,message_type,user_id,username,display_name,content,gift_id,quantity,stars,reply_to";
}

std::string csv_row(const json::object& m) {
  const auto& user = sub(m, "user");
  const auto& gift = sub(m, "gift");
  const std::string fields[] = {str(m, "id"),      str(m, "created_at"),  str(m, "message_type"),
                                str(user, "id"),   str(user, "username"), str(user, "display_name"),
                                str(m, "content"), str(gift, "gift_id"),  str(gift, "quantity"),
                                str(m, "stars"),   str(m, "reply_to")};
  std::string row;
  for (std::size_t i = 0; i < std::size(fields); ++i) {
    if (i > 0) row += ',';
    row += csv_field(fields[i]);
  }
  return row;
}

json::object message_from_showroom(const json::object& e) {
  const auto& u = sub(e, "user");
  json::object user{
      {"id", str(u, "user_id")},
      {"username", str(u, "username")},
      {"display_name", str(u, "display_name")},
      {"level", u.contains("level") && u.at("level").is_int64() ? u.at("level").get_int64() : 0},
      {"is_premium", u.contains("is_premium") && u.at("is_premium").is_bool() && u.at("is_premium").get_bool()}};
  json::object m{{"id", str(e, "id")},
                 {"created_at", str(e, "timestamp")},
                 {"message_type", str(e, "type") == "gift" ? "gift" : "message"},
                 {"content", str(e, "message")},
                 {"user", std::move(user)}};
  if (auto g = e.find("gifts"); g != e.end() && g->value().is_object()) m["gift"] = g->value();
  if (auto s = e.find("stars"); s != e.end()) m["stars"] = s->value();
  return m;
}

}  // namespace sorak::client
