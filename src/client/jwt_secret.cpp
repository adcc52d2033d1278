#include "client/jwt_secret.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

namespace sorak::client {

namespace {

constexpr const char* default_secret_file = "./var/jwt-secret";

result<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error(errc::no_secret, "cannot read the secret file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && std::string_view(" \t\r\n").find(secret.back()) != std::string_view::npos)
    secret.pop_back();
  if (secret.empty()) return error(errc::no_secret, "the secret file " + path + " is empty");
  return secret;
}

}  // namespace

result<std::string> find_jwt_secret(const std::string& secret, const std::string& secret_file) {
  if (!secret.empty()) return secret;
  if (!secret_file.empty()) return read_secret_file(secret_file);
  if (const char* env = std::getenv("SORAK_JWT_SECRET"); env && *env) return std::string(env);
  auto from_default = read_secret_file(default_secret_file);
  if (from_default) return from_default;
  return error(errc::no_secret, 
               "no signing secret: pass --secret or --secret-file, set SORAK_JWT_SECRET, or run where "
               "`sorakd --dev` keeps ./var/jwt-secret");
}

}  // namespace sorak::client
