// json_codec.hpp: the domain model ⇄ the JSON clients see (CONTRACT §2, seed 004).
//
// One place decides every field name and type on the wire. Pure functions;
// any thread.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

#include "sorak/types.hpp"

namespace sorak {

boost::json::object to_json(const user_profile& u);
boost::json::object to_json(const message& m);
boost::json::object to_json(const stream& s);
boost::json::object to_json(const chat_settings& s);
boost::json::value to_json(const std::optional<member_info>& m);

// A poll as clients see it (CONTRACT §12): status "open" until it closed or
// its deadline passed at `now`.
boost::json::object to_json(const poll& p, millis now);

// The serialized `data` of a message event, encoded once per message.
std::string encode_message(const message& m);

}  // namespace sorak
