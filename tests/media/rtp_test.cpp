// RTP and RTCP parsing (rtp.hpp): valid packets, every truncation, lying length fields, and
// the classification of UDP payloads.
#include "sipscope/media/rtp.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "rtp_builder.hpp"

namespace sipscope::media {
namespace {

using namespace sipscope::test;

// Each input in its own exact-size heap block, so that an over-read is a heap overflow that
// ASan reports (the fuzz build) rather than a silent read of the next byte.
struct exact {
  std::unique_ptr<char[]> p;
  std::size_t n;
  explicit exact(std::string_view s) : p(new char[s.size() ? s.size() : 1]), n(s.size()) {
    std::copy(s.begin(), s.end(), p.get());
  }
  std::string_view view() const { return {p.get(), n}; }
};

TEST(Rtp, ParsesTheFixedHeader) {
  rtp_spec r;
  r.pt = 8;
  r.marker = true;
  r.seq = 0xfffe;
  r.ts = 0xdeadbeef;
  r.ssrc = 0xcafebabe;
  std::string b = rtp(r);
  rtp_header h;
  ASSERT_TRUE(parse_rtp(b, h));
  EXPECT_EQ(h.version, 2);
  EXPECT_TRUE(h.marker);
  EXPECT_FALSE(h.padding);
  EXPECT_FALSE(h.extension);
  EXPECT_EQ(h.payload_type, 8);
  EXPECT_EQ(h.sequence, 0xfffe);
  EXPECT_EQ(h.timestamp, 0xdeadbeefu);
  EXPECT_EQ(h.ssrc, 0xcafebabeu);
  EXPECT_EQ(h.payload.size(), 160u);
  EXPECT_EQ(h.payload.data(), b.data() + 12);
}

TEST(Rtp, ParsesCsrcExtensionAndPadding) {
  rtp_spec r;
  r.csrcs = {0x01020304, 0x0a0b0c0d};
  r.extension = true;
  r.ext_data = std::string("\x10\xaa\x00\x00\x22\xbb\xcc\x00", 8);
  r.payload = "abcdef";
  r.padding = 6;
  std::string b = rtp(r);
  rtp_header h;
  ASSERT_TRUE(parse_rtp(b, h));
  EXPECT_EQ(h.csrc_count, 2);
  EXPECT_EQ(h.csrc(0), 0x01020304u);
  EXPECT_EQ(h.csrc(1), 0x0a0b0c0du);
  EXPECT_EQ(h.csrc(2), 0u);
  EXPECT_EQ(h.extension_profile, 0xBEDE);
  EXPECT_EQ(h.extension_data.size(), 8u);
  EXPECT_EQ(h.padding_length, 6);
  EXPECT_EQ(h.payload, "abcdef");
}

TEST(Rtp, EveryTruncationIsRejectedOrShorter) {
  rtp_spec r;
  r.csrcs = {1, 2, 3};
  r.extension = true;
  r.ext_data = std::string(12, 'x');
  r.payload = "0123456789";
  r.padding = 4;
  std::string full = rtp(r);
  // the headers end at 12 + 12 + 4 + 12 = 40: any cut before is malformed; after it the
  // padding count is whatever byte ends the cut, so only a consistent view may come out
  for (std::size_t n = 0; n < full.size(); ++n) {
    exact e(full.substr(0, n));
    rtp_header h;
    bool ok = parse_rtp(e.view(), h);
    if (n < 40) {
      EXPECT_FALSE(ok) << n;
    }
    if (ok) {
      EXPECT_GE(h.payload.data(), e.view().data());
      EXPECT_LE(h.payload.data() + h.payload.size(), e.view().data() + n) << n;
    }
  }
  exact e(full);
  rtp_header h;
  EXPECT_TRUE(parse_rtp(e.view(), h));
}

TEST(Rtp, LyingLengthsAreMalformed) {
  rtp_header h;
  // CSRC count 15 with room for 2
  std::string b = rtp({.payload = "", .csrcs = {1, 2}});
  b[0] = char(0x8f);
  EXPECT_FALSE(parse_rtp(b, h));
  // extension length 0xffff words
  rtp_spec r;
  r.extension = true;
  r.ext_data = "abcd";
  r.payload = "xy";
  b = rtp(r);
  b[14] = char(0xff);
  b[15] = char(0xff);
  EXPECT_FALSE(parse_rtp(b, h));
  // extension bit with no room for its header
  b = rtp({.payload = "ab"});
  b[0] = char(0x90);
  EXPECT_FALSE(parse_rtp(b, h));
  // padding count 0, and larger than the payload
  r = {};
  r.payload = "abcd";
  r.padding = 2;
  b = rtp(r);
  b.back() = 0;
  EXPECT_FALSE(parse_rtp(b, h));
  b.back() = 7;   // 4 + 2 bytes after the header: 7 reaches into it
  EXPECT_FALSE(parse_rtp(b, h));
  b.back() = 6;   // the whole rest is padding: legal, empty payload
  ASSERT_TRUE(parse_rtp(b, h));
  EXPECT_TRUE(h.payload.empty());
  // version 1 and 3
  b = rtp({});
  b[0] = 0x40;
  EXPECT_FALSE(parse_rtp(b, h));
  b[0] = char(0xc0);
  EXPECT_FALSE(parse_rtp(b, h));
}

// SR with one block + SDES CNAME + BYE with a reason, as a sender would send at the end
std::string sample_compound() {
  std::string sr;
  put32(sr, 0x11111111);
  put32(sr, 0xe9b0a7c0);   // NTP seconds
  put32(sr, 0x80000000);   // .5
  put32(sr, 123456);
  put32(sr, 500);
  put32(sr, 80000);
  sr += report_block(0x22222222, 64, -3, 0x0001fff0, 80, 0xa7c08000, 0x00018000);
  std::string sdes;
  put32(sdes, 0x11111111);
  put8(sdes, 1);
  put8(sdes, 9);
  sdes += "ua@host.x";
  put8(sdes, 0);   // end of items; 4 + 2 + 9 + 1 = 16, aligned
  std::string bye;
  put32(bye, 0x11111111);
  put8(bye, 3);
  bye += "bye";
  return rtcp_packet(1, 200, sr) + rtcp_packet(1, 202, sdes) + rtcp_packet(1, 203, bye);
}

TEST(Rtcp, SenderReportSdesBye) {
  std::string b = sample_compound();
  rtcp_compound c;
  ASSERT_TRUE(parse_rtcp(b, c));
  EXPECT_EQ(c.packets, 3u);
  EXPECT_EQ(c.first_type, rtcp_sr);
  ASSERT_EQ(c.sender_reports.size(), 1u);
  const auto& sr = c.sender_reports[0];
  EXPECT_EQ(sr.ssrc, 0x11111111u);
  EXPECT_EQ(sr.ntp, 0xe9b0a7c080000000ull);
  EXPECT_EQ(sr.ntp_middle(), 0xa7c08000u);
  EXPECT_EQ(sr.rtp_timestamp, 123456u);
  EXPECT_EQ(sr.packet_count, 500u);
  EXPECT_EQ(sr.octet_count, 80000u);
  ASSERT_EQ(c.report_blocks.size(), 1u);
  const auto& rb = c.report_blocks[0];
  EXPECT_EQ(rb.reporter, 0x11111111u);
  EXPECT_EQ(rb.ssrc, 0x22222222u);
  EXPECT_EQ(rb.fraction_lost, 64);
  EXPECT_EQ(rb.cumulative_lost, -3);
  EXPECT_EQ(rb.ext_highest_seq, 0x0001fff0u);
  EXPECT_EQ(rb.jitter, 80u);
  EXPECT_EQ(rb.lsr, 0xa7c08000u);
  EXPECT_EQ(rb.dlsr, 0x00018000u);
  ASSERT_EQ(c.cnames.size(), 1u);
  EXPECT_EQ(c.cnames[0].ssrc, 0x11111111u);
  EXPECT_EQ(c.cnames[0].cname, "ua@host.x");
  ASSERT_EQ(c.bye.size(), 1u);
  EXPECT_EQ(c.bye[0], 0x11111111u);
  EXPECT_EQ(classify_udp_payload(b), udp_payload_kind::rtcp);
}

TEST(Rtcp, ReceiverReportWithTwoBlocks) {
  std::string rr;
  put32(rr, 0x33333333);
  rr += report_block(0xaaaaaaaa, 255, 0x7fffff, 0x00050000, 1000, 0, 0);
  rr += report_block(0xbbbbbbbb, 0, 0, 17, 0, 1, 2);
  std::string b = rtcp_packet(2, 201, rr);
  rtcp_compound c;
  ASSERT_TRUE(parse_rtcp(b, c));
  EXPECT_EQ(c.first_type, rtcp_rr);
  ASSERT_EQ(c.report_blocks.size(), 2u);
  EXPECT_EQ(c.report_blocks[0].reporter, 0x33333333u);
  EXPECT_EQ(c.report_blocks[0].fraction_lost, 255);
  EXPECT_EQ(c.report_blocks[0].cumulative_lost, 0x7fffff);
  EXPECT_EQ(c.report_blocks[1].ssrc, 0xbbbbbbbbu);
  EXPECT_EQ(c.report_blocks[1].ext_highest_seq, 17u);
  EXPECT_EQ(c.report_blocks[1].dlsr, 2u);
  // the count says 3 blocks: they do not fit
  b[0] = char(0x83);
  EXPECT_FALSE(parse_rtcp(b, c));
  EXPECT_TRUE(c.report_blocks.empty());
}

TEST(Rtcp, XrVoipMetrics) {
  std::string xr;
  put32(xr, 0x44444444);   // reporter
  // RFC 3611 4.7: BT 7, reserved, length 8
  put8(xr, 7);
  put8(xr, 0);
  put16(xr, 8);
  put32(xr, 0x55555555);
  put8(xr, 12);    // loss rate
  put8(xr, 3);     // discard rate
  put8(xr, 40);    // burst density
  put8(xr, 2);     // gap density
  put16(xr, 120);  // burst duration
  put16(xr, 5000); // gap duration
  put16(xr, 90);   // round trip
  put16(xr, 45);   // end system delay
  put8(xr, 0xf0);  // signal level -16
  put8(xr, 0xc4);  // noise -60
  put8(xr, 30);    // RERL
  put8(xr, 16);    // Gmin
  put8(xr, 88);    // R
  put8(xr, 127);   // ext R
  put8(xr, 42);    // MOS-LQ 4.2
  put8(xr, 41);    // MOS-CQ 4.1
  put8(xr, 0x80);  // RX config
  put8(xr, 0);
  put16(xr, 40);   // JB nominal
  put16(xr, 80);   // JB max
  put16(xr, 200);  // JB abs max
  // plus a block of another type (RFC 3611 4.1 loss RLE, empty chunks), skipped
  put8(xr, 1);
  put8(xr, 0);
  put16(xr, 2);
  put32(xr, 0x55555555);
  put16(xr, 0);
  put16(xr, 10);
  std::string b = rtcp_packet(0, 207, xr);
  rtcp_compound c;
  ASSERT_TRUE(parse_rtcp(b, c));
  ASSERT_EQ(c.voip_metrics.size(), 1u);
  const auto& m = c.voip_metrics[0];
  EXPECT_EQ(m.reporter, 0x44444444u);
  EXPECT_EQ(m.ssrc, 0x55555555u);
  EXPECT_EQ(m.loss_rate, 12);
  EXPECT_EQ(m.discard_rate, 3);
  EXPECT_EQ(m.burst_density, 40);
  EXPECT_EQ(m.gap_density, 2);
  EXPECT_EQ(m.burst_duration, 120);
  EXPECT_EQ(m.gap_duration, 5000);
  EXPECT_EQ(m.round_trip_delay, 90);
  EXPECT_EQ(m.end_system_delay, 45);
  EXPECT_EQ(m.signal_level, -16);
  EXPECT_EQ(m.noise_level, -60);
  EXPECT_EQ(m.rerl, 30);
  EXPECT_EQ(m.r_factor, 88);
  EXPECT_EQ(m.mos_lq, 42);
  EXPECT_EQ(m.mos_cq, 41);
  EXPECT_EQ(m.rx_config, 0x80);
  EXPECT_EQ(m.jb_nominal, 40);
  EXPECT_EQ(m.jb_maximum, 80);
  EXPECT_EQ(m.jb_abs_max, 200);
  EXPECT_EQ(c.other_packets, 1u);
  // a VoIP metrics block claiming length 7 is malformed
  std::string bad = b;
  bad[4 + 4 + 3] = 7;
  EXPECT_FALSE(parse_rtcp(bad, c));
}

TEST(Rtcp, MalformedCompounds) {
  std::string good = sample_compound();
  rtcp_compound c;
  // every truncation: the lengths no longer add up, except at the packet boundaries (52: the
  // SR alone, 72: SR + SDES), which are shorter compounds
  for (std::size_t n = 0; n < good.size(); ++n) {
    exact e(good.substr(0, n));
    bool boundary = n == 52 || n == 72;
    EXPECT_EQ(parse_rtcp(e.view(), c), boundary) << n;
    EXPECT_EQ(classify_udp_payload(e.view()), boundary ? udp_payload_kind::rtcp : udp_payload_kind::other) << n;
    if (boundary) {
      EXPECT_EQ(c.packets, n == 52 ? 1u : 2u);
    }
  }
  // one extra byte after the last packet
  EXPECT_FALSE(parse_rtcp(good + "x", c));
  // padding on the first packet of three
  std::string b = good;
  b[0] = char(b[0] | 0x20);
  EXPECT_FALSE(parse_rtcp(b, c));
  // version 1 in the second packet
  b = good;
  b[52] = char(0x41);
  EXPECT_FALSE(parse_rtcp(b, c));
  // SDES item length running past its packet
  b = good;
  b[52 + 4 + 4 + 1] = 40;
  EXPECT_FALSE(parse_rtcp(b, c));
  // padding on the last packet, correctly counted, is fine
  std::string rr;
  put32(rr, 1);
  rr += std::string("\0\0\0\4", 4);
  std::string padded = rtcp_packet(0, 201, rr);
  padded[0] = char(padded[0] | 0x20);
  ASSERT_TRUE(parse_rtcp(padded, c));
  padded.back() = 9;
  EXPECT_FALSE(parse_rtcp(padded, c));
}

TEST(Classify, RtpRtcpAndOther) {
  EXPECT_EQ(classify_udp_payload(rtp({.pt = 0})), udp_payload_kind::rtp);
  EXPECT_EQ(classify_udp_payload(rtp({.pt = 111})), udp_payload_kind::rtp);
  // RFC 5761: PT 72 with the marker reads as RTCP SR, and fails as one
  EXPECT_EQ(classify_udp_payload(rtp({.pt = 72, .marker = true})), udp_payload_kind::other);
  // payload types nobody uses, empty payloads
  EXPECT_EQ(classify_udp_payload(rtp({.pt = 50})), udp_payload_kind::other);
  EXPECT_EQ(classify_udp_payload(rtp({.pt = 1})), udp_payload_kind::other);
  EXPECT_EQ(classify_udp_payload(rtp({.pt = 0, .payload = ""})), udp_payload_kind::other);
  // a DNS query: version bits 0 in most, and never consistent
  std::string dns("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07" "example\x03" "com\x00\x00\x01\x00\x01", 29);
  EXPECT_EQ(classify_udp_payload(dns), udp_payload_kind::other);
  EXPECT_EQ(classify_udp_payload(""), udp_payload_kind::other);
  EXPECT_EQ(classify_udp_payload(std::string(3, '\x80')), udp_payload_kind::other);
  // STUN binding request (first two bits 00)
  std::string stun("\x00\x01\x00\x00\x21\x12\xa4\x42" "abcdefghijkl", 20);
  EXPECT_EQ(classify_udp_payload(stun), udp_payload_kind::other);
}

TEST(Classify, PlausiblePayloadTypes) {
  for (int pt : {0, 3, 4, 8, 9, 13, 18, 19, 26, 31, 34, 96, 101, 127}) {
    EXPECT_TRUE(plausible_payload_type(std::uint8_t(pt))) << pt;
  }
  for (int pt : {1, 2, 20, 24, 27, 29, 30, 35, 64, 72, 95}) {
    EXPECT_FALSE(plausible_payload_type(std::uint8_t(pt))) << pt;
  }
}

}  // namespace
}  // namespace sipscope::media
