// server.hpp: the composition root. The only place that turns the config into
// a store, a broker, an authenticator and the network, and the one place that
// chooses between implementations (--store, --broker).
#pragma once

#include "sorak/config.hpp"

namespace sorak {

// Runs sorakd until SIGTERM or SIGINT. Returns the process exit code.
int run_server(server_config cfg);

}  // namespace sorak
