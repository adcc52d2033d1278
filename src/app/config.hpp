// config.hpp: sorakd's command line and SORAK_* environment → server_config.
#pragma once

#include "sorak/config.hpp"

namespace sorak {

// Returns -1 to go on, or the exit code (0 after --help, 2 on a bad flag).
int parse_config(int argc, char** argv, server_config& out);

}  // namespace sorak
