#include "sipscope/capture/handoff.hpp"

namespace sipscope::capture {

bool handoff::claim() {
  std::lock_guard l(mu_);
  if (finished_ || claimed_) return false;
  claimed_ = true;
  wanted_.store(true, std::memory_order_release);
  return true;
}

void handoff::help() {
  // The relay hands over every event the owner relays, and returns once finish() closed it.
  relay_.drain(down_);
  std::lock_guard l(mu_);
  drained_ = true;
  done_cv_.notify_all();
}

void handoff::finish() {
  std::unique_lock l(mu_);
  finished_ = true;
  if (!claimed_) return;
  l.unlock();
  // Claimed: the helper drains until the relay is closed, whether or not the owner saw the
  // claim before its last event (then the relay is empty and help() returns at once).
  relay_.close();
  l.lock();
  done_cv_.wait(l, [&] { return drained_; });
}

}  // namespace sipscope::capture
