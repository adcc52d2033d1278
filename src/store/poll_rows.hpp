// poll_rows.hpp: a poll's options as its stores keep them (a JSON array of the
// texts, one column), shared by the SQLite and PostgreSQL stores.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sorak/types.hpp"

namespace sorak {

std::string options_column(const std::vector<poll_option>& options);
// The options of a column written by options_column, votes 0; empty when it
// does not parse.
std::vector<poll_option> options_of_column(std::string_view column);

}  // namespace sorak
