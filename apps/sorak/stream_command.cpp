// stream_command.cpp: `sorak stream create|list|end` over the REST API.
#include <memory>

#include <boost/json/serialize.hpp>

#include "cli.hpp"
#include "client/api.hpp"
#include "stream_table.hpp"

namespace sorak::cli {
namespace {

namespace json = boost::json;

struct stream_options {
  std::string title;
  std::string room_name;
  std::string broadcaster;  // admin create only
  std::string room_id;      // admin create; list filter
  std::string status;       // list filter
  std::string stream;       // end
  bool json = false;
};

std::string str(const json::value& v, std::string_view key) {
  const auto* obj = v.if_object();
  const auto* field = obj ? obj->if_contains(key) : nullptr;
  return field && field->is_string() ? std::string(field->get_string()) : std::string();
}

// Admin create (with --broadcaster) takes the admin key; a user's create
// takes their token, and they become the broadcaster.
result<std::string> creator_credential(const global_options& g, const stream_options& o) {
  if (!o.broadcaster.empty()) {
    if (g.admin_key.empty()) return usage_error("--broadcaster needs --admin-key (or SORAK_ADMIN_KEY)");
    return g.admin_key;
  }
  if (!o.room_id.empty()) return usage_error("--room-id needs --broadcaster and the admin key");
  return require_token(g);
}

status run_create(const global_options& g, const stream_options& o) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  auto credential = creator_credential(g, o);
  if (!credential) return credential.err();
  json::value body = json::object{{"title", o.title}};
  if (!o.room_name.empty()) body.get_object()["room_name"] = o.room_name;
  if (!o.broadcaster.empty()) body.get_object()["broadcaster_user_id"] = o.broadcaster;
  if (!o.room_id.empty()) body.get_object()["room_id"] = o.room_id;
  client::api_client api(*ep, *credential);
  auto created = api.call("POST", "/api/v1/streams", {}, &body);
  if (!created) return created.err();
  if (o.json) {
    print_line(json::serialize(*created));
  } else {
    print_line("stream id: " + str(*created, "id"));
    print_line("room id:   " + str(*created, "room_id"));
  }
  return ok_value;
}

status run_list(const global_options& g, const stream_options& o) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  client::query_params query;
  if (!o.status.empty()) query.emplace_back("status", o.status);
  if (!o.room_id.empty()) query.emplace_back("room_id", o.room_id);
  client::api_client api(*ep, {});
  auto listed = api.call("GET", "/api/v1/streams", query);
  if (!listed) return listed.err();
  const auto* obj = listed->if_object();
  const auto* streams = obj ? obj->if_contains("streams") : nullptr;
  if (!streams || !streams->is_array()) return error(errc::invalid_response, "the answer has no streams array");
  if (o.json) {
    for (const auto& s : streams->get_array()) print_line(json::serialize(s));
  } else {
    for (const auto& line : stream_table(streams->get_array())) print_line(line);
  }
  return ok_value;
}

// The admin key when given (it may end any stream), else the token.
status run_end(const global_options& g, const stream_options& o) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  auto credential = g.admin_key.empty() ? require_token(g) : result<std::string>(g.admin_key);
  if (!credential) return credential.err();
  const json::value body = json::object{{"status", "ended"}};
  client::api_client api(*ep, *credential);
  auto ended = api.call("PATCH", client::stream_path(o.stream), {}, &body);
  if (!ended) return ended.err();
  print_line("stream " + str(*ended, "id") + " (room " + str(*ended, "room_id") + ") " + str(*ended, "status"));
  return ok_value;
}

}  // namespace

void add_stream_command(CLI::App& app, const global_options& g, command_action& action) {
  auto o = std::make_shared<stream_options>();
  CLI::App* cmd = app.add_subcommand("stream", "create, list and end streams");
  cmd->require_subcommand(1);

  CLI::App* create = cmd->add_subcommand("create", "create a live stream (you become its broadcaster)");
  create->add_option("--title", o->title, "stream title")->required();
  create->add_option("--room-name", o->room_name, "room name");
  create->add_option("--broadcaster", o->broadcaster, "admin: the broadcaster's user id");
  create->add_option("--room-id", o->room_id, "admin: the room id to use")->check(CLI::PositiveNumber);
  create->add_flag("--json", o->json, "print the created stream as JSON");
  create->callback([o, &g, &action] { action = [o, &g] { return run_create(g, *o); }; });

  CLI::App* list = cmd->add_subcommand("list", "list streams, newest first");
  list->add_option("--status", o->status, "live or ended")->check(CLI::IsMember({"live", "ended"}));
  list->add_option("--room-id", o->room_id, "only this room");
  list->add_flag("--json", o->json, "print each stream as a JSON line");
  list->callback([o, &g, &action] { action = [o, &g] { return run_list(g, *o); }; });

  CLI::App* end = cmd->add_subcommand("end", "end a stream (broadcaster or admin)");
  end->add_option("stream", o->stream, "stream id or room id")->required();
  end->callback([o, &g, &action] { action = [o, &g] { return run_end(g, *o); }; });
}

}  // namespace sorak::cli
