// cli.cpp: the helpers every subcommand shares.
#include "cli.hpp"

#include <iostream>

namespace sorak::cli {

error usage_error(std::string message) { return error(errc::usage, std::move(message)); }

result<client::endpoint> server_endpoint(const global_options& g) { return client::parse_base_url(g.url); }

result<std::string> require_token(const global_options& g) {
  if (g.token.empty()) {
    return usage_error("a user token is needed: pass --token or set SORAK_TOKEN (`sorak token` mints one)");
  }
  return g.token;
}

void print_error(const error& e) {
  std::cerr << "sorak: " << e.message;
  if (!e.code.empty()) std::cerr << " (" << e.code << ")";
  std::cerr << std::endl;
}

void print_line(std::string_view line) { std::cout << line << std::endl; }

}  // namespace sorak::cli
