// The stream table (stream_table.hpp): classification, expectations, heuristic candidates,
// RTCP attachment, bounded memory.
#include "sipscope/media/stream_table.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <vector>

namespace sipscope::media {
namespace {

using capture::endpoint;
using capture::timestamp_ns;

std::size_t mix(std::size_t h, std::uint64_t v) noexcept {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  return h;
}

std::size_t hash_endpoint(const endpoint& e, std::size_t h = 0) noexcept {
  std::uint64_t a, b;
  std::memcpy(&a, e.ip.bytes.data(), 8);
  std::memcpy(&b, e.ip.bytes.data() + 8, 8);
  h = mix(h, a);
  h = mix(h, b);
  return mix(h, std::uint64_t(e.ip.family) << 16 | e.port);
}

struct endpoint_hash {
  std::size_t operator()(const endpoint& e) const noexcept { return hash_endpoint(e); }
};

struct stream_key {
  endpoint src, dst;
  std::uint32_t ssrc = 0;
  bool operator==(const stream_key&) const = default;
};

struct stream_key_hash {
  std::size_t operator()(const stream_key& k) const noexcept {
    return mix(hash_endpoint(k.dst, hash_endpoint(k.src)), k.ssrc);
  }
};

struct expectation {
  std::uint64_t call_ref = 0;
  payload_map pts;
  bool latched = false;
  std::uint64_t generation = 0;   // for the FIFO eviction order
};

// What the heuristic keeps of a datagram while it decides: enough to replay it.
struct packet_summary {
  timestamp_ns time = 0;
  capture::frame_ref frame;
  std::uint32_t timestamp = 0;
  std::uint16_t sequence = 0;
  std::uint8_t payload_type = 0;
  bool marker = false;
  std::uint16_t payload_size = 0;
  std::array<char, 4> head{};     // first payload bytes (an RFC 4733 event fits)
};

struct candidate {
  static constexpr std::size_t capacity = 8;
  std::array<packet_summary, capacity> pkts;
  std::uint8_t n = 0;
  std::uint8_t good = 0;          // packets consistent with the highest one so far
  std::uint8_t bad = 0;           // packets that are not
  std::uint16_t high_seq = 0;     // highest sequence number and its timestamp
  std::uint32_t high_ts = 0;
  std::uint64_t generation = 0;
};

// ---- the per-packet lookup --------------------------------------------------------------
// Every RTP packet looks its stream up by (src, dst, SSRC). The owning map above hashes a
// 44-byte key through std::hash machinery, a prime modulo and memcmp: about a third of the
// media work per packet (issue 5 profile). flow_index is a second, complete index of the
// same streams: open addressing with linear probing on a cheap multiply hash, at most half
// full, the SSRC in the slot and the endpoints compared as words.

inline std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline std::uint64_t fold_mul(std::uint64_t a, std::uint64_t b) noexcept {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return std::uint64_t(r) ^ std::uint64_t(r >> 64);
}

inline std::uint64_t flow_hash(const endpoint& src, const endpoint& dst, std::uint32_t ssrc) noexcept {
  // One 64x64->128 multiply of two words that hold every input bit (the family is implied by
  // the address bytes; equality is checked on the endpoints anyway).
  const std::uint64_t u = load64(src.ip.bytes.data()) ^ std::rotl(load64(src.ip.bytes.data() + 8), 32) ^
                          (std::uint64_t(src.port) << 32 | std::uint64_t(dst.port) << 48);
  const std::uint64_t v = load64(dst.ip.bytes.data()) ^ std::rotl(load64(dst.ip.bytes.data() + 8), 32) ^
                          (std::uint64_t(ssrc) << 32);
  return fold_mul(u ^ 0x9e3779b97f4a7c15ull, v ^ 0xc2b2ae3d27d4eb4full);
}

inline bool same_endpoint(const endpoint& a, const endpoint& b) noexcept {
  return a.port == b.port && a.ip.family == b.ip.family &&
         load64(a.ip.bytes.data()) == load64(b.ip.bytes.data()) &&
         load64(a.ip.bytes.data() + 8) == load64(b.ip.bytes.data() + 8);
}

class flow_index {
 public:
  rtp_stream* find(std::uint64_t h, const endpoint& src, const endpoint& dst, std::uint32_t ssrc) const noexcept {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const slot& sl = slots_[i];
      if (!sl.stream) return nullptr;
      if (sl.hash == h && sl.ssrc == ssrc && same_endpoint(sl.stream->src, src) && same_endpoint(sl.stream->dst, dst))
        return sl.stream;
    }
  }
  void insert(std::uint64_t h, std::uint32_t ssrc, rtp_stream* s) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    place({h, ssrc, s});
    ++size_;
  }
  // Backward-shift deletion: the entries after the hole that may move into it do.
  void erase(std::uint64_t h, const rtp_stream* s) noexcept {
    if (slots_.empty()) return;
    std::size_t i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      if (!slots_[i].stream) return;
      if (slots_[i].stream == s) break;
    }
    slots_[i] = slot{};
    --size_;
    for (std::size_t j = (i + 1) & mask_; slots_[j].stream; j = (j + 1) & mask_) {
      const std::size_t home = slots_[j].hash & mask_;
      const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      slots_[j] = slot{};
      i = j;
    }
  }
  void clear() noexcept {
    std::fill(slots_.begin(), slots_.end(), slot{});
    size_ = 0;
  }

 private:
  struct slot {
    std::uint64_t hash = 0;
    std::uint32_t ssrc = 0;
    rtp_stream* stream = nullptr;   // null: empty
  };
  void place(const slot& x) noexcept {
    std::size_t i = x.hash & mask_;
    while (slots_[i].stream) i = (i + 1) & mask_;
    slots_[i] = x;
  }
  void grow() {
    std::vector<slot> old(std::max<std::size_t>(1024, 2 * slots_.size()));
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const slot& x : old)
      if (x.stream) place(x);
  }
  std::vector<slot> slots_;
  std::size_t mask_ = 0, size_ = 0;
};

}  // namespace

std::string_view to_string(stream_origin o) noexcept {
  switch (o) {
    case stream_origin::signalled: return "signalled";
    case stream_origin::latched: return "latched";
    case stream_origin::heuristic: return "heuristic";
  }
  return "?";
}

struct stream_table::impl {
  std::unordered_map<stream_key, std::unique_ptr<rtp_stream>, stream_key_hash> streams;
  std::unordered_multimap<std::uint32_t, rtp_stream*> by_ssrc;
  std::unordered_multimap<std::uint64_t, rtp_stream*> streams_by_call;   // streams of a call (call_ref != 0)
  flow_index flows;   // the same streams as `streams`, for the per-packet lookup
  std::unordered_map<endpoint, expectation, endpoint_hash> expected;
  std::unordered_multimap<std::uint64_t, endpoint> by_call;   // expected endpoints of a call
  std::deque<std::pair<endpoint, std::uint64_t>> expected_order;
  std::unordered_map<stream_key, candidate, stream_key_hash> candidates;
  std::deque<std::pair<stream_key, std::uint64_t>> candidate_order;
  std::uint64_t generation = 0;
  rtcp_compound rtcp;

  template <typename Map, typename Order>
  static void compact(Map& m, Order& order) {
    // drop order entries whose element is gone or was renewed, so the deque stays bounded
    Order keep;
    for (auto& [k, g] : order) {
      auto it = m.find(k);
      if (it != m.end() && it->second.generation == g) keep.emplace_back(k, g);
    }
    order.swap(keep);
  }
};

stream_table::stream_table(table_limits limits) : limits_(limits), impl_(std::make_unique<impl>()) {
  if (limits_.heuristic_packets < 2) limits_.heuristic_packets = 2;
  if (limits_.heuristic_packets > candidate::capacity) limits_.heuristic_packets = candidate::capacity;
}

stream_table::~stream_table() = default;

std::size_t stream_table::stream_count() const noexcept { return impl_->streams.size(); }
std::size_t stream_table::candidate_count() const noexcept { return impl_->candidates.size(); }
std::size_t stream_table::expectation_count() const noexcept { return impl_->expected.size(); }

namespace {

void add_expectation(stream_table::impl& m, const table_limits& lim, table_counters& c,
                     const endpoint& dst, std::uint64_t call_ref, const payload_map& pts,
                     bool latched) {
  if (lim.max_expectations == 0) return;
  auto it = m.expected.find(dst);
  if (it == m.expected.end()) {
    while (m.expected.size() >= lim.max_expectations && !m.expected_order.empty()) {
      auto [k, g] = m.expected_order.front();
      m.expected_order.pop_front();
      auto old = m.expected.find(k);
      if (old != m.expected.end() && old->second.generation == g) {
        auto range = m.by_call.equal_range(old->second.call_ref);
        for (auto r = range.first; r != range.second; ++r) {
          if (r->second == k) {
            m.by_call.erase(r);
            break;
          }
        }
        m.expected.erase(old);
        ++c.expectations_evicted;
      }
    }
    it = m.expected.emplace(dst, expectation{}).first;
  } else if (it->second.call_ref != call_ref) {
    auto range = m.by_call.equal_range(it->second.call_ref);
    for (auto r = range.first; r != range.second; ++r) {
      if (r->second == dst) {
        m.by_call.erase(r);
        break;
      }
    }
  } else {
    if (!latched) {   // same call again (re-INVITE): new formats, no longer only latched
      it->second.pts = pts;
      it->second.latched = false;
    }
    return;
  }
  it->second = expectation{call_ref, pts, latched, ++m.generation};
  m.by_call.emplace(call_ref, dst);
  m.expected_order.emplace_back(dst, it->second.generation);
  if (m.expected_order.size() > 2 * lim.max_expectations + 64) stream_table::impl::compact(m.expected, m.expected_order);
}

}  // namespace

void stream_table::expect(const capture::endpoint& dst, std::uint64_t call_ref, const payload_map& pts) {
  add_expectation(*impl_, limits_, counters_, dst, call_ref, pts, false);
}

void stream_table::forget(std::uint64_t call_ref) {
  auto range = impl_->by_call.equal_range(call_ref);
  for (auto r = range.first; r != range.second; ++r) impl_->expected.erase(r->second);
  impl_->by_call.erase(call_ref);
}

namespace {

rtp_stream* create_stream(stream_table::impl& m, const table_limits& lim, table_counters& c,
                          const stream_key& k, stream_origin origin, std::uint64_t call_ref,
                          const payload_map& pts) {
  if (m.streams.size() >= lim.max_streams) {
    ++c.streams_refused;
    return nullptr;
  }
  auto s = std::make_unique<rtp_stream>();
  s->src = k.src;
  s->dst = k.dst;
  s->call_ref = call_ref;
  s->origin = origin;
  s->analysis.set_payloads(pts);
  rtp_stream* p = s.get();
  m.streams.emplace(k, std::move(s));
  m.by_ssrc.emplace(k.ssrc, p);
  if (call_ref) m.streams_by_call.emplace(call_ref, p);
  m.flows.insert(flow_hash(k.src, k.dst, k.ssrc), k.ssrc, p);
  switch (origin) {
    case stream_origin::signalled: ++c.streams_signalled; break;
    case stream_origin::latched: ++c.streams_latched; break;
    case stream_origin::heuristic: ++c.streams_heuristic; break;
  }
  return p;
}

// parse_rtp for the common packet (version 2, no padding, extension or CSRC: first byte 0x80),
// inline; the others go through the full parser. Same result either way.
inline bool parse_rtp_hot(std::string_view b, rtp_header& h) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  if (b.size() < 12 || p[0] != 0x80) return parse_rtp(b, h);
  h.version = 2;
  h.padding = h.extension = false;
  h.csrc_count = 0;
  h.marker = p[1] & 0x80;
  h.payload_type = p[1] & 0x7f;
  h.sequence = std::uint16_t(p[2] << 8 | p[3]);
  h.timestamp = std::uint32_t(p[4]) << 24 | std::uint32_t(p[5]) << 16 | std::uint32_t(p[6]) << 8 | p[7];
  h.ssrc = std::uint32_t(p[8]) << 24 | std::uint32_t(p[9]) << 16 | std::uint32_t(p[10]) << 8 | p[11];
  h.csrcs = {};
  h.extension_profile = 0;
  h.extension_data = {};
  h.padding_length = 0;
  h.payload = b.substr(12);
  return true;
}

inline void count_packet(rtp_stream& s, const capture::frame_ref& f) {
  if (s.stats().packets == 0) s.first_frame = f;
  s.last_frame = f;
}

// The stream an RTCP item is about: SSRC `ssrc`, whose `side` address is `ip`; when none has
// that address but exactly one stream has the SSRC, that one.
rtp_stream* find_by_ssrc(stream_table::impl& m, std::uint32_t ssrc, const capture::ip_address& ip,
                         bool by_sender) {
  auto range = m.by_ssrc.equal_range(ssrc);
  rtp_stream* only = nullptr;
  std::size_t n = 0;
  for (auto r = range.first; r != range.second; ++r) {
    const capture::endpoint& side = by_sender ? r->second->src : r->second->dst;
    if (side.ip == ip) return r->second;
    only = r->second;
    ++n;
  }
  return n == 1 ? only : nullptr;
}

double ts_units_to_ms(std::uint32_t units, std::uint32_t clock) {
  return clock ? double(units) * 1000.0 / double(clock) : 0.0;
}

}  // namespace

udp_verdict stream_table::on_udp(const capture::udp_event& e) {
  ++counters_.datagrams;
  impl& m = *impl_;
  std::string_view b = e.payload;
  if (b.size() < 8 || (std::uint8_t(b[0]) >> 6) != 2) {
    ++counters_.other;
    return udp_verdict::other;
  }
  const std::uint8_t b1 = std::uint8_t(b[1]);
  if (b1 >= 192 && b1 <= 223) return on_rtcp(e);   // RFC 5761 4: RTCP's half of the shared range

  // The per-packet path: parse, find the stream, count. Everything else (RTCP, a flow's first
  // packets) is out of line, so this stays small.
  rtp_header h;
  if (!parse_rtp_hot(b, h)) {
    ++counters_.other;
    return udp_verdict::other;
  }
  if (rtp_stream* s = m.flows.find(flow_hash(e.src, e.dst, h.ssrc), e.src, e.dst, h.ssrc)) {
    s->last_frame = e.frame;   // a stream in the index has had its first packet
    s->analysis.add(h, e.time, h.payload.size() + e.cut);
    ++counters_.rtp_packets;
    return udp_verdict::rtp;
  }
  return on_new_flow(e, h);
}

udp_verdict stream_table::on_rtcp(const capture::udp_event& e) {
  impl& m = *impl_;
  std::string_view b = e.payload;
  {
    if (!parse_rtcp(b, m.rtcp)) {
      ++counters_.other;
      return udp_verdict::other;
    }
    ++counters_.rtcp_packets;
    const rtcp_compound& c = m.rtcp;
    for (const rtcp_sender_report& sr : c.sender_reports) {
      rtp_stream* s = find_by_ssrc(m, sr.ssrc, e.src.ip, true);
      if (!s) {
        ++counters_.rtcp_unmatched;
        continue;
      }
      ++s->rtcp.sender_reports;
      s->rtcp.last_sr = sr;
      s->rtcp.last_sr_time = e.time;
    }
    for (const rtcp_report_block& rb : c.report_blocks) {
      rtp_stream* s = find_by_ssrc(m, rb.ssrc, e.src.ip, false);
      if (!s) {
        ++counters_.rtcp_unmatched;
        continue;
      }
      rtcp_summary& r = s->rtcp;
      ++r.report_blocks;
      r.last_block = rb;
      r.max_fraction_lost = std::max(r.max_fraction_lost, rb.fraction_lost / 256.0);
      r.last_jitter_ms = ts_units_to_ms(rb.jitter, s->stats().clock_rate);
      r.max_jitter_ms = std::max(r.max_jitter_ms, r.last_jitter_ms);
      if (rb.lsr != 0 && r.sender_reports && rb.lsr == r.last_sr.ntp_middle()) {
        double rtt = double(capture::elapsed(e.time, r.last_sr_time)) / 1e6 -
                     double(rb.dlsr) * 1000.0 / 65536.0;
        if (rtt >= 0) {
          r.rtt_ms = rtt;
          r.max_rtt_ms = std::max(r.max_rtt_ms, rtt);
        }
      }
    }
    for (const rtcp_voip_metrics& x : c.voip_metrics) {
      rtp_stream* s = find_by_ssrc(m, x.ssrc, e.src.ip, false);
      if (!s) {
        ++counters_.rtcp_unmatched;
        continue;
      }
      ++s->rtcp.xr_reports;
      s->rtcp.last_xr = x;
    }
    for (const rtcp_cname& cn : c.cnames) {
      if (rtp_stream* s = find_by_ssrc(m, cn.ssrc, e.src.ip, true)) {
        if (s->rtcp.cname != cn.cname) s->rtcp.cname.assign(cn.cname.substr(0, 255));
      }
    }
    for (std::uint32_t ssrc : c.bye) {
      if (rtp_stream* s = find_by_ssrc(m, ssrc, e.src.ip, true)) s->rtcp.bye = true;
    }
    return udp_verdict::rtcp;
  }

}

udp_verdict stream_table::on_new_flow(const capture::udp_event& e, const rtp_header& h) {
  impl& m = *impl_;
  stream_key k{e.src, e.dst, h.ssrc};

  // A new stream of a call: to an expected endpoint, or from one (symmetric RTP).
  // Negotiated endpoints before latched ones, the destination before the source.
  auto ex = m.expected.find(e.dst);
  auto from = m.expected.find(e.src);
  const auto none = m.expected.end();
  stream_origin origin = stream_origin::latched;
  if (ex != none && !ex->second.latched) {
    origin = stream_origin::signalled;
  } else if (from != none && (ex == none || !from->second.latched)) {
    ex = from;
  }
  if (ex != m.expected.end()) {
    const std::uint64_t call = ex->second.call_ref;
    const payload_map pts = ex->second.pts;
    rtp_stream* s = create_stream(m, limits_, counters_, k, origin, call, pts);
    if (!s) {
      ++counters_.other;
      return udp_verdict::other;
    }
    // latch both addresses to the call (no-op where they are already its endpoints)
    if (!m.expected.contains(e.src)) add_expectation(m, limits_, counters_, e.src, call, pts, true);
    if (!m.expected.contains(e.dst)) add_expectation(m, limits_, counters_, e.dst, call, pts, true);
    m.candidates.erase(k);
    count_packet(*s, e.frame);
    s->analysis.add(h, e.time, h.payload.size() + e.cut);
    ++counters_.rtp_packets;
    return udp_verdict::rtp;
  }

  // No signalling: a candidate until enough sequence numbers in a row.
  if (!limits_.heuristic || limits_.max_candidates == 0 || !plausible_payload_type(h.payload_type) ||
      h.payload.size() + e.cut == 0) {
    ++counters_.other;
    return udp_verdict::other;
  }
  auto cit = m.candidates.find(k);
  if (cit == m.candidates.end()) {
    while (m.candidates.size() >= limits_.max_candidates && !m.candidate_order.empty()) {
      auto [ok, g] = m.candidate_order.front();
      m.candidate_order.pop_front();
      auto old = m.candidates.find(ok);
      if (old != m.candidates.end() && old->second.generation == g) {
        m.candidates.erase(old);
        ++counters_.candidates_evicted;
      }
    }
    cit = m.candidates.emplace(k, candidate{}).first;
    cit->second.generation = ++m.generation;
    m.candidate_order.emplace_back(k, cit->second.generation);
    if (m.candidate_order.size() > 2 * limits_.max_candidates + 64) impl::compact(m.candidates, m.candidate_order);
  }
  // Evidence: a sequence number near the highest one (lost or reordered packets, even heavy
  // loss, but not a duplicate) whose timestamp moves the same way. DNS keeps its "sequence" (flags) constant,
  // random bytes jump anywhere.
  candidate& c = cit->second;
  if (c.n == 0) {
    c.good = 1;
    c.high_seq = h.sequence;
    c.high_ts = h.timestamp;
  } else {
    const std::int16_t d = std::int16_t(std::uint16_t(h.sequence - c.high_seq));
    const std::int32_t dts = std::int32_t(h.timestamp - c.high_ts);
    const bool near = d != 0 && d >= -100 && d <= 100;   // RFC 3550 A.1's MAX_MISORDER
    const bool same_way = d > 0 ? dts >= 0 : dts <= 0;
    if (near && same_way) {
      ++c.good;
      if (d > 0) {
        c.high_seq = h.sequence;
        c.high_ts = h.timestamp;
      }
    } else {
      ++c.bad;
    }
  }
  packet_summary& ps = c.pkts[c.n++];
  ps.time = e.time;
  ps.frame = e.frame;
  ps.timestamp = h.timestamp;
  ps.sequence = h.sequence;
  ps.payload_type = h.payload_type;
  ps.marker = h.marker;
  ps.payload_size = std::uint16_t(std::min<std::size_t>(h.payload.size() + e.cut, 65535));
  std::memcpy(ps.head.data(), h.payload.data(), std::min<std::size_t>(h.payload.size(), ps.head.size()));

  if (c.good >= limits_.heuristic_packets + 2u * c.bad) {
    rtp_stream* s = create_stream(m, limits_, counters_, k, stream_origin::heuristic, 0,
                                  limits_.heuristic_payloads);
    if (!s) {
      m.candidates.erase(cit);
      ++counters_.other;
      return udp_verdict::other;
    }
    for (std::uint8_t i = 0; i < c.n; ++i) {
      const packet_summary& p = c.pkts[i];
      rtp_header r;
      r.version = 2;
      r.marker = p.marker;
      r.payload_type = p.payload_type;
      r.sequence = p.sequence;
      r.timestamp = p.timestamp;
      r.ssrc = k.ssrc;
      r.payload = std::string_view(p.head.data(), std::min<std::size_t>(p.payload_size, p.head.size()));
      count_packet(*s, p.frame);
      s->analysis.add(r, p.time, p.payload_size);
      ++counters_.rtp_packets;
    }
    m.candidates.erase(cit);
    return udp_verdict::rtp;
  }
  if (c.n == candidate::capacity || c.bad >= 2) {
    m.candidates.erase(cit);
    ++counters_.candidates_rejected;
  }
  return udp_verdict::candidate;
}

namespace {

void remove_stream(stream_table::impl& m, decltype(m.streams)::iterator it) {
  rtp_stream* p = it->second.get();
  auto range = m.by_ssrc.equal_range(it->first.ssrc);
  for (auto r = range.first; r != range.second; ++r) {
    if (r->second == p) {
      m.by_ssrc.erase(r);
      break;
    }
  }
  if (p->call_ref) {
    auto calls = m.streams_by_call.equal_range(p->call_ref);
    for (auto r = calls.first; r != calls.second; ++r) {
      if (r->second == p) {
        m.streams_by_call.erase(r);
        break;
      }
    }
  }
  m.flows.erase(flow_hash(it->first.src, it->first.dst, it->first.ssrc), p);
  m.streams.erase(it);
}

}  // namespace

void stream_table::finish_idle(capture::timestamp_ns now, capture::timestamp_ns timeout, const sink& out) {
  impl& m = *impl_;
  for (auto it = m.streams.begin(); it != m.streams.end();) {
    rtp_stream& s = *it->second;
    if (capture::elapsed(now, s.stats().last_time) > timeout) {
      s.analysis.finish();
      if (out) out(s);
      ++counters_.streams_finished;
      auto next = std::next(it);
      remove_stream(m, it);
      it = next;
    } else {
      ++it;
    }
  }
  for (auto it = m.candidates.begin(); it != m.candidates.end();) {
    const candidate& c = it->second;
    if (c.n == 0 || capture::elapsed(now, c.pkts[c.n - 1].time) > timeout) {
      it = m.candidates.erase(it);
      ++counters_.candidates_evicted;
    } else {
      ++it;
    }
  }
  if (m.candidate_order.size() > m.candidates.size() + 64) impl::compact(m.candidates, m.candidate_order);
}

void stream_table::finish_all(const sink& out) {
  impl& m = *impl_;
  for (auto& [k, s] : m.streams) {
    s->analysis.finish();
    if (out) out(*s);
    ++counters_.streams_finished;
  }
  m.streams.clear();
  m.by_ssrc.clear();
  m.streams_by_call.clear();
  m.flows.clear();
  m.candidates.clear();
  m.candidate_order.clear();
}

void stream_table::for_each(const sink& f) const {
  for (const auto& [k, s] : impl_->streams) f(*s);
}

void stream_table::for_each_of_call(std::uint64_t call_ref, const sink& f) const {
  auto range = impl_->streams_by_call.equal_range(call_ref);
  for (auto r = range.first; r != range.second; ++r) f(*r->second);
}

quality_estimate estimate_quality(const rtp_stream& s) noexcept {
  quality_estimate q;
  const stream_stats& st = s.stats();
  const payload_format f = s.analysis.payloads().find(st.payload_type);
  if (st.packets < 2 || st.clock_rate == 0 || f.kind != media_kind::audio) return q;
  q.valid = true;
  const std::int64_t exp = st.expected_unique();
  const std::int64_t lost = std::max<std::int64_t>(0, st.lost_unique());
  q.loss_percent = exp > 0 ? 100.0 * double(lost) / double(exp) : 0.0;
  if (lost > 0 && st.loss_gaps > 0) {
    const double p = double(st.loss_gaps) / double(st.distinct);
    const double qq = std::min(1.0, double(st.loss_gaps) / double(lost));
    q.burst_ratio = std::max(1.0, 1.0 / (p + qq));
  }
  const codec_impairment ci = codec_impairment_for(st.codec);
  q.codec_known = ci.known;
  const double frame = st.mean_delta_ms > 0 ? st.mean_delta_ms : 20.0;
  const double buffer = std::max(2 * st.mean_jitter_ms, frame);
  const double network = s.rtcp.rtt_ms >= 0 ? s.rtcp.rtt_ms / 2 : 0.0;
  q.one_way_delay_ms = network + frame + ci.delay_ms + buffer;
  q.ie_eff = equipment_impairment(ci.ie, ci.bpl, q.loss_percent, q.burst_ratio);
  q.r = emodel_r({q.one_way_delay_ms, q.loss_percent, q.burst_ratio, ci.ie, ci.bpl});
  q.mos = mos_from_r(q.r);
  return q;
}

}  // namespace sipscope::media
