// connection.hpp: one connection of the chat load (engine.hpp) as its load
// thread sees it: the socket, the bytes carried between reads, the bytes the
// socket has not taken yet, and the phase it is in.
//
// Plain data. Connection i belongs to load thread i % threads for its whole
// life, and only that thread reads or writes it; the other parts of the
// thread (load_io, load_wire, load_pacing, load_tally) get it by reference.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "bench/engine.hpp"
#include "protocol/ws_deflate.hpp"

namespace sorak::bench {

inline constexpr std::uint32_t no_slot = UINT32_MAX;

enum class phase : std::uint8_t { waiting, connecting, upgrading, registering, joining, ready, closed };

struct connection {
  connection() = default;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() {
    if (fd >= 0) ::close(fd);
  }

  int fd = -1;
  std::string opening;       // freed once sent
  std::string carry;         // an incomplete frame, line or response head
  std::string out;           // bytes the socket has not taken yet
  std::size_t out_done = 0;  // … of which the first out_done are sent
  std::uint64_t skip = 0;    // bytes left of an oversized frame
  std::int64_t started_ns = 0;
  std::uint64_t next_seq = 1;
  std::uint32_t out_msgs = 0;          // message frames in `out`
  std::uint32_t in_flight = 0;         // ingest: messages issued, neither acked nor refused yet
  std::uint32_t order_slot = no_slot;  // viewers: column in the thread's order table
  std::uint32_t sender_ordinal = 0;    // senders: 0 … senders-1
  // platform (conn_spec): the stream, its band, a sender's weight and its
  // smooth weighted round-robin credit (send_schedule).
  std::uint32_t stream = 0;
  double weight = 1;
  double credit = 0;
  std::int64_t joined_ns = 0;  // ready at
  std::int64_t left_ns = 0;    // closed at (0: open)
  std::vector<std::uint64_t> gifts;      // platform, fanout/slow viewers: gift keys read (viewer_session)
  std::vector<std::uint64_t> deletions;  // fanout/slow viewers: deletion keys read (event_trace.hpp)
  // permessage-deflate: this connection's inflater, its window kept from
  // message to message as a browser's is (made at the first compressed frame).
  std::unique_ptr<inflate_stream> inflater;
  std::uint8_t band = 0;
  conn_role role = conn_role::viewer;
  std::uint8_t node = 0;  // the node it connects to (load_settings::nodes)
  phase state = phase::waiting;
  bool reading = true;  // false: a stalled viewer that has stopped
  bool leaving = false;  // asked to leave before it was ready: leaves once it is
};

// CLOCK_MONOTONIC in nanoseconds: the clock of every stamp (wire.hpp).
inline std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// "what: strerror(err)", the text a failed system call is reported with.
inline std::string os_error(const char* what, int err) { return std::string(what) + ": " + std::strerror(err); }

}  // namespace sorak::bench
