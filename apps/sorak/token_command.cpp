// token_command.cpp: `sorak token` mints a user token locally with the
// server's secret (CONTRACT §3).
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli.hpp"
#include "client/jwt_secret.hpp"
#include "sorak/auth.hpp"

namespace sorak::cli {
namespace {

struct token_options {
  token_claims claims;
  std::string ttl = "1h";
  std::string secret;
  std::string secret_file;
};

// "1h", "30m", "3600s", "2d", "3600" (seconds), "0" (no expiry).
result<std::int64_t> parse_ttl(const std::string& text) {
  std::size_t used = 0;
  long long value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = text.substr(used);
  long long scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  if (unit == "m") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86400;
  if (value < 0 || scale == 0) return usage_error("--ttl '" + text + "' is not a duration like 1h, 30m, 3600s or 0");
  return static_cast<std::int64_t>(value * scale);
}

// --secret, --secret-file, env SORAK_JWT_SECRET, then ./var/jwt-secret.
result<std::string> find_secret(const token_options& o) { return client::find_jwt_secret(o.secret, o.secret_file); }

status run_token(token_options& o) {
  auto ttl = parse_ttl(o.ttl);
  if (!ttl) return ttl.err();
  o.claims.ttl_seconds = *ttl;
  auto secret = find_secret(o);
  if (!secret) return secret.err();
  try {
    print_line(mint_token(o.claims, *secret));
  } catch (const std::exception& e) {
    return error(errc::mint_failed, std::string("cannot sign the token: ") + e.what());
  }
  return ok_value;
}

}  // namespace

void add_token_command(CLI::App& app, command_action& action) {
  auto o = std::make_shared<token_options>();
  CLI::App* cmd = app.add_subcommand("token", "mint a user token locally (needs the server's JWT secret)");
  cmd->add_option("--sub", o->claims.sub, "user id (the JWT sub, at most 64 characters)")->required();
  cmd->add_option("--username", o->claims.username, "user name")->required();
  cmd->add_option("--display-name", o->claims.display_name, "name shown in chat");
  cmd->add_option("--avatar-url", o->claims.avatar_url, "avatar image URL");
  cmd->add_option("--level", o->claims.level, "user level")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--premium", o->claims.premium, "premium user (💎)");
  cmd->add_option("--badge", o->claims.badges, "global badge (repeatable)")
      ->check(CLI::IsMember({"verified", "subscriber"}))
      ->take_all()
      ->allow_extra_args(false);
  cmd->add_flag("--read-only", o->claims.read_only, "may read the chat but not send");
  cmd->add_option("--ttl", o->ttl, "lifetime: 1h, 30m, 3600s, 2d, or 0 for no expiry")->capture_default_str();
  auto* secret = cmd->add_option("--secret", o->secret, "HS256 secret (default: env SORAK_JWT_SECRET, else ./var/jwt-secret)");
  cmd->add_option("--secret-file", o->secret_file, "file holding the secret")->excludes(secret);
  cmd->callback([o, &action] { action = [o] { return run_token(*o); }; });
}

}  // namespace sorak::cli
