// The text forms pg_conn builds without a server: array literals and text
// parameters.
#include "store/pg_conn.hpp"

#include <gtest/gtest.h>

namespace sorak::pg {
namespace {

TEST(pg_text_array, quotes_every_element_and_escapes_quotes_and_backslashes) {
  EXPECT_EQ(text_array({}), "{}");
  EXPECT_EQ(text_array({std::string("a"), std::nullopt, std::string("")}), R"({"a",NULL,""})");
  EXPECT_EQ(text_array({std::string(R"(say "hi" \o/)"), std::string("{x,y}"), std::string("NULL")}),
            R"({"say \"hi\" \\o/","{x,y}","NULL"})");
  EXPECT_EQ(text_array({std::string("line\nbreak\ttab 🎉")}), "{\"line\nbreak\ttab 🎉\"}");
}

TEST(pg_text_array, drops_nul_bytes_which_postgres_text_cannot_hold) {
  EXPECT_EQ(text_array({std::string("a\0b", 3)}), R"({"ab"})");
  EXPECT_EQ(storable_text(std::string_view("x\0y\0", 4)), "xy");
}

TEST(pg_int_and_bool_arrays, write_numbers_nulls_and_t_f) {
  EXPECT_EQ(int_array({1, std::nullopt, -9'000'000'000'000}), "{1,NULL,-9000000000000}");
  EXPECT_EQ(bool_array({true, false}), "{t,f}");
}

}  // namespace
}  // namespace sorak::pg
