#include "media_bridge.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_map>

#include "sipscope/media/stream_table.hpp"

namespace sipscope::correlate::detail {

bool static_payload(std::uint8_t pt, std::string& name, std::uint32_t& clock_rate) {
  struct entry { std::uint8_t pt; const char* name; std::uint32_t rate; };
  // RFC 3551 section 6, table 4 (audio) and 5 (video).
  static constexpr entry table[] = {
      {0, "PCMU", 8000}, {3, "GSM", 8000},  {4, "G723", 8000},   {5, "DVI4", 8000},
      {6, "DVI4", 16000}, {7, "LPC", 8000}, {8, "PCMA", 8000},   {9, "G722", 8000},
      {10, "L16", 44100}, {11, "L16", 44100}, {12, "QCELP", 8000}, {13, "CN", 8000},
      {14, "MPA", 90000}, {15, "G728", 8000}, {16, "DVI4", 11025}, {17, "DVI4", 22050},
      {18, "G729", 8000}, {25, "CelB", 90000}, {26, "JPEG", 90000}, {28, "nv", 90000},
      {31, "H261", 90000}, {32, "MPV", 90000}, {33, "MP2T", 90000}, {34, "H263", 90000},
  };
  for (const entry& e : table)
    if (e.pt == pt) {
      name = e.name;
      clock_rate = e.rate;
      return true;
    }
  return false;
}

namespace {

constexpr timestamp_ns second = 1'000'000'000;

std::string fmt_ms(double ms) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", ms);
  return b;
}

class stream_bridge final : public media_bridge {
 public:
  stream_bridge(std::function<bool(std::uint64_t)> is_live, const correlator_options& o)
      : table_(limits(o)), is_live_(std::move(is_live)), on_limit_(o.on_limit) {}

  void expect(std::uint64_t index, const std::string&, const sdp_media& m, timestamp_ns) override {
    media::payload_map pts;
    for (const sdp_codec& c : m.codecs)
      if (!c.name.empty() && c.clock_rate) pts.set(c.payload_type, c.name, c.clock_rate);
    table_.expect(m.address, index, pts);
  }

  void on_udp(const capture::udp_event& e, correlator_stats& stats) override {
    now_ = std::max(now_, e.time);
    switch (table_.on_udp(e)) {
      case media::udp_verdict::rtp: ++stats.rtp_packets; any_rtp_ = true; break;
      case media::udp_verdict::rtcp: ++stats.rtcp_packets; break;
      default: break;
    }
    if (table_.counters().streams_refused != refused_) [[unlikely]] limit_hit(e);
    if (e.time >= next_sweep_) sweep(e.time);
  }

  // Streams silent for a minute are over: their summaries wait for their record, and the
  // table stays the size of the media in progress. Out of line: the per-datagram path above
  // stays small (no std::function built in its frame).
  [[gnu::noinline]] void sweep(timestamp_ns t) {
    next_sweep_ = capture::later(t, 5 * second);   // (saturated: a capture's times go up to 2^63 ns)
    table_.finish_idle(now_, 60 * second, [this](const media::rtp_stream& s) { keep(s); });
  }

  void finish_record(record& r, bool at_end) override {
    if (at_end && !flushed_) {
      flushed_ = true;
      table_.finish_all([this](const media::rtp_stream& s) { keep(s); });
    }
    if (!at_end) {
      // Streams still flowing when the record is handed over are summarised as they are.
      table_.for_each_of_call(r.index, [&](const media::rtp_stream& s) {
        media::rtp_stream copy = s;
        copy.analysis.finish();
        done_[r.index].push_back(std::move(copy));
      });
      table_.forget(r.index);
    }
    auto it = done_.find(r.index);
    if (it != done_.end()) {
      for (const media::rtp_stream& s : it->second) r.streams.push_back(convert(s, &r));
      done_.erase(it);
    }
    // By start, then by first packet (one stream's, so the order is total): the streams come
    // from hash tables, whose order is no order.
    std::sort(r.streams.begin(), r.streams.end(), [](const stream_info& a, const stream_info& b) {
      return std::tie(a.start, a.first_frame.file, a.first_frame.number) <
             std::tie(b.start, b.first_frame.file, b.first_frame.number);
    });
    findings(r);
  }

  void orphans(std::vector<stream_info>& out) override {
    // A capture with RTP and no SIP at all has no record to trigger the final flush.
    if (!flushed_) {
      flushed_ = true;
      table_.finish_all([this](const media::rtp_stream& s) { keep(s); });
    }
    for (const media::rtp_stream& s : orphans_) out.push_back(convert(s, nullptr));
    orphans_.clear();
  }

 private:
  static media::table_limits limits(const correlator_options& o) {
    media::table_limits l;
    l.max_streams = o.max_streams;
    return l;
  }

  [[gnu::noinline]] void limit_hit(const capture::udp_event& e) {
    refused_ = table_.counters().streams_refused;
    if (!on_limit_) return;
    capture::diag_event d{capture::diag_kind::stream_limit, true, e.frame, 0,
                          "fewer RTP streams at once (the stream limit: this one is not tracked)"};
    on_limit_(d);
  }

  void keep(const media::rtp_stream& s) {
    if (s.call_ref == 0) {
      if (orphans_.size() < 100000) orphans_.push_back(s);
      return;
    }
    if (!is_live_(s.call_ref)) return;   // its record was handed over already
    auto& v = done_[s.call_ref];
    if (v.size() < 256) v.push_back(s);
  }

  static side other(side s) { return s == side::caller ? side::callee : s == side::callee ? side::caller : side::none; }

  // Which side sent the stream: the receiver is the side whose SDP named the destination; for
  // a latched stream (NAT), the sender is the side whose SDP names the source.
  static side sender_of(const record& r, const media::rtp_stream& s) {
    for (const sdp_media& m : r.sdp)
      if (m.address == s.dst) return other(m.from);
    for (const sdp_media& m : r.sdp)
      if (m.address == s.src) return m.from;
    return side::none;
  }

  static stream_info convert(const media::rtp_stream& s, const record* r) {
    const media::stream_stats& st = s.stats();
    stream_info i;
    i.src = s.src;
    i.dst = s.dst;
    i.ssrc = st.ssrc;
    i.payload_type = st.payload_type == 255 ? 0 : st.payload_type;
    i.codec = std::string(media::to_string(st.codec));
    i.clock_rate = st.clock_rate;
    if (r) {
      i.from = sender_of(*r, s);
      // The SDP's own name for the payload type, when it gave one.
      for (const sdp_media& m : r->sdp)
        for (const sdp_codec& c : m.codecs)
          if (c.payload_type == i.payload_type && !c.name.empty() && (m.address == s.dst || m.address == s.src)) i.codec = c.name;
    }
    i.negotiated = s.origin == media::stream_origin::signalled;
    i.origin = std::string(media::to_string(s.origin));
    i.packets = st.packets;
    i.expected = static_cast<std::uint64_t>(std::max<std::int64_t>(0, st.expected()));
    i.lost = st.lost();
    i.lost_unique = st.lost_unique();
    i.duplicates = st.duplicates;
    i.out_of_order = st.out_of_order;
    i.sequence_errors = st.sequence_errors;
    i.max_delta_ms = st.max_delta_ms;
    i.mean_delta_ms = st.mean_delta_ms;
    i.max_jitter_ms = st.max_jitter_ms;
    i.mean_jitter_ms = st.mean_jitter_ms;
    media::quality_estimate q = media::estimate_quality(s);
    if (q.valid) {
      i.mos = q.mos;
      i.r_factor = q.r;
      i.one_way_delay_ms = q.one_way_delay_ms;
      i.burst_ratio = q.burst_ratio;
      i.ie_eff = q.ie_eff;
    }
    i.start = st.first_time;
    i.end = st.last_time;
    i.first_frame = s.first_frame;
    for (const media::dtmf_event& d : st.dtmf)
      i.dtmf.push_back({d.digit, d.start, static_cast<std::uint32_t>(d.duration_ms + 0.5)});
    i.rtcp_reports = static_cast<std::uint32_t>(s.rtcp.report_blocks + s.rtcp.sender_reports + s.rtcp.xr_reports);
    if (s.rtcp.report_blocks) {
      i.rtcp_fraction_lost = s.rtcp.max_fraction_lost;
      i.rtcp_jitter_ms = s.rtcp.max_jitter_ms;
    }
    i.rtt_ms = s.rtcp.max_rtt_ms;
    return i;
  }

  void findings(record& r) {
    if (r.kind != record_kind::call) return;
    const bool answered = r.times.answer.has_value();
    bool from_caller = false, from_callee = false;
    for (const stream_info& s : r.streams) {
      from_caller |= s.from == side::caller && s.packets > 0;
      from_callee |= s.from == side::callee && s.packets > 0;
    }
    bool audio_negotiated = false;
    for (const sdp_media& m : r.sdp) audio_negotiated |= m.media == "audio" && m.address.port != 0;
    const std::int64_t talk = r.talk_ms();
    // A short call is judged by its evidence: one side's audio for a second or more with none
    // back is one-way audio (the caller who hears nothing hangs up early), whatever the talk.
    timestamp_ns sent_ns = 0;
    for (const stream_info& s : r.streams)
      if (s.packets > 0 && s.from != side::none) sent_ns = std::max(sent_ns, s.end - s.start);
    if (answered && audio_negotiated && any_rtp_ && (talk > 2000 || (talk >= 1000 && sent_ns >= second))) {
      if (!from_caller && !from_callee) {
        if (talk > 2000)
          r.findings.push_back({"no_rtp", "the call was answered and talked " + std::to_string(talk / 1000) +
                                              " s, but no RTP of it is in the capture (while the capture has RTP)"});
      } else if (from_caller != from_callee) {
        const char* silent = from_caller ? "callee -> caller" : "caller -> callee";
        r.findings.push_back({"one_way_audio", std::string("one-way audio: no RTP ") + silent + " during " +
                                                   std::to_string(talk / 1000) + " s of talk"});
      }
    }
    for (const stream_info& s : r.streams) {
      const std::string who = s.src.to_string() + " -> " + s.dst.to_string();
      if (s.origin == "latched") {
        bool dst_known = false, src_known = false;
        for (const sdp_media& m : r.sdp) {
          dst_known |= m.address == s.dst;
          src_known |= m.address == s.src;
        }
        if (!dst_known)
          r.findings.push_back({"unnegotiated_destination", "RTP " + who + " goes to an address no SDP of the call named"});
        // The sending side's SDP address differs from where its packets really come from.
        for (const sdp_media& m : r.sdp)
          if (m.from == s.from && m.media == "audio" && m.address.port && !(m.address == s.src) && !src_known) {
            r.findings.push_back({"nat_mismatch", "RTP " + who + " comes from " + s.src.to_string() +
                                                      " but the sender's SDP announced " + m.address.to_string() +
                                                      " (NAT)"});
            break;
          }
      }
      // A payload type the receiving side's SDP did not offer or accept.
      bool offered = false, any = false;
      for (const sdp_media& m : r.sdp) {
        if (!(m.address == s.dst)) continue;
        any = true;
        for (const sdp_codec& c : m.codecs) offered |= c.payload_type == s.payload_type;
      }
      if (any && !offered)
        r.findings.push_back({"codec_mismatch", "RTP " + who + " uses payload type " + std::to_string(s.payload_type) +
                                                    " that the receiver's SDP did not list"});
      if (r.times.bye && s.end > capture::later(*r.times.bye, 2 * second))
        r.findings.push_back({"rtp_after_bye", "RTP " + who + " continues " +
                                                   fmt_ms(static_cast<double>(s.end - *r.times.bye) / 1e6) +
                                                   " ms after the BYE"});
      if (s.max_delta_ms > 2000)
        r.findings.push_back({"media_gap", "RTP " + who + " stops for " + fmt_ms(s.max_delta_ms) + " ms"});
    }
  }

  media::stream_table table_;
  std::function<bool(std::uint64_t)> is_live_;
  std::unordered_map<std::uint64_t, std::vector<media::rtp_stream>> done_;
  std::vector<media::rtp_stream> orphans_;
  timestamp_ns now_ = 0, next_sweep_ = 0;
  bool flushed_ = false;
  bool any_rtp_ = false;
  std::function<void(const capture::diag_event&)> on_limit_;
  std::uint64_t refused_ = 0;
};

}  // namespace

std::unique_ptr<media_bridge> make_media_bridge(std::function<bool(std::uint64_t)> is_live,
                                                const correlator_options& opt) {
  return std::make_unique<stream_bridge>(std::move(is_live), opt);
}

}  // namespace sipscope::correlate::detail
