// Per-stream statistics (stream_stats.hpp) on hand-computed sequences: Wireshark 4.0's jitter,
// delta, expected/lost with wraps, duplicates and late packets; RFC 3550 A.3 counts; DTMF.
#include "sipscope/media/stream_stats.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "rtp_builder.hpp"

namespace sipscope::media {
namespace {

using namespace sipscope::test;

struct pkt {
  std::uint16_t seq;
  std::uint32_t ts;
  double arrival_ms;
  bool marker = false;
  std::uint8_t pt = 0;
  std::string payload = std::string(160, '\xff');
};

stream_stats run(const std::vector<pkt>& v, const payload_map& pts = {}) {
  stream_analyser a(pts);
  for (const pkt& p : v) {
    std::string b = rtp({.pt = p.pt, .marker = p.marker, .seq = p.seq, .ts = p.ts, .payload = p.payload});
    rtp_header h;
    EXPECT_TRUE(parse_rtp(b, h));
    a.add(h, ms(1000 + p.arrival_ms));
  }
  a.finish();
  return a.stats();
}

TEST(StreamStats, JitterAndDeltaByHand) {
  // 20 ms PCMU; arrivals 0, 20, 45, 60, 80 ms
  stream_stats s = run({{1000, 0, 0, true}, {1001, 160, 20}, {1002, 320, 45}, {1003, 480, 60}, {1004, 640, 80}});
  // D = 0, 5, 5, 0 -> J = 0, 5/16, (15 J + 5)/16, 15 J/16
  const double j2 = 0, j3 = 5.0 / 16, j4 = (15 * j3 + 5) / 16, j5 = 15 * j4 / 16;
  EXPECT_DOUBLE_EQ(s.jitter_ms, j5);
  EXPECT_DOUBLE_EQ(s.max_jitter_ms, j4);
  // mean = (mean (n-1) + J) / n with n the packets before: 1, 2, 3, 4
  double m = j2;
  m = (m * 1 + j3) / 2;
  m = (m * 2 + j4) / 3;
  m = (m * 3 + j5) / 4;
  EXPECT_DOUBLE_EQ(s.mean_jitter_ms, m);
  EXPECT_DOUBLE_EQ(s.max_delta_ms, 25);
  EXPECT_DOUBLE_EQ(s.mean_delta_ms, 20);
  EXPECT_EQ(s.packets, 5u);
  EXPECT_EQ(s.expected(), 5);
  EXPECT_EQ(s.lost(), 0);
  EXPECT_EQ(s.first_seq, 1000);
  EXPECT_EQ(s.last_seq, 1004);
  EXPECT_EQ(s.markers, 1u);
  EXPECT_EQ(s.payload_type, 0);
  EXPECT_EQ(s.clock_rate, 8000u);
  EXPECT_EQ(s.codec, codec_id::pcmu);
  EXPECT_EQ(s.first_time, ms(1000));
  EXPECT_EQ(s.last_time, ms(1080));
  EXPECT_EQ(s.sequence_errors, 0u);
}

TEST(StreamStats, MarkerPacketsAreNotRegular) {
  // a marker on packet 3 (talk spurt): its 25 ms delta and its jitter are not in the max/mean
  stream_stats s = run({{1, 0, 0}, {2, 160, 20}, {3, 320, 45, true}, {4, 480, 65}});
  const double j3 = 5.0 / 16, j4 = 15 * j3 / 16;
  EXPECT_DOUBLE_EQ(s.max_delta_ms, 20);
  EXPECT_DOUBLE_EQ(s.max_jitter_ms, j4);
  EXPECT_DOUBLE_EQ(s.jitter_ms, j4);
  // the marker packet still counts in n: (0 * 0 + 0)/1, skipped at n = 2, (0 * 2 + j4)/3
  EXPECT_DOUBLE_EQ(s.mean_jitter_ms, j4 / 3);
}

TEST(StreamStats, DynamicClockFromTheMap) {
  payload_map pts;
  pts.set(111, "opus", 48000);
  // 10 ms opus: 480 ticks; second packet 2 ms late -> D = 2, J = 2/16
  stream_stats s = run({{7, 1000, 0, false, 111}, {8, 1480, 12, false, 111}}, pts);
  EXPECT_DOUBLE_EQ(s.jitter_ms, 2.0 / 16);
  EXPECT_EQ(s.clock_rate, 48000u);
  // without the map PT 111 has no clock: no jitter at all (as Wireshark)
  stream_stats u = run({{7, 1000, 0, false, 111}, {8, 1480, 12, false, 111}});
  EXPECT_EQ(u.jitter_ms, 0);
  EXPECT_EQ(u.clock_rate, 0u);
  EXPECT_DOUBLE_EQ(u.max_delta_ms, 12);
}

TEST(StreamStats, SequenceWrap) {
  std::vector<pkt> v;
  for (int i = 0; i < 6; ++i) v.push_back({std::uint16_t(65533 + i), std::uint32_t(160 * i), 20.0 * i});
  stream_stats s = run(v);
  EXPECT_EQ(s.cycles, 1u);
  EXPECT_EQ(s.first_seq, 65533);
  EXPECT_EQ(s.last_seq, 2);
  EXPECT_EQ(s.expected(), 6);
  EXPECT_EQ(s.lost(), 0);
  EXPECT_EQ(s.sequence_errors, 0u);
  EXPECT_EQ(s.lost_unique(), 0);
  EXPECT_EQ(s.highest_ext_seq - s.first_ext_seq, 5);
  // a wrap with 0 itself lost: 65534, 65535, 1, 2 -> one cycle, one lost
  stream_stats l = run({{65534, 0, 0}, {65535, 160, 20}, {1, 480, 60}, {2, 640, 80}});
  EXPECT_EQ(l.cycles, 1u);
  EXPECT_EQ(l.expected(), 5);
  EXPECT_EQ(l.lost(), 1);
  EXPECT_EQ(l.lost_unique(), 1);
  EXPECT_EQ(l.sequence_errors, 1u);
}

TEST(StreamStats, TimestampWrap) {
  // RTP timestamps wrap 2^32 in the middle: the extended timestamp keeps the jitter at 0
  std::vector<pkt> v;
  for (int i = 0; i < 5; ++i) v.push_back({std::uint16_t(i), std::uint32_t(0xffffff00u + 160u * i), 20.0 * i});
  stream_stats s = run(v);
  EXPECT_EQ(s.jitter_ms, 0);
  EXPECT_EQ(s.wrong_timestamp, 0u);
  EXPECT_DOUBLE_EQ(s.max_delta_ms, 20);
}

TEST(StreamStats, Duplicates) {
  stream_stats s = run({{1, 0, 0}, {2, 160, 20}, {3, 320, 40}, {3, 320, 41}, {4, 480, 60}});
  EXPECT_EQ(s.packets, 5u);
  EXPECT_EQ(s.expected(), 4);
  EXPECT_EQ(s.lost(), -1);            // Wireshark: duplicates make "lost" negative
  EXPECT_EQ(s.duplicates, 1u);
  EXPECT_EQ(s.distinct, 4u);
  EXPECT_EQ(s.lost_unique(), 0);
  EXPECT_EQ(s.sequence_errors, 1u);
  // the duplicate's delta (1 ms) is regular; then the next one is 19 ms after it
  EXPECT_DOUBLE_EQ(s.max_delta_ms, 20);
}

TEST(StreamStats, LatePackets) {
  // 3 arrives after 4 (timestamps still above the first: "in sequence" for 4.0)
  stream_stats s = run({{1, 0, 0}, {2, 160, 20}, {4, 480, 60}, {3, 320, 62}, {5, 640, 80}});
  EXPECT_EQ(s.expected(), 5);
  EXPECT_EQ(s.lost(), 0);
  EXPECT_EQ(s.sequence_errors, 2u);   // the jump 2 -> 4 and the late 3
  EXPECT_EQ(s.out_of_order, 1u);
  EXPECT_EQ(s.lost_unique(), 0);
  EXPECT_EQ(s.duplicates, 0u);
  // Wireshark 4.0 by hand: J2 = 0; pkt 4: D = |60 - (20 + 40)| = 0; pkt 3: nom 40 after nom 60:
  // D = |62 - (60 - 20)| = 22; pkt 5: D = |80 - (62 + 80 - 40)| = 22
  const double j3 = 22.0 / 16, j5 = (15 * j3 + 22) / 16;
  EXPECT_DOUBLE_EQ(s.jitter_ms, j5);
  EXPECT_DOUBLE_EQ(s.max_jitter_ms, j5);
  EXPECT_DOUBLE_EQ(s.max_delta_ms, 40);   // 20 -> 60
  // the last captured packet is not the highest: expected uses it anyway (Wireshark)
  stream_stats t = run({{1, 0, 0}, {2, 160, 20}, {3, 320, 40}, {5, 640, 80}, {4, 480, 82}});
  EXPECT_EQ(t.expected(), 4);
  EXPECT_EQ(t.lost(), -1);
  EXPECT_EQ(t.expected_unique(), 5);
  EXPECT_EQ(t.lost_unique(), 0);
}

TEST(StreamStats, TimestampBelowTheFirstIsWrong) {
  // a packet older than the first one: counted, no jitter/delta/wrap update
  stream_stats s = run({{10, 1600, 0}, {11, 1760, 20}, {9, 1440, 25}, {12, 1920, 40}});
  EXPECT_EQ(s.wrong_timestamp, 1u);
  EXPECT_EQ(s.cycles, 0u);
  EXPECT_EQ(s.jitter_ms, 0);
  EXPECT_DOUBLE_EQ(s.max_delta_ms, 20);
  EXPECT_EQ(s.first_ext_seq, 9);
  EXPECT_EQ(s.lost_unique(), 0);
}

TEST(StreamStats, Dtmf) {
  payload_map pts;
  pts.set(101, "telephone-event", 8000);
  std::vector<pkt> v = {{1, 0, 0}, {2, 160, 20}};
  // '5' at ts 320: durations 160, 320, 480 + E three times
  v.push_back({3, 320, 40, true, 101, dtmf_payload(5, false, 10, 160)});
  v.push_back({4, 320, 60, false, 101, dtmf_payload(5, false, 10, 320)});
  for (int i = 0; i < 3; ++i) v.push_back({std::uint16_t(5 + i), 320, 80.0 + 20 * i, false, 101, dtmf_payload(5, true, 10, 480)});
  v.push_back({8, 1280, 140});
  // '#' at ts 1440, its end packets lost; then '*' at 2400 whose end is seen once
  v.push_back({9, 1440, 160, true, 101, dtmf_payload(11, false, 7, 160)});
  v.push_back({10, 1440, 180, false, 101, dtmf_payload(11, false, 7, 320)});
  v.push_back({11, 2400, 200, true, 101, dtmf_payload(10, false, 7, 160)});
  v.push_back({12, 2400, 220, false, 101, dtmf_payload(10, true, 7, 400)});
  // a late end packet of '#': ignored
  v.push_back({13, 1440, 221, false, 101, dtmf_payload(11, true, 7, 480)});
  stream_stats s = run(v, pts);
  ASSERT_EQ(s.dtmf.size(), 3u);
  EXPECT_EQ(s.dtmf[0].digit, '5');
  EXPECT_EQ(s.dtmf[0].event, 5);
  EXPECT_EQ(s.dtmf[0].volume, 10);
  EXPECT_DOUBLE_EQ(s.dtmf[0].duration_ms, 60);
  EXPECT_EQ(s.dtmf[0].start, ms(1040));
  EXPECT_TRUE(s.dtmf[0].ended);
  EXPECT_EQ(s.dtmf[1].digit, '#');
  EXPECT_FALSE(s.dtmf[1].ended);
  EXPECT_DOUBLE_EQ(s.dtmf[1].duration_ms, 40);
  EXPECT_EQ(s.dtmf[2].digit, '*');
  EXPECT_TRUE(s.dtmf[2].ended);
  EXPECT_DOUBLE_EQ(s.dtmf[2].duration_ms, 50);
  EXPECT_EQ(s.telephone_event_packets, 10u);
  EXPECT_EQ(s.payload_type, 0);           // the audio type, not 101
  EXPECT_TRUE(s.payload_types_seen.test(101));
  EXPECT_TRUE(s.payload_types_seen.test(0));
  EXPECT_EQ(s.packets, 13u);
  EXPECT_EQ(s.lost(), 0);
  EXPECT_EQ(dtmf_digit(16), 'F');
  EXPECT_EQ(dtmf_digit(12), 'A');
  EXPECT_EQ(dtmf_digit(40), '?');
}

TEST(StreamStats, DtmfDoesNotUpdateJitterButMovesTheReference) {
  payload_map pts;
  pts.set(101, "telephone-event", 8000);
  // audio 0, 20 ms; event packet at 40 ms (ts 320, no clock); audio ts 480 at 60 ms:
  // the reference arrival is the event's (40 ms), the nominal one the last audio's (ts 160):
  // D = |60 - (40 + (60 - 20))| = 20 -> J = 20/16 (Wireshark 4.0 does exactly this)
  stream_stats s = run({{1, 0, 0}, {2, 160, 20}, {3, 320, 40, false, 101, dtmf_payload(1, true, 0, 160)},
                        {4, 480, 60}},
                       pts);
  EXPECT_DOUBLE_EQ(s.jitter_ms, 20.0 / 16);
  EXPECT_DOUBLE_EQ(s.max_jitter_ms, 20.0 / 16);
}

TEST(StreamStats, ComfortNoiseIsNotRegular) {
  // PT 13 packet at 100 ms after a silence; the next one "follows CN": neither is regular
  stream_stats s = run({{1, 0, 0}, {2, 160, 20}, {3, 800, 100, false, 13, "\x40"}, {4, 960, 150}, {5, 1120, 170}});
  EXPECT_DOUBLE_EQ(s.max_delta_ms, 20);
  EXPECT_EQ(s.comfort_noise_packets, 1u);
}

}  // namespace
}  // namespace sipscope::media
