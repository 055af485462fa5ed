// Per-stream RTP statistics (stream_stats.hpp): Wireshark 4.0's numbers, RFC 3550 A.3's, DTMF.
#include "sipscope/media/stream_stats.hpp"

#include <cmath>

namespace sipscope::media {

char dtmf_digit(std::uint8_t event) noexcept {
  static constexpr char digits[] = "0123456789*#ABCDF";   // RFC 4733 3.2, 16 = flash
  return event < 17 ? digits[event] : '?';
}

inline void stream_analyser::wireshark(const rtp_header& h, double t_ms) {
  const std::uint16_t seq = h.sequence;
  // Extended timestamp: unwrapped against the previous packet's (a 32-bit wrap, or a late
  // packet from before one, moves by the signed 32-bit difference).
  std::int64_t ts;
  if (s_.packets == 0) {
    ts = h.timestamp;
  } else {
    ts = last_ext_ts_ + std::int32_t(h.timestamp - std::uint32_t(last_ext_ts_));
  }
  last_ext_ts_ = ts;

  if (s_.packets == 0) {
    s_.first_seq = s_.last_seq = seq;
    ws_seq_ = seq;
    first_ts_ = ts;
    t_prev_ = t_ms;
    prev_pt_ = h.payload_type;
    s_.packets = 1;
    return;
  }

  const bool in_seq = ts >= first_ts_;
  if (!in_seq) ++s_.wrong_timestamp;
  if (in_seq) {   // wrap counting ("XXX This code is highly incorrect" says Wireshark; kept)
    if (seq < s_.first_seq && !under_) {
      ++s_.cycles;
      under_ = true;
    } else if (seq == 0 && s_.last_seq == 65535 && !under_) {
      ++s_.cycles;
      under_ = true;
    } else if (seq > s_.first_seq && under_) {
      under_ = false;
    }
  }
  // Sequence errors, Wireshark's way: in order, a wrap, a jump (loss, or a wrap whose packets
  // were lost: issue 5958) moves the reference; a late or duplicate number does not.
  if (ws_seq_ + 1 == seq) {
    ws_seq_ = seq;
  } else if (ws_seq_ == 65535 && seq == 0) {
    ws_seq_ = seq;
  } else if (ws_seq_ + 1 < seq || ws_seq_ - seq > 0xFF00) {
    ws_seq_ = seq;
    ++s_.sequence_errors;
  } else {
    ++s_.sequence_errors;
  }

  // comfort noise: this packet's type (13, old 19, or mapped to CN), or the previous one's
  const bool cn = cached_.cn || prev_pt_ == 13 || prev_pt_ == 19;
  prev_pt_ = h.payload_type;
  const std::uint32_t per_ms = cached_.per_ms;   // 0: no clock (telephone-event, unknown)
  const std::uint64_t n = s_.packets;   // packets before this one

  double cur_jitter = 0;
  if (in_seq) {
    if (per_ms) {
      double nom = double(ts - first_ts_) / double(per_ms);
      double d = std::fabs(t_ms - (t_prev_ + (nom - nom_prev_)));
      cur_jitter = s_.jitter_ms = (15 * s_.jitter_ms + d) / 16;
      nom_prev_ = nom;
    }
    delta_ = t_ms - t_prev_;
  }
  const bool regular = !h.marker && !cn && in_seq;
  if (regular) {
    if (delta_ > s_.max_delta_ms) s_.max_delta_ms = delta_;
    s_.mean_delta_ms = (s_.mean_delta_ms * double(n - 1) + delta_) / double(n);
    if (per_ms) {
      if (cur_jitter > s_.max_jitter_ms) s_.max_jitter_ms = cur_jitter;
      s_.mean_jitter_ms = (s_.mean_jitter_ms * double(n - 1) + cur_jitter) / double(n);
    }
  }
  if (in_seq) t_prev_ = t_ms;
  s_.last_seq = seq;
  ++s_.packets;
}

inline void stream_analyser::rfc3550(std::uint16_t seq) {
  constexpr std::int64_t window = 1024;
  // bit (ext mod 1024), the mathematical modulo also for a negative ext (two's complement)
  const auto bit = [](std::int64_t ext) { return std::size_t(std::uint64_t(ext) & (window - 1)); };
  if (s_.distinct == 0 && s_.duplicates == 0) {
    s_.first_ext_seq = s_.highest_ext_seq = seq;
    seen_.reset();
    seen_[bit(seq)] = true;
    s_.distinct = 1;
    return;
  }
  std::int64_t ext =
      s_.highest_ext_seq + std::int16_t(std::uint16_t(seq - std::uint16_t(s_.highest_ext_seq)));
  if (ext > s_.highest_ext_seq) {
    std::int64_t jump = ext - s_.highest_ext_seq;
    if (jump > 1) {
      ++s_.loss_gaps;
      if (jump >= window) {
        seen_.reset();
      } else {
        for (std::int64_t e = s_.highest_ext_seq + 1; e < ext; ++e) seen_[bit(e)] = false;
      }
    }
    s_.highest_ext_seq = ext;
    seen_[bit(ext)] = true;
    ++s_.distinct;
    return;
  }
  if (ext < s_.first_ext_seq) s_.first_ext_seq = ext;   // late packet from before the first
  if (s_.highest_ext_seq - ext >= window) {             // too old to tell: count it as new
    ++s_.distinct;
    ++s_.out_of_order;
    return;
  }
  auto b = seen_[bit(ext)];
  if (b) {
    ++s_.duplicates;
  } else {
    b = true;
    ++s_.distinct;
    ++s_.out_of_order;
  }
}

void stream_analyser::add(const rtp_header& h, capture::timestamp_ns t, std::size_t payload_size) {
  // A stream's payload type rarely changes: what the statistics need of it is worked out once
  // per change (format, Wireshark's clock in kHz, comfort noise).
  if (h.payload_type != cached_pt_) {
    cached_pt_ = h.payload_type;
    const payload_format f = pts_.find(h.payload_type);
    const bool cn_pt = h.payload_type == 13 || h.payload_type == 19;
    cached_.format = f;
    cached_.cn = cn_pt || f.kind == media_kind::comfort_noise;
    // Wireshark divides the clock rate by 1000 in integers (11025 Hz -> 11): kept to agree.
    cached_.per_ms = (f.kind == media_kind::telephone_event ? 0 : cn_pt ? 8000 : f.clock_rate) / 1000;
  }
  const payload_format f = cached_.format;
  const bool first = s_.packets == 0;
  if (first) {
    s_.ssrc = h.ssrc;
    s_.first_time = t;
  }
  s_.last_time = t;
  s_.payload_types_seen[h.payload_type & 0x7f] = true;
  s_.payload_bytes += payload_size == SIZE_MAX ? h.payload.size() : payload_size;
  if (h.marker) ++s_.markers;
  if (f.kind == media_kind::telephone_event) {
    ++s_.telephone_event_packets;
  } else if (s_.payload_type == 255) {
    s_.payload_type = h.payload_type;
    s_.clock_rate = f.clock_rate;
    s_.codec = f.codec;
  }
  if (f.kind == media_kind::comfort_noise) ++s_.comfort_noise_packets;

  // Arrival in ms from the stream's first packet (Wireshark uses the capture's first frame:
  // only differences matter).
  double t_ms = double(capture::elapsed(t, s_.first_time)) / 1e6;
  wireshark(h, t_ms);
  rfc3550(h.sequence);
  if (f.kind == media_kind::telephone_event) dtmf(h, t, f.clock_rate);
}

// RFC 4733 2.5: one event is one RTP timestamp; its packets carry the growing duration, the
// last ones the E bit (sent three times, 2.5.1.4). A new timestamp starts a new event.
void stream_analyser::dtmf(const rtp_header& h, capture::timestamp_ns t, std::uint32_t clock) {
  if (h.payload.size() < 4) return;
  const auto* p = reinterpret_cast<const unsigned char*>(h.payload.data());
  const std::uint8_t event = p[0];
  const bool end = p[1] & 0x80;
  const std::uint8_t volume = p[1] & 0x3f;
  const std::uint32_t duration = std::uint32_t(p[2]) << 8 | p[3];
  if (ev_open_ && h.timestamp == ev_ts_ && event == ev_.event) {
    if (duration > ev_duration_) ev_duration_ = duration;
  } else {
    // a late packet of the previous event (its timestamp is older) is not a new event
    if (ev_open_ && std::int32_t(h.timestamp - ev_ts_) < 0) return;
    flush_dtmf();
    ev_open_ = true;
    ev_emitted_ = false;
    ev_ts_ = h.timestamp;
    ev_duration_ = duration;
    ev_clock_ = clock ? clock : 8000;
    ev_ = dtmf_event{};
    ev_.event = event;
    ev_.digit = dtmf_digit(event);
    ev_.start = t;
  }
  // the marker opens the event (2.5.1.2): when reordering brought a later packet first, the
  // marker packet's time is the start
  if (h.marker && ev_.start != t) ev_.start = t;
  ev_.volume = volume;
  ev_.duration_ms = double(ev_duration_) * 1000.0 / double(ev_clock_);
  if (end && !ev_emitted_) {
    ev_.ended = true;
    ev_emitted_ = true;
    if (s_.dtmf.size() < stream_stats::max_dtmf_events) {
      s_.dtmf.push_back(ev_);
    } else {
      ++s_.dtmf_dropped;
    }
  } else if (ev_emitted_ && !s_.dtmf.empty()) {
    s_.dtmf.back().duration_ms = ev_.duration_ms;   // a longer repeat of the end packet
    s_.dtmf.back().start = ev_.start;               // or its marker packet, late
  }
}

void stream_analyser::flush_dtmf() {
  if (ev_open_ && !ev_emitted_) {
    if (s_.dtmf.size() < stream_stats::max_dtmf_events) {
      s_.dtmf.push_back(ev_);
    } else {
      ++s_.dtmf_dropped;
    }
  }
  ev_open_ = false;
  ev_emitted_ = false;
}

void stream_analyser::finish() { flush_dtmf(); }

}  // namespace sipscope::media
