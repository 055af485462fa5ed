// The stream table (stream_table.hpp): expectations, symmetric RTP latching, the heuristic and
// its false positives, RTCP attachment, limits and idle streams, the quality estimate.
#include "sipscope/media/stream_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "rtp_builder.hpp"

namespace sipscope::media {
namespace {

using namespace sipscope::test;

const capture::endpoint A = ep4(10, 0, 0, 1, 4000);        // caller's SDP
const capture::endpoint B = ep4(10, 0, 0, 2, 5000);        // callee's SDP
const capture::endpoint A_NAT = ep4(203, 0, 113, 7, 31000); // where the caller really is

payload_map pcmu_map() {
  payload_map m;
  m.set(0, "PCMU", 8000);
  m.set(101, "telephone-event", 8000);
  return m;
}

struct collector {
  std::vector<rtp_stream> done;
  stream_table::sink sink() {
    return [this](const rtp_stream& s) { done.push_back(s); };
  }
};

// n packets of a 20 ms PCMU stream from `src` to `dst`
void send(stream_table& t, capture::endpoint src, capture::endpoint dst, std::uint32_t ssrc, int n,
          double start_ms = 0, std::uint16_t seq0 = 100, int skip_every = 0) {
  for (int i = 0; i < n; ++i) {
    if (skip_every && i % skip_every == skip_every - 1) continue;
    std::string b = rtp({.pt = 0, .marker = i == 0, .seq = std::uint16_t(seq0 + i), .ts = std::uint32_t(160 * i), .ssrc = ssrc});
    EXPECT_NE(t.on_udp(udp(b, src, dst, ms(start_ms + 20 * i))), udp_verdict::other);
  }
}

TEST(StreamTable, ExpectedStreamsBothWays) {
  stream_table t;
  t.expect(A, 1, pcmu_map());
  t.expect(B, 1, pcmu_map());
  send(t, A, B, 0xaaaa, 50);
  send(t, B, A, 0xbbbb, 50);
  ASSERT_EQ(t.stream_count(), 2u);
  collector c;
  t.finish_all(c.sink());
  ASSERT_EQ(c.done.size(), 2u);
  for (const rtp_stream& s : c.done) {
    EXPECT_EQ(s.call_ref, 1u);
    EXPECT_EQ(s.origin, stream_origin::signalled);
    EXPECT_EQ(s.stats().packets, 50u);
    EXPECT_EQ(s.stats().lost(), 0);
  }
  EXPECT_EQ(t.counters().streams_signalled, 2u);
  EXPECT_EQ(t.stream_count(), 0u);
}

TEST(StreamTable, SymmetricRtpBehindNat) {
  // the caller advertised A but sends from A_NAT; the callee answers to A_NAT
  stream_table t(table_limits{.heuristic = false});
  t.expect(A, 7, pcmu_map());
  t.expect(B, 7, pcmu_map());
  send(t, A_NAT, B, 0xaaaa, 10);   // to B: signalled (dst), A_NAT latched
  send(t, B, A_NAT, 0xbbbb, 10);   // from B: B sends from its SDP port
  // a new SSRC of the caller after a re-INVITE, still from the NAT address, to a new port of B
  send(t, A_NAT, ep4(10, 0, 0, 2, 5002), 0xcccc, 10);
  collector c;
  t.finish_all(c.sink());
  ASSERT_EQ(c.done.size(), 3u);
  std::map<std::uint32_t, const rtp_stream*> by;
  for (const rtp_stream& s : c.done) by[s.stats().ssrc] = &s;
  EXPECT_EQ(by[0xaaaa]->origin, stream_origin::signalled);
  EXPECT_EQ(by[0xbbbb]->origin, stream_origin::latched);
  EXPECT_EQ(by[0xcccc]->origin, stream_origin::latched);
  for (const rtp_stream& s : c.done) {
    EXPECT_EQ(s.call_ref, 7u);
  }
  // forget: the call's endpoints (the latched NAT one too) are no longer expected
  EXPECT_GE(t.expectation_count(), 3u);
  t.forget(7);
  EXPECT_EQ(t.expectation_count(), 0u);
  std::string b = rtp({.seq = 1, .ssrc = 0xdddd});
  EXPECT_EQ(t.on_udp(udp(b, A_NAT, B, ms(5000))), udp_verdict::other);
}

TEST(StreamTable, HeuristicNeedsSequenceNumbersInARow) {
  stream_table t;   // heuristic_packets 4
  const capture::endpoint x = ep4(192, 0, 2, 1, 20000), y = ep4(192, 0, 2, 2, 30000);
  std::vector<std::string> pk;
  for (int i = 0; i < 4; ++i) pk.push_back(rtp({.seq = std::uint16_t(7 + i), .ts = std::uint32_t(160 * i), .ssrc = 9}));
  EXPECT_EQ(t.on_udp(udp(pk[0], x, y, ms(0))), udp_verdict::candidate);
  EXPECT_EQ(t.on_udp(udp(pk[1], x, y, ms(20))), udp_verdict::candidate);
  EXPECT_EQ(t.on_udp(udp(pk[2], x, y, ms(40))), udp_verdict::candidate);
  EXPECT_EQ(t.stream_count(), 0u);
  EXPECT_EQ(t.on_udp(udp(pk[3], x, y, ms(60))), udp_verdict::rtp);
  ASSERT_EQ(t.stream_count(), 1u);
  collector c;
  t.finish_all(c.sink());
  const stream_stats& s = c.done.at(0).stats();
  // the candidate's packets were replayed: nothing is missing from the statistics
  EXPECT_EQ(s.packets, 4u);
  EXPECT_EQ(s.first_seq, 7);
  EXPECT_EQ(s.first_time, ms(0));
  EXPECT_EQ(s.payload_bytes, 4u * 160);
  EXPECT_DOUBLE_EQ(s.max_delta_ms, 20);
  EXPECT_EQ(c.done[0].origin, stream_origin::heuristic);
  EXPECT_EQ(c.done[0].call_ref, 0u);
}

TEST(StreamTable, HeuristicIgnoresDnsAndRandomUdp) {
  stream_table t;
  std::mt19937 rng(1234);
  const capture::endpoint client = ep4(192, 0, 2, 10, 53000), server = ep4(192, 0, 2, 53, 53);
  // DNS queries and answers with version bits that happen to read 2 (IDs 0x80xx..0xbfxx)
  for (int i = 0; i < 2000; ++i) {
    std::string q;
    put16(q, 0x8000 | (rng() & 0x3fff));
    put16(q, 0x0100);
    put16(q, 1);
    put16(q, 0);
    put16(q, 0);
    put16(q, 0);
    q += std::string("\x07" "example\x03" "com\x00\x00\x01\x00\x01", 17);
    t.on_udp(udp(q, client, server, ms(i)));
    std::string a = q;
    a[2] = char(0x81);
    a[3] = char(0x80);
    t.on_udp(udp(a, server, client, ms(i + 0.5)));
  }
  // random datagrams between two fixed endpoints, version bits forced to 2
  const capture::endpoint p = ep4(198, 51, 100, 1, 40000), q = ep4(198, 51, 100, 2, 40001);
  for (int i = 0; i < 20000; ++i) {
    std::string r(20 + rng() % 200, '\0');
    for (char& ch : r) ch = char(rng());
    r[0] = char(0x80 | (r[0] & 0x3f));
    t.on_udp(udp(r, p, q, ms(i)));
  }
  EXPECT_EQ(t.stream_count(), 0u);
  EXPECT_EQ(t.counters().streams_heuristic, 0u);
}

TEST(StreamTable, HeuristicToleratesLossAndReordering) {
  stream_table t;
  const capture::endpoint x = ep4(192, 0, 2, 1, 20000), y = ep4(192, 0, 2, 2, 30000);
  // 1, 3 (2 lost), 5 (4 late), 4, 6, 7, 8: the run restarts after the late packet
  std::vector<int> seqs = {1, 3, 5, 4, 6, 7, 8};
  udp_verdict last = udp_verdict::other;
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    std::string b = rtp({.seq = std::uint16_t(seqs[i]), .ts = std::uint32_t(160 * seqs[i]), .ssrc = 5});
    last = t.on_udp(udp(b, x, y, ms(20.0 * double(i))));
  }
  EXPECT_EQ(last, udp_verdict::rtp);
  collector c;
  t.finish_all(c.sink());
  ASSERT_EQ(c.done.size(), 1u);
  EXPECT_EQ(c.done[0].stats().packets, 7u);
  EXPECT_EQ(c.done[0].stats().lost_unique(), 1);
  EXPECT_EQ(c.done[0].stats().out_of_order, 1u);
}

TEST(StreamTable, RtcpAttachesToStreamsBySsrc) {
  stream_table t;
  t.expect(A, 1, pcmu_map());
  t.expect(B, 1, pcmu_map());
  send(t, A, B, 0xaaaa, 100);
  send(t, B, A, 0xbbbb, 100);
  const capture::endpoint a1 = ep4(10, 0, 0, 1, 4001), b1 = ep4(10, 0, 0, 2, 5001);
  // A's SR about its own stream (+ a block on B's), at 2000 ms
  std::string sr;
  put32(sr, 0xaaaa);
  put32(sr, 0xe9b0a7c0);
  put32(sr, 0x40000000);
  put32(sr, 16000);
  put32(sr, 100);
  put32(sr, 16000);
  sr += report_block(0xbbbb, 26, 2, 199, 40, 0, 0);   // jitter 40 ticks = 5 ms
  std::string sdes;
  put32(sdes, 0xaaaa);
  put8(sdes, 1);
  put8(sdes, 5);
  sdes += "alice";
  put8(sdes, 0);
  sdes.append((4 - sdes.size() % 4) % 4, '\0');
  std::string c1 = rtcp_packet(1, 200, sr) + rtcp_packet(1, 202, sdes);
  EXPECT_EQ(t.on_udp(udp(c1, a1, b1, ms(2000))), udp_verdict::rtcp);
  // B's RR naming A's SR (LSR = middle 32 bits of 0xe9b0a7c0.40000000), DLSR 0.25 s,
  // arriving 300 ms after the SR: RTT = 300 - 250 = 50 ms
  std::string rr;
  put32(rr, 0xbbbb);
  rr += report_block(0xaaaa, 0, 0, 199, 16, 0xa7c04000, 0x4000);
  EXPECT_EQ(t.on_udp(udp(rtcp_packet(1, 201, rr), b1, a1, ms(2300))), udp_verdict::rtcp);
  // rtcp-mux: an RR on the RTP port is RTCP too (no LSR in this one: no RTT)
  std::string rr_mux;
  put32(rr_mux, 0xbbbb);
  rr_mux += report_block(0xaaaa, 0, 0, 199, 16, 0, 0);
  EXPECT_EQ(t.on_udp(udp(rtcp_packet(1, 201, rr_mux), B, A, ms(2310))), udp_verdict::rtcp);
  // a block about an SSRC nobody sends
  std::string rr2;
  put32(rr2, 0xbbbb);
  rr2 += report_block(0x12345678, 0, 0, 1, 0, 0, 0);
  t.on_udp(udp(rtcp_packet(1, 201, rr2), b1, a1, ms(2400)));
  EXPECT_EQ(t.counters().rtcp_unmatched, 1u);

  collector c;
  t.finish_all(c.sink());
  ASSERT_EQ(c.done.size(), 2u);
  const rtp_stream& sa = c.done[0].stats().ssrc == 0xaaaa ? c.done[0] : c.done[1];
  const rtp_stream& sb = c.done[0].stats().ssrc == 0xaaaa ? c.done[1] : c.done[0];
  EXPECT_EQ(sa.rtcp.sender_reports, 1u);
  EXPECT_EQ(sa.rtcp.last_sr.packet_count, 100u);
  EXPECT_EQ(sa.rtcp.cname, "alice");
  EXPECT_EQ(sa.rtcp.report_blocks, 2u);
  EXPECT_NEAR(sa.rtcp.rtt_ms, 50, 1e-9);
  EXPECT_NEAR(sa.rtcp.last_jitter_ms, 2, 1e-9);
  EXPECT_EQ(sb.rtcp.sender_reports, 0u);
  EXPECT_EQ(sb.rtcp.report_blocks, 1u);
  EXPECT_NEAR(sb.rtcp.max_fraction_lost, 26 / 256.0, 1e-12);
  EXPECT_NEAR(sb.rtcp.last_jitter_ms, 5, 1e-9);
  EXPECT_EQ(t.counters().rtcp_packets, 4u);
  EXPECT_EQ(t.counters().streams_heuristic, 0u);
}

TEST(StreamTable, IdleStreamsAreHandedOver) {
  stream_table t;
  t.expect(A, 1, pcmu_map());
  t.expect(B, 1, pcmu_map());
  send(t, A, B, 1, 50, 0);         // ends at 980 ms
  send(t, B, A, 2, 50, 10000);     // 10 s .. 10.98 s
  collector c;
  t.finish_idle(ms(5000), ms(3000), c.sink());
  ASSERT_EQ(c.done.size(), 1u);
  EXPECT_EQ(c.done[0].stats().ssrc, 1u);
  EXPECT_EQ(t.stream_count(), 1u);
  t.finish_idle(ms(12000), ms(3000), c.sink());
  EXPECT_EQ(c.done.size(), 1u);
  t.finish_idle(ms(14000), ms(3000), c.sink());
  EXPECT_EQ(c.done.size(), 2u);
  EXPECT_EQ(t.stream_count(), 0u);
  EXPECT_EQ(t.counters().streams_finished, 2u);
  // times at the int64 limits do not overflow the age computation
  send(t, A, B, 3, 5, 0);
  t.finish_idle(INT64_MIN, ms(3000), c.sink());
  EXPECT_EQ(t.stream_count(), 1u);
  t.finish_idle(INT64_MAX, ms(3000), c.sink());
  EXPECT_EQ(t.stream_count(), 0u);
}

// for_each_of_call (through its index) sees what a scan of every stream for the call sees:
// streams of two calls and a heuristic one, as they come and as idle ones leave.
TEST(StreamTable, StreamsOfOneCall) {
  stream_table t;
  const capture::endpoint C = ep4(10, 0, 0, 3, 6000), D = ep4(10, 0, 0, 4, 7000);
  t.expect(A, 1, pcmu_map());
  t.expect(B, 1, pcmu_map());
  t.expect(C, 2, pcmu_map());
  send(t, A, B, 0x11, 50, 0);       // call 1, ends at 980 ms
  send(t, B, A, 0x12, 50, 10000);   // call 1, 10 s .. 10.98 s
  send(t, C, D, 0x21, 50, 0);       // call 2 (from its SDP address: latched)
  send(t, ep4(10, 9, 9, 9, 9000), ep4(10, 9, 9, 8, 9002), 0x99, 50, 0);   // no call: heuristic
  auto of_call = [&](std::uint64_t call) {
    std::vector<std::uint32_t> by_index, by_scan;
    t.for_each_of_call(call, [&](const rtp_stream& s) { by_index.push_back(s.stats().ssrc); });
    t.for_each([&](const rtp_stream& s) {
      if (s.call_ref == call) by_scan.push_back(s.stats().ssrc);
    });
    std::sort(by_index.begin(), by_index.end());
    std::sort(by_scan.begin(), by_scan.end());
    EXPECT_EQ(by_index, by_scan) << "call " << call;
    return by_index;
  };
  EXPECT_EQ(t.stream_count(), 4u);
  EXPECT_EQ(of_call(1), (std::vector<std::uint32_t>{0x11, 0x12}));
  EXPECT_EQ(of_call(2), (std::vector<std::uint32_t>{0x21}));
  EXPECT_TRUE(of_call(3).empty());
  collector c;
  t.finish_idle(ms(5000), ms(3000), c.sink());   // 0x11, 0x21 and the heuristic one leave
  EXPECT_EQ(t.stream_count(), 1u);
  EXPECT_EQ(of_call(1), (std::vector<std::uint32_t>{0x12}));
  EXPECT_TRUE(of_call(2).empty());
  t.finish_all(c.sink());
  EXPECT_TRUE(of_call(1).empty());
  send(t, A, B, 0x13, 5, 20000);   // the table works on after finish_all
  EXPECT_EQ(of_call(1), (std::vector<std::uint32_t>{0x13}));
}

TEST(StreamTable, LimitsBoundMemory) {
  table_limits lim;
  lim.max_streams = 10;
  lim.max_candidates = 5;
  lim.max_expectations = 8;
  stream_table t(lim);
  for (std::uint16_t i = 0; i < 20; ++i) t.expect(ep4(10, 9, 0, 1, std::uint16_t(2000 + 2 * i)), i + 1, pcmu_map());
  EXPECT_EQ(t.expectation_count(), 8u);
  EXPECT_EQ(t.counters().expectations_evicted, 12u);
  // the newest ones survive
  std::string b = rtp({.seq = 1, .ssrc = 77});
  EXPECT_EQ(t.on_udp(udp(b, ep4(10, 9, 0, 2, 9000), ep4(10, 9, 0, 1, 2038), ms(0))), udp_verdict::rtp);
  // 100 heuristic flows with 2 packets each: at most 5 candidates are remembered
  for (int f = 0; f < 100; ++f) {
    for (int i = 0; i < 2; ++i) {
      std::string p = rtp({.seq = std::uint16_t(i), .ssrc = std::uint32_t(f)});
      t.on_udp(udp(p, ep4(192, 0, 2, 1, std::uint16_t(10000 + f)), ep4(192, 0, 2, 2, 20000), ms(i)));
    }
    EXPECT_LE(t.candidate_count(), 5u);
  }
  EXPECT_GE(t.counters().candidates_evicted, 95u);
  // 30 real flows: at most 10 streams
  for (int f = 0; f < 30; ++f) {
    for (int i = 0; i < 6; ++i) {
      std::string p = rtp({.seq = std::uint16_t(i), .ts = std::uint32_t(160 * i), .ssrc = std::uint32_t(1000 + f)});
      t.on_udp(udp(p, ep4(192, 0, 2, 3, std::uint16_t(10000 + f)), ep4(192, 0, 2, 4, 20000), ms(100 + 20 * i)));
    }
  }
  EXPECT_EQ(t.stream_count(), 10u);
  EXPECT_GT(t.counters().streams_refused, 0u);
}

TEST(StreamTable, QualityEstimate) {
  stream_table t;
  t.expect(A, 1, pcmu_map());
  send(t, B, A, 1, 500, 0, 100, 50);   // every 50th packet lost: 2 %
  collector c;
  t.finish_all(c.sink());
  ASSERT_EQ(c.done.size(), 1u);
  quality_estimate q = estimate_quality(c.done[0]);
  ASSERT_TRUE(q.valid);
  EXPECT_TRUE(q.codec_known);
  // 490 of 499 expected (the last one, seq 599, is lost too and not counted): 9 / 499
  EXPECT_NEAR(q.loss_percent, 100.0 * 9 / 499, 1e-9);
  EXPECT_NEAR(q.burst_ratio, 1.0, 0.02);   // isolated losses: random
  // G.711 + PLC: Ie_eff = 95 Ppl / (Ppl + 25.1); delay = frame (mean delta: 498 x 20 ms over
  // 489 intervals) + a buffer of one frame (no jitter)
  EXPECT_NEAR(q.ie_eff, 95 * q.loss_percent / (q.loss_percent + 25.1), 1e-9);
  EXPECT_NEAR(q.one_way_delay_ms, 2 * 9960.0 / 489, 1e-6);
  EXPECT_GT(q.r, 85);
  EXPECT_LT(q.r, 93.2 - q.ie_eff);
  EXPECT_NEAR(q.mos, mos_from_r(q.r), 1e-12);
  // a stream of telephone events only has no audio estimate
  stream_analyser a(pcmu_map());
  rtp_stream ev;
  ev.analysis = a;
  EXPECT_FALSE(estimate_quality(ev).valid);
}

}  // namespace
}  // namespace sipscope::media
