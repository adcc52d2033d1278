// apikey_command.cpp: `sorak apikey create NAME | list | revoke ID` manages the
// Showroom-style API's keys through the admin API (CONTRACT §3). The key is
// printed once, by create; the server keeps only its hash.
#include <boost/json/value.hpp>
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "client/api.hpp"

namespace sorak::cli {
namespace {

namespace json = boost::json;

struct apikey_options {
  std::string name;
  std::string id;
};

// The api_client is neither copyable nor movable: it lives on the heap.
result<std::unique_ptr<client::api_client>> admin_api(const global_options& g) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  if (g.admin_key.empty())
    return usage_error("API keys are managed with the admin key: pass --admin-key or set SORAK_ADMIN_KEY");
  return std::make_unique<client::api_client>(*ep, g.admin_key);
}

std::string text_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string("-");
}

status create(const global_options& g, const apikey_options& o) {
  auto api = admin_api(g);
  if (!api) return api.err();
  json::value body = json::object{{"name", o.name}};
  auto r = (*api)->call("POST", "/api/v1/admin/api-keys", {}, &body);
  if (!r) return r.err();
  const auto& k = r->as_object();
  print_line(text_of(k, "key"));
  std::cerr << "API key \"" << text_of(k, "name") << "\" created (id " << text_of(k, "id")
            << "); it is shown only now: keep it." << std::endl;
  return ok_value;
}

status list(const global_options& g) {
  auto api = admin_api(g);
  if (!api) return api.err();
  auto r = (*api)->call("GET", "/api/v1/admin/api-keys");
  if (!r) return r.err();
  print_line("ID                                    PREFIX   CREATED                   STATUS   NAME");
  for (const auto& v : r->as_object().at("api_keys").as_array()) {
    const auto& k = v.as_object();
    const bool revoked = k.at("revoked_at").is_string();
    std::string line = text_of(k, "id");
    line.append("  ").append(text_of(k, "prefix")).append("  ").append(text_of(k, "created_at"));
    line.append("  ").append(revoked ? "revoked" : "active ").append("  ").append(text_of(k, "name"));
    print_line(line);
  }
  return ok_value;
}

status revoke(const global_options& g, const apikey_options& o) {
  auto api = admin_api(g);
  if (!api) return api.err();
  auto r = (*api)->call("DELETE", "/api/v1/admin/api-keys/" + o.id);
  if (!r) return r.err();
  print_line("revoked " + o.id);
  return ok_value;
}

}  // namespace

void add_apikey_command(CLI::App& app, const global_options& g, command_action& action) {
  auto o = std::make_shared<apikey_options>();
  CLI::App* cmd = app.add_subcommand("apikey", "create, list and revoke keys for the Showroom-style API (admin)");
  cmd->require_subcommand(1);
  CLI::App* c = cmd->add_subcommand("create", "make a key and print it (shown once)");
  c->add_option("name", o->name, "what the key is for")->required();
  c->callback([o, &g, &action] { action = [o, &g] { return create(g, *o); }; });
  CLI::App* l = cmd->add_subcommand("list", "list every key (never the keys themselves)");
  l->callback([&g, &action] { action = [&g] { return list(g); }; });
  CLI::App* r = cmd->add_subcommand("revoke", "stop a key from working");
  r->add_option("id", o->id, "the key's id (from list)")->required();
  r->callback([o, &g, &action] { action = [o, &g] { return revoke(g, *o); }; });
}

}  // namespace sorak::cli
