// cli.hpp: what every `sorak` subcommand shares: the global options, the
// way a command reports its outcome, and the registration functions, one per
// subcommand file.
//
// A subcommand parses into its own options, and on selection stores a
// `command_action` that main() runs after parsing; the action returns a
// status, which main() turns into exit code 0, or 1 with one line on stderr.
// Single-threaded, like the whole CLI.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "client/endpoint.hpp"
#include "sorak/result.hpp"

namespace sorak::cli {

struct global_options {
  std::string url = "http://127.0.0.1:8080";  // --url, env SORAK_URL
  std::string token;                          // --token, env SORAK_TOKEN
  std::string admin_key;                      // --admin-key, env SORAK_ADMIN_KEY
};

using command_action = std::function<status()>;

// A mistake in how the command was called (code "usage").
error usage_error(std::string message);
// The parsed --url, or an error naming what is wrong with it.
result<client::endpoint> server_endpoint(const global_options& g);
// The user token, or a usage error telling how to pass one.
result<std::string> require_token(const global_options& g);
// "sorak: <message> (<code>)" on stderr.
void print_error(const error& e);
// Writes one line to stdout and flushes it, so pipes see it at once.
void print_line(std::string_view line);

void add_token_command(CLI::App& app, command_action& action);
void add_migrate_command(CLI::App& app, command_action& action);
void add_send_command(CLI::App& app, const global_options& g, command_action& action);
void add_watch_command(CLI::App& app, const global_options& g, command_action& action);
void add_history_command(CLI::App& app, const global_options& g, command_action& action);
void add_stream_command(CLI::App& app, const global_options& g, command_action& action);
void add_bench_command(CLI::App& app, const global_options& g, command_action& action);
void add_mod_command(CLI::App& app, const global_options& g, command_action& action);
void add_poll_command(CLI::App& app, const global_options& g, command_action& action);
void add_polls_command(CLI::App& app, const global_options& g, command_action& action);
void add_stats_command(CLI::App& app, const global_options& g, command_action& action);
void add_apikey_command(CLI::App& app, const global_options& g, command_action& action);
void add_webhooks_command(CLI::App& app, const global_options& g, command_action& action);

}  // namespace sorak::cli
