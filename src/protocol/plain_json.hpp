// plain_json.hpp: JSON text whose numbers read as the seeds print them.
//
// Boost.JSON writes every double in exponent form (2.0 → `2E0`, 15.5 →
// `1.55E1`); the seeds (000: "messages_per_minute": 18.2) and the clients
// written against them expect plain decimals. serialize_plain() writes the
// same JSON with each such number as a plain decimal that keeps a fraction
// (`2.0`, `15.5`), so a client still reads a float. Pure; any thread.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace sorak {

std::string serialize_plain(const boost::json::value& v);

// `json` (text Boost.JSON wrote) with its exponent-form numbers rewritten.
std::string plain_decimals(std::string_view json);

}  // namespace sorak
