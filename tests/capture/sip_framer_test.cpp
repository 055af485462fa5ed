// SIP framing on a byte stream (sip_framer.hpp), alone and behind tcp_reassembler.
#include "sipscope/capture/sip_framer.hpp"
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

std::string read_corpus(const char* name) {
  std::ifstream in(std::string(SIPSCOPE_CORPUS_DIR) + "/bench/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string invite = read_corpus("01-invite-sdp.sip");
const std::string trying = read_corpus("02-100-trying.sip");
const std::string ringing = read_corpus("03-180-ringing.sip");
const std::string options = read_corpus("10-options.sip");

struct diag_log : handler {
  std::vector<diag_event> events;
  void on_diag(const diag_event& e) override { events.push_back(e); }
  std::size_t count(diag_kind k) const {
    return static_cast<std::size_t>(std::count_if(events.begin(), events.end(), [k](const diag_event& e) { return e.kind == k; }));
  }
};

struct got {
  std::string bytes;
  std::uint64_t first_frame, frame;
  bool after_resync;
  sipscope::parser::status st;
};

std::vector<got> drain(sip_framer& f, handler* diags = nullptr) {
  std::vector<got> out;
  framed_message m;
  while (f.next(m, diags)) {
    EXPECT_NE(m.parsed, nullptr);
    out.push_back({std::string(m.bytes), m.first_frame.number, m.frame.number, m.after_resync, m.parse_status});
  }
  return out;
}

frame_ref fr(std::uint64_t n) {
  frame_ref r;
  r.number = n;
  return r;
}

}  // namespace

TEST(sip_framer, corpus_messages_parse_on_a_stream) {
  for (const std::string* m : {&invite, &trying, &ringing, &options}) {
    ASSERT_FALSE(m->empty()) << "corpus file missing";
    sip_framer f;
    f.feed(*m, fr(1), 0, false);
    auto msgs = drain(f);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].bytes, *m);
    EXPECT_EQ(msgs[0].st, sipscope::parser::status::ok);
  }
}

TEST(sip_framer, several_messages_in_one_segment) {
  sip_framer f;
  diag_log log;
  f.feed(invite + trying + ringing, fr(7), 0, false, &log);
  auto msgs = drain(f, &log);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].bytes, invite);
  EXPECT_EQ(msgs[1].bytes, trying);
  EXPECT_EQ(msgs[2].bytes, ringing);
  for (const got& g : msgs) {
    EXPECT_EQ(g.first_frame, 7u);
    EXPECT_EQ(g.frame, 7u);
    EXPECT_FALSE(g.after_resync);
  }
  EXPECT_TRUE(log.events.empty());
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(sip_framer, split_at_every_byte_boundary) {
  const std::string all = invite + trying;
  for (std::size_t cut = 1; cut < all.size(); ++cut) {
    sip_framer f;
    diag_log log;
    std::vector<got> msgs;
    f.feed(std::string_view(all).substr(0, cut), fr(1), 0, false, &log);
    for (got& g : drain(f, &log)) msgs.push_back(g);
    f.feed(std::string_view(all).substr(cut), fr(2), 0, false, &log);
    for (got& g : drain(f, &log)) msgs.push_back(g);
    ASSERT_EQ(msgs.size(), 2u) << cut;
    EXPECT_EQ(msgs[0].bytes, invite);
    EXPECT_EQ(msgs[1].bytes, trying);
    EXPECT_EQ(msgs[0].first_frame, 1u);
    EXPECT_EQ(msgs[0].frame, cut >= invite.size() ? 1u : 2u) << cut;
    EXPECT_EQ(msgs[1].first_frame, cut > invite.size() ? 1u : 2u) << cut;
    EXPECT_EQ(msgs[1].frame, 2u);
    EXPECT_TRUE(log.events.empty()) << cut;
  }
}

TEST(sip_framer, one_byte_per_segment) {
  const std::string all = ringing + invite;
  sip_framer f;
  std::vector<got> msgs;
  for (std::size_t i = 0; i < all.size(); ++i) {
    f.feed(std::string_view(all).substr(i, 1), fr(i + 1), 0, false);
    for (got& g : drain(f)) msgs.push_back(g);
  }
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].bytes, ringing);
  EXPECT_EQ(msgs[0].first_frame, 1u);
  EXPECT_EQ(msgs[0].frame, ringing.size());
  EXPECT_EQ(msgs[1].bytes, invite);
  EXPECT_EQ(msgs[1].first_frame, ringing.size() + 1);
  EXPECT_EQ(msgs[1].frame, all.size());
}

TEST(sip_framer, keepalives_are_skipped) {
  sip_framer f;
  diag_log log;
  f.feed("\r\n\r\n", fr(1), 0, false, &log);  // RFC 5626 ping
  EXPECT_TRUE(drain(f, &log).empty());
  f.feed("\r\n", fr(2), 0, false, &log);      // pong
  f.feed(options + "\r\n\r\n" + options.substr(0, 10), fr(3), 0, false, &log);
  f.feed(options.substr(10) + "\r\n", fr(4), 0, false, &log);
  auto msgs = drain(f, &log);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].bytes, options);
  EXPECT_EQ(msgs[1].bytes, options);
  EXPECT_EQ(msgs[1].first_frame, 3u);
  EXPECT_EQ(msgs[1].frame, 4u);
  EXPECT_EQ(f.stats().keepalive_bytes, 12u);  // ping, pong, ping, pong
  EXPECT_TRUE(log.events.empty());
}

TEST(sip_framer, garbage_before_and_between_messages) {
  sip_framer f;
  diag_log log;
  f.feed("this is not SIP\r\nneither: is this\r\n", fr(1), 0, false, &log);
  f.feed(trying + "junk junk\r\nmore junk " + ringing, fr(2), 0, false, &log);
  auto msgs = drain(f, &log);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, trying);
  EXPECT_TRUE(msgs[0].after_resync);
  EXPECT_EQ(msgs[0].first_frame, 2u);
  // "more junk SIP/2.0 180 Ringing" is not a start line, and no line of the 180 is either:
  // the whole 180 is skipped, up to the next start line.
  f.feed(options, fr(3), 0, false, &log);
  msgs = drain(f, &log);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, options);
  EXPECT_TRUE(msgs[0].after_resync);
  EXPECT_EQ(log.count(diag_kind::stream_resync), 2u);  // one per stretch of skipped bytes
  EXPECT_EQ(f.stats().resyncs, 2u);
  EXPECT_EQ(f.stats().skipped_bytes, 35u + 21u + ringing.size());
  EXPECT_FALSE(f.not_sip());
}

TEST(sip_framer, resync_at_the_next_start_line) {
  sip_framer f;
  diag_log log;
  f.feed("xx\r\n" + ringing + "\x01\x02garbage\r\n" + invite, fr(1), 0, false, &log);
  auto msgs = drain(f, &log);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].bytes, ringing);
  EXPECT_EQ(msgs[1].bytes, invite);
  EXPECT_TRUE(msgs[0].after_resync);
  EXPECT_TRUE(msgs[1].after_resync);
  EXPECT_EQ(log.count(diag_kind::stream_resync), 2u);
  EXPECT_EQ(f.stats().skipped_bytes, 4u + 11u);
}

TEST(sip_framer, gap_inside_a_message) {
  sip_framer f;
  diag_log log;
  f.feed(invite.substr(0, 700), fr(1), 0, false, &log);
  EXPECT_TRUE(drain(f, &log).empty());
  // the rest of the INVITE is lost from byte 900 on; the stream continues mid-body
  f.feed(invite.substr(900) + trying, fr(2), 0, true, &log);
  auto msgs = drain(f, &log);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, trying);
  EXPECT_TRUE(msgs[0].after_resync);
  EXPECT_EQ(msgs[0].frame, 2u);
  EXPECT_EQ(log.count(diag_kind::stream_resync), 1u);  // partial message dropped and body skipped: one stretch
  // a gap on a message boundary costs nothing
  f.feed(ringing, fr(3), 0, true, &log);
  msgs = drain(f, &log);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, ringing);
  EXPECT_EQ(log.count(diag_kind::stream_resync), 1u);
}

TEST(sip_framer, body_lines_that_look_like_start_lines_do_not_split) {
  const std::string body = "SIP/2.0 200 OK\r\nINVITE sip:x SIP/2.0\r\n";
  std::string msg = "MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\n"
                    "Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\n"
                    "Call-ID: c1\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: ";
  msg += std::to_string(body.size());
  msg += "\r\n\r\n";
  msg += body;
  sip_framer f;
  f.feed(msg + options, fr(1), 0, false);
  auto msgs = drain(f);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].bytes, msg);
  EXPECT_EQ(msgs[1].bytes, options);
}

TEST(sip_framer, missing_content_length_takes_the_header_section) {
  std::string no_cl = options;
  const std::size_t at = no_cl.find("Content-Length: 0\r\n");
  ASSERT_NE(at, std::string::npos);
  no_cl.erase(at, 19);
  sip_framer f;
  diag_log log;
  f.feed(no_cl + trying, fr(1), 0, false, &log);
  auto msgs = drain(f, &log);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].bytes, no_cl);
  EXPECT_EQ(msgs[0].st, sipscope::parser::status::malformed);
  EXPECT_EQ(msgs[1].bytes, trying);
  EXPECT_EQ(msgs[1].st, sipscope::parser::status::ok);
  EXPECT_EQ(f.stats().no_content_length, 1u);
}

TEST(sip_framer, too_large_message_is_dropped) {
  framer_options opt;
  opt.parse.limit.max_message_size = 1000;
  sip_framer f(opt);
  diag_log log;
  // the INVITE (1842 bytes) exceeds the limit; Content-Length says so before the body arrives
  f.feed(invite.substr(0, 1500), fr(1), 0, false, &log);
  EXPECT_TRUE(drain(f, &log).empty());
  f.feed(invite.substr(1500) + trying, fr(2), 0, false, &log);
  auto msgs = drain(f, &log);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, trying);
  EXPECT_EQ(f.stats().too_large, 1u);
  EXPECT_EQ(log.count(diag_kind::sip_size_limit), 1u);   // the limit is named, not a plain resync
  // headers that never end: the buffer stays bounded
  f.feed("OPTIONS sip:x SIP/2.0\r\n", fr(3), 0, false, &log);
  for (int i = 0; i < 200; ++i) {
    f.feed("X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", fr(4), 0, false, &log);
    drain(f, &log);
    EXPECT_LE(f.buffered(), 1100u);
  }
  EXPECT_EQ(f.stats().too_large, 2u);
  EXPECT_EQ(log.count(diag_kind::sip_size_limit), 2u);
  f.feed(ringing, fr(5), 0, false, &log);
  msgs = drain(f, &log);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, ringing);
}

// Issue 9 (tests/hostile vias): a first message larger than the size limit and than the
// non-SIP probe (100000 Via headers) made the stream "not SIP", and every later message of the
// connection was lost. Its start line says SIP: the message is dropped, the stream is not.
TEST(sip_framer, too_large_first_message_does_not_make_the_stream_non_sip) {
  framer_options opt;
  opt.parse.limit.max_message_size = 1000;
  sip_framer f(opt);
  diag_log log;
  f.feed("INVITE sip:bob@example.com SIP/2.0\r\n", fr(1), 0, false, &log);
  for (int i = 0; i < 2000; ++i)   // 60 KB of Via lines, more than the 16 KiB probe
    f.feed("Via: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK" + std::to_string(100000 + i) + "\r\n", fr(2), 0, false, &log);
  f.feed("Content-Length: 0\r\n\r\n", fr(3), 0, false, &log);
  EXPECT_TRUE(drain(f, &log).empty());
  f.feed(ringing, fr(4), 0, false, &log);
  auto msgs = drain(f, &log);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].bytes, ringing);
  EXPECT_FALSE(f.not_sip());
  EXPECT_EQ(log.count(diag_kind::sip_size_limit), 1u);
  EXPECT_EQ(log.count(diag_kind::not_sip_stream), 0u);
}

TEST(sip_framer, tls_stream_is_recognised_and_ignored) {
  sip_framer f;
  diag_log log;
  const std::string hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  f.feed(hello, fr(1), 0, false, &log);
  EXPECT_TRUE(drain(f, &log).empty());
  EXPECT_TRUE(f.not_sip());
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.events[0].kind, diag_kind::not_sip_stream);
  EXPECT_FALSE(log.events[0].error);
  f.feed(invite, fr(2), 0, false, &log);  // even SIP-looking bytes are ignored now
  EXPECT_TRUE(drain(f, &log).empty());
  EXPECT_EQ(f.buffered(), 0u);
  EXPECT_EQ(f.stats().ignored_bytes, hello.size() + invite.size());
  EXPECT_EQ(log.events.size(), 1u);
}

TEST(sip_framer, other_binary_stream_is_given_up_after_the_probe) {
  sip_framer f;
  diag_log log;
  std::mt19937 rng(7);
  for (int i = 0; i < 40; ++i) {
    std::string block(1000, '\0');
    for (char& c : block) c = static_cast<char>(rng() & 0xff);
    block[0] = 'G';  // not a TLS record
    f.feed(block, fr(static_cast<std::uint64_t>(i + 1)), 0, false, &log);
    drain(f, &log);
    EXPECT_LE(f.buffered(), 17000u);
  }
  EXPECT_TRUE(f.not_sip());
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(sip_framer, start_line_shapes) {
  EXPECT_TRUE(looks_like_start_line("INVITE sip:bob@example.com SIP/2.0"));
  EXPECT_TRUE(looks_like_start_line("FOO-BAR tel:+1555 sip/2.0"));
  EXPECT_TRUE(looks_like_start_line("SIP/2.0 200 OK"));
  EXPECT_TRUE(looks_like_start_line("SIP/2.0 486"));
  EXPECT_FALSE(looks_like_start_line("SIP/2.0 20 OK"));
  EXPECT_FALSE(looks_like_start_line("SIP/2.0 2000 OK"));
  EXPECT_FALSE(looks_like_start_line("HTTP/1.1 200 OK"));
  EXPECT_FALSE(looks_like_start_line("GET / HTTP/1.1"));
  EXPECT_FALSE(looks_like_start_line("INVITE  SIP/2.0"));
  EXPECT_FALSE(looks_like_start_line("Via: SIP/2.0/TCP host"));
  EXPECT_FALSE(looks_like_start_line("INVITE sip:x SIP/2.0 trailing"));
  EXPECT_FALSE(looks_like_start_line(std::string_view("INVITE sip:\x01 SIP/2.0", 22)));
  EXPECT_FALSE(looks_like_start_line(""));
}

// End to end: segments of random sizes, shuffled, retransmitted, through tcp_reassembler.
namespace {
struct pipeline : tcp_consumer {
  std::map<std::uint64_t, sip_framer> framers;
  std::vector<got> msgs;
  diag_log log;
  void on_data(const tcp_chunk& c) override {
    sip_framer& f = framers[c.stream];
    f.feed(c.bytes, c.frame, c.time, c.gap_before, &log);
    for (got& g : drain(f, &log)) msgs.push_back(g);
  }
  void on_diag(const diag_event& e) override { log.on_diag(e); }
};
}  // namespace

TEST(sip_framer, behind_tcp_reassembly_shuffled_segments) {
  const std::string all = invite + "\r\n\r\n" + trying + ringing + options;
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    struct piece { std::uint32_t off; std::size_t len; std::uint64_t frame; };
    std::vector<piece> pieces;
    std::uint64_t n = 1;
    for (std::size_t off = 0; off < all.size();) {
      const std::size_t len = std::min<std::size_t>(1 + rng() % 700, all.size() - off);
      pieces.push_back({static_cast<std::uint32_t>(off), len, n++});
      off += len;
    }
    // shuffle within a window (as networks reorder), and retransmit some
    for (std::size_t i = 0; i + 1 < pieces.size(); ++i)
      if (rng() % 3 == 0) std::swap(pieces[i], pieces[i + 1]);
    const std::size_t copies = pieces.size();
    for (std::size_t i = 0; i < copies; ++i)
      if (rng() % 5 == 0) pieces.push_back(pieces[i]);
    pipeline p;
    tcp_reassembler t(p);
    const std::uint32_t isn = static_cast<std::uint32_t>(rng());
    tcp_segment s;
    s.src.ip.family = s.dst.ip.family = 4;
    s.src.port = 40000;
    s.dst.port = 5060;
    s.seq = isn;
    s.flags = tcp_flag::syn;
    t.add(s);
    for (const piece& pc : pieces) {
      s.seq = isn + 1 + pc.off;
      s.flags = tcp_flag::ack;
      s.payload = std::string_view(all).substr(pc.off, pc.len);
      s.frame.number = pc.frame;
      t.add(s);
    }
    ASSERT_EQ(p.msgs.size(), 4u) << round;
    EXPECT_EQ(p.msgs[0].bytes, invite);
    EXPECT_EQ(p.msgs[1].bytes, trying);
    EXPECT_EQ(p.msgs[2].bytes, ringing);
    EXPECT_EQ(p.msgs[3].bytes, options);
    // the first message starts in frame 1, the last ends in the last piece's frame
    EXPECT_EQ(p.msgs[0].first_frame, 1u);
    EXPECT_EQ(p.msgs[3].frame, n - 1);
    EXPECT_TRUE(p.log.events.empty());
  }
}

TEST(sip_framer, behind_tcp_reassembly_lost_segment_resyncs) {
  const std::string all = invite + trying + ringing;
  pipeline p;
  tcp_limits lim;
  lim.flow_buffer_limit = 2000;
  tcp_reassembler t(p, lim);
  tcp_segment s;
  s.src.ip.family = s.dst.ip.family = 4;
  s.src.port = 40000;
  s.dst.port = 5060;
  std::uint64_t frame = 1;
  for (std::size_t off = 0; off < all.size(); off += 200, ++frame) {
    if (frame == 3) continue;  // lost inside the INVITE
    s.seq = 1000 + static_cast<std::uint32_t>(off);
    s.payload = std::string_view(all).substr(off, 200);
    s.frame.number = frame;
    t.add(s);
  }
  t.flush();
  ASSERT_EQ(p.msgs.size(), 2u);
  EXPECT_EQ(p.msgs[0].bytes, trying);
  EXPECT_EQ(p.msgs[1].bytes, ringing);
  EXPECT_TRUE(p.msgs[0].after_resync);
  EXPECT_EQ(p.log.count(diag_kind::tcp_gap), 1u);
  EXPECT_GE(p.log.count(diag_kind::stream_resync), 1u);
}
