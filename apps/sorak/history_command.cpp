// history_command.cpp: `sorak history` exports a stream's whole chat, oldest
// first, as JSON lines, CSV (one header line, then a row per message) or in
// the chat display format.
#include <memory>
#include <vector>

#include <boost/json/serialize.hpp>

#include "cli.hpp"
#include "client/api.hpp"
#include "client/chat_line.hpp"
#include "client/history_walk.hpp"
#include "client/terminal_report.hpp"

namespace sorak::cli {
namespace {

namespace json = boost::json;

struct history_options {
  std::string stream;
  std::string format = "jsonl";
  int limit_per_page = 100;
  bool utc = false;
};

// The token if there is one, else the admin key: both may read history.
result<std::string> reader_credential(const global_options& g) {
  if (!g.token.empty()) return g.token;
  if (!g.admin_key.empty()) return g.admin_key;
  return usage_error("reading history needs --token (or SORAK_TOKEN) or --admin-key (or SORAK_ADMIN_KEY)");
}

void print_message(const json::value& m, const history_options& o) {
  if (o.format == "csv" && m.is_object()) {
    print_line(client::csv_row(m.get_object()));
  } else if (o.format == "text" && m.is_object()) {
    print_line(client::format_chat_line(m.get_object(), o.utc ? client::display_zone::utc : client::display_zone::local));
  } else {
    print_line(json::serialize(m));
  }
}

status run_history(const global_options& g, const history_options& o) {
  auto ep = server_endpoint(g);
  if (!ep) return ep.err();
  auto credential = reader_credential(g);
  if (!credential) return credential.err();
  client::api_client api(*ep, *credential);
  // Pages arrive newest first; the export is oldest first, so keep them all.
  std::vector<json::array> pages;
  auto st = client::walk_history(api, o.stream, o.limit_per_page, [&](json::array& page) {
    pages.push_back(std::move(page));
    return true;
  });
  if (!st) return st;
  if (o.format == "csv") print_line(client::csv_header());
  for (auto page = pages.rbegin(); page != pages.rend(); ++page) {
    for (const auto& m : *page) print_message(m, o);
  }
  return ok_value;
}

}  // namespace

void add_history_command(CLI::App& app, const global_options& g, command_action& action) {
  auto o = std::make_shared<history_options>();
  CLI::App* cmd = app.add_subcommand("history", "print a stream's whole chat history, oldest first");
  cmd->add_option("stream", o->stream, "stream id or room id")->required();
  cmd->add_option("--format", o->format, "jsonl (one Message per line), csv or text")
      ->check(CLI::IsMember({"jsonl", "csv", "text"}))
      ->capture_default_str();
  cmd->add_option("--limit-per-page", o->limit_per_page, "messages per request")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_flag("--utc", o->utc, "text format: show times in UTC instead of local time");
  cmd->callback([o, &g, &action] { action = [o, &g] { return run_history(g, *o); }; });
}

}  // namespace sorak::cli
