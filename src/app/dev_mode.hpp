// dev_mode.hpp: what `sorakd --dev` (and so `make run`) adds: secrets that
// are generated once and kept in the data dir, a demo stream, and printed
// tokens so two terminals can chat at once.
#pragma once

#include <string>

#include "sorak/config.hpp"
#include "sorak/result.hpp"
#include "sorak/store.hpp"

namespace sorak {

class api_key_service;

// Fills missing jwt_secret / admin_key from files in data_dir, creating them
// (mode 0600) on first use.
status load_dev_secrets(server_config& cfg);

// Finds or creates the demo stream and the dev API key and prints the dev
// banner to stdout.
status print_dev_banner(const server_config& cfg, store& st, api_key_service& keys, std::uint16_t port);

}  // namespace sorak
