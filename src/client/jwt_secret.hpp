// jwt_secret.hpp: where the command-line tools find the server's JWT secret
// (to mint tokens locally): --secret, then --secret-file, then the env var
// SORAK_JWT_SECRET, then ./var/jwt-secret, where `sorakd --dev` keeps it.
// Reads files only; any thread.
#pragma once

#include <string>

#include "sorak/result.hpp"

namespace sorak::client {

result<std::string> find_jwt_secret(const std::string& secret, const std::string& secret_file);

}  // namespace sorak::client
