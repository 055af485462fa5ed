// A pipeline's handler that another thread can take over half-way: the pipeline's own thread
// calls the downstream handler itself (one thread, nothing copied) until a helper claims it;
// from the next event on, the pipeline's thread only reads and decodes, and hands the events
// to the helper through a relay (relay.hpp), which calls the downstream handler with them.
// export uses it so that a worker with no capture left helps one still being read, instead of
// leaving its CPU idle for the rest of the run.
//
//   capture::handoff ho(correlating_handler);
//   // owner thread:                         // an idle thread:
//   pipeline.run(ho);                        if (ho.claim()) ho.help();   // returns at the end
//   ho.finish();   // waits for a helper's last event
//
// The downstream handler sees the same events in the same order either way, on one thread at
// a time (the owner's before the switch, the helper's after it; finish() returns only when
// the helper has handed over the last one), with a relay's views: a plain RTP datagram after
// the switch carries its header and first payload bytes only (udp_event::cut).
//
// claim() is safe to call from any thread until finish(); it returns false once finish() has
// been called (the helper arrived too late). The caller of claim() must keep the object alive
// until claim() returns: export finds the handoff under a lock that the owner also takes
// before finish().
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "sipscope/capture/packet.hpp"
#include "sipscope/capture/relay.hpp"

namespace sipscope::capture {

class handoff final : public handler {
 public:
  explicit handoff(handler& downstream) : down_(downstream) {}
  handoff(const handoff&) = delete;
  handoff& operator=(const handoff&) = delete;

  void on_sip(const sip_event& e) override { route(&handler::on_sip, e); }
  void on_udp(const udp_event& e) override { route(&handler::on_udp, e); }
  void on_diag(const diag_event& e) override { route(&handler::on_diag, e); }
  void on_icmp(const icmp_event& e) override { route(&handler::on_icmp, e); }
  void on_tcp(const tcp_event& e) override { route(&handler::on_tcp, e); }
  void on_progress(std::uint64_t done, std::uint64_t total) override { route(&handler::on_progress, done, total); }

  bool claim();    // any thread: true when the caller is to help() (the owner has not finished)
  void help();     // the claiming thread: hands events to the downstream handler until finish()
  void finish();   // the owner, after the pipeline's last event
  bool switched() const { return switched_; }   // the owner's thread: events went to a helper

 private:
  // The owner's thread, per event: to the downstream handler itself until a claim, then to
  // the relay (one load of a flag that is written once).
  template <typename... P, typename... A>
  void route(void (handler::*call)(P...), const A&... a) {
    if (direct()) (down_.*call)(a...);
    else (relay_.*call)(a...);
  }
  bool direct() {
    if (switched_) return false;
    if (!wanted_.load(std::memory_order_acquire)) return true;
    switched_ = true;
    return false;
  }

  handler& down_;
  relay relay_;
  bool switched_ = false;             // the owner's thread only
  std::atomic<bool> wanted_{false};   // a helper claimed it (written once, by claim())
  std::mutex mu_;
  std::condition_variable done_cv_;
  bool claimed_ = false, finished_ = false, drained_ = false;
};

}  // namespace sipscope::capture
