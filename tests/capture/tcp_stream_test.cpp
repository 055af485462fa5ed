// TCP reassembly (tcp_stream.hpp): order, retransmissions, overlaps, gaps, flags, limits, time.
#include "sipscope/capture/tcp_stream.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace sipscope::capture;

namespace {

constexpr timestamp_ns k_sec = 1'000'000'000;

std::string read_corpus(const char* name) {
  std::ifstream in(std::string(SIPSCOPE_CORPUS_DIR) + "/bench/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct chunk_rec {
  std::uint64_t stream;
  std::string bytes;
  std::uint64_t offset;
  bool gap;
  std::uint64_t frame;
  endpoint src, dst;
};

struct recorder : tcp_consumer {
  std::vector<chunk_rec> chunks;
  std::vector<diag_event> diags;
  std::vector<std::pair<std::uint64_t, tcp_close_reason>> closes;
  void on_data(const tcp_chunk& c) override {
    EXPECT_FALSE(c.bytes.empty());
    chunks.push_back({c.stream, std::string(c.bytes), c.offset, c.gap_before, c.frame.number, c.src, c.dst});
  }
  void on_close(std::uint64_t s, tcp_close_reason r) override { closes.emplace_back(s, r); }
  void on_diag(const diag_event& e) override { diags.push_back(e); }
  std::string stream(std::uint64_t id) const {
    std::string s;
    for (const chunk_rec& c : chunks) if (c.stream == id) s += c.bytes;
    return s;
  }
  std::size_t count(diag_kind k) const {
    return static_cast<std::size_t>(std::count_if(diags.begin(), diags.end(), [k](const diag_event& e) { return e.kind == k; }));
  }
};

endpoint ep(std::uint8_t last, std::uint16_t port) {
  endpoint e;
  e.ip.family = 4;
  e.ip.bytes = {10, 0, 0, last};
  e.port = port;
  return e;
}

const endpoint A = ep(1, 40000), B = ep(2, 5060);

tcp_segment seg(const endpoint& s, const endpoint& d, std::uint32_t seq, std::string_view data, std::uint64_t frame,
                std::uint8_t flags = tcp_flag::ack, timestamp_ns t = k_sec) {
  tcp_segment g;
  g.src = s;
  g.dst = d;
  g.seq = seq;
  g.flags = flags;
  g.payload = data;
  g.frame.number = frame;
  g.time = t;
  return g;
}

std::string sip_stream() {
  return read_corpus("01-invite-sdp.sip") + read_corpus("02-100-trying.sip") + read_corpus("03-180-ringing.sip");
}

}  // namespace

TEST(tcp_stream, in_order_with_handshake_and_fin) {
  recorder r;
  tcp_reassembler t(r);
  const std::string data = sip_stream();
  t.add(seg(A, B, 1000, {}, 1, tcp_flag::syn));
  t.add(seg(B, A, 5000, {}, 2, tcp_flag::syn | tcp_flag::ack));
  t.add(seg(A, B, 1001, {}, 3));
  t.add(seg(A, B, 1001, std::string_view(data).substr(0, 1400), 4));
  t.add(seg(A, B, 2401, std::string_view(data).substr(1400), 5, tcp_flag::ack | tcp_flag::psh));
  t.add(seg(B, A, 5001, "SIP/2.0 100 Trying\r\n", 6));
  ASSERT_EQ(r.chunks.size(), 3u);
  EXPECT_EQ(r.stream(0), data);
  EXPECT_EQ(r.stream(1), "SIP/2.0 100 Trying\r\n");
  EXPECT_EQ(r.chunks[0].frame, 4u);
  EXPECT_EQ(r.chunks[1].frame, 5u);
  EXPECT_EQ(r.chunks[1].offset, 1400u);
  EXPECT_EQ(r.chunks[2].src, B);
  EXPECT_EQ(r.chunks[2].dst, A);
  EXPECT_FALSE(r.chunks[1].gap);
  const std::uint32_t end_a = 1001 + static_cast<std::uint32_t>(data.size());
  t.add(seg(A, B, end_a, {}, 7, tcp_flag::fin | tcp_flag::ack));
  EXPECT_TRUE(r.closes.empty());
  t.add(seg(B, A, 5021, {}, 8, tcp_flag::fin | tcp_flag::ack));
  ASSERT_EQ(r.closes.size(), 2u);
  EXPECT_EQ(r.closes[0].second, tcp_close_reason::fin);
  // the last ACK and a late retransmission do not reopen the flow
  t.add(seg(A, B, end_a + 1, {}, 9));
  t.add(seg(A, B, 2401, std::string_view(data).substr(1400), 10));
  EXPECT_EQ(r.chunks.size(), 3u);
  EXPECT_EQ(t.stats().ignored, 2u);
  EXPECT_TRUE(r.diags.empty());
}

TEST(tcp_stream, every_order_of_five_segments) {
  const std::string data = sip_stream();
  std::vector<std::pair<std::uint32_t, std::string_view>> parts;
  const std::size_t step = data.size() / 5 + 1;
  for (std::size_t off = 0; off < data.size(); off += step)
    parts.emplace_back(static_cast<std::uint32_t>(off), std::string_view(data).substr(off, step));
  ASSERT_EQ(parts.size(), 5u);
  std::vector<int> order{0, 1, 2, 3, 4};
  do {
    recorder r;
    tcp_reassembler t(r);
    t.add(seg(A, B, 77, {}, 100, tcp_flag::syn));
    for (int i : order) t.add(seg(A, B, 78 + parts[i].first, parts[i].second, static_cast<std::uint64_t>(i + 1)));
    ASSERT_EQ(r.stream(0), data);
    // each chunk carries the frame its bytes came in
    for (const chunk_rec& c : r.chunks) {
      const auto& p = parts[c.frame - 1];
      EXPECT_EQ(c.offset, p.first);
      EXPECT_EQ(c.bytes, p.second);
      EXPECT_FALSE(c.gap);
    }
    EXPECT_EQ(t.buffered_bytes(), 0u);
    EXPECT_TRUE(r.diags.empty());
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST(tcp_stream, retransmissions_and_identical_overlaps) {
  recorder r;
  tcp_reassembler t(r);
  const std::string data = sip_stream();
  const std::string_view v(data);
  t.add(seg(A, B, 1, v.substr(0, 500), 1));
  t.add(seg(A, B, 1, v.substr(0, 500), 2));        // full retransmission
  t.add(seg(A, B, 301, v.substr(300, 400), 3));    // overlaps 200 delivered bytes
  t.add(seg(A, B, 1001, v.substr(1000, 300), 4));  // out of order
  t.add(seg(A, B, 1101, v.substr(1100, 300), 5));  // overlaps the buffered one
  t.add(seg(A, B, 1001, v.substr(1000, 300), 6));  // retransmission of a buffered one
  t.add(seg(A, B, 601, v.substr(600, 600), 7));    // fills the hole and overlaps buffered bytes
  t.add(seg(A, B, 1401, v.substr(1400), 8));
  EXPECT_EQ(r.stream(0), data);
  EXPECT_TRUE(r.diags.empty());
  EXPECT_EQ(t.stats().overlaps, 0u);
  EXPECT_EQ(t.stats().delivered_bytes, data.size());
  EXPECT_GT(t.stats().retransmitted_bytes, 0u);
  // bytes 1000..1400 came from frames 4 and 5 (buffered first), not from frame 7
  for (const chunk_rec& c : r.chunks) {
    if (c.offset >= 1000 && c.offset < 1400) {
      EXPECT_TRUE(c.frame == 4 || c.frame == 5) << c.frame;
    }
  }
}

TEST(tcp_stream, conflicting_overlap_keeps_first_bytes) {
  recorder r;
  tcp_reassembler t(r);
  t.add(seg(A, B, 1, "AAAA", 1));
  t.add(seg(A, B, 9, "CCCC", 2));         // buffered
  t.add(seg(A, B, 11, "xxYY", 3));        // overlaps "CC" with different bytes
  EXPECT_EQ(r.count(diag_kind::tcp_overlap), 1u);
  t.add(seg(A, B, 5, "BBBBzzzz", 4));     // fills the hole, conflicts with "CCCC"
  EXPECT_EQ(r.count(diag_kind::tcp_overlap), 2u);
  EXPECT_EQ(r.stream(0), "AAAABBBBCCCCYY");
  EXPECT_EQ(t.stats().overlaps, 2u);
}

TEST(tcp_stream, sequence_numbers_wrap) {
  recorder r;
  tcp_reassembler t(r);
  const std::string data = sip_stream();
  const std::string_view v(data);
  const std::uint32_t isn = 0xfffffc00u;
  t.add(seg(A, B, isn, {}, 1, tcp_flag::syn));
  t.add(seg(A, B, isn + 1 + 1500, v.substr(1500), 3));  // wrapped past 0, arrives first
  t.add(seg(A, B, isn + 1, v.substr(0, 1500), 2));
  EXPECT_EQ(r.stream(0), data);
  EXPECT_TRUE(r.diags.empty());
}

TEST(tcp_stream, mid_stream_start) {
  recorder r;
  tcp_reassembler t(r);
  t.add(seg(A, B, 123456, {}, 1));  // a pure ACK of an unknown flow: ignored
  EXPECT_EQ(t.open_flows(), 0u);
  t.add(seg(A, B, 900000, "INVITE", 2));
  t.add(seg(A, B, 900006, " sip:", 3));
  t.add(seg(A, B, 899990, "0123456789INVITE", 4));  // before the start: a retransmission
  EXPECT_EQ(r.stream(0), "INVITE sip:");
  EXPECT_EQ(r.chunks[0].offset, 0u);
  EXPECT_FALSE(r.chunks[0].gap);
}

TEST(tcp_stream, buffer_limit_gives_up_the_hole) {
  tcp_limits lim;
  lim.flow_buffer_limit = 1000;
  recorder r;
  tcp_reassembler t(r, lim);
  const std::string data = sip_stream();
  const std::string_view v(data);
  t.add(seg(A, B, 1, {}, 1, tcp_flag::syn));
  t.add(seg(A, B, 2, v.substr(0, 100), 2));
  // 100..200 is lost; 200..1700 arrives in 300-byte segments
  for (std::uint64_t i = 0; i < 5; ++i) {
    const std::size_t off = 200 + i * 300;
    t.add(seg(A, B, static_cast<std::uint32_t>(2 + off), v.substr(off, 300), 3 + i));
    EXPECT_LE(t.buffered_bytes(), 1000u);
  }
  EXPECT_EQ(r.count(diag_kind::tcp_buffer_limit), 1u);
  EXPECT_EQ(r.count(diag_kind::tcp_gap), 1u);
  EXPECT_EQ(t.stats().gap_bytes, 100u);
  std::string expect = std::string(v.substr(0, 100));
  expect += v.substr(200, 1500);
  EXPECT_EQ(r.stream(0), expect);
  ASSERT_GE(r.chunks.size(), 2u);
  EXPECT_TRUE(r.chunks[1].gap);
  EXPECT_EQ(r.chunks[1].offset, 200u);  // offsets count the lost bytes
  EXPECT_EQ(r.chunks[1].frame, 3u);
  for (std::size_t i = 2; i < r.chunks.size(); ++i) EXPECT_FALSE(r.chunks[i].gap);
}

TEST(tcp_stream, gap_timeout_and_idle_timeout) {
  recorder r;
  tcp_reassembler t(r);  // gap 10 s, idle 600 s
  t.add(seg(A, B, 1, "one ", 1, tcp_flag::ack, 1 * k_sec));
  t.add(seg(A, B, 10, "three ", 2, tcp_flag::ack, 2 * k_sec));
  t.add(seg(B, A, 50, "other way", 3, tcp_flag::ack, 5 * k_sec));
  EXPECT_EQ(r.stream(0), "one ");
  t.expire(12 * k_sec);
  EXPECT_EQ(r.stream(0), "one ");
  t.add(seg(B, A, 59, " again", 4, tcp_flag::ack, 12 * k_sec + 1));  // 10 s + 1 ns after the hole appeared
  EXPECT_EQ(r.stream(0), "one three ");
  ASSERT_EQ(r.count(diag_kind::tcp_gap), 1u);
  EXPECT_EQ(r.diags[0].frame.number, 2u);
  EXPECT_EQ(r.stream(1), "other way again");
  t.expire(600 * k_sec);
  EXPECT_TRUE(r.closes.empty());
  t.expire(613 * k_sec);
  ASSERT_EQ(r.closes.size(), 2u);
  EXPECT_EQ(r.closes[0].second, tcp_close_reason::idle);
  EXPECT_EQ(t.open_flows(), 0u);
  EXPECT_EQ(t.stats().idle_closed, 1u);
}

TEST(tcp_stream, rst_and_fin_flush_buffered_bytes) {
  recorder r;
  tcp_reassembler t(r);
  t.add(seg(A, B, 1, "abc", 1));
  t.add(seg(A, B, 10, "xyz", 2));
  t.add(seg(B, A, 7, {}, 3, tcp_flag::rst));
  EXPECT_EQ(r.stream(0), "abcxyz");
  EXPECT_EQ(r.count(diag_kind::tcp_gap), 1u);
  ASSERT_EQ(r.closes.size(), 2u);
  EXPECT_EQ(r.closes[1].second, tcp_close_reason::rst);
  // a new connection on the same 5-tuple gets new stream ids
  t.add(seg(A, B, 500, {}, 4, tcp_flag::syn));
  t.add(seg(A, B, 501, "new", 5));
  EXPECT_EQ(r.stream(2), "new");
  // SYN with another ISN while open: the 5-tuple was reused
  t.add(seg(A, B, 9000, {}, 6, tcp_flag::syn));
  t.add(seg(A, B, 9001, "newer", 7));
  EXPECT_EQ(r.stream(4), "newer");
  EXPECT_EQ(r.closes.back().second, tcp_close_reason::reused);
  t.add(seg(A, B, 9100, "later", 8));
  t.flush();
  EXPECT_EQ(r.stream(4), "newerlater");
  EXPECT_EQ(r.closes.back().second, tcp_close_reason::end_of_capture);
  EXPECT_EQ(t.open_flows(), 0u);
  EXPECT_EQ(t.buffered_bytes(), 0u);
}

TEST(tcp_stream, flow_limit_evicts_least_recent) {
  tcp_limits lim;
  lim.max_flows = 2;
  recorder r;
  tcp_reassembler t(r, lim);
  t.add(seg(ep(1, 1), B, 1, "first", 1));
  t.add(seg(ep(2, 2), B, 1, "second", 2));
  t.add(seg(ep(1, 1), B, 6, " again", 3));  // flow 1 is now the most recent
  t.add(seg(ep(3, 3), B, 1, "third", 4));
  ASSERT_EQ(r.count(diag_kind::tcp_flow_limit), 1u);
  EXPECT_EQ(r.diags[0].frame.number, 4u);
  ASSERT_EQ(r.closes.size(), 2u);
  EXPECT_EQ(r.closes[0].first, 2u);  // flow serial 1 (the second flow), direction 0
  EXPECT_EQ(r.closes[0].second, tcp_close_reason::evicted);
  EXPECT_EQ(t.open_flows(), 2u);
  EXPECT_EQ(t.stats().evicted_flows, 1u);
  EXPECT_EQ(r.stream(0), "first again");
}

TEST(tcp_stream, total_buffer_limit_holds_over_flows) {
  tcp_limits lim;
  lim.total_buffer_limit = 4096;
  recorder r;
  tcp_reassembler t(r, lim);
  const std::string block(500, 'q');
  for (std::uint16_t p = 1; p <= 20; ++p) {
    t.add(seg(ep(1, p), B, 1, "x", p));
    t.add(seg(ep(1, p), B, 100, block, 100 + p));  // a hole at 2..100
    EXPECT_LE(t.buffered_bytes(), 4096u);
  }
  EXPECT_GT(r.count(diag_kind::tcp_buffer_limit), 0u);
  EXPECT_EQ(r.count(diag_kind::tcp_buffer_limit), r.count(diag_kind::tcp_gap));
}
