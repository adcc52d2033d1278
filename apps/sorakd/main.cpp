// sorakd: the Sorak chat server. Everything happens in src/app/.
#include <csignal>

#include "app/config.hpp"
#include "app/server.hpp"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  sorak::server_config cfg;
  if (int code = sorak::parse_config(argc, argv, cfg); code >= 0) return code;
  return sorak::run_server(std::move(cfg));
}
