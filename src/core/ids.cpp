// ids.cpp: UUID v7 with a monotonic 12-bit counter in rand_a (RFC 9562 §6.2,
// method 1), so ids sort in creation order within this process.
#include "core/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <random>

#include "core/clock.hpp"

namespace sorak {
namespace {

// (unix_ms << 12 | counter) of the last id handed out. One word, so a single
// compare-exchange orders ids across threads without a lock.
std::atomic<std::uint64_t> last_state{0};

constexpr std::uint64_t counter_bits = 12;
constexpr std::uint64_t ms_mask = (std::uint64_t{1} << 48) - 1;

// Returns a state strictly above every state returned before. When 4096 ids
// share a millisecond the counter carries into the ms field, i.e. we borrow
// the next millisecond rather than wait for it.
std::uint64_t next_state() {
  const auto now = static_cast<std::uint64_t>(now_millis()) & ms_mask;
  std::uint64_t old = last_state.load(std::memory_order_relaxed);
  std::uint64_t next;
  do {
    next = now << counter_bits;
    if (next <= old) next = old + 1;
  } while (!last_state.compare_exchange_weak(old, next, std::memory_order_relaxed));
  return next;
}

std::mt19937_64 seeded_generator() {
  std::array<std::uint32_t, 8> seed{};
  if (RAND_bytes(reinterpret_cast<unsigned char*>(seed.data()),
                 static_cast<int>(seed.size() * sizeof(seed[0]))) != 1) {
    std::random_device rd;  // OpenSSL's pool should never fail, but do not give up
    for (auto& w : seed) w = rd();
  }
  std::seed_seq seq(seed.begin(), seed.end());
  return std::mt19937_64(seq);
}

std::uint64_t random_64() {
  thread_local std::mt19937_64 gen = seeded_generator();
  return gen();
}

constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_dash_position(std::size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

std::string format_uuid(const std::array<std::uint8_t, 16>& b) {
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex_digits[b[i] >> 4]);
    out.push_back(hex_digits[b[i] & 0x0f]);
  }
  return out;
}

}  // namespace

std::string new_uuid_v7() {
  const std::uint64_t state = next_state();
  const std::uint64_t ms = state >> counter_bits;
  const std::uint64_t rand_a = state & 0x0fff;
  const std::uint64_t rand_b = random_64();
  std::array<std::uint8_t, 16> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(0x70 | (rand_a >> 8));
  b[7] = static_cast<std::uint8_t>(rand_a);
  b[8] = static_cast<std::uint8_t>(0x80 | ((rand_b >> 56) & 0x3f));
  for (int i = 9; i < 16; ++i) b[i] = static_cast<std::uint8_t>(rand_b >> (8 * (15 - i)));
  return format_uuid(b);
}

bool looks_like_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (is_dash_position(i) ? s[i] != '-' : hex_value(s[i]) < 0) return false;
  }
  return true;
}

millis uuid_v7_millis(std::string_view id) {
  if (!looks_like_uuid(id) || id[14] != '7') return -1;
  const int variant = hex_value(id[19]);
  if ((variant & 0xc) != 0x8) return -1;
  millis ms = 0;
  for (std::size_t i = 0; i < 13; ++i) {
    if (i == 8) continue;
    ms = ms * 16 + hex_value(id[i]);
  }
  return ms;
}

}  // namespace sorak
