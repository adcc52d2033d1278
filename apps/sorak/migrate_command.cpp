// migrate_command.cpp: `sorak migrate-store FROM TO` copies a whole store into
// an empty one, e.g. a node's SQLite file into the PostgreSQL that several
// nodes will share (docs/operations.md). Run it with sorakd stopped: it reads
// FROM directly, not through a server.
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "sorak/store.hpp"
#include "store/store_copy.hpp"

namespace sorak::cli {
namespace {

struct migrate_options {
  std::string from;
  std::string to;
  bool quiet = false;
};

status run_migrate(const migrate_options& o) {
  auto from = open_store(o.from);
  if (!from) return from.err();
  auto to = open_store(o.to);
  if (!to) return to.err();
  auto progress = [&o](const std::string& line) {
    if (!o.quiet) std::cerr << line << '\n';
  };
  auto counts = copy_store(**from, **to, progress);
  if (!counts) return counts.err();
  print_line("copied " + std::to_string(counts->streams) + " streams, " + std::to_string(counts->messages) +
             " messages, " + std::to_string(counts->users) + " users, " + std::to_string(counts->badges) +
             " badges, " + std::to_string(counts->sanctions) + " sanctions, " + std::to_string(counts->actions) +
             " moderation log entries, " + std::to_string(counts->blocked_terms) + " blocked terms, " +
             std::to_string(counts->pins) + " pins, " + std::to_string(counts->polls) + " polls (" +
             std::to_string(counts->votes) + " votes), " + std::to_string(counts->api_keys) + " API keys, " +
             std::to_string(counts->baselines) + " statistics baselines of pruned messages, " +
             std::to_string(counts->webhooks) + " webhooks");
  return ok_value;
}

}  // namespace

void add_migrate_command(CLI::App& app, command_action& action) {
  auto o = std::make_shared<migrate_options>();
  CLI::App* cmd = app.add_subcommand(
      "migrate-store", "copy every stream, message and setting from one store into an empty one (sorakd stopped)");
  cmd->add_option("from", o->from, "the store to read: sqlite:PATH or postgres://USER@HOST:PORT/DB")->required();
  cmd->add_option("to", o->to, "the empty store to fill: sqlite:PATH or postgres://USER@HOST:PORT/DB")->required();
  cmd->add_flag("-q,--quiet", o->quiet, "no line per stream on stderr");
  cmd->callback([o, &action] { action = [o] { return run_migrate(*o); }; });
}

}  // namespace sorak::cli
