// The ladder marks the evidence of the verdict (issue 10): for every explain capture
// (corpus/explain, make-explain.py), the rows ladder::mark_evidence() flags are exactly the
// SIP messages the verdict's chain cites, they include every SIP frame the expected verdict
// lists, and the frames the ladder does not draw (TCP SYN/RST, ICMP, RTP) are the ones left over.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"
#include "sipscope/explain/explain.hpp"
#include "sipscope/ladder/layout.hpp"

namespace sipscope::explain {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct handler final : capture::handler {
  correlate::correlator c;
  context ctx;
  void on_sip(const capture::sip_event& e) override { c.on_sip(e); }
  void on_udp(const capture::udp_event& e) override { c.on_udp(e); }
  void on_icmp(const capture::icmp_event& e) override { c.on_icmp(e); }
  void on_tcp(const capture::tcp_event& e) override { c.on_tcp(e); }
  void on_diag(const capture::diag_event& e) override { add_loss(ctx, e); }
};

class LadderEvidence : public ::testing::TestWithParam<std::string> {};

TEST_P(LadderEvidence, MarkedRowsAreTheVerdictsSipEvidence) {
  const fs::path dir = fs::path(SIPSCOPE_CORPUS_DIR) / "explain";
  std::ifstream in(dir / (GetParam() + ".expect.json"));
  const json expect = json::parse(in);
  capture::pipeline pl;
  pl.add_file((dir / (GetParam() + ".pcap")).string());
  handler h;
  ASSERT_TRUE(pl.run(h));
  h.c.finish();
  h.ctx.capture_end = h.c.stats().last_time;
  h.ctx.rtp_packets = h.c.stats().rtp_packets;
  for (const json& x : expect["calls"]) {
    const correlate::record* rec = nullptr;
    for (const correlate::record& r : h.c.records())
      if (r.call_id == x["call_id"].get<std::string>()) rec = &r;
    ASSERT_NE(rec, nullptr) << x["call_id"];
    const verdict v = explain(*rec, h.ctx);
    ASSERT_EQ(v.rule, x["rule"].get<std::string>());
    ladder::layout l = ladder::build({rec}, {});
    std::set<std::uint64_t> sip_frames, band_frames, cited, marked;
    for (const ladder::row& r : l.rows) sip_frames.insert(r.message->frame.number);
    for (const ladder::band& b : l.bands) band_frames.insert(b.stream->first_frame.number);
    std::vector<ladder::evidence_mark> marks;
    for (const evidence& e : v.chain)
      if (e.seen && e.frame.number) {
        marks.push_back({0, e.frame, std::string(v.rule), e.what});
        cited.insert(e.frame.number);
      }
    const std::size_t unplaced = ladder::mark_evidence(l, marks);
    for (const ladder::row& r : l.rows) {
      if (!r.evidence) continue;
      marked.insert(r.message->frame.number);
      EXPECT_EQ(r.evidence_rule, v.rule);
      EXPECT_FALSE(r.evidence_what.empty());
    }
    // Marked rows = the cited frames that are SIP messages of the record.
    std::set<std::uint64_t> cited_sip;
    for (std::uint64_t f : cited)
      if (sip_frames.count(f)) cited_sip.insert(f);
    EXPECT_EQ(marked, cited_sip);
    // Every SIP frame of the expected verdict is marked, every stream it cites has its band
    // marked, and its other frames (TCP SYN/RST, ICMP) are among the marks left over.
    std::set<std::uint64_t> marked_bands;
    for (const ladder::band& b : l.bands)
      if (b.evidence) {
        marked_bands.insert(b.stream->first_frame.number);
        EXPECT_EQ(b.evidence_rule, v.rule);
      }
    std::size_t expected_off_ladder = 0;
    for (const json& f : x["evidence_frames"]) {
      const auto n = f.get<std::uint64_t>();
      if (sip_frames.count(n)) {
        EXPECT_TRUE(marked.count(n)) << "frame " << n << " is not marked";
      } else if (band_frames.count(n)) {
        EXPECT_TRUE(marked_bands.count(n)) << "the stream of frame " << n << " is not marked";
      } else {
        ++expected_off_ladder;
      }
    }
    std::size_t off_ladder = 0;
    for (const ladder::evidence_mark& m : marks)
      off_ladder += sip_frames.count(m.frame.number) || band_frames.count(m.frame.number) ? 0 : 1;
    EXPECT_EQ(unplaced, off_ladder);
    EXPECT_GE(off_ladder, expected_off_ladder);
  }
}

std::vector<std::string> captures() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(SIPSCOPE_CORPUS_DIR) / "explain"))
    if (e.path().extension() == ".pcap") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Explain, LadderEvidence, ::testing::ValuesIn(captures()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string s = i.param;
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });

// The captures of the TCP and media rules: the marked rows are exactly the SIP frames the
// expected verdict lists (make-explain.py), and the TCP / RTP frames it lists are not rows.
TEST(LadderEvidence, TcpRefusedMarksTheInviteAndThe503Only) {
  const fs::path dir = fs::path(SIPSCOPE_CORPUS_DIR) / "explain";
  capture::pipeline pl;
  pl.add_file((dir / "tcp-refused.pcap").string());
  handler h;
  ASSERT_TRUE(pl.run(h));
  h.c.finish();
  h.ctx.capture_end = h.c.stats().last_time;
  const correlate::record* call = nullptr;
  for (const correlate::record& r : h.c.records())
    if (r.kind == correlate::record_kind::call) call = &r;
  ASSERT_NE(call, nullptr);
  const verdict v = explain(*call, h.ctx);
  ladder::layout l = ladder::build({call}, {});
  std::vector<ladder::evidence_mark> marks;
  for (const evidence& e : v.chain)
    if (e.seen && e.frame.number) marks.push_back({0, e.frame, std::string(v.rule), e.what});
  EXPECT_EQ(ladder::mark_evidence(l, marks), 2u);   // the SYN (3) and the RST (4)
  std::vector<std::string> labels;
  for (const ladder::row& r : l.rows)
    if (r.evidence) labels.push_back(r.label + " @" + std::to_string(r.message->frame.number));
  EXPECT_EQ(labels, (std::vector<std::string>{"INVITE CSeq 1 @1", "503 Service Unavailable CSeq 1 @5"}));
}

}  // namespace
}  // namespace sipscope::explain
