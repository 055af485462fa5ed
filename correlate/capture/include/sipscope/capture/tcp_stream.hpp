// TCP reassembly on byte buffers: segments in, in-order byte chunks out, per half-stream.
//
// A flow is a 5-tuple seen in both directions; each direction is a half-stream with its own
// id (stream id = flow serial * 2 + direction, direction 0 = the sender of the first segment
// seen). Sequence numbers compare modulo 2^32 (RFC 793 3.3, RFC 1982 serial arithmetic).
// A SYN fixes the start; without one (capture started mid-connection) the first segment with
// data does, and bytes of earlier segments arriving later are treated as retransmissions.
//
// Bytes are delivered once, in order, the first copy winning: identical retransmissions are
// dropped silently, overlaps with different bytes are counted (fragment_overlap) where both
// copies are still at hand (out-of-order buffer), and the first copy is kept. Out-of-order
// segments are copied into pooled buffers, bounded per flow and in total; when a bound is hit
// or the gap is older than gap_timeout, the missing bytes are given up: tcp_gap, and the next
// chunk has gap_before set (the SIP framer resynchronises). Flows close on RST, on FIN in both
// directions, after idle_timeout, or when evicted by the flow limit (tcp_flow_limit); a closed
// flow lingers briefly so that its last retransmissions and ACKs do not reopen it.
//
// No exceptions; the consumer is called synchronously from add()/expire()/flush() and must
// not call back into the reassembler. Chunk views are valid only during on_data().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sipscope/capture/packet.hpp"

namespace sipscope::capture {

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;
}

struct tcp_segment {
  endpoint src, dst;
  std::uint32_t seq = 0;
  std::uint8_t flags = 0;        // tcp_flag bits
  std::string_view payload;      // after the TCP header (options excluded)
  frame_ref frame;
  timestamp_ns time = 0;
};

struct tcp_chunk {
  std::uint64_t stream = 0;      // half-stream id (flow serial * 2 + direction)
  endpoint src, dst;             // the sender of these bytes, the receiver
  std::string_view bytes;        // never empty
  std::uint64_t offset = 0;      // position in the half-stream (skipped gaps included)
  bool gap_before = false;       // bytes were given up just before this chunk
  frame_ref frame;               // the segment these bytes came in
  timestamp_ns time = 0;
};

enum class tcp_close_reason : std::uint8_t { fin, rst, idle, evicted, reused, end_of_capture };

class tcp_consumer {
 public:
  virtual ~tcp_consumer() = default;
  virtual void on_data(const tcp_chunk& c) = 0;
  // The half-stream will deliver nothing more (called for both halves of a closing flow,
  // including a half that never delivered a byte).
  virtual void on_close(std::uint64_t /*stream*/, tcp_close_reason) {}
  virtual void on_diag(const diag_event&) {}
};

struct tcp_limits {
  std::size_t max_flows = 65536;                     // open + lingering flows
  std::size_t flow_buffer_limit = 256 * 1024;        // out-of-order bytes per flow (tcp_buffer_limit)
  std::size_t total_buffer_limit = 64 * 1024 * 1024; // out-of-order bytes over all flows
  timestamp_ns gap_timeout = 10'000'000'000;         // a hole older than this is skipped
  timestamp_ns idle_timeout = 600'000'000'000;       // a flow silent this long is closed
  timestamp_ns linger = 5'000'000'000;               // a closed flow ignores segments this long
};

struct tcp_stats {
  std::uint64_t segments = 0, flows = 0;
  std::uint64_t delivered_bytes = 0;
  std::uint64_t retransmitted_bytes = 0;  // already delivered or buffered, identical or not
  std::uint64_t overlaps = 0;             // overlaps with different bytes (first kept)
  std::uint64_t out_of_order = 0;         // segments buffered
  std::uint64_t gaps = 0, gap_bytes = 0;  // holes given up (tcp_gap)
  std::uint64_t buffer_limited = 0;       // times a buffer limit forced a gap (tcp_buffer_limit)
  std::uint64_t evicted_flows = 0;        // tcp_flow_limit
  std::uint64_t idle_closed = 0;
  std::uint64_t ignored = 0;              // segments of closed flows, pure ACKs of unknown flows
};

class tcp_reassembler {
 public:
  explicit tcp_reassembler(tcp_consumer& consumer, const tcp_limits& limits = {});
  tcp_reassembler(const tcp_reassembler&) = delete;
  tcp_reassembler& operator=(const tcp_reassembler&) = delete;

  // One segment; delivers whatever it makes contiguous. Also expires flows and gaps
  // (capture time), at most once per capture second.
  void add(const tcp_segment& seg) noexcept;
  // Closes idle flows and skips gaps older than the limits at capture time `now`.
  void expire(timestamp_ns now) noexcept;
  // End of input: delivers the buffered bytes (with gaps) and closes every flow.
  void flush() noexcept;

  std::size_t open_flows() const noexcept { return map_.size(); }
  std::size_t buffered_bytes() const noexcept { return buffered_; }
  const tcp_stats& stats() const noexcept { return stats_; }
  const tcp_limits& limits() const noexcept { return limits_; }

 private:
  struct pending {
    std::uint32_t seq, len;
    std::uint32_t buf;            // index into pool_
    frame_ref frame;
    timestamp_ns time;
  };
  struct half {
    bool started = false, syn = false, fin = false, done = false, gap = false;
    std::uint32_t isn = 0, next = 0, fin_seq = 0;
    std::uint64_t offset = 0;
    timestamp_ns gap_since = 0;   // when the oldest buffered segment was stored
    std::vector<pending> queue;   // sorted by seq, disjoint, all after `next`
  };
  struct flow_key {
    endpoint lo, hi;
    bool operator==(const flow_key&) const = default;
  };
  struct key_hash {
    std::size_t operator()(const flow_key& k) const noexcept;
  };
  struct flow {
    flow_key key;
    endpoint ep[2];               // ep[0] sent the first segment seen
    half h[2];
    std::uint64_t serial = 0;
    std::size_t buffered = 0;
    timestamp_ns last = 0;
    bool used = false, closed = false;
    std::uint32_t prev = npos, next = npos;  // LRU list, head = most recent
  };
  static constexpr std::uint32_t npos = 0xffffffffu;

  std::uint32_t open(const flow_key& key, const tcp_segment& seg) noexcept;
  void reset(flow& f, const tcp_segment& seg) noexcept;
  void close(std::uint32_t fi, tcp_close_reason why, const frame_ref& by) noexcept;
  void remove(std::uint32_t fi) noexcept;
  void lru_unlink(std::uint32_t fi) noexcept;
  void lru_push(std::uint32_t fi) noexcept;
  void data(flow& f, int dir, std::uint32_t seq, std::string_view bytes, const frame_ref& fr,
            timestamp_ns t) noexcept;
  void deliver(flow& f, int dir, std::string_view bytes, const frame_ref& fr, timestamp_ns t) noexcept;
  void drain(flow& f, int dir) noexcept;
  void skip_to(flow& f, int dir, std::uint32_t seq, const frame_ref& by) noexcept;
  void buffer(flow& f, int dir, std::uint32_t seq, std::string_view bytes, const frame_ref& fr,
              timestamp_ns t) noexcept;
  void drop_pending(flow& f, int dir, std::size_t i) noexcept;
  std::uint32_t take_buffer(std::string_view bytes) noexcept;
  void give_back(std::uint32_t b) noexcept;
  void check_fin(std::uint32_t fi, const frame_ref& by) noexcept;
  void diag(diag_kind k, const frame_ref& f, std::string_view what) noexcept;

  tcp_consumer& out_;
  tcp_limits limits_;
  std::unordered_map<flow_key, std::uint32_t, key_hash> map_;
  std::vector<flow> flows_;
  std::vector<std::uint32_t> free_flows_;
  std::uint32_t lru_head_ = npos, lru_tail_ = npos;
  std::vector<std::vector<char>> pool_;      // out-of-order segment copies
  std::vector<std::uint32_t> free_bufs_;
  std::size_t buffered_ = 0;
  std::uint64_t serial_ = 0;
  timestamp_ns last_expire_ = 0;
  bool expired_once_ = false;
  tcp_stats stats_;
};

}  // namespace sipscope::capture
