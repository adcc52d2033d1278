// clock.cpp: wall-clock milliseconds and RFC 3339 text, on std::chrono's
// proleptic Gregorian calendar (no time-zone database needed: always UTC).
#include "core/clock.hpp"

#include <chrono>
#include <cstdio>

namespace sorak {
namespace {

using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::sys_days;

// A left-to-right reader over the text; every read reports success, so the
// parser below is a straight line of `&&`.
class cursor {
 public:
  explicit cursor(std::string_view s) : s_(s) {}

  bool at_end() const { return pos_ == s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  void skip() { ++pos_; }

  bool literal(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  // Exactly `width` decimal digits.
  bool digits(int width, int& out) {
    out = 0;
    for (int i = 0; i < width; ++i) {
      const char c = peek();
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
      ++pos_;
    }
    return true;
  }

  // One or more digits; the first three give milliseconds, the rest are
  // dropped (truncation, never rounding into the next second).
  bool fraction(int& ms) {
    ms = 0;
    int count = 0;
    for (char c = peek(); c >= '0' && c <= '9'; c = peek()) {
      if (count < 3) ms = ms * 10 + (c - '0');
      ++count;
      ++pos_;
    }
    for (int i = count; i < 3; ++i) ms *= 10;
    return count > 0;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

struct civil_time {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, ms = 0;
};

bool read_date_time(cursor& c, civil_time& t) {
  const bool ok = c.digits(4, t.year) && c.literal('-') && c.digits(2, t.month) && c.literal('-') &&
                  c.digits(2, t.day);
  if (!ok) return false;
  const char sep = c.peek();
  if (sep != 'T' && sep != 't' && sep != ' ') return false;
  c.skip();
  if (!(c.digits(2, t.hour) && c.literal(':') && c.digits(2, t.minute) && c.literal(':') &&
        c.digits(2, t.second))) {
    return false;
  }
  if (c.peek() == '.') {
    c.skip();
    return c.fraction(t.ms);
  }
  return true;
}

// Reads the zone designator as minutes east of UTC; none at all means UTC.
bool read_offset(cursor& c, int& offset_minutes) {
  offset_minutes = 0;
  if (c.at_end()) return true;
  if (c.literal('Z') || c.literal('z')) return c.at_end();
  const char sign = c.peek();
  if (sign != '+' && sign != '-') return false;
  c.skip();
  int hh = 0, mm = 0;
  if (!(c.digits(2, hh) && c.literal(':') && c.digits(2, mm) && c.at_end())) return false;
  if (hh > 23 || mm > 59) return false;
  offset_minutes = (sign == '-' ? -1 : 1) * (hh * 60 + mm);
  return true;
}

std::optional<sys_days> to_days(const civil_time& t) {
  const std::chrono::year_month_day ymd{std::chrono::year{t.year},
                                        std::chrono::month{static_cast<unsigned>(t.month)},
                                        std::chrono::day{static_cast<unsigned>(t.day)}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

}  // namespace

millis now_millis() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<milliseconds>(since_epoch).count();
}

std::string format_rfc3339_ms(millis t) {
  const milliseconds total{t};
  const sys_days day = std::chrono::floor<days>(std::chrono::sys_time<milliseconds>{total});
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss<milliseconds> tod{total - day.time_since_epoch()};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                static_cast<int>(tod.seconds().count()), static_cast<int>(tod.subseconds().count()));
  return buf;
}

std::optional<millis> parse_rfc3339(std::string_view s) {
  cursor c(s);
  civil_time t;
  int offset_minutes = 0;
  if (!read_date_time(c, t) || !read_offset(c, offset_minutes)) return std::nullopt;
  // A leap second (:60) has no place on a millisecond Unix timeline; refuse it.
  if (t.hour > 23 || t.minute > 59 || t.second > 59) return std::nullopt;
  const auto day = to_days(t);
  if (!day) return std::nullopt;
  const millis seconds_of_day = (t.hour * 60 + t.minute - offset_minutes) * 60LL + t.second;
  const millis day_ms = std::chrono::duration_cast<milliseconds>(day->time_since_epoch()).count();
  return day_ms + seconds_of_day * 1000 + t.ms;
}

}  // namespace sorak
