// utf8.hpp: strict UTF-8 checks (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
#pragma once

#include <cstddef>
#include <string_view>

namespace sorak {

bool is_valid_utf8(std::string_view s);
// Number of code points. REQUIRES: is_valid_utf8(s).
std::size_t count_code_points(std::string_view s);

}  // namespace sorak
