// stats_command.cpp: `sorak stats STREAM` prints a stream's analytics
// (GET /api/v1/streams/{id}/stats) as a terminal report: totals, a per-minute
// sparkline, the top chatters and gifters, and the gift table of the seed's
// track_showroom_gifts (gift, count, total stars; most stars first).
#include <boost/json/value.hpp>
#include <cstdio>
#include <memory>

#include "cli.hpp"
#include "client/api.hpp"
#include "client/endpoint.hpp"
#include "client/terminal_report.hpp"

namespace sorak::cli {
namespace {

namespace json = boost::json;

struct stats_options {
  std::string stream;
  std::string apikey;
  int top = 5;
};

std::int64_t num(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_int64() ? it->value().get_int64() : 0;
}

std::string str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

std::string padded(std::string text, std::size_t width) {
  // Pads by bytes: names are usually ASCII; a wide name only shifts its own row.
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string user_name(const json::object& entry) {
  const auto& u = entry.at("user").as_object();
  std::string name = str(u, "display_name");
  return name.empty() ? str(u, "id") : name;
}

void print_totals(const json::object& s) {
  char mpm[32];
  std::snprintf(mpm, sizeof mpm, "%.1f", s.at("messages_per_minute").to_number<double>());
  print_line("Room " + str(s, "room_id") + " (" + str(s, "status") + ", " + str(s, "duration") + ")");
  print_line("  messages      " + std::to_string(num(s, "total_messages")) + " (" +
             std::to_string(num(s, "chat_messages")) + " chat, " + client::count_of(num(s, "gift_count"), "gift", "gifts") +
             ") from " + client::count_of(num(s, "unique_users"), "user", "users"));
  print_line("  stars         " + std::to_string(num(s, "total_stars")));
  print_line("  per minute    " + std::string(mpm) + " messages");
  print_line("  viewers       " + std::to_string(num(s, "viewers")) + " now, peak " +
             std::to_string(num(s, "peak_viewers")));
}

void print_timeline(const json::object& s) {
  const auto& minutes = s.at("timeline").as_array();
  if (minutes.empty()) return;
  std::vector<std::int64_t> counts;
  std::int64_t peak = 0;
  for (const auto& m : minutes) {
    counts.push_back(num(m.as_object(), "messages"));
    peak = std::max(peak, counts.back());
  }
  const std::string first = str(minutes.front().as_object(), "minute").substr(11, 5);
  const std::string last = str(minutes.back().as_object(), "minute").substr(11, 5);
  print_line("  timeline      " + client::sparkline(counts) + "  " + first + "–" + last + " UTC, most " +
             std::to_string(peak) + "/min");
}

void print_people(const json::object& s) {
  print_line("");
  print_line("Top chatters");
  int i = 0;
  for (const auto& v : s.at("top_chatters").as_array()) {
    const auto& e = v.as_object();
    print_line("  " + std::to_string(++i) + ". " + padded(user_name(e), 24) +
               client::count_of(num(e, "messages"), "message", "messages"));
  }
  print_line("");
  print_line("Top gifters");
  i = 0;
  for (const auto& v : s.at("top_gifters").as_array()) {
    const auto& e = v.as_object();
    print_line("  " + std::to_string(++i) + ". " + padded(user_name(e), 24) +
               client::count_of(num(e, "stars"), "star", "stars") + ", " +
               client::count_of(num(e, "gifts"), "gift", "gifts"));
  }
}

void print_gifts(const json::object& s) {
  print_line("");
  print_line("Gifts");
  print_line("  " + padded("Gift", 20) + padded("Count", 8) + "Total stars");
  for (const auto& v : s.at("gifts").as_array()) {
    const auto& g = v.as_object();
    print_line("  " + padded(str(g, "gift_name"), 20) + padded(std::to_string(num(g, "count")), 8) +
               std::to_string(num(g, "total_stars")));
  }
}

status run_stats(const global_options& g, const stats_options& o) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  std::string credential = !g.token.empty() ? g.token : g.admin_key;
  client::query_params query{{"top", std::to_string(o.top)}};
  if (credential.empty()) {
    if (o.apikey.empty())
      return usage_error("stats needs --token, --admin-key or --apikey (or their SORAK_* variables)");
    query.emplace_back("apikey", o.apikey);
  }
  client::api_client api(*ep, credential);
  auto r = api.call("GET", client::stream_path(o.stream) + "/stats", query);
  if (!r) return r.err();
  const auto& s = r->as_object();
  print_totals(s);
  print_timeline(s);
  print_people(s);
  print_gifts(s);
  return ok_value;
}

}  // namespace

void add_stats_command(CLI::App& app, const global_options& g, command_action& action) {
  auto o = std::make_shared<stats_options>();
  CLI::App* cmd =
      app.add_subcommand("stats", "a stream's analytics: totals, timeline, top chatters and gifters, gifts");
  cmd->add_option("stream", o->stream, "stream id or room id")->required();
  cmd->add_option("--apikey", o->apikey, "a Showroom API key instead of a token")->envname("SORAK_API_KEY");
  cmd->add_option("--top", o->top, "how many chatters and gifters to list")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->callback([o, &g, &action] { action = [o, &g] { return run_stats(g, *o); }; });
}

}  // namespace sorak::cli
