#include "core/term_fold.hpp"

#include <gtest/gtest.h>

namespace sorak {
namespace {

TEST(TermFold, CaseAndWidthFoldToOneForm) {
  EXPECT_EQ(fold_term("bad"), "bad");
  EXPECT_EQ(fold_term("BAD"), "bad");
  EXPECT_EQ(fold_term("ＢＡＤ"), "bad");  // full-width Latin
  EXPECT_EQ(fold_term("ｂａｄ"), "bad");
  EXPECT_EQ(fold_term("Ｂａd"), "bad");
  EXPECT_EQ(fold_term("１２３"), "123");
  EXPECT_EQ(fold_term("ｶﾀｶﾅ"), "カタカナ");  // half-width katakana
  EXPECT_EQ(fold_term("ΣΊΣΥΦΟΣ"), fold_term("σίσυφοσ"));  // other scripts' cases too
}

TEST(TermFold, ContainmentOfTheFoldedTerm) {
  const std::vector<std::string> terms{fold_term("Bad"), fold_term("ばか")};
  EXPECT_NE(find_blocked(fold_term("this is ＢＡＤ!"), terms), nullptr);
  EXPECT_NE(find_blocked(fold_term("so bAd"), terms), nullptr);
  EXPECT_NE(find_blocked(fold_term("お前ばかだ"), terms), nullptr);  // no spaces in Japanese
  // The letters apart, or only some of them, are not the term.
  EXPECT_EQ(find_blocked(fold_term("b a d"), terms), nullptr);
  EXPECT_EQ(find_blocked(fold_term("b-a-d"), terms), nullptr);
  EXPECT_EQ(find_blocked(fold_term("bread"), terms), nullptr);
  EXPECT_EQ(find_blocked(fold_term("dab"), terms), nullptr);
  EXPECT_EQ(find_blocked(fold_term("ばらか"), terms), nullptr);
  EXPECT_EQ(find_blocked(fold_term("hello"), {}), nullptr);
}

}  // namespace
}  // namespace sorak
