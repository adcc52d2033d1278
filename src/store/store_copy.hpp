// store_copy.hpp: every row of one store written into another, through the
// store interface (`sorak migrate-store sqlite:… postgres://…`).
//
// Streams keep their ids, rooms and times; messages their ids, created_at,
// deleted flag and order (so each stream's sequence numbers come out the
// same); badges, sanctions, the moderation log, user profiles and API keys
// (revoked ones too) are copied as they are, and so is each stream's
// statistics baseline of pruned messages (retention), before its messages; webhooks too, with their
// secrets (not their delivery logs). The destination must hold no
// streams: a copy never merges into a live database.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sorak/result.hpp"
#include "sorak/store.hpp"

namespace sorak {

struct copy_counts {
  std::int64_t streams = 0;
  std::int64_t messages = 0;
  std::int64_t users = 0;
  std::int64_t badges = 0;
  std::int64_t sanctions = 0;
  std::int64_t actions = 0;  // moderation log entries
  std::int64_t blocked_terms = 0;
  std::int64_t pins = 0;
  std::int64_t polls = 0;
  std::int64_t votes = 0;
  std::int64_t api_keys = 0;
  std::int64_t baselines = 0;  // streams with pruned messages (retention)
  std::int64_t webhooks = 0;   // with their secrets; their delivery logs stay behind
};

// `progress` (may be empty) hears one line per stream copied.
result<copy_counts> copy_store(store& from, store& to, const std::function<void(const std::string&)>& progress);

}  // namespace sorak
