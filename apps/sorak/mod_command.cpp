// mod_command.cpp: `sorak mod …`, the moderation API (CONTRACT §6) from the
// terminal: add, remove, list, delete, timeout, untimeout, ban, unban,
// settings, log, and (CONTRACT §12) terms, block, unblock, pin, unpin. Each subcommand is one REST call made with the admin key
// when given, else the user token; the answer is printed as JSON lines
// (lists: one line per entry), or "ok" for a 204.
#include <boost/json/serialize.hpp>
#include <memory>
#include <optional>

#include "cli.hpp"
#include "client/api.hpp"

namespace sorak::cli {
namespace {

namespace json = boost::json;

struct mod_options {
  std::string stream;
  std::string user;
  std::string message;
  bool vip = false;
  std::string badge_type;
  std::int64_t duration = 600;
  std::string reason;
  bool purge = false;
  std::optional<int> slow;
  std::optional<int> max_length;
  std::string subscribers_only;  // on | off
  std::string chat;              // on | off
  int limit = 100;
  std::string term;
};

result<std::string> credential(const global_options& g) {
  if (!g.admin_key.empty()) return g.admin_key;
  return require_token(g);
}

// One REST call; prints the answer: each entry of `list_key` on its own line,
// the whole object otherwise, "ok" for an empty (204) answer.
status call(const global_options& g, std::string_view method, const std::string& path,
            const client::query_params& query = {}, const json::value* body = nullptr, std::string_view list_key = {}) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  auto cred = credential(g);
  if (!cred) return cred.err();
  client::api_client api(*ep, *cred);
  auto answer = api.call(method, path, query, body);
  if (!answer) return answer.err();
  if (answer->is_null()) {
    print_line("ok");
    return ok_value;
  }
  const auto* obj = answer->if_object();
  const auto* list = obj && !list_key.empty() ? obj->if_contains(list_key) : nullptr;
  if (list && list->is_array()) {
    for (const auto& e : list->get_array()) print_line(json::serialize(e));
  } else {
    print_line(json::serialize(*answer));
  }
  return ok_value;
}

std::string under(const mod_options& o, std::string_view rest) {
  return client::stream_path(o.stream) + std::string(rest);
}

status run_sanction(const global_options& g, const mod_options& o, bool timeout) {
  json::object body{{"user_id", o.user}};
  if (timeout) body["duration_seconds"] = o.duration;
  if (!o.reason.empty()) body["reason"] = o.reason;
  if (o.purge) body["purge"] = true;
  const json::value v = std::move(body);
  return call(g, "POST", under(o, timeout ? "/timeouts" : "/bans"), {}, &v);
}

status run_settings(const global_options& g, const mod_options& o) {
  json::object body;
  if (o.slow) body["slow_mode_seconds"] = *o.slow;
  if (o.max_length) body["max_message_length"] = *o.max_length;
  if (!o.subscribers_only.empty()) body["subscribers_only"] = o.subscribers_only == "on";
  if (!o.chat.empty()) body["chat_enabled"] = o.chat == "on";
  if (body.empty()) return call(g, "GET", under(o, "/chat/settings"));
  const json::value v = std::move(body);
  return call(g, "PATCH", under(o, "/chat/settings"), {}, &v);
}

using runner = std::function<status(const global_options&, const mod_options&)>;

// Registers `name` with a stream argument (and a user / message argument when
// `second` names one).
CLI::App* sub(CLI::App* cmd, const char* name, const char* help, mod_options& o, const char* second,
              std::string* second_target) {
  CLI::App* c = cmd->add_subcommand(name, help);
  c->add_option("stream", o.stream, "stream id or room id")->required();
  if (second) c->add_option(second, *second_target, std::string(second) + " id")->required();
  return c;
}

void on_run(CLI::App* c, const std::shared_ptr<mod_options>& o, const global_options& g, command_action& action,
            runner run) {
  c->callback([o, &g, &action, run] { action = [o, &g, run] { return run(g, *o); }; });
}

}  // namespace

void add_mod_command(CLI::App& app, const global_options& g, command_action& action) {
  auto o = std::make_shared<mod_options>();
  CLI::App* cmd = app.add_subcommand("mod", "moderate a stream: moderators, deletions, timeouts, bans, settings, log, blocked terms, the pin");
  cmd->require_subcommand(1);
  const std::vector<std::string> on_off = {"on", "off"};

  auto* add = sub(cmd, "add", "make a user a moderator (or --vip) of the stream", *o, "user", &o->user);
  add->add_flag("--vip", o->vip, "grant the VIP badge instead");
  on_run(add, o, g, action, [](const global_options& g, const mod_options& o) {
    const json::value body = json::object{{"user_id", o.user}, {"badge_type", o.vip ? "vip" : "moderator"}};
    return call(g, "POST", under(o, "/moderators"), {}, &body);
  });

  auto* remove = sub(cmd, "remove", "take a user's moderator or VIP badge", *o, "user", &o->user);
  on_run(remove, o, g, action, [](const global_options& g, const mod_options& o) {
    return call(g, "DELETE", under(o, "/moderators/" + o.user));
  });

  auto* list = sub(cmd, "list", "list the stream's moderators and VIPs, one JSON line each", *o, nullptr, nullptr);
  list->add_option("--badge-type", o->badge_type, "moderator or vip")->check(CLI::IsMember({"moderator", "vip"}));
  on_run(list, o, g, action, [](const global_options& g, const mod_options& o) {
    client::query_params q;
    if (!o.badge_type.empty()) q.emplace_back("badge_type", o.badge_type);
    return call(g, "GET", under(o, "/moderators"), q, nullptr, "moderators");
  });

  auto* del = sub(cmd, "delete", "delete a message", *o, "message", &o->message);
  on_run(del, o, g, action, [](const global_options& g, const mod_options& o) {
    return call(g, "DELETE", under(o, "/chat/messages/" + o.message));
  });

  auto* timeout = sub(cmd, "timeout", "time a user out", *o, "user", &o->user);
  timeout->add_option("--duration", o->duration, "seconds (1..1209600)")->capture_default_str();
  timeout->add_option("--reason", o->reason, "why (shown in the chat and the log)");
  timeout->add_flag("--purge", o->purge, "also delete the user's messages in the stream");
  on_run(timeout, o, g, action, [](const global_options& g, const mod_options& o) { return run_sanction(g, o, true); });

  auto* untimeout = sub(cmd, "untimeout", "lift a user's timeout", *o, "user", &o->user);
  on_run(untimeout, o, g, action, [](const global_options& g, const mod_options& o) {
    return call(g, "DELETE", under(o, "/timeouts/" + o.user));
  });

  auto* ban = sub(cmd, "ban", "ban a user from the stream's chat", *o, "user", &o->user);
  ban->add_option("--reason", o->reason, "why (shown in the chat and the log)");
  ban->add_flag("--purge", o->purge, "also delete the user's messages in the stream");
  on_run(ban, o, g, action, [](const global_options& g, const mod_options& o) { return run_sanction(g, o, false); });

  auto* unban = sub(cmd, "unban", "lift a user's ban", *o, "user", &o->user);
  on_run(unban, o, g, action,
         [](const global_options& g, const mod_options& o) { return call(g, "DELETE", under(o, "/bans/" + o.user)); });

  auto* settings = sub(cmd, "settings", "show the chat settings, or change the ones given", *o, nullptr, nullptr);
  settings->add_option("--slow", o->slow, "slow mode seconds (0..120, 0 = off)");
  settings->add_option("--max-length", o->max_length, "max message length (1..2000)");
  settings->add_option("--subscribers-only", o->subscribers_only, "on or off")->check(CLI::IsMember(on_off));
  settings->add_option("--chat", o->chat, "on or off")->check(CLI::IsMember(on_off));
  on_run(settings, o, g, action, run_settings);

  auto* log = sub(cmd, "log", "the moderation log, newest first, one JSON line each", *o, nullptr, nullptr);
  log->add_option("--limit", o->limit, "how many (1..1000)")->capture_default_str();
  on_run(log, o, g, action, [](const global_options& g, const mod_options& o) {
    return call(g, "GET", under(o, "/moderation/log"), {{"limit", std::to_string(o.limit)}}, nullptr, "actions");
  });

  auto* terms = sub(cmd, "terms", "the stream's blocked terms, one JSON line each", *o, nullptr, nullptr);
  on_run(terms, o, g, action, [](const global_options& g, const mod_options& o) {
    return call(g, "GET", under(o, "/chat/blocked-terms"), {}, nullptr, "data");
  });

  auto* block = sub(cmd, "block", "refuse messages containing a term (any case or width)", *o, "term", &o->term);
  on_run(block, o, g, action, [](const global_options& g, const mod_options& o) {
    const json::value body = json::object{{"term", o.term}};
    return call(g, "POST", under(o, "/chat/blocked-terms"), {}, &body);
  });

  auto* unblock = sub(cmd, "unblock", "remove a blocked term (its id, from `sorak mod terms`)", *o, "term", &o->term);
  on_run(unblock, o, g, action, [](const global_options& g, const mod_options& o) {
    return call(g, "DELETE", under(o, "/chat/blocked-terms/" + o.term));
  });

  auto* pin = sub(cmd, "pin", "pin a message at the top of the chat", *o, "message", &o->message);
  on_run(pin, o, g, action, [](const global_options& g, const mod_options& o) {
    const json::value body = json::object{{"message_id", o.message}};
    return call(g, "POST", under(o, "/chat/pin"), {}, &body);
  });

  auto* unpin = sub(cmd, "unpin", "unpin the pinned message", *o, nullptr, nullptr);
  on_run(unpin, o, g, action,
         [](const global_options& g, const mod_options& o) { return call(g, "DELETE", under(o, "/chat/pin")); });
}

}  // namespace sorak::cli
