#include "core/term_fold.hpp"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

namespace sorak {

std::string fold_term(std::string_view text) {
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(err);
  const auto in = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  if (U_FAILURE(err) || !nfkc_cf) return std::string(text);  // ICU's data missing: match as typed
  icu::UnicodeString out = nfkc_cf->normalize(in, err);
  if (U_FAILURE(err)) return std::string(text);
  std::string utf8;
  out.toUTF8String(utf8);
  return utf8;
}

const std::string* find_blocked(std::string_view folded_text, const std::vector<std::string>& folded_terms) {
  for (const std::string& t : folded_terms)
    if (!t.empty() && folded_text.find(t) != std::string_view::npos) return &t;
  return nullptr;
}

}  // namespace sorak
