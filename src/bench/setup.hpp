// setup.hpp: what a sorak-protocol run needs before its first
// measured byte: the signing secret, tokens for every connection, and the
// streams to talk in (created over REST unless --stream names one, and
// seeded with messages for history runs).
//
// Blocking calls on the caller's thread, before the bench threads start.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/options.hpp"
#include "bench/proc.hpp"
#include "sorak/result.hpp"

namespace sorak::bench {

// --secret, --secret-file, env SORAK_JWT_SECRET, then ./var/jwt-secret (the
// same order as `sorak token`).
result<std::string> find_secret(const bench_options& o);

// A user id of fixed width ("bench-v000042"), so that every message of a run
// has the same layout and the stamp is found at one offset.
std::string bench_user(char role, std::uint64_t index);
// Tokens for users bench_user(role, first) … bench_user(role, first+count-1),
// valid for two hours.
result<std::vector<std::string>> mint_tokens(const std::string& secret, char role, std::uint64_t first,
                                             std::uint64_t count);

struct bench_stream {
  std::string id;
  std::string room_id;
};

// --stream when given (looked up, so its room id is known), else `count` new
// streams owned by a bench user.
result<std::vector<bench_stream>> prepare_streams(const bench_options& o, const target& where,
                                                  const std::string& secret, std::uint32_t count);

// Posts `count` messages into the stream over WebSocket (ten per user, so the
// default rate limit never refuses them) and waits until each is broadcast.
status seed_messages(const target& where, const bench_stream& stream, const std::string& secret, std::uint32_t count);

// Creates an API key for the Showroom-style API through the admin API and
// returns the key itself.
result<std::string> create_api_key(const target& where, const std::string& admin_key);

}  // namespace sorak::bench
