// libFuzzer harness for the media library (correlate/media): the whole input through
// parse_rtp, parse_rtcp and classify_udp_payload (views inside the input, lengths adding up),
// then cut into datagrams that drive a stream_table with small limits (bounds respected, every
// finished stream's numbers sane, the quality estimate finite).
//
// Datagram framing after the first byte: [flags][len16][payload...] repeated, where flags
// picks the endpoints (2 bits each of 4 addresses), a time step, and an occasional expect() /
// forget() / finish_idle(). Input byte 0 sets the heuristic on/off and the candidate threshold.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sipscope/media/emodel.hpp"
#include "sipscope/media/rtp.hpp"
#include "sipscope/media/stream_table.hpp"

using namespace sipscope;
using namespace sipscope::media;

namespace {

bool inside(std::string_view v, std::string_view outer) {
  return v.empty() || (v.data() >= outer.data() && v.data() + v.size() <= outer.data() + outer.size());
}

void check_rtp(std::string_view in) {
  rtp_header h;
  if (!parse_rtp(in, h)) return;
  if (h.version != 2 || h.payload_type > 127 || h.csrc_count > 15) std::abort();
  if (!inside(h.payload, in) || !inside(h.csrcs, in) || !inside(h.extension_data, in)) std::abort();
  std::size_t total = 12 + h.csrcs.size() + (h.extension ? 4 + h.extension_data.size() : 0) + h.payload.size() +
                      (h.padding ? h.padding_length : 0);
  if (total != in.size()) std::abort();
  if (h.csrcs.size() != std::size_t(h.csrc_count) * 4) std::abort();
}

void check_rtcp(std::string_view in, rtcp_compound& c) {
  bool ok = parse_rtcp(in, c);
  udp_payload_kind k = classify_udp_payload(in);
  if (!ok) {
    if (c.packets || !c.report_blocks.empty() || !c.sender_reports.empty()) std::abort();
    if (k == udp_payload_kind::rtcp) std::abort();
    return;
  }
  if (c.packets == 0 || c.packets > in.size() / 4) std::abort();
  // a report block is 24 bytes, a VoIP metrics block 36
  if (c.report_blocks.size() * 24 > in.size() || c.voip_metrics.size() * 36 > in.size()) std::abort();
  for (const rtcp_cname& n : c.cnames)
    if (!inside(n.cname, in)) std::abort();
}

void check_stream(const rtp_stream& s) {
  const stream_stats& st = s.stats();
  if (st.packets == 0) std::abort();
  if (st.distinct + st.duplicates != st.packets) std::abort();
  if (st.expected_unique() < 1 || st.highest_ext_seq < st.first_ext_seq) std::abort();
  if (!(st.max_jitter_ms >= 0) || !(st.max_delta_ms >= 0) || !std::isfinite(st.mean_jitter_ms)) std::abort();
  if (st.dtmf.size() > stream_stats::max_dtmf_events) std::abort();
  quality_estimate q = estimate_quality(s);
  if (q.valid && (!std::isfinite(q.mos) || q.mos < 0.9 || q.mos > 4.5 || q.r < 0 || q.r > 100)) std::abort();
  if (s.rtcp.cname.size() > 255) std::abort();
}

capture::endpoint address(unsigned i) {
  capture::endpoint e;
  e.ip.family = (i & 2) ? 6 : 4;
  e.ip.bytes[0] = 10;
  e.ip.bytes[3] = std::uint8_t(1 + (i & 1));
  e.port = std::uint16_t(4000 + (i & 1) * 2);
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  check_rtp(in);
  static rtcp_compound compound;   // reused, as the table does
  check_rtcp(in, compound);
  (void)plausible_payload_type(size ? data[0] : 0);
  if (size < 1) return 0;

  table_limits lim;
  lim.max_streams = 4;
  lim.max_candidates = 3;
  lim.max_expectations = 5;
  lim.heuristic = data[0] & 1;
  lim.heuristic_packets = 2 + ((data[0] >> 1) & 7);   // 2..9: the table clamps to 8
  lim.heuristic_payloads.set(111, "opus", 48000);
  lim.heuristic_payloads.set(101, "telephone-event", 8000);
  stream_table t(lim);
  payload_map pts;
  pts.set(0, "PCMU", 8000);
  pts.set(101, "telephone-event", 8000);
  pts.set(13, "CN", 8000);
  auto sink = [](const rtp_stream& s) { check_stream(s); };

  std::size_t pos = 1;
  capture::timestamp_ns now = 1'700'000'000'000'000'000;
  while (pos + 3 <= size) {
    const std::uint8_t flags = data[pos];
    std::size_t len = std::size_t(data[pos + 1]) << 8 | data[pos + 2];
    pos += 3;
    len = std::min(len, size - pos);
    std::string_view payload = in.substr(pos, len);
    pos += len;
    capture::udp_event e;
    e.payload = payload;
    e.src = address(flags & 3);
    e.dst = address((flags >> 2) & 3);
    e.src.port = std::uint16_t(e.src.port + ((flags >> 6) & 1));   // now and then the RTCP port
    now += (flags & 0x80) ? 20'000'000 : std::int64_t(flags) * 1'000'000 - 60'000'000;
    e.time = now;
    e.frame.number = pos;
    switch ((flags >> 4) & 3) {
      case 1: t.expect(e.dst, flags & 1, pts); break;
      case 2:
        if ((flags & 0x0f) == 0x0f) t.forget(1);
        break;
      case 3:
        if ((flags & 0x0f) == 0) t.finish_idle(now, 100'000'000, sink);
        break;
      default: break;
    }
    (void)t.on_udp(e);
    if (t.stream_count() > lim.max_streams || t.candidate_count() > lim.max_candidates ||
        t.expectation_count() > lim.max_expectations)
      std::abort();
    t.for_each([](const rtp_stream& s) {
      if (s.stats().packets == 0) std::abort();
    });
  }
  t.finish_all(sink);
  if (t.stream_count() != 0) std::abort();
  return 0;
}
