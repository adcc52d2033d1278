// ws_session.hpp: one chat WebSocket, from the 101 response to the close.
//
// The session speaks RFC 6455 itself (protocol/ws_frame.hpp) so that
// broadcasts are written as ready-made frames shared by every viewer. Its
// transport is fixed when it is created: plain TCP, or TLS (net/tls.hpp).
// Write side, plain: room events arrive as rounds (one shared buffer holding
// every event of the room the worker took since its last flush, core/viewer.hpp),
// and what is queued goes out in one
// non-blocking sendmsg (many events per call, no Asio operation per write;
// the worker submits the whole round's calls through io_uring, send_ring.hpp);
// only when the socket's buffer is full does the session wait for it to
// drain, and everything queued meanwhile joins the next call. TLS: a round's
// frames are gathered into one buffer and written with one SSL write; frames
// queued while it is in flight join the next. The queue (net/send_queue.hpp)
// is bounded in bytes by the session: a round of live events arriving while
// more than config.max_queue_bytes wait is not queued; the viewer is cut off
// with 1008 "slow consumer" instead, so no one ever waits for a slow reader.
// Read side: bytes are read into the worker's shared buffer and handed to the
// session's ws_reader (protocol/ws_reader.hpp), which parses them there and
// keeps only an incomplete frame, so an idle plain viewer holds no read buffer
// (a TLS one decrypts into its tls_transport first). With permessage-deflate
// negotiated (ws_target::deflate), rounds are queued from their deflated
// counterpart (made once per round and worker, shared like the plain one;
// a whole round as its chain when the client keeps its window),
// the session's own frames are deflated for it alone, and compressed client
// messages are inflated by the reader. The session only reacts
// to what the reader yields: messages, control frames, protocol errors (each
// closed with the reader's code: 1002, 1007, 1009).
//
// Thread-safety: a session lives on one worker; every member function runs on
// that worker's thread (deliver_round() included: the worker's flush calls it).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <sys/types.h>
#include <sys/uio.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/room_reads.hpp"
#include "core/room.hpp"
#include "net/audience.hpp"
#include "net/viewer.hpp"
#include "net/ip_limits.hpp"
#include "net/send_queue.hpp"
#include "protocol/client_event.hpp"
#include "protocol/ws_frame.hpp"
#include "protocol/ws_reader.hpp"
#include "sorak/auth.hpp"

namespace sorak {

struct services;
struct tls_transport;
struct worker;

// What the upgrade request asked for.
struct ws_target {
  std::string stream;  // stream id or room id from the path
  std::string token;
  std::optional<std::string> since;
  bool lossless = false;  // ?lossless=true: never thinned (cut instead, as a slow consumer)
  bool deflate = false;   // permessage-deflate was negotiated (protocol/ws_deflate.hpp)
  bool deflate_chain = false;  // … and the client keeps its window: whole rounds as chains
};

class ws_session final : public std::enable_shared_from_this<ws_session>, public viewer {
 public:
  // `slot` holds the connection's place under the per-address caps until the
  // session is destroyed.
  ws_session(boost::asio::ip::tcp::socket socket, worker& w, services& svc, ip_slot slot);
  ws_session(std::unique_ptr<tls_transport> tls, worker& w, services& svc, ip_slot slot);
  ~ws_session();

  // Sends `handshake` (the 101 response), then authenticates, joins the room
  // and sends history. `leftover` holds bytes read past the HTTP request.
  void start(std::string handshake, std::string_view leftover, ws_target target);

  void deliver_round(const sealed_round& round) override;
  void deliver_viewer_count(const frame_bytes& frame, const frame_bytes& deflated, std::int64_t count) override;
  // The worker's periodic tick: server pings, idle cut-off, close deadline.
  void on_tick(millis now);
  // Starts a write of everything queued, unless one is in flight (called by
  // the worker's flush task).
  void flush();
  // The same in steps, for a worker that sends a round through its
  // send_ring: begin_flush() says whether to write now; gather() fills up to
  // `max` iovecs with the queued frames (valid until sent_from_ring or the
  // next change to the queue); sent_from_ring() takes the sendmsg result
  // (bytes or -errno) and carries on like flush() would.
  bool begin_flush();
  // TLS sessions write through their SSL stream (flush()), never the ring.
  bool plain() const { return !tls_; }
  int native_fd();
  std::size_t gather(iovec* iov, std::size_t max) const;
  void sent_from_ring(int result);
  // Starts the close handshake (server shutdown uses 1001).
  void close(std::uint16_t code, std::string_view reason);

  std::size_t tick_index = 0;  // position in worker::sessions

 private:
  enum class state { open, closing, finished };

  void open_room(ws_target target);
  void on_room_open(const result<std::shared_ptr<room>>& r, const ws_target& target,
                    const std::optional<std::vector<message>>& older);
  recovery_limits limits() const;
  void send_history(const ws_target& target, const std::optional<std::vector<message>>& older);
  void start_reading();
  void do_read();
  void on_readable();
  void read_tls();
  // Parses `n` bytes decrypted into tls_->read_buffer, after the reader's held bytes.
  void on_tls_read(std::size_t n);
  // The TCP socket under either transport (set-up and close only).
  boost::asio::ip::tcp::socket& tcp_socket();
  // Reacts to everything the reader finds in data[0, size), which starts with
  // the bytes it held; keeps the rest in it. Returns the bytes of whole frames.
  std::size_t read_frames(char* data, std::size_t size);
  void on_event(const ws_event& e);
  void on_peer_close(std::uint16_t code);
  void on_message(std::string_view text);
  void on_chat(client_chat chat);
  void on_vote(client_vote vote);
  // Counts an accepted message, or tells the sender why not (and cuts a flood).
  void on_sent(const status& s);
  void on_stored(const std::string& client_id, const result<ack_info>& r);
  void send_json(std::string json);
  // A text frame of this session's own: deflated when the extension was negotiated.
  frame_bytes text_frame(std::string_view json) const;
  void send_error(const error& e);
  // Queues a frame of this session's own, after the room events it has not
  // queued yet (room::take_round_tail).
  void enqueue(frame_bytes frame);
  // Queues a frame as is, without looking at the open round.
  void push(frame_bytes frame);
  void catch_up_round();
  // Cuts the viewer off (1008) when more than max_queue_bytes wait; true if it did.
  bool cut_if_slow();
  // Past the soft limit (and not lossless): queues the round without its chat
  // lines and remembers what was left out. True when it did.
  bool thin(const sealed_round& round, std::size_t start);
  bool behind() const;
  // The `skipped` event for what thinning left out, once the viewer keeps up again.
  void tell_skipped();
  // Unsent bytes: the queue's, and a TLS write's still in flight.
  std::size_t queued_bytes() const;
  // Writes as much of queue_ as the socket takes now; waits for
  // writability when it takes less.
  void do_write();
  void write_tls();
  // Accounts for one sendmsg: `n` bytes sent, or n < 0 with `err`. Returns
  // true when more is queued and the socket may take it now.
  bool sent(ssize_t n, int err);
  void wait_writable();
  void on_written_all();
  void drop_unsent();
  void leave_room();
  void finish();

  boost::asio::ip::tcp::socket socket_;  // plain transport (unopened with TLS)
  std::unique_ptr<tls_transport> tls_;   // TLS transport, or null
  ip_slot slot_;
  worker& worker_;
  services& svc_;
  principal who_;
  std::shared_ptr<room> room_;          // the room's state (core), once open
  std::shared_ptr<audience> audience_;  // its viewers on this node (net)
  bool in_room_ = false;                // in audience_'s viewer list on this worker
  state state_ = state::open;

  // read side
  ws_reader reader_;  // holds an incomplete frame or message; usually nothing

  // write side
  send_queue queue_;
  // Flags, side by side so they share one word (memory per idle connection).
  bool reading_ = false;          // a read, or a wait for readability, is in flight
  bool writing_ = false;          // waiting for the socket to become writable (TLS: a write in flight)
  bool flush_scheduled_ = false;  // on the worker's dirty list
  bool close_queued_ = false;
  bool close_sent_ = false;
  bool peer_closed_ = false;
  bool lossless_ = false;  // ?lossless=true: cut at the limit, never thinned
  bool deflate_ = false;   // permessage-deflate negotiated: rounds from sealed_round::deflated()
  bool chain_ = false;     // … whole rounds from sealed_round::chained()

  // Chat lines left out since the viewer fell behind (null while it keeps up:
  // no memory for the many that never do).
  struct skipped_lines {
    std::int64_t count = 0;
    std::string from_id, to_id;
  };
  std::unique_ptr<skipped_lines> skipped_;
  std::uint64_t history_seq_ = 0;
  std::int64_t last_viewer_count_ = -1;  // the last viewer_count this viewer was sent
  millis last_received_ = 0;
  millis last_ping_ = 0;
  millis close_deadline_ = 0;
  int refused_in_a_row_ = 0;  // rate-limit refusals since the last accepted message
  int votes_in_flight_ = 0;   // votes sent to the blocking pool, not answered yet (this worker only)
};

}  // namespace sorak
