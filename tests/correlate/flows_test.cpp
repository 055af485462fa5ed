// The correlator on the project's own call-flow captures (corpus/calls, made by
// make-calls.py after RFC 3665 and RFC 5359): each NAME.pcap is correlated and compared with
// NAME.expect.json. Every field an expectation names is compared; the lists of calls,
// registrations and other records must match exactly (nothing missing, nothing invented).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"

namespace sipscope::correlate {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path flows_dir() { return fs::path(SIPSCOPE_CORPUS_DIR) / "calls"; }

std::vector<std::string> flow_names() {
  std::vector<std::string> v;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(flows_dir(), ec)) {
    const std::string n = e.path().filename().string();
    const std::string suffix = ".expect.json";
    if (n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      v.push_back(n.substr(0, n.size() - suffix.size()));
  }
  std::sort(v.begin(), v.end());
  return v;
}

std::optional<timestamp_ns> to_ns(const json& v) {
  return static_cast<timestamp_ns>(std::llround(v.get<double>() * 1e6)) * 1000;
}

std::string plain(const endpoint& e) {
  return e.ip.family == 6 ? "[" + e.ip.to_string() + "]:" + std::to_string(e.port) : e.to_string();
}

class Flow : public ::testing::TestWithParam<std::string> {};

TEST_P(Flow, MatchesExpectation) {
  const std::string name = GetParam();
  std::ifstream in(flows_dir() / (name + ".expect.json"));
  const json want = json::parse(in);
  SCOPED_TRACE(want.value("description", ""));

  capture::pipeline p;
  p.add_file((flows_dir() / (name + ".pcap")).string());
  correlator c;
  ASSERT_TRUE(p.run(c));
  c.finish();
  EXPECT_EQ(c.stats().sip_unusable, 0u);
  EXPECT_EQ(c.stats().sip_malformed, 0u);

  std::map<std::string, const record*> calls, others;
  std::vector<const record*> regs;
  for (const record& r : c.records()) {
    if (r.kind == record_kind::call) calls[r.call_id] = &r;
    else if (r.kind == record_kind::registration) regs.push_back(&r);
    else others[r.call_id] = &r;
  }
  EXPECT_EQ(calls.size(), want["calls"].size());
  EXPECT_EQ(regs.size(), want["registrations"].size());
  EXPECT_EQ(others.size(), want["others"].size());

  for (const json& wc : want["calls"]) {
    const std::string id = wc["call_id"];
    SCOPED_TRACE("call " + id);
    auto it = calls.find(id);
    if (it == calls.end()) {
      ADD_FAILURE() << "call missing";
      continue;
    }
    const record& r = *it->second;
    if (wc.contains("state")) { EXPECT_EQ(std::string(to_string(r.state)), wc["state"].get<std::string>()); }
    if (wc.contains("final_status")) { EXPECT_EQ(r.final_status, wc["final_status"].get<int>()); }
    if (wc.contains("answered")) { EXPECT_EQ(r.times.answer.has_value(), wc["answered"].get<bool>()); }
    if (wc.contains("caller")) { EXPECT_EQ(r.caller.uri, wc["caller"].get<std::string>()); }
    if (wc.contains("callee")) { EXPECT_EQ(r.callee.uri, wc["callee"].get<std::string>()); }
    if (wc.contains("caller_display")) { EXPECT_EQ(r.caller.display, wc["caller_display"].get<std::string>()); }
    if (wc.contains("request_uri")) { EXPECT_EQ(r.request_uri, wc["request_uri"].get<std::string>()); }
    if (wc.contains("hangup")) {
      EXPECT_EQ(std::string(to_string(r.hangup)), wc["hangup"].is_null() ? "none" : wc["hangup"].get<std::string>());
    }
    if (wc.contains("auth_challenges")) { EXPECT_EQ(r.auth_challenges, wc["auth_challenges"].get<std::uint32_t>()); }
    if (wc.contains("dialogs")) { EXPECT_EQ(r.dialogs.size(), wc["dialogs"].get<std::size_t>()); }
    if (wc.contains("sip_messages")) { EXPECT_EQ(r.sip_messages, wc["sip_messages"].get<std::uint32_t>()); }
    if (wc.contains("retransmissions")) { EXPECT_EQ(r.retransmissions, wc["retransmissions"].get<std::uint32_t>()); }
    if (wc.contains("holds")) { EXPECT_EQ(r.holds, wc["holds"].get<std::uint32_t>()); }
    if (wc.contains("legs")) {
      std::set<std::string> a(r.legs.begin(), r.legs.end());
      std::set<std::string> b;
      for (const json& l : wc["legs"]) b.insert(l.get<std::string>());
      EXPECT_EQ(a, b);
    }
    if (wc.contains("times")) {
      const json& t = wc["times"];
      auto check = [&](const char* key, const std::optional<timestamp_ns>& ours) {
        SCOPED_TRACE(key);
        if (!t.contains(key)) {
          EXPECT_FALSE(ours.has_value()) << "not expected, ours " << (ours ? *ours : 0);
          return;
        }
        ASSERT_TRUE(ours.has_value());
        EXPECT_EQ(*ours, *to_ns(t[key]));
      };
      check("invite", r.times.invite);
      check("first_18x", r.times.first_18x);
      check("answer", r.times.answer);
      check("ack", r.times.ack);
      check("bye", r.times.bye);
      check("cancel", r.times.cancel);
      check("final", r.times.final);
      check("end", r.times.end);
    }
    if (wc.contains("streams")) {
      EXPECT_EQ(r.streams.size(), wc["streams"].size());
      for (const json& ws : wc["streams"]) {
        SCOPED_TRACE("stream " + ws["src"].get<std::string>() + " -> " + ws["dst"].get<std::string>());
        const stream_info* found = nullptr;
        for (const stream_info& s : r.streams)
          if (plain(s.src) == ws["src"].get<std::string>() && plain(s.dst) == ws["dst"].get<std::string>()) found = &s;
        if (!found) {
          ADD_FAILURE() << "stream missing";
          continue;
        }
        if (ws.contains("payload_type")) { EXPECT_EQ(found->payload_type, ws["payload_type"].get<int>()); }
        if (ws.contains("packets")) { EXPECT_EQ(found->packets, ws["packets"].get<std::uint64_t>()); }
        if (ws.contains("lost")) { EXPECT_EQ(found->lost, ws["lost"].get<std::int64_t>()); }
      }
    }
  }

  for (const json& wr : want["registrations"]) {
    const std::string aor = wr["aor"];
    SCOPED_TRACE("registration " + aor);
    const record* r = nullptr;
    for (const record* x : regs)
      if (x->aor == aor) r = x;
    if (!r) {
      ADD_FAILURE() << "registration missing";
      continue;
    }
    if (wr.contains("contact")) { EXPECT_EQ(r->contact, wr["contact"].get<std::string>()); }
    if (wr.contains("expires")) { EXPECT_EQ(r->expires, wr["expires"].get<std::uint32_t>()); }
    if (wr.contains("final_status")) { EXPECT_EQ(r->final_status, wr["final_status"].get<int>()); }
    if (wr.contains("state")) { EXPECT_EQ(std::string(to_string(r->outcome)), wr["state"].get<std::string>()); }
    if (wr.contains("challenged")) { EXPECT_EQ(r->challenged, wr["challenged"].get<bool>()); }
  }

  for (const json& wo : want["others"]) {
    const std::string id = wo["call_id"];
    SCOPED_TRACE("other " + id);
    auto it = others.find(id);
    if (it == others.end()) {
      ADD_FAILURE() << "record missing";
      continue;
    }
    const record& r = *it->second;
    std::string kind = wo["kind"];
    if (kind == "subscribe") kind = "subscription";
    EXPECT_EQ(std::string(to_string(r.kind)), kind);
    if (wo.contains("final_status")) { EXPECT_EQ(r.final_status, wo["final_status"].get<int>()); }
    if (wo.contains("event")) { EXPECT_EQ(r.event, wo["event"].get<std::string>()); }
    if (wo.contains("subscription_state")) {
      EXPECT_EQ(r.subscription_state, wo["subscription_state"].get<std::string>());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Calls, Flow, ::testing::ValuesIn(flow_names()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Flow);

}  // namespace
}  // namespace sipscope::correlate
