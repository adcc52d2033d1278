// send_queue.hpp: one connection's frames waiting to be written, in order.
//
// Frames are shared, immutable buffers (a round of room events, a pong, a
// close): queuing one is a pointer copy. The queue hands the socket writer
// iovecs over what is unsent (gather), takes back how many bytes went out
// (consume), and remembers how far into its first frame a short write got,
// so the byte stream stays whole frames back to back.
//
// Bounded in bytes, by its owner: bytes() says how much waits, and the queue
// itself never refuses a push. The cut is the caller's: ws_session, finding
// more than config.max_queue_bytes waiting when a round of live events
// arrives, drops what the peer has not started to receive (drop_unsent) and
// closes with 1008 "slow consumer" instead of queuing more (cut_if_slow).
// What stays is then at most one partly sent frame plus the close frame.
//
// Thread-safety: none; a connection's queue is used by its worker's thread.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace sorak {

// Frames per sendmsg; the rest go in the next call.
inline constexpr std::size_t max_iov = 64;

class send_queue {
 public:
  using frame = std::shared_ptr<const std::string>;

  void push(frame f);
  // No unsent byte left.
  bool empty() const { return head_ >= frames_.size(); }
  // Unsent bytes: every queued frame, less what already went of the first.
  std::size_t bytes() const { return bytes_; }
  // The first frame went out in part (a write must resume inside it).
  bool head_partly_sent() const { return head_offset_ > 0; }

  // Fills up to `max` iovecs with the unsent bytes, first frame from where it
  // was left; returns how many. Valid until the next change to the queue.
  std::size_t gather(iovec* iov, std::size_t max) const;
  // Takes `n` bytes off the front as sent. REQUIRES: n <= bytes().
  void consume(std::size_t n);
  // Moves whole unsent frames to the end of `out` while it holds fewer than
  // `limit` bytes (a TLS write wants them contiguous); they leave the queue
  // and bytes(). REQUIRES: !head_partly_sent().
  void move_to(std::string& out, std::size_t limit);
  // Forgets every frame the peer has not started to receive; a partly sent
  // first frame stays, so the stream of frames stays well formed.
  void drop_unsent();
  // Forgets everything, freeing nothing but the frames (the slots stay).
  void clear();
  // Reclaims the slots of sent frames once they are most of the queue (call
  // it before waiting on a slow reader, not on every write).
  void compact();

 private:
  std::vector<frame> frames_;  // [head_, end) not yet fully sent
  std::size_t head_ = 0;
  std::size_t head_offset_ = 0;  // bytes of frames_[head_] already sent
  std::size_t bytes_ = 0;        // unsent bytes
};

}  // namespace sorak
