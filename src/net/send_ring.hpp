// send_ring.hpp: one io_uring per worker for a flush round's writes.
//
// A flush round writes to every viewer with something queued. One sendmsg
// system call per viewer costs a user/kernel round trip each, which on a
// virtual machine is a large share of a loopback send (bench/OPTIMISATIONS.md
// #7). The ring takes the whole round's sendmsg calls as one submission: the
// kernel runs them back to back (non-blocking, so a full socket answers
// -EAGAIN at once instead of waiting) and posts one completion per call.
//
// Usage per round (worker::flush): add() up to capacity() calls, each with
// its own msghdr that stays untouched until run() returns; run() submits them,
// waits for every completion and calls `done(tag, result)` in submission
// order of completion, result being bytes sent or -errno.
//
// create() returns nullptr where io_uring is missing or refused (old kernel,
// seccomp, io_uring_disabled): the worker then calls sendmsg per session.
//
// Thread-safety: one ring belongs to one worker thread.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

struct io_uring;

namespace sorak {

class send_ring {
 public:
  static std::unique_ptr<send_ring> create(unsigned entries);
  ~send_ring();
  send_ring(const send_ring&) = delete;
  send_ring& operator=(const send_ring&) = delete;

  std::size_t capacity() const { return capacity_; }
  std::size_t queued() const { return queued_; }
  // Queues sendmsg(fd, msg, MSG_NOSIGNAL | MSG_DONTWAIT). REQUIRES: queued() < capacity().
  void add(int fd, const msghdr* msg, std::uint64_t tag);
  // Submits what was added and reports each completion.
  void run(const std::function<void(std::uint64_t tag, int result)>& done);

 private:
  explicit send_ring(std::unique_ptr<io_uring> ring, std::size_t capacity);
  std::unique_ptr<io_uring> ring_;
  std::size_t capacity_;
  std::size_t queued_ = 0;
};

}  // namespace sorak
