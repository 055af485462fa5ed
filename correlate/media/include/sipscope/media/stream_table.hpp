// The RTP/RTCP side of the call correlator (issue 5): it takes every non-SIP UDP datagram,
// decides whether it is RTP or RTCP, keeps one summary per stream and hands finished streams
// back. No packet is kept.
//
//   media::stream_table t(limits);
//   t.expect(answer_media_endpoint, call_ref, pts);   // from SDP, as offer/answer arrive
//   t.on_udp(ev);                                     // every capture::udp_event
//   t.finish_idle(now, 30 s, sink);                   // now and then: bounded memory
//   t.finish_all(sink);                               // end of input
//
// Streams are keyed by (src, dst, SSRC). A datagram belongs to a call when its destination is
// an expected endpoint, or its source is one (symmetric RTP, RFC 4961: a side sends from the
// port it receives on, so its packets leave from its negotiated address even when they arrive
// at a NATed address the SDP never named). Both addresses of such a packet are then latched
// to the call, so that the streams that follow (other direction, new SSRC) find it too.
// Without signalling, a flow becomes a "heuristic" stream only after `heuristic_packets`
// datagrams with the same SSRC, each with a new sequence number within 100 of the highest one
// and a timestamp that moves the same way (loss and reordering allowed; one inconsistent
// packet costs two more good ones, a second rejects the flow, and so do 8 packets without a
// verdict). Random UDP - DNS, QUIC, games - almost never does that. The packets it took are
// replayed into the stream's statistics, so none is missing.
// RTCP (RFC 5761 range, any port: port+1 or rtcp-mux alike) never creates a stream: SR, SDES
// and BYE go to the stream whose SSRC sent them, report blocks and XR VoIP metrics to the
// stream whose SSRC they name (the one going to the reporter's address when SSRCs collide).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sipscope/capture/packet.hpp"
#include "sipscope/media/emodel.hpp"
#include "sipscope/media/payload.hpp"
#include "sipscope/media/rtp.hpp"
#include "sipscope/media/stream_stats.hpp"

namespace sipscope::media {

enum class stream_origin : std::uint8_t {
  signalled,   // destination was an endpoint SDP negotiated
  latched,     // source (or a latched address) matched: symmetric RTP / NAT
  heuristic,   // no signalling: confirmed by consecutive sequence numbers
};
std::string_view to_string(stream_origin o) noexcept;

// What the RTCP of both sides said about one stream.
struct rtcp_summary {
  std::uint64_t sender_reports = 0;         // SRs from the stream's sender
  rtcp_sender_report last_sr;
  capture::timestamp_ns last_sr_time = 0;
  std::uint64_t report_blocks = 0;          // SR/RR blocks about this stream (its receiver)
  rtcp_report_block last_block;
  double max_fraction_lost = 0;             // 0..1
  double last_jitter_ms = 0, max_jitter_ms = 0;   // reported jitter, by the stream's clock
  // Round trip seen from the capture point: a block whose LSR names the stream's last SR,
  // arrival(block) - arrival(SR) - DLSR. Negative = unknown.
  double rtt_ms = -1, max_rtt_ms = -1;
  std::uint64_t xr_reports = 0;             // XR VoIP metrics blocks about this stream
  rtcp_voip_metrics last_xr;
  std::string cname;                        // SDES CNAME of the sender (at most 255 bytes)
  bool bye = false;
};

struct rtp_stream {
  capture::endpoint src, dst;
  std::uint64_t call_ref = 0;               // from expect(); 0 for heuristic streams
  stream_origin origin = stream_origin::heuristic;
  capture::frame_ref first_frame, last_frame;
  stream_analyser analysis;                 // its payload map is the SDP's
  rtcp_summary rtcp;
  const stream_stats& stats() const noexcept { return analysis.stats(); }
};

// ITU-T G.107 estimate (emodel.hpp) for one stream:
//   Ppl   = RFC 3550 A.3 loss (lost_unique / expected_unique, duplicates do not hide loss),
//   BurstR = 1 / (p + q) from the loss gaps (p = gaps / received, q = gaps / lost; 1 when no
//            loss), G.107's BurstR for a two-state Markov loss model,
//   Ta    = RTCP round trip / 2 when known (else 0) + packetisation (mean delta) + codec
//           look-ahead + a jitter buffer of twice the mean jitter (at least one packet time).
// It is an estimate: jitter-buffer discards and the real end-system delays are not visible.
struct quality_estimate {
  bool valid = false;                       // an audio stream with packets and a clock
  double loss_percent = 0, burst_ratio = 1, one_way_delay_ms = 0;
  double ie_eff = 0, r = 0, mos = 0;
  bool codec_known = false;                 // codec_impairment_for().known
};
quality_estimate estimate_quality(const rtp_stream& s) noexcept;

struct table_limits {
  std::size_t max_streams = 100000;
  std::size_t max_expectations = 200000;    // expected endpoints, latched ones included
  std::size_t max_candidates = 4096;        // flows being tested by the heuristic
  unsigned heuristic_packets = 4;           // consistent packets required (2..8)
  bool heuristic = true;                    // look for RTP nobody signalled
  payload_map heuristic_payloads = {};      // PT map for those (e.g. 111 opus/48000)
};

struct table_counters {
  std::uint64_t datagrams = 0;
  std::uint64_t rtp_packets = 0;            // counted into a stream
  std::uint64_t rtcp_packets = 0;           // compound packets
  std::uint64_t other = 0;                  // neither (or refused)
  std::uint64_t streams_signalled = 0, streams_latched = 0, streams_heuristic = 0;
  std::uint64_t streams_refused = 0;        // max_streams reached
  std::uint64_t streams_finished = 0;
  std::uint64_t candidates_rejected = 0;    // buffer full without a run of sequence numbers
  std::uint64_t candidates_evicted = 0;     // max_candidates reached or idle
  std::uint64_t expectations_evicted = 0;   // max_expectations reached: the oldest went
  std::uint64_t rtcp_unmatched = 0;         // SR / report blocks / XR naming no known stream
};

enum class udp_verdict : std::uint8_t { other, rtp, rtcp, candidate };

class stream_table {
 public:
  using sink = std::function<void(const rtp_stream&)>;

  explicit stream_table(table_limits limits = {});
  ~stream_table();
  stream_table(const stream_table&) = delete;
  stream_table& operator=(const stream_table&) = delete;

  // RTP for `call_ref` is expected at `dst` (an SDP c=/m= address and port). A later expect()
  // of the same endpoint (port reuse, re-INVITE) replaces the owner.
  void expect(const capture::endpoint& dst, std::uint64_t call_ref, const payload_map& pts);
  // The call is over: its endpoints (negotiated and latched) are no longer expected. Its
  // streams stay until finish_idle/finish_all.
  void forget(std::uint64_t call_ref);

  udp_verdict on_udp(const capture::udp_event& e);

  // Streams with no packet for longer than `timeout` go to `out` and are removed; stale
  // heuristic candidates are dropped.
  void finish_idle(capture::timestamp_ns now, capture::timestamp_ns timeout, const sink& out);
  void finish_all(const sink& out);

  // Live view of the streams in progress (unspecified order).
  void for_each(const sink& f) const;
  // The streams in progress of one call (unspecified order), through an index: a record handed
  // over while its media flows no longer scans every stream of the capture.
  void for_each_of_call(std::uint64_t call_ref, const sink& f) const;
  std::size_t stream_count() const noexcept;
  std::size_t candidate_count() const noexcept;
  std::size_t expectation_count() const noexcept;
  const table_counters& counters() const noexcept { return counters_; }
  const table_limits& limits() const noexcept { return limits_; }

  struct impl;

 private:
  udp_verdict on_rtcp(const capture::udp_event& e);
  udp_verdict on_new_flow(const capture::udp_event& e, const rtp_header& h);
  table_limits limits_;
  table_counters counters_;
  std::unique_ptr<impl> impl_;
};

}  // namespace sipscope::media
