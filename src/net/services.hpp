// services.hpp: the parts every request handler and session may use.
//
// Built once by the composition root (src/app/server.cpp) and outliving every
// session. Each member documents its own thread-safety; all are safe to use
// from any worker.
#pragma once

#include <atomic>

#include "core/api_keys.hpp"
#include "core/chat_service.hpp"
#include "core/gift_catalog.hpp"
#include "core/moderation_service.hpp"
#include "core/room_registry.hpp"
#include "sorak/auth.hpp"
#include "sorak/broker.hpp"
#include "sorak/config.hpp"
#include "sorak/store.hpp"

namespace sorak {

class worker_pool;
class blocking_pool;
class fanout;
class webhook_service;
class webhook_dispatcher;

struct services {
  const server_config& config;
  store& st;
  room_registry& rooms;
  chat_service& chat;
  moderation_service& mods;
  const token_verifier& tokens;
  worker_pool& workers;
  const gift_catalog& gifts;
  api_key_service& api_keys;
  broker& message_broker;
  blocking_pool& blocking;
  fanout* fan = nullptr;  // set once by the composition root, before the listener starts
  webhook_service* webhooks = nullptr;         // the same
  webhook_dispatcher* webhook_out = nullptr;   // the same
  std::atomic<bool> shutting_down{false};
};

}  // namespace sorak
