// webhooks_command.cpp: `sorak webhooks add URL --events K,K [--stream ID] | list |
// remove ID | deliveries ID` manages webhooks through the admin API (CONTRACT §12,
// docs/api.md "Webhooks"). The secret is printed once, by add.
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "client/api.hpp"

namespace sorak::cli {
namespace {

namespace json = boost::json;

struct webhooks_options {
  std::string url;
  std::vector<std::string> events;
  std::string stream;
  std::string id;
  int limit = 20;
};

result<std::unique_ptr<client::api_client>> admin_api(const global_options& g) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  if (g.admin_key.empty())
    return usage_error("webhooks are managed with the admin key: pass --admin-key or set SORAK_ADMIN_KEY");
  return std::make_unique<client::api_client>(*ep, g.admin_key);
}

std::string text_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return "-";
  if (it->value().is_string()) return std::string(it->value().get_string());
  if (it->value().is_int64()) return std::to_string(it->value().get_int64());
  return json::serialize(it->value());
}

std::string events_of(const json::object& w) {
  std::string out;
  for (const auto& e : w.at("events").as_array()) {
    if (!out.empty()) out += ',';
    out += e.as_string();
  }
  return out;
}

status add(const global_options& g, const webhooks_options& o) {
  auto api = admin_api(g);
  if (!api) return api.err();
  json::array events;
  for (const auto& e : o.events) events.emplace_back(e);
  json::object body{{"url", o.url}, {"events", std::move(events)}};
  if (!o.stream.empty()) body["stream_id"] = o.stream;
  json::value v = std::move(body);
  auto r = (*api)->call("POST", "/api/v1/admin/webhooks", {}, &v);
  if (!r) return r.err();
  const auto& w = r->as_object();
  print_line(text_of(w, "secret"));
  std::cerr << "webhook " << text_of(w, "id") << " posts " << events_of(w) << " to " << text_of(w, "url")
            << "; the secret above signs each delivery and is shown only now: keep it." << std::endl;
  return ok_value;
}

status list(const global_options& g) {
  auto api = admin_api(g);
  if (!api) return api.err();
  auto r = (*api)->call("GET", "/api/v1/admin/webhooks");
  if (!r) return r.err();
  print_line("ID                                    CREATED                   STREAM                                EVENTS  URL");
  for (const auto& v : r->as_object().at("webhooks").as_array()) {
    const auto& w = v.as_object();
    std::string stream = text_of(w, "stream_id");
    if (stream == "-") stream = "(every stream)";
    stream.resize(std::max<std::size_t>(stream.size(), 36), ' ');
    print_line(text_of(w, "id") + "  " + text_of(w, "created_at") + "  " + stream + "  " + events_of(w) + "  " +
               text_of(w, "url"));
  }
  return ok_value;
}

status remove(const global_options& g, const webhooks_options& o) {
  auto api = admin_api(g);
  if (!api) return api.err();
  auto r = (*api)->call("DELETE", "/api/v1/admin/webhooks/" + o.id);
  if (!r) return r.err();
  print_line("removed " + o.id);
  return ok_value;
}

status deliveries(const global_options& g, const webhooks_options& o) {
  auto api = admin_api(g);
  if (!api) return api.err();
  auto r = (*api)->call("GET", "/api/v1/admin/webhooks/" + o.id + "/deliveries", {{"limit", std::to_string(o.limit)}});
  if (!r) return r.err();
  print_line("CREATED                   EVENT       STATUS     TRIES  ANSWER  DELIVERY                              ERROR");
  for (const auto& v : r->as_object().at("deliveries").as_array()) {
    const auto& d = v.as_object();
    auto pad = [](std::string s, std::size_t n) {
      s.resize(std::max(s.size(), n), ' ');
      return s;
    };
    print_line(text_of(d, "created_at") + "  " + pad(text_of(d, "event"), 10) + "  " + pad(text_of(d, "status"), 9) +
               "  " + pad(text_of(d, "attempts"), 5) + "  " + pad(text_of(d, "response_status"), 6) + "  " +
               text_of(d, "id") + "  " + (text_of(d, "error") == "-" ? "" : text_of(d, "error")));
  }
  return ok_value;
}

}  // namespace

void add_webhooks_command(CLI::App& app, const global_options& g, command_action& action) {
  auto o = std::make_shared<webhooks_options>();
  CLI::App* cmd = app.add_subcommand("webhooks", "register, list and remove webhooks, and read their delivery log (admin)");
  cmd->require_subcommand(1);
  CLI::App* a = cmd->add_subcommand("add", "register a receiver and print its signing secret (shown once)");
  a->add_option("url", o->url, "the receiver's http:// or https:// URL")->required();
  a->add_option("--events", o->events, "kinds to send: message, gift, deletion, moderation, stream, poll")
      ->required()
      ->delimiter(',');
  a->add_option("--stream", o->stream, "only this stream's events (a stream id)");
  a->callback([o, &g, &action] { action = [o, &g] { return add(g, *o); }; });
  CLI::App* l = cmd->add_subcommand("list", "list every webhook (never the secrets)");
  l->callback([&g, &action] { action = [&g] { return list(g); }; });
  CLI::App* r = cmd->add_subcommand("remove", "remove a webhook and its pending deliveries");
  r->add_option("id", o->id, "the webhook's id (from list)")->required();
  r->callback([o, &g, &action] { action = [o, &g] { return remove(g, *o); }; });
  CLI::App* d = cmd->add_subcommand("deliveries", "the webhook's newest deliveries: when, what, and how they went");
  d->add_option("id", o->id, "the webhook's id (from list)")->required();
  d->add_option("--limit", o->limit, "how many (1-200)")->check(CLI::Range(1, 200));
  d->callback([o, &g, &action] { action = [o, &g] { return deliveries(g, *o); }; });
}

}  // namespace sorak::cli
