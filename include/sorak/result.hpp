// result.hpp: expected failures as values.
//
// An `error` carries the machine code clients switch on (`code`), a human
// sentence (`message`) and the HTTP status a REST handler answers with. A
// `result<T>` is either a T or an error. Both are plain values: any thread may
// use its own copy; a shared instance needs external synchronisation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "sorak/error_code.hpp"

namespace sorak {

struct error {
  errc id = errc::internal;  // the row of error_table (sorak/error_code.hpp)
  int http_status = 500;
  std::string code;     // the wire code: kind().code, or as a peer sent it
  std::string message;  // a sentence for humans
  // Set with the codes whose row names that extra: rate_limited / slow_mode
  // (retry_after_ms), timed_out (seconds_left).
  std::int64_t retry_after_ms = 0;
  std::int64_t seconds_left = 0;

  error() : error(errc::internal) {}
  // Status and code from the table; `msg` when the site says more than the
  // table's default sentence.
  explicit error(errc kind, std::string msg = {})
      : id(kind),
        http_status(kind_of(kind).http_status),
        code(kind_of(kind).code),
        message(msg.empty() ? std::string(kind_of(kind).sentence) : std::move(msg)) {}

  // An error as a server (or a proxy) answered it: the status and code are
  // kept as received, `id` is the table's row for the code, if any.
  static error received(int http_status, std::string code, std::string msg) {
    error e(errc_from_code(code), std::move(msg));
    e.http_status = http_status;
    e.code = std::move(code);
    return e;
  }

  const error_kind& kind() const { return kind_of(id); }
  bool is(errc kind) const { return id == kind; }
};

template <class T>
class result {
 public:
  result(T value) : v_(std::move(value)) {}             // NOLINT: implicit by design
  result(error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // REQUIRES: ok()
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  // REQUIRES: !ok()
  const error& err() const { return std::get<1>(v_); }

 private:
  std::variant<T, error> v_;
};

// result<void>: success or an error.
struct ok_t {};
inline constexpr ok_t ok_value{};
using status = result<ok_t>;

}  // namespace sorak
