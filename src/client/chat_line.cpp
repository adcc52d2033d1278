// chat_line.cpp: the seed's display format.
#include "client/chat_line.hpp"

#include <algorithm>
#include <ctime>

#include "core/clock.hpp"

namespace sorak::client {
namespace {

namespace json = boost::json;

std::string str(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t num(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) return static_cast<std::int64_t>(v->get_double());
  return 0;
}

bool flag(const json::object& obj, std::string_view key) {
  const auto* v = obj.if_contains(key);
  return v && v->is_bool() && v->get_bool();
}

const json::object& sub_object(const json::object& obj, std::string_view key) {
  static const json::object empty;
  const auto* v = obj.if_contains(key);
  return v && v->is_object() ? v->get_object() : empty;
}

// "[HH:MM:SS]" of an RFC 3339 timestamp, or "[--:--:--]" when unreadable.
std::string clock_time(const std::string& rfc3339, display_zone zone) {
  const auto ms = parse_rfc3339(rfc3339);
  if (!ms) return "[--:--:--]";
  std::time_t secs = static_cast<std::time_t>(*ms >= 0 ? *ms / 1000 : (*ms - 999) / 1000);
  std::tm parts{};
  if (zone == display_zone::utc ? gmtime_r(&secs, &parts) == nullptr : localtime_r(&secs, &parts) == nullptr) {
    return "[--:--:--]";
  }
  char buf[16];
  std::strftime(buf, sizeof buf, "[%H:%M:%S]", &parts);
  return buf;
}

// One line even for multi-line messages: line breaks and tabs become spaces.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return text;
}

// "💎Lv.12 Alice": the seed's `${premium}${level} ${display_name}`.
std::string user_label(const json::object& user) {
  std::string name = str(user, "display_name");
  if (name.empty()) name = str(user, "username");
  if (name.empty()) name = str(user, "id");
  std::string label = flag(user, "is_premium") ? "💎" : "";
  return label + "Lv." + std::to_string(num(user, "level")) + " " + one_line(name);
}

std::string gift_line(const json::object& msg, const std::string& head) {
  const json::object& gift = sub_object(msg, "gift");
  std::string gift_name = str(gift, "gift_name");
  if (gift_name.empty()) gift_name = str(gift, "gift_id");
  const std::int64_t stars = msg.contains("stars") ? num(msg, "stars") : num(gift, "total_stars");
  std::string line = "🎁 " + head + " sent " + std::to_string(num(gift, "quantity")) + "x " + one_line(gift_name) +
                     " (" + std::to_string(stars) + " stars)";
  const std::string content = str(msg, "content");
  if (!content.empty()) line += ": " + one_line(content);
  return line;
}

// The first `n` code points of UTF-8 `text`, with "…" when cut.
std::string first_code_points(const std::string& text, std::size_t n) {
  std::size_t i = 0;
  for (std::size_t points = 0; i < text.size(); ++points) {
    if (points == n) return text.substr(0, i) + "…";
    const unsigned char c = static_cast<unsigned char>(text[i]);
    i += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  }
  return text;
}

std::string plural(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string format_chat_line(const json::object& message, display_zone zone) {
  const std::string time = clock_time(str(message, "created_at"), zone);
  const std::string type = str(message, "message_type");
  const std::string content = one_line(str(message, "content"));
  if (type == "system") return "📢 " + time + " " + content;
  if (type == "moderation") return "🛡 " + time + " " + content;
  const std::string head = time + " " + user_label(sub_object(message, "user"));
  if (type == "gift") return gift_line(message, head);
  return "💬 " + head + ": " + content;
}

std::string format_reply_quote(const json::object* parent) {
  if (!parent) return "   ↩ (deleted message)";
  const json::object& user = sub_object(*parent, "user");
  std::string name = str(user, "display_name");
  if (name.empty()) name = str(user, "username");
  if (name.empty()) name = str(user, "id");
  return "   ↩ " + one_line(name) + ": " + first_code_points(one_line(str(*parent, "content")), 40);
}

std::vector<std::string> format_poll_lines(const json::object& poll, display_zone zone) {
  const std::int64_t total = num(poll, "total_votes");
  const bool open = str(poll, "status") == "open";
  std::string head = "📊 " + one_line(str(poll, "question")) + " (" + plural(total, "vote", "votes") + ", ";
  if (open) {
    const std::string until = clock_time(str(poll, "ends_at"), zone);
    head += "open until " + until.substr(1, until.size() - 2) + ")";
  } else {
    head += "final result)";
  }
  std::vector<std::string> out{head};
  const auto* options = poll.if_contains("options");
  if (!options || !options->is_array()) return out;
  std::int64_t best = 0;
  for (const auto& o : options->get_array())
    if (o.is_object()) best = std::max(best, num(o.get_object(), "votes"));
  for (const auto& o : options->get_array()) {
    if (!o.is_object()) continue;
    const auto votes = num(o.get_object(), "votes");
    const int pct = total > 0 ? static_cast<int>((votes * 100 + total / 2) / total) : 0;
    const int filled = total > 0 ? static_cast<int>((votes * 20 + total / 2) / total) : 0;
    std::string bar;
    for (int i = 0; i < 20; ++i) bar += i < filled ? "█" : "░";
    const bool winner = !open && total > 0 && votes == best;
    out.push_back((winner ? "   ★ " : "     ") + first_code_points(one_line(str(o.get_object(), "text")), 30) + "  " + bar +
                  "  " + std::to_string(votes) + "  " + std::to_string(pct) + "%");
  }
  return out;
}

std::optional<std::string> format_event_line(const json::object& event, display_zone zone) {
  const std::string type = str(event, "type");
  const json::object& data = sub_object(event, "data");
  if (type == "message") return format_chat_line(data, zone);
  if (type == "message_deleted") return "· message " + str(data, "message_id") + " deleted";
  if (type == "chat_cleared") return "· messages of " + str(data, "user_id") + " cleared";
  if (type == "stream_status") return "· stream " + str(data, "status");
  if (type == "viewer_count") return "· " + plural(num(data, "count"), "viewer", "viewers");
  if (type == "skipped") {
    return "· " + plural(num(data, "count"), "message", "messages") + " skipped (fell behind): " + str(data, "from_id") +
           " … " + str(data, "to_id") + " are in the history";
  }
  if (type == "error") return "· error: " + str(event, "message") + " (" + str(event, "code") + ")";
  if (type == "poll") {
    std::string joined;
    for (const auto& line : format_poll_lines(data, zone)) joined += (joined.empty() ? "· " : "\n  ") + line;
    return joined;
  }
  if (type == "voted") return "· voted";
  if (type == "pinned") {
    const auto* pinned = event.if_contains("data");
    if (!pinned || !pinned->is_object()) return std::string("· pin removed");
    return "· pinned: " + format_chat_line(pinned->get_object(), zone);
  }
  return std::nullopt;
}

}  // namespace sorak::client
