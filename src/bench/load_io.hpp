// load_io.hpp: the I/O part of a load thread: its connections' raw
// non-blocking TCP sockets, the epoll set they live in, connect, send, and
// reads, batched through io_uring where the kernel allows.
//
// Each socket is registered once, edge-triggered, for reading and writing,
// and the thread's Asio io_context waits on the epoll set's descriptor: a
// readable socket costs one recv, a batch of them one re-arm, and a
// connection costs socket, connect, epoll_ctl, getsockopt, send and close.
// Edge-triggered without reading to EAGAIN is safe: a TCP recv that returns
// less than it was given has emptied the receive queue (tcp_recvmsg stops
// only when the queue and the socket backlog are empty), so any later byte
// raises a new edge.
//
// Batched reads (the default, --io-uring): after epoll_wait, the recv of
// every ready connection goes into one io_uring submission, each into its own
// slot of the batch buffer, so a batch of 256 sockets costs one system call
// instead of 256. Where io_uring is refused, or with --io-uring false, each
// ready socket is read with its own recv.
//
// Reading: bytes go into one buffer shared by the thread's connections;
// io_events::consume handles the complete frames in place, and only an
// incomplete frame at the end is copied into the connection's `carry`, put
// back in front of the next read. Writing: send() at once; what the socket
// does not take waits in `out` for the next EPOLLOUT edge.
//
// Thread rule: a load_io belongs to one load thread; every member function
// is called on it (the thread of its io_context), and so are io_events.
#pragma once

#include <liburing.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/connection.hpp"
#include "bench/engine.hpp"

namespace sorak::bench {

inline constexpr int load_io_batch = 256;  // ready sockets taken per epoll_wait

// What load_io reports to its thread. failed and lost close the connection
// (phase::closed); load_io looks at the phase after each call.
class io_events {
 public:
  // Handles what is complete in d[0, n) read by `c` at `now`; returns the
  // bytes used.
  virtual std::size_t consume(connection& c, char* d, std::size_t n, std::int64_t now) = 0;
  virtual void failed(connection& c, const std::string& why) = 0;  // before ready
  virtual void lost(connection& c, const std::string& why) = 0;    // the connection ended
  virtual void sent(std::uint32_t msgs) = 0;                       // message frames fully written
  virtual void batch_done() = 0;                                   // after each batch of events

 protected:
  ~io_events() = default;
};

class load_io {
 public:
  // `peers`: the address of each node, by connection::node.
  load_io(boost::asio::io_context& io, const load_settings& settings, std::vector<sockaddr_in> peers,
          io_events& events);
  ~load_io();
  load_io(const load_io&) = delete;
  load_io& operator=(const load_io&) = delete;

  // Starts waiting for the epoll set.
  void start() { arm_batch(); }
  // No more events are handled or reads posted; sockets are closed by the caller.
  void stop();
  bool stopping() const { return stopping_; }
  bool reads_through_ring() const { return ring_ != nullptr; }

  // Opens `c`'s socket and starts its connect (phase::connecting); on an
  // error, io_events::failed.
  void connect(connection& c);
  // Sends what waits in `out`; what the socket does not take stays for the
  // next EPOLLOUT edge. The message frames in `out` count as sent (the
  // thread's tally, through `sent`) once all of it is sent.
  void flush(connection& c);
  // A stalled viewer reads again: what it carried first, then its socket
  // until it is empty.
  void resume(connection& c);

  // Closing the descriptor also takes it out of the epoll set.
  static void close_socket(connection& c);

 private:
  enum class read_outcome { drained, more, ended };
  struct ring_deleter {
    void operator()(io_uring* r) const;
  };

  void set_options(connection& c);
  void bind_source(int fd, const sockaddr_in& peer);
  void watch(connection& c);
  void on_connected(connection& c);
  void arm_batch();
  void on_batch();
  void on_event(connection& c, std::uint32_t events);
  bool settle_event(connection& c, std::uint32_t events);
  void read_batch(epoll_event* events, int n);
  int queue_reads(epoll_event* events, int n);
  void wait_reads(int k);
  void take_reads(int k);
  void take_read(int j, std::int64_t now);
  void on_readable(connection& c);
  void read_later(connection& c);
  read_outcome read_more(connection& c, char* buf, std::size_t& have, bool until_empty);
  bool take(connection& c, char* buf, std::size_t& have, std::int64_t now);
  std::size_t load_carry(connection& c, char* buf);
  static io_uring* make_ring();

  boost::asio::io_context& io_;
  const load_settings& settings_;
  const std::vector<sockaddr_in> peers_;
  io_events& events_;
  std::uint32_t source_next_ = 0;
  boost::asio::posix::stream_descriptor ready_set_;  // the epoll set of the connections
  std::unique_ptr<char[]> buffer_;
  bool stopping_ = false;
  // Batched reads; null with --io-uring false or where the kernel refuses
  // io_uring. Each connection read in a batch gets a slot of slots_.
  std::unique_ptr<io_uring, ring_deleter> ring_;
  std::unique_ptr<char[]> slots_;
  struct slot_use {
    connection* c;
    std::size_t have;  // carried bytes in front of the read
  };
  std::array<slot_use, load_io_batch> uses_;
  std::array<int, load_io_batch> results_;
};

}  // namespace sorak::bench
