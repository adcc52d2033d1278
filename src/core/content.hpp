// content.hpp: validation of chat text (CONTRACT §6 "Content").
//
// Trim white space at both ends (ASCII white space and Unicode spaces such as
// U+3000 and U+00A0), then: empty → `empty_content`; invalid UTF-8 or a control
// character other than newline and tab (C0, DEL, C1) → `invalid_content`; more
// than max_code_points → `message_too_long`. Returns the trimmed text.
// Pure; any thread.
#pragma once

#include <string>
#include <string_view>

#include "sorak/result.hpp"

namespace sorak {

result<std::string> validate_content(std::string_view raw, int max_code_points);

}  // namespace sorak
