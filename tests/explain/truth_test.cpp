// explain against the ground truth of ../shared/bench/gen-capture (issue 10, "Must show"): every
// failed call gets the verdict of its truth outcome (busy, no answer, cancelled, rejected,
// redirect, server failure; one-way audio for answered calls with a silent direction), and
// answered calls without a fault get "completed" (or "low_mos" only when the truth has loss in
// one of its streams). Skipped when the generator or python3 is missing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <unistd.h>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"
#include "sipscope/explain/explain.hpp"

namespace sipscope::explain {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path scratch_dir() { return fs::temp_directory_path() / ("sipscope-explain-truth-" + std::to_string(::getpid())); }

struct scratch_cleanup {
  ~scratch_cleanup() {
    std::error_code ec;
    fs::remove_all(scratch_dir(), ec);
  }
} cleanup_at_exit;

struct generated {
  fs::path capture, truth;
};

generated generate(const std::string& name, const std::string& args) {
  const fs::path gen = SIPSCOPE_GEN_CAPTURE;
  if (!fs::exists(gen) || std::system("python3 -c '' >/dev/null 2>&1") != 0) return {};
  const fs::path dir = scratch_dir();
  fs::create_directories(dir);
  generated g{dir / (name + ".pcap"), dir / (name + ".json")};
  const std::string cmd = "python3 '" + gen.string() + "' -o '" + g.capture.string() + "' --truth '" +
                          g.truth.string() + "' " + args + " 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) return {};
  return g;
}

// The rule a truth outcome must get.
std::string rule_for(const json& c) {
  const std::string s = c["state"];
  if (s == "busy") return "busy";
  if (s == "noanswer") return "no_answer";
  if (s == "cancelled") return "cancelled";
  if (s == "rejected") return "rejected";
  if (s == "redirected") return "redirect";
  if (s == "failed") return "server_error";
  if (s == "completed" && c.value("one_way_audio", false)) return "one_way_audio";
  return "completed";
}

void compare(const generated& g, std::map<std::string, int>& tally) {
  std::ifstream in(g.truth);
  const json truth = json::parse(in);
  capture::pipeline p;
  p.add_file(g.capture.string());
  correlate::correlator c;
  p.run(c);
  c.finish();
  context ctx;
  ctx.capture_end = c.stats().last_time;
  ctx.rtp_packets = c.stats().rtp_packets;
  std::map<std::string, const correlate::record*> by_id;
  for (const correlate::record& r : c.records()) by_id[r.call_id] = &r;
  for (const json& t : truth["calls"]) {
    const std::string id = t["call_id"];
    SCOPED_TRACE("call " + id + " (" + t["state"].get<std::string>() + ")");
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      ADD_FAILURE() << "call missing";
      continue;
    }
    const verdict v = explain(*it->second, ctx);
    const std::string want = rule_for(t);
    ++tally[std::string(v.rule)];
    if (want == "completed" && v.rule == "low_mos") {
      // Acceptable only with loss in the truth: the generator's loss bursts.
      bool loss = false;
      for (const json& s : t["streams"]) loss |= s["lost"].get<std::int64_t>() > 0;
      EXPECT_TRUE(loss) << v.text;
      continue;
    }
    EXPECT_EQ(v.rule, want) << v.text;
    EXPECT_FALSE(v.chain.empty());
    if (want != "completed") {
      EXPECT_NE(v.conf, confidence::low) << v.text;
    }
  }
}

#define REQUIRE_GENERATED(g) \
  if ((g).capture.empty()) GTEST_SKIP() << "gen-capture or python3 not available"

TEST(ExplainTruth, SmallRecipe) {
  // The generator's "small" recipe (as tests/correlate/truth_test.cpp): every outcome, early
  // media, DTMF, one-way audio, auth, fragments, retransmissions, TCP, IPv6.
  generated g = generate("small", "--calls 200 --hold 3-15 --ring-timeout 3-10 --fragment-rate 0.1 "
                                  "--registers 20 --options 20 --seed 42");
  REQUIRE_GENERATED(g);
  std::map<std::string, int> tally;
  compare(g, tally);
  EXPECT_GT(tally["busy"], 0);
  EXPECT_GT(tally["one_way_audio"], 0);
  EXPECT_GT(tally["redirect"], 0);
}

TEST(ExplainTruth, EveryFailureOutcome) {
  // Failures only (and authenticated calls), over UDP, TCP and IPv6, signalling only and with RTP.
  generated g = generate("fail", "--calls 120 --hold 2-4 --ring-timeout 2-4 "
                                 "--mix answered=1,busy=2,noanswer=2,cancelled=2,rejected=2,auth=2,redirect=2,failed=2 "
                                 "--transport udp=50,tcp=25,ipv6=25 --seed 17");
  REQUIRE_GENERATED(g);
  std::map<std::string, int> tally;
  compare(g, tally);
  for (const char* r : {"busy", "no_answer", "cancelled", "rejected", "redirect", "server_error"})
    EXPECT_GT(tally[r], 0) << r;
}

// Any capture and truth (as tests/correlate/truth_test.cpp's FromEnvironment), e.g. random recipes:
//   SIPSCOPE_TRUTH_PCAP=x.pcap SIPSCOPE_TRUTH_JSON=x.json explain_tests --gtest_filter=ExplainTruth.FromEnvironment
TEST(ExplainTruth, FromEnvironment) {
  const char* pcap = std::getenv("SIPSCOPE_TRUTH_PCAP");
  const char* truth = std::getenv("SIPSCOPE_TRUTH_JSON");
  if (!pcap || !truth) GTEST_SKIP() << "set SIPSCOPE_TRUTH_PCAP and SIPSCOPE_TRUTH_JSON to check a capture";
  std::map<std::string, int> tally;
  compare(generated{pcap, truth}, tally);
}

}  // namespace
}  // namespace sipscope::explain
