// Hands a pipeline's events to another thread, in order: reading and decoding a capture on
// one thread while another correlates what it found (export's two-stage mode, for one capture
// with more jobs than captures).
//
//   capture::relay r;
//   std::thread reader([&] { pipeline.run(r); r.close(); });   // the producer
//   r.drain(correlating_handler);                               // the consumer, until close()
//   reader.join();
//
// The producer's handler calls copy each event and the bytes it points to (payloads, SIP
// messages) into batches; drain() gives the consumer the same events, in the same order, with
// views into its copy that stay valid for the callback only, as the pipeline's do, except that
// a plain RTP datagram crosses with its header and first 4 payload bytes only (udp_event::cut
// says how many more it had). Memory is
// bounded: at most `max_batches` batches wait (the producer then waits), and batches are
// reused. cancel() (consumer side) makes the producer's calls return at once and drain() stop:
// the producer should then stop its pipeline.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sipscope/capture/packet.hpp"

namespace sipscope::capture {

class relay final : public handler {
 public:
  explicit relay(std::size_t max_batches = 8, std::size_t batch_events = 2048);
  ~relay() override;
  relay(const relay&) = delete;
  relay& operator=(const relay&) = delete;

  // Producer side (the pipeline's thread).
  void on_sip(const sip_event& e) override;
  void on_udp(const udp_event& e) override;
  void on_diag(const diag_event& e) override;
  void on_icmp(const icmp_event& e) override;
  void on_tcp(const tcp_event& e) override;
  void on_progress(std::uint64_t done, std::uint64_t total) override;
  void close();   // no more events: drain() returns once it has handed over the last ones

  // Consumer side. Feeds every event to `h`; true at the end of a closed relay, false when
  // cancelled.
  bool drain(handler& h);
  void cancel();

  struct batch;   // (relay.cpp)

 private:
  void flush();   // the producer's current batch to the queue
  batch& current();

  std::size_t max_batches_, batch_events_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::unique_ptr<batch>> full_;   // waiting for the consumer
  // Drained batches, reused oldest first: the consumer has just read the newest, and the
  // producer writing over it would take every cache line back from the consumer's core (20 x
  // 52 MB as one capture, --jobs 2: 1.14-1.23 s newest first, 1.02-1.04 s oldest first).
  std::deque<std::unique_ptr<batch>> free_;
  std::unique_ptr<batch> cur_;                // the producer's
  bool closed_ = false;
  std::atomic<bool> cancelled_{false};
};

}  // namespace sipscope::capture
