// The ladder's layout (issue 8) from the project's call-flow captures (corpus/calls, written by
// make-calls.py): which columns, in which order, which arrows between which columns, with which
// labels, retransmissions and SDP badges, and where RTP bands go.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"
#include "sipscope/ladder/layout.hpp"

namespace {

using namespace sipscope;
namespace lad = sipscope::ladder;

struct loaded {
  std::unique_ptr<correlate::correlator> c;
  std::vector<const correlate::record*> calls;
};

loaded load(const std::string& name) {
  loaded out;
  capture::pipeline p;
  p.add_file((std::filesystem::path(SIPSCOPE_CORPUS_DIR) / "calls" / (name + ".pcap")).string());
  out.c = std::make_unique<correlate::correlator>();
  EXPECT_TRUE(p.run(*out.c));
  out.c->finish();
  for (const correlate::record& r : out.c->records())
    if (r.kind == correlate::record_kind::call) out.calls.push_back(&r);
  return out;
}

std::vector<std::string> hosts(const lad::layout& l) {
  std::vector<std::string> h;
  for (const lad::column& c : l.columns) h.push_back(c.host.to_string());
  return h;
}

std::vector<std::string> labels(const lad::layout& l) {
  std::vector<std::string> v;
  for (const lad::row& r : l.rows) v.push_back(r.label);
  return v;
}

TEST(LadderLayout, BasicCallThroughTwoProxies) {
  const loaded d = load("basic-call");
  ASSERT_EQ(d.calls.size(), 1u);
  const lad::layout l = lad::build(d.calls, {});
  // Alice, her proxy, Bob's proxy, Bob: in order of first appearance.
  EXPECT_EQ(hosts(l), (std::vector<std::string>{"192.0.2.101:5060", "192.0.2.10:5060", "198.51.100.10:5060",
                                                 "198.51.100.20:5060"}));
  ASSERT_EQ(l.rows.size(), 20u);
  EXPECT_EQ(l.rows[0].label, "INVITE CSeq 1");
  EXPECT_EQ(l.rows[0].from, 0u);
  EXPECT_EQ(l.rows[0].to, 1u);
  EXPECT_EQ(l.rows[0].kind, lad::arrow_kind::request);
  EXPECT_EQ(l.rows[0].sdp_badge, "SDP PCMU 192.0.2.101:49172 sendrecv");
  EXPECT_EQ(l.rows[1].label, "100 Trying CSeq 1");
  EXPECT_EQ(l.rows[1].from, 1u);
  EXPECT_EQ(l.rows[1].to, 0u);
  EXPECT_EQ(l.rows[1].kind, lad::arrow_kind::provisional);
  EXPECT_TRUE(l.rows[1].sdp_badge.empty());
  // Bob's 200 OK (row 8) starts the right-to-left hops, with his SDP.
  EXPECT_EQ(l.rows[8].label, "200 OK CSeq 1");
  EXPECT_EQ(l.rows[8].from, 3u);
  EXPECT_EQ(l.rows[8].to, 2u);
  EXPECT_EQ(l.rows[8].kind, lad::arrow_kind::success);
  EXPECT_EQ(l.rows[8].sdp_badge, "SDP PCMU 198.51.100.20:3456 sendrecv");
  EXPECT_EQ(l.rows.back().label, "200 OK CSeq 2");
  EXPECT_FALSE(l.any_retransmission);
  EXPECT_EQ(l.t0, l.rows.front().message->time);
  for (std::size_t i = 1; i < l.rows.size(); ++i) EXPECT_LE(l.rows[i - 1].message->time, l.rows[i].message->time);

  // Two RTP streams Alice <-> Bob: bands between columns 0 and 3 (the SIP hosts' IPs), one lane
  // each, no media-only column.
  ASSERT_EQ(l.bands.size(), 2u);
  EXPECT_EQ(l.columns.size(), 4u);
  EXPECT_EQ(l.bands[0].from, 0u);
  EXPECT_EQ(l.bands[0].to, 3u);
  EXPECT_EQ(l.bands[1].from, 3u);
  EXPECT_EQ(l.bands[1].to, 0u);
  EXPECT_EQ(l.bands[0].lane, 0u);
  EXPECT_EQ(l.bands[1].lane, 1u);
  EXPECT_EQ(l.bands[0].label.rfind("PCMU 130 pkts, loss 0.0 %, jitter 0.0 ms, MOS 4.", 0), 0u) << l.bands[0].label;
  EXPECT_FALSE(l.bands[0].bad);
}

TEST(LadderLayout, AuthChallengeThroughProxies) {
  const loaded d = load("auth-proxy-407");
  ASSERT_EQ(d.calls.size(), 1u);
  const lad::layout l = lad::build(d.calls, {});
  EXPECT_EQ(hosts(l), (std::vector<std::string>{"192.0.2.101:5060", "192.0.2.10:5060", "198.51.100.10:5060",
                                                 "198.51.100.20:5060"}));
  const std::vector<std::string> lab = labels(l);
  ASSERT_GE(lab.size(), 5u);
  EXPECT_EQ(lab[0], "INVITE CSeq 1");
  EXPECT_EQ(lab[1], "407 Proxy Authentication Required CSeq 1");
  EXPECT_EQ(lab[2], "ACK CSeq 1");
  EXPECT_EQ(lab[3], "INVITE CSeq 2");
  EXPECT_EQ(l.rows[1].kind, lad::arrow_kind::failure);
  EXPECT_EQ(l.rows[1].from, 1u);
  EXPECT_EQ(l.rows[1].to, 0u);
  // The second challenge comes from Bob's proxy: 198.51.100.10 -> 192.0.2.10.
  std::size_t challenges = 0;
  for (const lad::row& r : l.rows)
    if (r.message->status == 407) ++challenges;
  EXPECT_EQ(challenges, 3u);
  EXPECT_EQ(l.rows[5].label, "INVITE CSeq 2");
  EXPECT_EQ(l.rows[5].from, 1u);
  EXPECT_EQ(l.rows[5].to, 2u);
  EXPECT_EQ(l.rows[6].label, "407 Proxy Authentication Required CSeq 2");
  EXPECT_EQ(l.rows[6].from, 2u);
  EXPECT_EQ(l.rows[6].to, 1u);
  EXPECT_EQ(l.rows.size(), d.calls[0]->messages.size());
}

TEST(LadderLayout, RetransmissionsFlagged) {
  const loaded d = load("retransmissions");
  ASSERT_EQ(d.calls.size(), 1u);
  const lad::layout l = lad::build(d.calls, {});
  ASSERT_EQ(l.rows.size(), 9u);
  EXPECT_TRUE(l.any_retransmission);
  std::vector<std::size_t> rtx;
  for (std::size_t i = 0; i < l.rows.size(); ++i)
    if (l.rows[i].retransmission) rtx.push_back(i);
  EXPECT_EQ(rtx, (std::vector<std::size_t>{1, 5}));
  EXPECT_EQ(l.rows[1].label, "INVITE CSeq 1");
  EXPECT_EQ(l.rows[5].label, "200 OK CSeq 1");
  // A retransmitted body is not summarised again: a bare badge.
  EXPECT_EQ(l.rows[1].sdp_badge, "SDP");
}

TEST(LadderLayout, B2buaLegsMergeIntoOneLadder) {
  const loaded d = load("b2bua");
  ASSERT_EQ(d.calls.size(), 2u);
  const lad::layout l = lad::build(d.calls, {});
  // Alice, the B2BUA, Bob: the B2BUA's column is shared by both legs.
  EXPECT_EQ(hosts(l), (std::vector<std::string>{"192.0.2.101:5060", "203.0.113.10:5060", "198.51.100.20:5060"}));
  EXPECT_EQ(l.rows.size(), d.calls[0]->messages.size() + d.calls[1]->messages.size());
  // Rows interleave the legs by time: A-leg INVITE, its 100, then the B-leg INVITE.
  EXPECT_EQ(l.rows[0].record, 0u);
  EXPECT_EQ(l.rows[1].record, 0u);
  EXPECT_EQ(l.rows[2].record, 1u);
  EXPECT_EQ(l.rows[2].label, "INVITE CSeq 1");
  EXPECT_EQ(l.rows[2].from, 1u);
  EXPECT_EQ(l.rows[2].to, 2u);
  // 180 of the B leg (Bob -> B2BUA) precedes the A leg's 180 (B2BUA -> Alice).
  EXPECT_EQ(l.rows[4].label, "180 Ringing CSeq 1");
  EXPECT_EQ(l.rows[4].record, 1u);
  EXPECT_EQ(l.rows[5].record, 0u);
  // Four streams: two per leg, each between the B2BUA and one party.
  ASSERT_EQ(l.bands.size(), 4u);
  std::size_t a_side = 0, b_side = 0;
  for (const lad::band& b : l.bands) {
    const std::size_t lo = std::min(b.from, b.to), hi = std::max(b.from, b.to);
    if (lo == 0 && hi == 1) ++a_side;
    if (lo == 1 && hi == 2) ++b_side;
  }
  EXPECT_EQ(a_side, 2u);
  EXPECT_EQ(b_side, 2u);

  // Geometry: evenly spaced columns and rows, an SDP row taller, bands' y inside the rows'.
  lad::geometry g;
  const lad::placement p = lad::place(l, g);
  ASSERT_EQ(p.column_x.size(), 3u);
  EXPECT_FLOAT_EQ(p.column_x[1] - p.column_x[0], g.spacing);
  EXPECT_FLOAT_EQ(p.row_y[0], g.top);
  EXPECT_FLOAT_EQ(p.row_y[1], g.top + g.row_height + g.sdp_extra);   // row 0 carries SDP
  EXPECT_FLOAT_EQ(p.row_y[2], p.row_y[1] + g.row_height);             // row 1 (100 Trying) does not
  for (const lad::band& b : l.bands) {
    const float y1 = p.y_at(l, b.stream->start), y2 = p.y_at(l, b.stream->end);
    EXPECT_LE(y1, y2);
    EXPECT_GE(y1, p.row_y.front());
    EXPECT_LE(y2, p.row_y.back());
    // Media starts after the answer's ACK and ends before the BYE: between those rows.
    EXPECT_GT(y1, p.row_y[8]);
  }
  // Each band sits between the last message before its first packet and the first message
  // after its last one; the room for its label is added below the first.
  for (std::size_t i = 0; i < l.bands.size(); ++i) {
    const lad::band& b = l.bands[i];
    SCOPED_TRACE(b.label);
    ASSERT_LT(b.row_begin + 1, l.rows.size());
    EXPECT_LE(l.rows[b.row_begin].message->time, b.stream->start);
    EXPECT_GT(l.rows[b.row_begin + 1].message->time, b.stream->start);
    ASSERT_NE(b.row_end, lad::npos);
    EXPECT_GE(l.rows[b.row_end].message->time, b.stream->end);
    EXPECT_LT(l.rows[b.row_end - 1].message->time, b.stream->end);
    // Media runs from after the ACKs (rows 8, 9) to the BYEs (rows 10, 12).
    EXPECT_GE(b.row_begin, 8u);
    EXPECT_TRUE(b.row_end == 10u || b.row_end == 12u) << b.row_end;
  }
  lad::geometry gb = g;
  gb.band_extra = 20;
  const lad::placement pb = lad::place(l, gb);
  ASSERT_EQ(pb.band_y.size(), l.bands.size());
  std::vector<float> tops = pb.band_y;
  std::sort(tops.begin(), tops.end());
  EXPECT_TRUE(std::adjacent_find(tops.begin(), tops.end()) == tops.end());   // no two labels on one line
  for (std::size_t i = 0; i < l.bands.size(); ++i) {
    EXPECT_GT(pb.band_y[i], pb.row_y[l.bands[i].row_begin]);
    EXPECT_LT(pb.band_y[i] + gb.band_extra, pb.row_y[l.bands[i].row_begin + 1] + 0.01f);
  }
  EXPECT_FLOAT_EQ(pb.height - p.height, 4 * gb.band_extra);

  EXPECT_EQ(p.row_at(p.row_y[3] + 2, g.row_height), 3u);
  EXPECT_EQ(p.row_at(p.row_y[3] - 2, g.row_height), 3u);
  EXPECT_EQ(p.first_row_below(p.row_y[4] - 1), 4u);
  EXPECT_EQ(p.row_at(-100, g.row_height), lad::npos);
}

TEST(LadderLayout, AliasesAndUserAgentsNameColumns) {
  const loaded d = load("b2bua");
  lad::options o;
  o.aliases = {{"203.0.113.10", "sbc"}, {"192.0.2.101:5060", "alice"}, {"192.0.2.101", "not-this"}};
  const lad::layout l = lad::build(d.calls, o);
  ASSERT_EQ(l.columns.size(), 3u);
  EXPECT_EQ(l.columns[0].alias, "alice");   // IP:port wins over IP
  EXPECT_EQ(l.columns[1].alias, "sbc");
  EXPECT_EQ(l.columns[2].alias, "");
  EXPECT_EQ(l.columns[0].name(), "alice");
  // Without an alias, a column is named by the User-Agent/Server of the first message it sent
  // that had one (the corpus captures carry none: set them on a copy of the A leg).
  correlate::record a = *d.calls[0];
  ASSERT_GE(a.messages.size(), 3u);
  a.messages[1].user_agent = "SBC/2.1";         // 100 Trying, B2BUA -> Alice
  a.messages[2].user_agent = "SBC/other";       // 180 Ringing, B2BUA again: the first one stays
  a.messages[0].user_agent = "";                // Alice's INVITE: none
  a.messages[a.messages.size() - 2].user_agent = a.messages[a.messages.size() - 2].src == a.messages[0].src ? "Phone/1" : "";
  const lad::layout u = lad::build({&a}, {});
  ASSERT_EQ(u.columns.size(), 2u);
  EXPECT_EQ(u.columns[1].user_agent, "SBC/2.1");
  EXPECT_EQ(u.columns[1].name(), "SBC/2.1");
  EXPECT_EQ(u.columns[0].user_agent, "Phone/1");   // Alice's BYE carried one
  lad::options named;
  named.aliases = {{"203.0.113.10", "sbc"}};
  EXPECT_EQ(lad::build({&a}, named).columns[1].name(), "sbc");   // an alias wins
}

TEST(LadderLayout, MediaOnlyColumnForAnUnknownIp) {
  const loaded d = load("b2bua");
  // The A leg alone: its streams are Alice <-> B2BUA, both SIP hosts; the B leg alone too. Take
  // the A leg and keep only the B leg's streams' record: Bob's IP has no SIP message in the A
  // leg, so a B-leg stream drawn on the A leg's ladder needs a media-only column.
  correlate::record a = *d.calls[0];
  a.streams = d.calls[1]->streams;
  const lad::layout with = lad::build({&a}, {});
  ASSERT_EQ(with.columns.size(), 3u);
  EXPECT_TRUE(with.columns[2].media_only);
  EXPECT_EQ(with.columns[2].host.ip.to_string(), "198.51.100.20");
  EXPECT_EQ(with.bands.size(), 2u);
  lad::options no_media;
  no_media.media_columns = false;
  const lad::layout without = lad::build({&a}, no_media);
  EXPECT_EQ(without.columns.size(), 2u);
  EXPECT_TRUE(without.bands.empty());
}

TEST(LadderLayout, TimeAxis) {
  const correlate::timestamp_ns t0 = 1735732800'000'000'000;   // 2025-01-01 12:00:00 UTC
  EXPECT_EQ(lad::time_label(t0 + 3'811'000'000, t0, lad::time_axis::absolute), "12:00:03.811");
  EXPECT_EQ(lad::time_label(t0 + 3'811'000'000, t0, lad::time_axis::relative), "+3811ms");
  EXPECT_EQ(lad::time_label(t0, t0, lad::time_axis::relative), "+0ms");
}

TEST(LadderLayout, EmptyInput) {
  const lad::layout l = lad::build({}, {});
  EXPECT_TRUE(l.columns.empty());
  EXPECT_TRUE(l.rows.empty());
  EXPECT_EQ(l.t0, 0);
  const lad::placement p = lad::place(l, {});
  EXPECT_EQ(p.y_at(l, 5), 0.0f);
  EXPECT_EQ(p.row_at(10, 34), lad::npos);
}

}  // namespace
