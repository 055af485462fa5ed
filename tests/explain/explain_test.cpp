// explain (issue 10): each rule against the capture made for it (corpus/explain, written by
// make-explain.py with the expected verdict and evidence frames), the captures of corpus/calls
// that already show a rule, and the rules table itself.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"
#include "sipscope/explain/explain.hpp"

namespace sipscope::explain {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path corpus = fs::path(SIPSCOPE_CORPUS_DIR);

struct run {
  std::vector<correlate::record> records;
  context ctx;
};

// The correlator, and the capture's diagnostics for explain's context.
struct handler final : capture::handler {
  correlate::correlator c;
  context ctx;
  void on_sip(const capture::sip_event& e) override { c.on_sip(e); }
  void on_udp(const capture::udp_event& e) override { c.on_udp(e); }
  void on_icmp(const capture::icmp_event& e) override { c.on_icmp(e); }
  void on_tcp(const capture::tcp_event& e) override { c.on_tcp(e); }
  void on_diag(const capture::diag_event& e) override { add_loss(ctx, e); }
};

run correlate_file(const fs::path& p) {
  capture::pipeline pl;
  pl.add_file(p.string());
  handler h;
  pl.run(h);
  correlate::correlator& c = h.c;
  c.finish();
  run r;
  r.ctx = h.ctx;
  r.records = c.records();
  r.ctx.capture_end = c.stats().last_time;
  r.ctx.rtp_packets = c.stats().rtp_packets;
  return r;
}

json load(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

std::string chain_text(const verdict& v) {
  std::ostringstream s;
  s << v.rule << ": " << v.text << "\n";
  for (const evidence& e : v.chain)
    s << "  " << (e.seen ? "seen " : "NOT  ") << e.frame.number << " " << e.what << " | " << e.detail << "\n";
  return s.str();
}

// One expectation of make-explain.py against the verdict.
void check(const json& x, const verdict& v) {
  SCOPED_TRACE(chain_text(v));
  EXPECT_EQ(v.rule, x["rule"].get<std::string>());
  EXPECT_EQ(to_string(v.conf), x["confidence"].get<std::string>());
  std::set<std::uint64_t> seen;
  std::size_t not_seen = 0;
  for (const evidence& e : v.chain) {
    if (e.seen && e.frame.number) seen.insert(e.frame.number);
    if (!e.seen) ++not_seen;
  }
  for (const json& f : x["evidence_frames"])
    EXPECT_TRUE(seen.count(f.get<std::uint64_t>())) << "frame " << f << " is not cited as seen";
  EXPECT_GE(not_seen, x["not_seen_at_least"].get<std::size_t>());
  if (x.contains("verdict_contains")) {
    for (const json& w : x["verdict_contains"]) {
      EXPECT_NE(v.text.find(w.get<std::string>()), std::string::npos) << "verdict lacks: " << w;
    }
  }
  if (x.contains("also_contains")) {
    for (const json& a : x["also_contains"]) {
      EXPECT_NE(std::find(v.also.begin(), v.also.end(), a.get<std::string>()), v.also.end()) << "also lacks " << a;
    }
  }
  EXPECT_FALSE(v.next.empty());
  EXPECT_FALSE(v.rfc.empty());
  // The chain is in time order where it cites times (evidence read top to bottom).
  timestamp_ns last = 0;
  for (const evidence& e : v.chain) {
    if (!e.time || !e.seen) continue;
    EXPECT_GE(e.time, last) << e.what;
    last = e.time;
  }
}

std::vector<std::string> explain_captures() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(corpus / "explain"))
    if (e.path().extension() == ".pcap") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class Rule : public ::testing::TestWithParam<std::string> {};

TEST_P(Rule, CaptureGetsItsVerdict) {
  const fs::path pcap = corpus / "explain" / (GetParam() + ".pcap");
  const json expect = load(corpus / "explain" / (GetParam() + ".expect.json"));
  run res = correlate_file(pcap);
  ASSERT_FALSE(expect["calls"].empty());
  for (const json& x : expect["calls"]) {
    SCOPED_TRACE(x["call_id"].get<std::string>());
    auto it = std::find_if(res.records.begin(), res.records.end(),
                           [&](const correlate::record& r) { return r.call_id == x["call_id"].get<std::string>(); });
    ASSERT_NE(it, res.records.end());
    check(x, explain(*it, res.ctx));
  }
}

INSTANTIATE_TEST_SUITE_P(Explain, Rule, ::testing::ValuesIn(explain_captures()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(Explain, CorpusCallsVerdicts) {
  const json expect = load(corpus / "explain" / "corpus-calls.expect.json");
  ASSERT_FALSE(expect["captures"].empty());
  for (const auto& [name, x] : expect["captures"].items()) {
    SCOPED_TRACE(name);
    run res = correlate_file(corpus / "calls" / (name + ".pcap"));
    const correlate::record* call = nullptr;
    for (const correlate::record& r : res.records)
      if (r.kind == correlate::record_kind::call && !call) call = &r;
    ASSERT_NE(call, nullptr);
    verdict v = explain(*call, res.ctx);
    SCOPED_TRACE(chain_text(v));
    EXPECT_EQ(v.rule, x["rule"].get<std::string>());
    EXPECT_EQ(to_string(v.conf), x["confidence"].get<std::string>());
    for (const json& w : x["verdict_contains"])
      EXPECT_NE(v.text.find(w.get<std::string>()), std::string::npos) << "verdict lacks: " << w;
    EXPECT_FALSE(v.chain.empty());
  }
}

TEST(Explain, EveryRuleHasACaseAndADoc) {
  // Each rule of the table is the expected verdict of some test capture (the fallback
  // "unexplained", "request_ok" of non-call records and "media_not_captured", which only shows
  // in `also` on SIP-only captures, are checked by the tests below), and docs/verdicts.md
  // documents it.
  std::set<std::string> covered;
  for (const std::string& n : explain_captures()) {
    const json e = load(corpus / "explain" / (n + ".expect.json"));
    for (const json& x : e["calls"]) covered.insert(x["rule"].get<std::string>());
  }
  const json calls = load(corpus / "explain" / "corpus-calls.expect.json");
  for (const auto& [name, x] : calls["captures"].items()) covered.insert(x["rule"].get<std::string>());
  std::ifstream doc(fs::path(SIPSCOPE_SOURCE_DIR) / "docs" / "verdicts.md");
  std::stringstream docs;
  docs << doc.rdbuf();
  std::set<std::string_view> ids;
  for (const rule& r : rules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate rule id " << r.id;
    EXPECT_FALSE(r.doc.empty()) << r.id;
    EXPECT_FALSE(r.rfc.empty()) << r.id;
    if (r.id != "unexplained" && r.id != "request_ok" && r.id != "media_not_captured" && r.id != "capture_lost_packets") {
      EXPECT_TRUE(covered.count(std::string(r.id))) << "no test capture for rule " << r.id;
    }
    std::string quoted = "`";
    quoted.append(r.id);
    quoted.push_back('`');
    EXPECT_NE(docs.str().find(quoted), std::string::npos) << r.id << " not in docs/verdicts.md";
  }
}

TEST(Explain, SipOnlyCaptureSaysMediaNotCaptured) {
  // corpus/calls/callee-hangup.pcap has SIP only: the call completed, and the media cannot be
  // judged, which `also` says instead of blaming the network (no no_rtp verdict).
  run res = correlate_file(corpus / "calls" / "callee-hangup.pcap");
  ASSERT_EQ(res.records.size(), 1u);
  verdict v = explain(res.records[0], res.ctx);
  EXPECT_EQ(v.rule, "completed");
  EXPECT_NE(std::find(v.also.begin(), v.also.end(), "media_not_captured"), v.also.end());
  EXPECT_EQ(std::find(v.also.begin(), v.also.end(), "no_rtp"), v.also.end());
}

TEST(Explain, RegistrationsGetRequestRules) {
  run res = correlate_file(corpus / "calls" / "register-auth.pcap");
  ASSERT_FALSE(res.records.empty());
  verdict v = explain(res.records[0], res.ctx);
  EXPECT_EQ(v.rule, "request_ok");
  EXPECT_NE(v.text.find("after 1 challenge"), std::string::npos) << v.text;
  run bad = correlate_file(corpus / "calls" / "register-403.pcap");
  ASSERT_FALSE(bad.records.empty());
  verdict w = explain(bad.records[0], bad.ctx);
  // REGISTER, 401, REGISTER with credentials, 403: the credentials were refused.
  EXPECT_EQ(w.rule, "auth_rejected") << w.text;
  EXPECT_NE(w.text.find("403 Forbidden"), std::string::npos) << w.text;
}

TEST(Explain, EmptyRecordIsUnexplainedNotACrash) {
  correlate::record r;
  r.kind = correlate::record_kind::call;
  verdict v = explain(r);
  EXPECT_EQ(v.rule, "unexplained");
  EXPECT_EQ(v.conf, confidence::low);
  r.kind = correlate::record_kind::other;
  r.final_status = 999;
  EXPECT_EQ(explain(r).rule, "unexplained");
}

TEST(Explain, CaptureLossLowersAVerdictFromAbsence) {
  // The one-way audio capture, with a loss of the capture invented inside the call and one
  // outside it: only the first counts, and the verdict (built on RTP not seen) trusts itself
  // one level less and says why.
  run res = correlate_file(corpus / "explain" / "one-way-audio.pcap");
  ASSERT_EQ(res.records.size(), 1u);
  const correlate::record& r = res.records[0];
  verdict before = explain(r, res.ctx);
  ASSERT_EQ(before.rule, "one_way_audio");
  ASSERT_EQ(before.conf, confidence::high);
  context lossy = res.ctx;
  capture::frame_ref inside = r.messages[1].frame, outside = r.messages.back().frame;
  outside.number += 1000;
  add_loss(lossy, capture::diag_event{capture::diag_kind::tcp_gap, true, outside, 0, "x"});
  add_loss(lossy, capture::diag_event{capture::diag_kind::bad_ip_checksum, true, inside, 0, "x"});   // not a loss
  EXPECT_EQ(explain(r, lossy).conf, confidence::high);
  add_loss(lossy, capture::diag_event{capture::diag_kind::snaplen_cut, true, inside, 0, "x"});   // inserted before
  ASSERT_EQ(lossy.losses.size(), 2u);
  EXPECT_EQ(lossy.losses.front().frame.number, inside.number);
  verdict after = explain(r, lossy);
  EXPECT_EQ(after.rule, "one_way_audio");
  EXPECT_EQ(after.conf, confidence::medium);
  EXPECT_NE(after.text.find("1 snaplen_cut"), std::string::npos) << after.text;
  EXPECT_EQ(after.text.find("tcp_gap"), std::string::npos) << after.text;
  EXPECT_NE(std::find(after.also.begin(), after.also.end(), "capture_lost_packets"), after.also.end());
  ASSERT_FALSE(after.chain.empty());
  EXPECT_EQ(after.chain.back().frame.number, inside.number);
  EXPECT_TRUE(is_capture_loss(capture::diag_kind::dropped_by_kernel));
  EXPECT_FALSE(is_capture_loss(capture::diag_kind::bad_ip_checksum));
  // Kernel drops locate no frame: they weaken every verdict built on an absence.
  context dropped = res.ctx;
  add_loss(dropped, capture::diag_event{capture::diag_kind::dropped_by_kernel, true, capture::frame_ref{}, 0, "x"});
  EXPECT_EQ(dropped.kernel_drops, 1u);
  verdict k = explain(r, dropped);
  EXPECT_EQ(k.conf, confidence::medium);
  EXPECT_NE(k.text.find("dropped by the capturing kernel"), std::string::npos) << k.text;
}

TEST(Explain, Q850Causes) {
  EXPECT_EQ(q850_cause(17), "user busy");
  EXPECT_EQ(q850_cause(16), "normal call clearing");
  EXPECT_EQ(q850_cause(21), "call rejected");
  EXPECT_EQ(q850_cause(127), "interworking, unspecified");
  EXPECT_EQ(q850_cause(200), "");
  EXPECT_EQ(reason_cause("Q.850;cause=17;text=\"User busy\""), 17);
  EXPECT_EQ(reason_cause("Q.850 ; cause = 31"), 31);
  EXPECT_EQ(reason_cause("SIP;cause=200;text=\"Call completed elsewhere\""), -1);
  EXPECT_EQ(reason_cause("SIP;cause=487, Q.850;cause=16"), 16);
  EXPECT_EQ(reason_cause("Q.850;cause=abc"), -1);
  EXPECT_EQ(reason_cause("Q.850;cause=4000"), -1);
  EXPECT_EQ(reason_cause(""), -1);
}

TEST(Explain, JsonHasTheEvidence) {
  run res = correlate_file(corpus / "explain" / "busy-reason.pcap");
  const correlate::record* call = nullptr;
  for (const correlate::record& r : res.records)
    if (r.kind == correlate::record_kind::call) call = &r;
  ASSERT_NE(call, nullptr);
  json_writer w(false);
  write_json(w, explain(*call, res.ctx));
  const json j = json::parse(w.str());
  EXPECT_EQ(j["rule"], "busy");
  EXPECT_EQ(j["category"], "signalling");
  EXPECT_EQ(j["confidence"], "high");
  ASSERT_TRUE(j["evidence"].is_array());
  bool reason = false;
  for (const json& e : j["evidence"])
    if (e.contains("detail") && e["detail"].get<std::string>().find("Q.850 cause 17: user busy") != std::string::npos) reason = true;
  EXPECT_TRUE(reason) << j.dump(1);
}

}  // namespace
}  // namespace sipscope::explain
