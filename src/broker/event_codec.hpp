// event_codec.hpp: a room_event as bytes between nodes (the Redis broker's
// payload), and back.
//
// One JSON object, encoded once per publish and decoded once per receiving
// node: every field of the event (the message, the stream, the sanction… as
// the store holds them, not as a client sees them), the viewers' JSON text as
// it is, and the envelope the receiver checks for loss: the publishing node,
// its epoch (a fresh one each time the node starts) and its publish counter
// (1, 2, 3… per node and epoch across all streams).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sorak/broker.hpp"
#include "sorak/result.hpp"

namespace sorak {

struct event_envelope {
  std::string node;   // the publishing node's id
  std::string epoch;  // that node's epoch
  std::uint64_t n = 0;
};

struct wire_event {
  event_envelope from;
  room_event event;
};

std::string encode_wire_event(const event_envelope& from, const room_event& ev);
// 400 `invalid_format` for bytes that are not an event of this version.
result<wire_event> decode_wire_event(std::string_view bytes);

// What a node says on the nodes' channel: that it is alive (every second), and
// its viewer counts (when they change). One JSON object:
// {"v":1,"node":ID,"full":BOOL,"hello":BOOL,"counts":{STREAM:N,…}}.
struct node_report {
  std::string node;
  // counts is the node's whole table: it replaces everything the node said
  // before (sent after it (re)connects, and when another node says hello).
  bool full = false;
  // The node (re)joined and may have missed counts: every node answers with
  // its whole table.
  bool hello = false;
  // Streams whose count changed (0: none left), or all of them when full.
  std::vector<std::pair<std::string, std::int64_t>> counts;
};
std::string encode_node_report(const node_report& r);
// 400 `invalid_format` for bytes that are not a report of this version.
result<node_report> decode_node_report(std::string_view bytes);

}  // namespace sorak
