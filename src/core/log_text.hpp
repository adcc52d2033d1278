// log_text.hpp: text a client chose (a token's user id, a request path, a
// close reason), made safe to put in a log line.
//
// log_quoted(s) is s as a JSON string literal: quotes, backslashes and every
// control character are escaped, so a newline cannot split a line into a
// forged second one and an ESC cannot drive the reader's terminal. Longer
// text is cut to `max` bytes (at a UTF-8 boundary) and marked with "…".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sorak {

std::string log_quoted(std::string_view s, std::size_t max = 200);

}  // namespace sorak
