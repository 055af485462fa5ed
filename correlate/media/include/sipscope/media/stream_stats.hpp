// One RTP stream's statistics, computed packet by packet in capture order; nothing of the
// packets is kept (a 1024-bit sequence window and the current DTMF event are the only state).
//
// The primary numbers are Wireshark/tshark 4.0's (ui/tap-rtp-analysis.c, rtppacket_analyse,
// as ../shared/bench/README.md documents it), so that `tshark -z rtp,streams` and sipscope
// agree (tests/media/truth_test.cpp checks every stream of gen-capture's truth):
//
//  - packets: every RTP packet of the stream, duplicates and RFC 4733 packets included.
//  - expected = last_seq - first_seq + 1 + 65536 * cycles, where last_seq is the sequence
//    number of the LAST CAPTURED packet (not the highest) and cycles counts wraps: a packet
//    with a sequence number below the first one starts a cycle once ("under" flag), 0 after
//    65535 too, and a number above the first one ends the "under" state. lost = expected -
//    packets (negative with duplicates).
//  - A packet is "in sequence" when its extended RTP timestamp is not below the first
//    packet's. Only those update the wrap counting, the jitter and the reference arrival time.
//  - Jitter (RFC 3550 A.8 on arrival times): with T = arrival ms, nom = (ts - first_ts) /
//    (clock / 1000) using Wireshark's integer division of the clock rate, D = |T - (T_prev +
//    nom - nom_prev)| where T_prev is the previous in-sequence arrival and nom_prev the previous
//    in-sequence packet WITH a clock; J += (D - J) / 16. Telephone-event packets have no clock
//    (they move T_prev but not nom_prev); comfort noise uses 8000.
//  - delta = T - T_prev. "Regular" packets (not the first, no marker, not CN, nor following CN,
//    in sequence) update max delta / max jitter, and the means by Wireshark's running formula
//    mean = (mean * (n - 1) + x) / n where n is the number of packets before this one (all of
//    them, not only regular ones: that is what 4.0 does).
//  - sequence_errors: Wireshark's "Seq Err" count (a jump forward or a late/duplicate number;
//    not in the truth files, so only the unit tests check it).
//
// Beside them, RFC 3550 A.3 style numbers that duplicates do not distort: distinct packets,
// duplicates (same extended sequence number seen again within the last 1024), lost_unique =
// extended span - distinct, out_of_order (arrived after a higher sequence number).
#pragma once

#include <bitset>
#include <cstdint>
#include <vector>

#include "sipscope/capture/packet.hpp"
#include "sipscope/media/payload.hpp"
#include "sipscope/media/rtp.hpp"

namespace sipscope::media {

// One RFC 4733 event (counted once however many times its end packet is repeated).
struct dtmf_event {
  std::uint8_t event = 0;            // 0-9, 10 '*', 11 '#', 12-15 A-D, 16 flash, ...
  char digit = '?';                  // the character for events 0..16, '?' beyond
  std::uint8_t volume = 0;           // -dBm0
  capture::timestamp_ns start = 0;   // capture time of its first packet
  double duration_ms = 0;            // largest duration field / telephone-event clock
  bool ended = false;                // an E-bit packet was seen
};
char dtmf_digit(std::uint8_t event) noexcept;

struct stream_stats {
  std::uint32_t ssrc = 0;
  std::uint8_t payload_type = 255;          // first payload type that is not telephone-event
  std::uint32_t clock_rate = 0;             // of payload_type
  codec_id codec = codec_id::unknown;
  std::bitset<128> payload_types_seen;
  std::uint64_t packets = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t markers = 0;
  std::uint64_t telephone_event_packets = 0;
  std::uint64_t comfort_noise_packets = 0;
  // Wireshark 4.0
  std::uint16_t first_seq = 0, last_seq = 0;
  std::uint32_t cycles = 0;
  std::uint64_t sequence_errors = 0;
  std::uint64_t wrong_timestamp = 0;        // timestamp below the first one ("late" in 4.0)
  double max_delta_ms = 0, mean_delta_ms = 0;
  double max_jitter_ms = 0, mean_jitter_ms = 0, jitter_ms = 0;   // jitter_ms: after the last
  capture::timestamp_ns first_time = 0, last_time = 0;
  std::int64_t expected() const noexcept {
    return packets ? std::int64_t(last_seq) - first_seq + 1 + 65536 * std::int64_t(cycles) : 0;
  }
  std::int64_t lost() const noexcept { return expected() - std::int64_t(packets); }
  // RFC 3550 A.3
  std::uint64_t distinct = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t out_of_order = 0;
  std::int64_t first_ext_seq = 0, highest_ext_seq = 0;   // extended sequence numbers
  std::uint64_t loss_gaps = 0;              // forward jumps of the highest sequence number
  std::int64_t expected_unique() const noexcept {
    return packets ? highest_ext_seq - first_ext_seq + 1 : 0;
  }
  std::int64_t lost_unique() const noexcept {
    return expected_unique() - std::int64_t(distinct);
  }
  // RFC 4733
  std::vector<dtmf_event> dtmf;             // at most max_dtmf_events
  std::uint64_t dtmf_dropped = 0;           // events beyond the cap
  static constexpr std::size_t max_dtmf_events = 256;
};

// Feeds stream_stats. One per stream (same SSRC between the same two endpoints).
class stream_analyser {
 public:
  explicit stream_analyser(const payload_map& pts = {}) : pts_(pts) {}
  void set_payloads(const payload_map& pts) noexcept {
    pts_ = pts;
    cached_pt_ = 255;
  }
  const payload_map& payloads() const noexcept { return pts_; }

  // payload_size: the real payload length when h.payload holds only its first bytes (the
  // stream table replays heuristic candidates from such summaries); default h.payload.size().
  void add(const rtp_header& h, capture::timestamp_ns t, std::size_t payload_size = SIZE_MAX);
  // End of stream: a DTMF event still without its end packet is recorded (ended = false).
  void finish();
  const stream_stats& stats() const noexcept { return s_; }

 private:
  void wireshark(const rtp_header& h, double t_ms);
  void rfc3550(std::uint16_t seq);
  void dtmf(const rtp_header& h, capture::timestamp_ns t, std::uint32_t clock);
  void flush_dtmf();

  // What add() needs of the last payload type (255: none yet), worked out once per change.
  struct pt_info {
    payload_format format;                  // pts_.find(cached_pt_)
    std::uint32_t per_ms = 0;               // Wireshark's clock in kHz (0: no jitter)
    bool cn = false;                        // comfort noise
  };
  std::uint8_t cached_pt_ = 255;
  pt_info cached_;
  stream_stats s_;
  // Wireshark state
  bool under_ = false;
  std::uint32_t ws_seq_ = 0;                // last in-order sequence number ("seq_num")
  std::uint8_t prev_pt_ = 0;
  std::int64_t first_ts_ = 0, last_ext_ts_ = 0;
  double t_prev_ = 0, nom_prev_ = 0, delta_ = 0;
  // RFC 3550 A.3 window: bit (ext % 1024) set when that extended number arrived
  std::bitset<1024> seen_;
  payload_map pts_;                         // cold: read once per payload type change
  // RFC 4733 event in progress
  bool ev_open_ = false, ev_emitted_ = false;
  std::uint32_t ev_ts_ = 0;
  std::uint32_t ev_duration_ = 0;
  std::uint32_t ev_clock_ = 8000;
  dtmf_event ev_;
};

}  // namespace sipscope::media
