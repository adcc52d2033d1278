// poll_command.cpp: `sorak poll ROOM` follows a room through the Showroom-style
// API (seed 000's polling loop, done right):
//   - `since` is the newest timestamp already shown, so nothing repeats, and
//     the server answers the OLDEST `limit` messages after it, so nothing is
//     skipped however far behind the poller is;
//   - a full page means more are waiting: poll again at once instead of sleeping;
//   - lines come out oldest first (the API sends newest first);
//   - a failed poll (network, 429, 5xx) waits and retries; 400/401/404 stop it.
#include <boost/json/serialize.hpp>
#include <chrono>
#include <memory>
#include <thread>

#include "cli.hpp"
#include "client/api.hpp"
#include "client/chat_line.hpp"
#include "client/terminal_report.hpp"
#include "core/clock.hpp"

namespace sorak::cli {
namespace {

namespace json = boost::json;

struct poll_options {
  std::string room;
  std::string apikey;
  std::string since;
  int limit = 100;
  double interval = 2.0;
  double duration = 0;  // 0 = until interrupted
  std::string format = "text";
  bool utc = false;
};

bool fatal(const error& e) { return e.http_status == 400 || e.http_status == 401 || e.http_status == 404; }

void print_entry(const json::object& entry, const poll_options& o) {
  if (o.format == "jsonl") return print_line(json::serialize(entry));
  const auto zone = o.utc ? client::display_zone::utc : client::display_zone::local;
  print_line(client::format_chat_line(client::message_from_showroom(entry), zone));
}

status run_poll(const global_options& g, const poll_options& o) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  if (o.apikey.empty())
    return usage_error("poll needs an API key: pass --apikey or set SORAK_API_KEY (`sorak apikey create`)");
  client::api_client api(*ep, "");
  std::string since = o.since.empty() ? format_rfc3339_ms(now_millis()) : o.since;
  const auto started = std::chrono::steady_clock::now();
  const auto pause = std::chrono::milliseconds(static_cast<std::int64_t>(o.interval * 1000));
  const auto done = [&] {
    return o.duration > 0 && std::chrono::steady_clock::now() - started >= std::chrono::duration<double>(o.duration);
  };
  while (!done()) {
    auto r =
        api.call("GET", "/api/jkt48/chat-stream-sr",
                 {{"room_id", o.room}, {"apikey", o.apikey}, {"since", since}, {"limit", std::to_string(o.limit)}});
    if (!r) {
      if (fatal(r.err())) return r.err();
      print_error(r.err());
      std::this_thread::sleep_for(std::max(pause, std::chrono::milliseconds(5000)));
      continue;
    }
    const auto& page = r->as_object().at("chat_messages").as_array();
    for (auto it = page.rbegin(); it != page.rend(); ++it)
      if (it->is_object()) print_entry(it->get_object(), o);
    if (!page.empty()) since = std::string(page.front().as_object().at("timestamp").as_string());
    if (page.size() < static_cast<std::size_t>(o.limit)) std::this_thread::sleep_for(pause);
  }
  return ok_value;
}

}  // namespace

void add_poll_command(CLI::App& app, const global_options& g, command_action& action) {
  auto o = std::make_shared<poll_options>();
  CLI::App* cmd = app.add_subcommand("poll", "follow a room through the Showroom-style API (no WebSocket)");
  cmd->add_option("room", o->room, "room id")->required();
  cmd->add_option("--apikey", o->apikey, "API key")->envname("SORAK_API_KEY");
  cmd->add_option("--since", o->since, "start after this RFC 3339 time (default: now)");
  cmd->add_option("--limit", o->limit, "messages per request")->check(CLI::Range(1, 1000))->capture_default_str();
  cmd->add_option("--interval", o->interval, "seconds between polls when caught up")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  cmd->add_option("--duration", o->duration, "stop after this many seconds (0: run until interrupted)")
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--format", o->format, "text (the seed's display format) or jsonl (the API's entries)")
      ->check(CLI::IsMember({"text", "jsonl"}))
      ->capture_default_str();
  cmd->add_flag("--utc", o->utc, "show times in UTC instead of local time");
  cmd->callback([o, &g, &action] { action = [o, &g] { return run_poll(g, *o); }; });
}

}  // namespace sorak::cli
