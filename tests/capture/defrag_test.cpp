// IPv4/IPv6 fragment reassembly (defrag.hpp): every order, duplicates, overlaps, timeouts, limits.
#include "sipscope/capture/defrag.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using namespace sipscope::capture;

namespace {

std::string read_corpus(const char* name) {
  std::ifstream in(std::string(SIPSCOPE_CORPUS_DIR) + "/bench/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct diag_log : handler {
  std::vector<diag_event> events;
  void on_diag(const diag_event& e) override { events.push_back(e); }
  std::size_t count(diag_kind k) const {
    return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [k](const diag_event& e) { return e.kind == k; }));
  }
};

ip_address v4(std::uint8_t last) {
  ip_address a;
  a.family = 4;
  a.bytes = {192, 0, 2, last};
  return a;
}

ip_address v6(std::uint8_t last) {
  ip_address a;
  a.family = 6;
  a.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last};
  return a;
}

// A UDP datagram carrying a real INVITE: 8 bytes of UDP header then the SIP message.
std::string udp_payload() {
  std::string s("\x13\xc4\x13\xc4\x07\x3a\x00\x00", 8);
  s += read_corpus("01-invite-sdp.sip");
  return s;
}

ip_fragment frag(const ip_address& src, const ip_address& dst, std::uint32_t id, std::uint8_t proto,
                 const std::string& data, std::size_t off, std::size_t len, std::uint64_t frame_no,
                 timestamp_ns t = 1'000'000'000) {
  ip_fragment f;
  f.src = src;
  f.dst = dst;
  f.id = id;
  f.protocol = proto;
  f.offset = static_cast<std::uint32_t>(off);
  len = std::min(len, data.size() - off);
  f.more = off + len < data.size();
  f.payload = std::string_view(data).substr(off, len);
  f.frame.number = frame_no;
  f.frame.offset = frame_no * 100;
  f.time = t;
  return f;
}

// Cuts `data` into fragments of `size` bytes (a multiple of 8).
std::vector<ip_fragment> cut(const ip_address& src, const ip_address& dst, std::uint32_t id, std::uint8_t proto,
                             const std::string& data, std::size_t size) {
  std::vector<ip_fragment> out;
  for (std::size_t off = 0, n = 1; off < data.size(); off += size, ++n)
    out.push_back(frag(src, dst, id, proto, data, off, size, n));
  return out;
}

}  // namespace

TEST(defrag, ipv4_every_order_of_four_fragments) {
  const std::string data = udp_payload();
  std::vector<ip_fragment> frags = cut(v4(1), v4(2), 0x1234, 17, data, 512);
  ASSERT_EQ(frags.size(), 4u);
  std::vector<int> order{0, 1, 2, 3};
  int permutations = 0;
  do {
    defragmenter d;
    diag_log log;
    ip_datagram out;
    for (std::size_t i = 0; i < order.size(); ++i) {
      const defrag_status s = d.add(frags[order[i]], out, &log);
      if (i + 1 < order.size()) {
        ASSERT_EQ(s, defrag_status::pending) << i;
      } else {
        ASSERT_EQ(s, defrag_status::complete);
      }
    }
    EXPECT_EQ(out.payload, data);
    EXPECT_EQ(out.protocol, 17);
    EXPECT_EQ(out.frame.number, frags[order.back()].frame.number);
    EXPECT_EQ(out.first_frame.number, frags[order.front()].frame.number);
    EXPECT_TRUE(out.via.reassembled_ip);
    EXPECT_EQ(out.src, v4(1));
    EXPECT_EQ(out.dst, v4(2));
    EXPECT_TRUE(log.events.empty());
    EXPECT_EQ(d.in_progress(), 0u);
    EXPECT_EQ(d.buffered_bytes(), 0u);
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 24);
}

TEST(defrag, ipv6_every_order_next_header_from_first_fragment) {
  const std::string data = udp_payload();
  std::vector<ip_fragment> frags = cut(v6(1), v6(2), 0xdeadbeef, 17, data, 624);
  ASSERT_EQ(frags.size(), 3u);
  for (std::size_t i = 1; i < frags.size(); ++i) frags[i].protocol = 59;  // only the first counts
  std::vector<int> order{0, 1, 2};
  do {
    defragmenter d;
    ip_datagram out;
    defrag_status s{};
    for (int i : order) s = d.add(frags[i], out);
    ASSERT_EQ(s, defrag_status::complete);
    EXPECT_EQ(out.payload, data);
    EXPECT_EQ(out.protocol, 17);
    EXPECT_EQ(out.frame.number, frags[order.back()].frame.number);
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(defrag, duplicates_and_identical_overlaps_are_fine) {
  const std::string data = udp_payload();
  for (int family : {4, 6}) {
    const ip_address s = family == 4 ? v4(1) : v6(1), t = family == 4 ? v4(2) : v6(2);
    defragmenter d;
    diag_log log;
    ip_datagram out;
    EXPECT_EQ(d.add(frag(s, t, 7, 17, data, 0, 800, 1), out, &log), defrag_status::pending);
    EXPECT_EQ(d.add(frag(s, t, 7, 17, data, 0, 800, 2), out, &log), defrag_status::pending);    // duplicate
    EXPECT_EQ(d.add(frag(s, t, 7, 17, data, 400, 800, 3), out, &log), defrag_status::pending);  // identical overlap
    EXPECT_EQ(d.add(frag(s, t, 7, 17, data, 1200, 4000, 4), out, &log), defrag_status::complete);
    EXPECT_EQ(out.payload, data);
    EXPECT_EQ(out.first_frame.number, 1u);
    EXPECT_EQ(out.frame.number, 4u);
    EXPECT_TRUE(log.events.empty());
    EXPECT_EQ(d.stats().duplicates, 1u);
    EXPECT_EQ(d.stats().overlaps, 0u);
  }
}

TEST(defrag, ipv4_conflicting_overlap_keeps_first_bytes) {
  const std::string data = udp_payload();
  std::string other = data;
  for (std::size_t i = 400; i < 800; ++i) other[i] = 'X';
  defragmenter d;
  diag_log log;
  ip_datagram out;
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 9, 17, data, 0, 800, 1), out, &log), defrag_status::pending);
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 9, 17, other, 400, 800, 2), out, &log), defrag_status::pending);
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 9, 17, other, 480, 80, 3), out, &log), defrag_status::pending);  // once more
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 9, 17, data, 1200, 4000, 4), out, &log), defrag_status::complete);
  EXPECT_EQ(out.payload, data);  // bytes 400..800 from the first fragment, 800..1200 from the second
  EXPECT_EQ(log.count(diag_kind::fragment_overlap), 1u);
  EXPECT_EQ(log.events.at(0).frame.number, 2u);
  EXPECT_EQ(d.stats().overlaps, 2u);
}

TEST(defrag, ipv6_conflicting_overlap_drops_datagram_and_later_fragments) {
  const std::string data = udp_payload();
  std::string other = data;
  other[500] = 'X';
  defragmenter d;
  diag_log log;
  ip_datagram out;
  EXPECT_EQ(d.add(frag(v6(1), v6(2), 9, 17, data, 0, 800, 1), out, &log), defrag_status::pending);
  EXPECT_EQ(d.add(frag(v6(1), v6(2), 9, 17, other, 400, 800, 2), out, &log), defrag_status::dropped);
  EXPECT_EQ(d.buffered_bytes(), 0u);
  // RFC 5722: fragments still to come are discarded too, so the datagram never completes
  EXPECT_EQ(d.add(frag(v6(1), v6(2), 9, 17, data, 800, 4000, 3), out, &log), defrag_status::dropped);
  EXPECT_EQ(d.add(frag(v6(1), v6(2), 9, 17, data, 400, 400, 4), out, &log), defrag_status::dropped);
  EXPECT_EQ(log.count(diag_kind::fragment_overlap), 1u);
  EXPECT_EQ(d.stats().datagrams, 0u);
  // a conflicting end of datagram is an overlap too
  EXPECT_EQ(d.add(frag(v6(1), v6(2), 10, 17, data, 800, 4000, 5), out, &log), defrag_status::pending);
  ip_fragment shorter = frag(v6(1), v6(2), 10, 17, data, 0, 800, 6);
  shorter.more = false;
  EXPECT_EQ(d.add(shorter, out, &log), defrag_status::complete);  // offset 0 + !more: atomic
  EXPECT_FALSE(out.via.reassembled_ip);
  EXPECT_EQ(d.add(frag(v6(1), v6(2), 10, 17, data, 1600, 8, 7), out, &log), defrag_status::pending);
  ip_fragment other_end = frag(v6(1), v6(2), 10, 17, data, 1600, 8, 8);
  other_end.more = false;  // ends at 1608, but the datagram goes to the end of `data`
  EXPECT_EQ(d.add(other_end, out, &log), defrag_status::dropped);
  EXPECT_EQ(log.count(diag_kind::fragment_overlap), 2u);
}

TEST(defrag, keys_do_not_mix) {
  const std::string data = udp_payload();
  std::string other = data;
  std::reverse(other.begin(), other.end());
  defragmenter d;
  ip_datagram out;
  // IPv4: protocol is part of the key
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 5, 17, data, 0, 1000, 1), out), defrag_status::pending);
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 5, 6, other, 0, 1000, 2), out), defrag_status::pending);
  EXPECT_EQ(d.add(frag(v4(1), v4(3), 5, 17, other, 1000, 2000, 3), out), defrag_status::pending);
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 5, 6, other, 1000, 2000, 4), out), defrag_status::complete);
  EXPECT_EQ(out.payload, other);
  EXPECT_EQ(out.protocol, 6);
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 5, 17, data, 1000, 2000, 5), out), defrag_status::complete);
  EXPECT_EQ(out.payload, data);
  EXPECT_EQ(d.in_progress(), 1u);  // the one to 192.0.2.3
}

TEST(defrag, timeout_by_capture_time) {
  const std::string data = udp_payload();
  defragmenter d;  // 30 s
  diag_log log;
  ip_datagram out;
  const timestamp_ns s = 1'000'000'000;
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 1, 17, data, 0, 800, 11, s), out, &log), defrag_status::pending);
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 1, 17, data, 800, 400, 12, s + 29 * s), out, &log), defrag_status::pending);
  d.expire(31 * s, &log);
  EXPECT_TRUE(log.events.empty());
  // 30.5 s after the first fragment: the datagram is gone; the last fragment starts a new one
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 1, 17, data, 1200, 4000, 13, s + 30 * s + s / 2), out, &log),
            defrag_status::pending);
  ASSERT_EQ(log.count(diag_kind::fragment_timeout), 1u);
  EXPECT_EQ(log.events[0].frame.number, 11u);  // the first fragment of the lost datagram
  EXPECT_EQ(d.stats().timeouts, 1u);
  d.expire(100 * s, &log);
  EXPECT_EQ(log.count(diag_kind::fragment_timeout), 2u);
  EXPECT_EQ(d.in_progress(), 0u);
  EXPECT_EQ(d.buffered_bytes(), 0u);
}

TEST(defrag, per_source_limit_evicts_oldest_of_that_source) {
  const std::string data = udp_payload();
  defrag_limits lim;
  lim.max_per_source = 2;
  defragmenter d(lim);
  diag_log log;
  ip_datagram out;
  for (std::uint32_t id = 1; id <= 3; ++id)
    EXPECT_EQ(d.add(frag(v4(1), v4(2), id, 17, data, 0, 800, id), out, &log), defrag_status::pending);
  EXPECT_EQ(d.add(frag(v4(9), v4(2), 1, 17, data, 0, 800, 4), out, &log), defrag_status::pending);  // other source
  ASSERT_EQ(log.count(diag_kind::fragment_limit), 1u);
  EXPECT_EQ(log.events[0].frame.number, 3u);
  EXPECT_EQ(d.in_progress(), 3u);
  // id 1 was evicted: its rest starts a new, incomplete datagram; id 2 and 3 complete
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 2, 17, data, 800, 4000, 5), out, &log), defrag_status::complete);
  EXPECT_EQ(out.payload, data);
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 1, 17, data, 800, 4000, 6), out, &log), defrag_status::pending);
  EXPECT_EQ(d.add(frag(v4(9), v4(2), 1, 17, data, 800, 4000, 7), out, &log), defrag_status::complete);
  EXPECT_EQ(d.stats().evicted, 1u);
}

TEST(defrag, total_datagram_and_byte_limits) {
  const std::string data = udp_payload();
  {
    defrag_limits lim;
    lim.max_datagrams = 2;
    defragmenter d(lim);
    diag_log log;
    ip_datagram out;
    for (std::uint8_t src = 1; src <= 3; ++src)
      EXPECT_EQ(d.add(frag(v4(src), v4(100), 1, 17, data, 0, 800, src), out, &log), defrag_status::pending);
    EXPECT_EQ(log.count(diag_kind::fragment_limit), 1u);
    EXPECT_EQ(d.in_progress(), 2u);
    EXPECT_EQ(d.add(frag(v4(1), v4(100), 1, 17, data, 800, 4000, 9), out, &log), defrag_status::pending);
  }
  {
    defrag_limits lim;
    lim.max_bytes = 2000;
    defragmenter d(lim);
    diag_log log;
    ip_datagram out;
    EXPECT_EQ(d.add(frag(v4(1), v4(2), 1, 17, data, 0, 800, 1), out, &log), defrag_status::pending);
    EXPECT_EQ(d.add(frag(v4(1), v4(2), 2, 17, data, 0, 800, 2), out, &log), defrag_status::pending);
    EXPECT_EQ(d.buffered_bytes(), 1600u);
    // datagram 1 grows to 1600 bytes: 2400 would not fit, so the other datagram is evicted
    EXPECT_EQ(d.add(frag(v4(1), v4(2), 1, 17, data, 800, 800, 3), out, &log), defrag_status::pending);
    EXPECT_EQ(log.count(diag_kind::fragment_limit), 1u);
    EXPECT_LE(d.buffered_bytes(), 2000u);
    // datagram 1 completes at 1850 bytes; a datagram that alone needs 3200 bytes is dropped
    EXPECT_EQ(d.add(frag(v4(1), v4(2), 1, 17, data, 1600, 4000, 4), out, &log), defrag_status::complete);
    EXPECT_EQ(out.payload, data);
    EXPECT_EQ(d.add(frag(v4(1), v4(2), 3, 17, std::string(4000, 'a'), 2400, 800, 5), out, &log),
              defrag_status::dropped);
    EXPECT_EQ(log.count(diag_kind::fragment_limit), 2u);
    EXPECT_EQ(d.buffered_bytes(), 0u);
  }
}

TEST(defrag, impossible_fragments_are_diagnosed) {
  defragmenter d;
  diag_log log;
  ip_datagram out;
  const std::string big(70000, 'z');
  // beyond 65535 bytes
  EXPECT_EQ(d.add(frag(v4(1), v4(2), 1, 17, big, 65528, 16, 1), out, &log), defrag_status::dropped);
  EXPECT_EQ(log.count(diag_kind::fragment_limit), 1u);
  // a non-last fragment whose length is not a multiple of 8
  ip_fragment odd = frag(v6(1), v6(2), 1, 17, big, 0, 13, 2);
  EXPECT_TRUE(odd.more);
  EXPECT_EQ(d.add(odd, out, &log), defrag_status::dropped);
  EXPECT_EQ(log.count(diag_kind::bad_ip_header), 1u);
  // mixed families
  ip_fragment mixed = frag(v4(1), v6(2), 1, 17, big, 0, 16, 3);
  EXPECT_EQ(d.add(mixed, out, &log), defrag_status::dropped);
  EXPECT_EQ(log.count(diag_kind::bad_ip_header), 2u);
  EXPECT_EQ(d.in_progress(), 0u);
}

TEST(defrag, output_stays_valid_until_next_call_and_buffers_are_reused) {
  const std::string data = udp_payload();
  defragmenter d;
  ip_datagram out;
  for (int round = 0; round < 50; ++round) {
    std::vector<ip_fragment> frags = cut(v4(1), v4(2), static_cast<std::uint32_t>(round), 17, data, 256);
    std::reverse(frags.begin(), frags.end());
    defrag_status s{};
    for (const ip_fragment& f : frags) s = d.add(f, out);
    ASSERT_EQ(s, defrag_status::complete);
    ASSERT_EQ(out.payload, data);
  }
  EXPECT_EQ(d.stats().datagrams, 50u);
  EXPECT_EQ(d.buffered_bytes(), 0u);
}

namespace sipscope::capture {
namespace {

// Found by fuzz_capture in CI: a capture whose times are near the int64 limits (here a
// fragment dated long before 1970, then the end-of-capture flush at INT64_MAX) overflowed the
// timeout arithmetic (UBSan: signed integer overflow). Times are saturated now.
TEST(defrag, timeouts_with_extreme_capture_times) {
  defragmenter d;
  ip_datagram out;
  std::string data = udp_payload();
  auto f = frag(v4(1), v4(2), 7, 17, data, 0, 16, 1, -1'735'732'800'998'977'000);
  EXPECT_EQ(d.add(f, out), defrag_status::pending);
  d.expire(std::numeric_limits<timestamp_ns>::max());
  EXPECT_EQ(d.in_progress(), 0u);
  EXPECT_EQ(d.stats().timeouts, 1u);
  auto g = frag(v4(1), v4(2), 8, 17, data, 0, 16, 2, std::numeric_limits<timestamp_ns>::max());
  EXPECT_EQ(d.add(g, out), defrag_status::pending);
  d.expire(std::numeric_limits<timestamp_ns>::min());   // time going backwards: nothing expires
  EXPECT_EQ(d.in_progress(), 1u);
  EXPECT_EQ(elapsed(std::numeric_limits<timestamp_ns>::max(), -1), std::numeric_limits<timestamp_ns>::max());
  EXPECT_EQ(elapsed(std::numeric_limits<timestamp_ns>::min(), 1), std::numeric_limits<timestamp_ns>::min());
}

}  // namespace
}  // namespace sipscope::capture
