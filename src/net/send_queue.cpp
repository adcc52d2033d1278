#include "net/send_queue.hpp"

#include <algorithm>

namespace sorak {

void send_queue::push(frame f) {
  bytes_ += f->size();
  frames_.push_back(std::move(f));
}

std::size_t send_queue::gather(iovec* iov, std::size_t max) const {
  std::size_t count = 0;
  for (std::size_t i = head_; i < frames_.size() && count < max; ++i, ++count) {
    const std::string& f = *frames_[i];
    const std::size_t skip = count == 0 ? head_offset_ : 0;
    iov[count] = {const_cast<char*>(f.data()) + skip, f.size() - skip};
  }
  return count;
}

// Pops what went out whole; remembers how far into the next frame it got.
void send_queue::consume(std::size_t n) {
  bytes_ -= std::min(bytes_, n);
  while (n > 0) {
    const std::size_t rest = frames_[head_]->size() - head_offset_;
    if (n < rest) {
      head_offset_ += n;
      return;
    }
    n -= rest;
    head_offset_ = 0;
    frames_[head_++].reset();
  }
}

void send_queue::move_to(std::string& out, std::size_t limit) {
  while (head_ < frames_.size() && out.size() < limit) {
    const std::size_t n = frames_[head_]->size();
    out.append(*frames_[head_]);
    frames_[head_++].reset();
    bytes_ -= std::min(bytes_, n);
  }
}

void send_queue::drop_unsent() {
  frames_.resize(head_ + (head_offset_ > 0 ? 1 : 0));
  bytes_ = head_offset_ > 0 ? frames_[head_]->size() - head_offset_ : 0;
}

void send_queue::clear() {
  frames_.clear();
  head_ = 0;
  head_offset_ = 0;
  bytes_ = 0;
}

void send_queue::compact() {
  if (head_ >= 64 && head_ * 2 >= frames_.size()) {
    frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

}  // namespace sorak
