// term_fold.hpp: blocked terms (CONTRACT §12) are matched case- and
// width-insensitively: `ＢＡＤ` typed on a Japanese keyboard, `Bad` and `bad`
// are one word. Both the term and every message are folded with Unicode's
// NFKC_Casefold (ICU), which maps full-width Latin and digits to ASCII,
// half-width katakana to full-width, compatibility forms (ligatures, circled
// letters) to their letters, and upper to lower case in every script.
//
// Thread-safety: pure functions (ICU's normalizer instance is immutable).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sorak {

// `text` (valid UTF-8) folded; invalid sequences become U+FFFD.
std::string fold_term(std::string_view text);

// The first of `folded_terms` that `folded_text` (fold_term of a message)
// contains, or nullptr. Containment, not whole words: Japanese has no spaces.
const std::string* find_blocked(std::string_view folded_text, const std::vector<std::string>& folded_terms);

}  // namespace sorak
