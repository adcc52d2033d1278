// main.cpp: `sorak`, the command-line client of a Sorak server. Each
// subcommand lives in its own file and registers itself here.
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
  using namespace sorak::cli;
  CLI::App app{"sorak: the command-line client of a Sorak chat server"};
  app.require_subcommand(1);
  app.fallthrough();
  global_options g;
  app.add_option("--url", g.url, "server base URL")->envname("SORAK_URL")->capture_default_str();
  app.add_option("--token", g.token, "user token (JWT)")->envname("SORAK_TOKEN");
  app.add_option("--admin-key", g.admin_key, "admin key, for admin-only requests")->envname("SORAK_ADMIN_KEY");

  command_action action;
  add_token_command(app, action);
  add_send_command(app, g, action);
  add_watch_command(app, g, action);
  add_history_command(app, g, action);
  add_stream_command(app, g, action);
  add_bench_command(app, g, action);
  add_mod_command(app, g, action);
  add_poll_command(app, g, action);
  add_polls_command(app, g, action);
  add_stats_command(app, g, action);
  add_apikey_command(app, g, action);
  add_webhooks_command(app, g, action);
  add_migrate_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    print_error(usage_error(std::string(e.what()) + "; see --help"));
    return 1;
  }
  if (!action) {
    print_error(usage_error("no command given; see --help"));
    return 1;
  }
  const sorak::status outcome = action();
  if (!outcome) {
    print_error(outcome.err());
    return 1;
  }
  return 0;
}
