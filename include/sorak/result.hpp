// result.hpp: expected failures as values.
//
// An `error` carries the machine code clients switch on (`code`), a human
// sentence (`message`) and the HTTP status a REST handler answers with. A
// `result<T>` is either a T or an error. Both are plain values: any thread may
// use its own copy; a shared instance needs external synchronisation.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace sorak {

struct error {
  int http_status = 500;
  std::string code;     // e.g. "not_found", "invalid_cursor"
  std::string message;  // a sentence for humans
  // Set with the codes that carry a wait: rate_limited / slow_mode
  // (retry_after_ms), timed_out (seconds_left).
  std::int64_t retry_after_ms = 0;
  std::int64_t seconds_left = 0;

  static error bad_request(std::string code, std::string msg) { return {400, std::move(code), std::move(msg)}; }
  static error unauthorized(std::string code, std::string msg) { return {401, std::move(code), std::move(msg)}; }
  static error forbidden(std::string code, std::string msg) { return {403, std::move(code), std::move(msg)}; }
  static error not_found(std::string code, std::string msg) { return {404, std::move(code), std::move(msg)}; }
  static error conflict(std::string code, std::string msg) { return {409, std::move(code), std::move(msg)}; }
  static error internal(std::string msg) { return {500, "internal", std::move(msg)}; }
  static error unavailable(std::string msg) { return {503, "shutting_down", std::move(msg)}; }
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
