#include "core/api_keys.hpp"

#include <openssl/evp.h>
#include <boost/algorithm/hex.hpp>
#include <openssl/rand.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/utf8.hpp"

namespace sorak {

namespace {

constexpr std::size_t prefix_length = 7;  // "sk_" and four hex digits

}  // namespace

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");  // OpenSSL out of memory: nothing sensible to do
  return boost::algorithm::hex_lower(std::string(digest, digest + len));
}

std::string generate_api_key_secret() {
  unsigned char bytes[20];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for an API key");
  return "sk_" + boost::algorithm::hex_lower(std::string(std::begin(bytes), std::end(bytes)));
}

api_key_service::api_key_service(store& st, rate_limit per_key) : store_(st), limit_(per_key) {}

result<new_api_key> api_key_service::create(std::string_view name) {
  const bool ok_name = !name.empty() && is_valid_utf8(name) && count_code_points(name) <= 100 &&
                       name.find_first_not_of(" \t\r\n") != std::string_view::npos;
  if (!ok_name) return error(errc::invalid_field, "name must be 1 to 100 characters");
  new_api_key out;
  out.secret = generate_api_key_secret();
  out.key.id = new_uuid_v7();
  out.key.name = std::string(name);
  out.key.key_hash = sha256_hex(out.secret);
  out.key.prefix = out.secret.substr(0, prefix_length);
  out.key.created_at = now_millis();
  if (auto s = store_.put_api_key(out.key); !s) return s.err();
  return out;
}

std::vector<api_key> api_key_service::list() { return store_.list_api_keys(); }

status api_key_service::revoke(std::string_view id) {
  auto s = store_.revoke_api_key(id, now_millis());
  std::lock_guard lk(cache_mutex_);
  ++revocations_;
  std::erase_if(cache_, [&](const auto& e) { return e.second.key.id == id; });
  return s;
}

std::optional<api_key> api_key_service::find(const std::string& hash, millis now) {
  std::uint64_t revocations = 0;
  {
    std::lock_guard lk(cache_mutex_);
    if (auto it = cache_.find(hash); it != cache_.end() && it->second.expires_at > now) return it->second.key;
    revocations = revocations_;
  }
  auto key = store_.find_api_key(hash);
  std::lock_guard lk(cache_mutex_);
  if (key && !key->revoked_at && revocations == revocations_) {
    cache_[hash] = {*key, now + key_cache_ttl_ms};
  } else {
    cache_.erase(hash);
  }
  return key;
}

result<api_key> api_key_service::check(std::string_view secret, millis now) {
  if (secret.empty()) return error(errc::unauthorized, "Pass your API key as ?apikey=");
  auto key = find(sha256_hex(secret), now);
  if (!key || key->revoked_at) return error(errc::invalid_api_key, "The API key is unknown or revoked");
  if (!limit_.enabled()) return std::move(*key);
  auto d = rate_.check(key->id, limit_, now);
  if (d.allowed) return std::move(*key);
  error e(errc::rate_limited, "Too many requests with this API key; slow down");
  e.retry_after_ms = std::max<millis>(d.retry_after_ms, 1);
  return e;
}

void api_key_service::sweep(millis now) {
  rate_.sweep(now, limit_.seconds * millis{1000});
  std::lock_guard lk(cache_mutex_);
  std::erase_if(cache_, [&](const auto& e) { return e.second.expires_at <= now; });
}

}  // namespace sorak
