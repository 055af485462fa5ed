// The correlator against the ground truth of ../shared/bench/gen-capture (issue 5, "Must show"):
// on generated captures with every outcome, TCP, IPv6, fragments, retransmissions, loss and
// jitter, the calls, states, final codes, times, message counts, registrations and OPTIONS
// equal the generator's truth JSON. Skipped when the generator or python3 is missing.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <unistd.h>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"
#include "sipscope/correlate/json.hpp"

namespace sipscope::correlate {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct generated {
  fs::path capture, truth;
};

fs::path scratch_dir() {
  return fs::temp_directory_path() / ("sipscope-truth-" + std::to_string(::getpid()));
}

// The generated captures (tens of MB) are removed when the test program ends.
struct scratch_cleanup {
  ~scratch_cleanup() {
    std::error_code ec;
    fs::remove_all(scratch_dir(), ec);
  }
} cleanup_at_exit;

// Runs gen-capture with `args` into a fresh temporary directory; empty paths when unavailable.
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

struct run_result;
run_result correlate_files(const std::vector<fs::path>& files);

struct run_result {
  std::vector<record> records;
  correlator_stats stats;
  std::vector<stream_info> orphans;
};

run_result correlate_file(const fs::path& capture) { return correlate_files({capture}); }

run_result correlate_files(const std::vector<fs::path>& files) {
  capture::pipeline p;
  for (const fs::path& f : files) p.add_file(f.string());
  correlator c;
  p.run(c);
  c.finish();
  return {c.records(), c.stats(), c.orphan_streams()};
}

std::string state_name(const std::string& truth_state) {
  return truth_state == "noanswer" ? "no-answer" : truth_state;
}

std::optional<timestamp_ns> ns(const json& t, const char* key) {
  if (!t.contains(key)) return std::nullopt;
  return static_cast<timestamp_ns>(std::llround(t[key].get<double>() * 1e6)) * 1000;
}

// Times in the truth are those of the first fragment / first segment of a message; a
// reassembled message is delivered with the frame that completes it (as Wireshark shows it).
// For calls with fragmented INVITEs or over TCP the times may therefore differ by the spacing
// of the pieces, which the generator keeps under a few milliseconds.
void compare(const generated& g, const std::vector<fs::path>& files = {}) {
  std::ifstream in(g.truth);
  const json truth = json::parse(in);
  run_result res = files.empty() ? correlate_file(g.capture) : correlate_files(files);

  std::map<std::string, const record*> by_id;
  std::size_t calls = 0, regs = 0, opts = 0;
  for (const record& r : res.records) {
    by_id[r.call_id] = &r;
    calls += r.kind == record_kind::call;
    regs += r.kind == record_kind::registration;
    opts += r.kind == record_kind::options;
  }
  EXPECT_EQ(calls, truth["calls"].size());
  EXPECT_EQ(regs, truth["registrations"].size());
  EXPECT_EQ(opts, truth["options"].size());
  EXPECT_EQ(res.records.size(), truth["calls"].size() + truth["registrations"].size() + truth["options"].size());
  EXPECT_EQ(res.stats.sip_unusable, 0u);
  EXPECT_EQ(res.stats.retransmissions, truth["totals"]["sip_retransmissions"].get<std::uint64_t>());
  EXPECT_EQ(res.stats.rtp_packets, truth["totals"]["rtp_packets"].get<std::uint64_t>());
  EXPECT_EQ(res.stats.rtcp_packets, truth["totals"]["rtcp_packets"].get<std::uint64_t>());
  EXPECT_TRUE(res.orphans.empty()) << res.orphans.size() << " RTP streams found by heuristics alone";

  for (const json& c : truth["calls"]) {
    const std::string id = c["call_id"];
    SCOPED_TRACE("call " + id + " (" + c["scenario"].get<std::string>() + ")");
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      ADD_FAILURE() << "call missing";
      continue;
    }
    const record& r = *it->second;
    EXPECT_EQ(r.kind, record_kind::call);
    EXPECT_EQ(std::string(to_string(r.state)), state_name(c["state"]));
    EXPECT_EQ(r.final_status, c["final_status"].get<int>());
    EXPECT_EQ(r.times.answer.has_value(), c["answered"].get<bool>());
    if (c["hangup"].is_null()) {
      EXPECT_EQ(r.hangup, side::none);
    } else {
      EXPECT_EQ(std::string(to_string(r.hangup)), c["hangup"].get<std::string>());
    }
    EXPECT_EQ(r.auth_challenges > 0, c["auth_challenged"].get<bool>());
    EXPECT_EQ(r.sip_messages, c["sip_messages"].get<std::uint32_t>());
    EXPECT_EQ(r.retransmissions, c["retransmissions"].size());
    EXPECT_EQ(r.caller.uri, c["caller"].get<std::string>());
    EXPECT_EQ(r.callee.uri, c["callee"].get<std::string>());
    EXPECT_EQ(r.caller.display, c["caller_display"].get<std::string>());
    EXPECT_EQ(r.request_uri, c["request_uri"].get<std::string>());
    EXPECT_EQ(r.caller.tag, c["from_tag"].get<std::string>());
    // A dialog exists once a 1xx with a To tag or a 2xx came back (RFC 3261 12.1); a final
    // non-2xx alone creates none.
    EXPECT_EQ(r.dialogs.size(), c["answered"].get<bool>() || c["times"].contains("first_18x") ? 1u : 0u);

    // RTP streams: every stream of the truth, by (src, dst, SSRC), with tshark's figures; no
    // extra stream attached to the call.
    std::size_t truth_streams = 0;
    std::string truth_digits, our_digits;
    for (const json& d : c["dtmf"]) truth_digits += d["digit"].get<std::string>();
    for (const stream_info& st : r.streams)
      for (const dtmf_event& d : st.dtmf) our_digits += d.digit;
    EXPECT_EQ(our_digits, truth_digits);
    for (const json& ts : c["streams"]) {
      ++truth_streams;
      char ssrc[16];
      const stream_info* found = nullptr;
      for (const stream_info& st : r.streams) {
        std::snprintf(ssrc, sizeof ssrc, "0x%08x", st.ssrc);
        // The truth writes IPv6 endpoints without brackets: "2001:db8::1:4000".
        auto plain = [](const endpoint& e) { return e.ip.to_string() + ":" + std::to_string(e.port); };
        if (plain(st.src) == ts["src"].get<std::string>() && plain(st.dst) == ts["dst"].get<std::string>() &&
            ssrc == ts["ssrc"].get<std::string>())
          found = &st;
      }
      SCOPED_TRACE("stream " + ts["src"].get<std::string>() + " -> " + ts["dst"].get<std::string>());
      if (!found) {
        ADD_FAILURE() << "stream missing";
        continue;
      }
      EXPECT_EQ(found->packets, ts["packets"].get<std::uint64_t>());
      EXPECT_EQ(found->expected, ts["expected"].get<std::uint64_t>());
      EXPECT_EQ(found->lost, ts["lost"].get<std::int64_t>());
      EXPECT_EQ(found->lost_unique, ts["lost_unique"].get<std::int64_t>());
      EXPECT_EQ(found->duplicates, ts["duplicates"].get<std::uint64_t>());
      auto near = [](double ours, double want) { return std::fabs(ours - want) <= std::max(0.01, 0.05 * want); };
      EXPECT_PRED2(near, found->max_jitter_ms, ts["max_jitter_ms"].get<double>());
      EXPECT_PRED2(near, found->mean_jitter_ms, ts["mean_jitter_ms"].get<double>());
      EXPECT_NEAR(found->max_delta_ms, ts["max_delta_ms"].get<double>(), 0.01);
      EXPECT_EQ(found->payload_type, ts["payload_type"].get<int>());
      EXPECT_GE(found->mos, 1.0);   // every audio stream has an estimate, on the 1-4.5 scale
      EXPECT_LE(found->mos, 4.5);
    }
    EXPECT_EQ(r.streams.size(), truth_streams);
    bool one_way = false;
    for (const finding& f : r.findings) one_way |= f.kind == "one_way_audio";
    EXPECT_EQ(one_way, c["one_way_audio"].get<bool>());

    const bool pieces = c["fragmented_invite"].get<bool>() || c["transport"] == "tcp";
    const timestamp_ns tol = pieces ? 50'000'000 : 0;
    const json& t = c["times"];
    auto check = [&](const char* key, const std::optional<timestamp_ns>& ours) {
      auto want = ns(t, key);
      if (!want) return;
      SCOPED_TRACE(key);
      ASSERT_TRUE(ours.has_value());
      EXPECT_LE(std::llabs(*ours - *want), tol) << "ours " << *ours << " truth " << *want;
    };
    check("invite", r.times.invite);
    check("first_18x", r.times.first_18x);
    check("answer", r.times.answer);
    check("ack", r.times.ack);
    check("bye", r.times.bye);
    check("cancel", r.times.cancel);
    check("final", r.times.final);
    check("end", r.times.end);
    // Events the truth does not have must not be invented (the truth has no "final" for a
    // cancelled call's 487: the CANCEL is what ended it, the 487 is still its final response).
    if (!t.contains("answer")) { EXPECT_FALSE(r.times.answer); }
    if (!t.contains("bye")) { EXPECT_FALSE(r.times.bye); }
    if (!t.contains("first_18x")) { EXPECT_FALSE(r.times.first_18x); }
    if (!t.contains("final") && c["state"] != "cancelled") { EXPECT_FALSE(r.times.final); }
  }

  for (const json& reg : truth["registrations"]) {
    const std::string id = reg["call_id"];
    SCOPED_TRACE("registration " + id);
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      ADD_FAILURE() << "registration missing";
      continue;
    }
    const record& r = *it->second;
    EXPECT_EQ(r.kind, record_kind::registration);
    EXPECT_EQ(r.final_status, reg["final_status"].get<int>());
    EXPECT_EQ(std::string(to_string(r.outcome)), reg["state"].get<std::string>());
    EXPECT_EQ(r.aor, reg["aor"].get<std::string>());
    std::string contact = reg["contact"];
    if (contact.size() > 2 && contact.front() == '<') contact = contact.substr(1, contact.size() - 2);
    EXPECT_EQ(r.contact, contact);
    if (reg["state"] == "registered") { EXPECT_EQ(r.expires, reg["expires"].get<std::uint32_t>()); }
    EXPECT_EQ(r.challenged, reg["challenged"].get<bool>());
    EXPECT_EQ(r.sip_messages, reg["sip_messages"].get<std::uint32_t>());
  }
  for (const json& o : truth["options"]) {
    const std::string id = o["call_id"];
    SCOPED_TRACE("options " + id);
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      ADD_FAILURE() << "options missing";
      continue;
    }
    EXPECT_EQ(it->second->kind, record_kind::options);
    EXPECT_EQ(it->second->final_status, o["final_status"].get<int>());
    EXPECT_EQ(it->second->outcome, record_state::ok);
    EXPECT_EQ(it->second->sip_messages, o["sip_messages"].get<std::uint32_t>());
  }
}

#define REQUIRE_GENERATED(g)                                            \
  if ((g).capture.empty()) GTEST_SKIP() << "gen-capture or python3 not available"

TEST(Truth, SmallRecipeEveryFeature) {
  // The generator's "small" recipe: every outcome, early media, DTMF, one-way audio, auth,
  // fragments, retransmissions, TCP split/coalesce/out-of-order/retransmission, IPv6.
  generated g = generate("small", "--calls 200 --hold 3-15 --ring-timeout 3-10 --fragment-rate 0.1 "
                                  "--registers 20 --options 20 --seed 42");
  REQUIRE_GENERATED(g);
  compare(g);
}

TEST(Truth, ShortCallsOneWayAudio) {
  // Talk of 1-2 s: one-way audio is still found (a caller who hears nothing hangs up early);
  // the recipe has such calls, with 1.2-1.9 s of talk, and compare() checks each call's finding.
  generated g = generate("short", "--calls 60 --hold 1-2 --ring-timeout 1-3 --seed 5");
  REQUIRE_GENERATED(g);
  std::ifstream in(g.truth);
  const json truth = json::parse(in);
  int short_one_way = 0;
  for (const json& c : truth["calls"])
    if (c.value("one_way_audio", false) && c["times"].contains("bye") &&
        c["times"]["bye"].get<double>() - c["times"]["answer"].get<double>() < 2.0)
      ++short_one_way;
  EXPECT_GE(short_one_way, 3);
  compare(g);
}

TEST(Truth, RetransmissionsAndAuth) {
  generated g = generate("retx", "--calls 80 --hold 2-5 --ring-timeout 2-4 --mix auth=50,cancelled=30,answered=20 "
                                 "--retrans-rate 1 --transport udp=70,ipv6=30 --seed 7");
  REQUIRE_GENERATED(g);
  compare(g);
}

TEST(Truth, LossReorderingOpus) {
  // Heavy reordering and loss (late packets, Wireshark's wrong-timestamp rule), opus at 48 kHz
  // with a dynamic payload type known only from the SDP, 10 ms packets.
  generated g = generate("loss", "--calls 40 --hold 3-8 --ring-timeout 2-4 --jitter-ms 40 --loss 0.2 "
                                 "--codec opus --ptime 10 --seed 13");
  REQUIRE_GENERATED(g);
  compare(g);
}

TEST(Truth, TcpAdversarial) {
  generated g = generate("tcp", "--calls 60 --hold 2-5 --ring-timeout 2-4 --transport tcp=100 --tcp-ooo 1 "
                                "--tcp-retx 1 --no-rtp --seed 11");
  REQUIRE_GENERATED(g);
  compare(g);
}

TEST(Truth, FragmentsAndSll2) {
  generated g = generate("frag", "--calls 60 --hold 2-5 --ring-timeout 2-4 --transport udp=100 --fragment-rate 1 "
                                 "--link sll2 --format pcapng --no-rtp --seed 5");
  REQUIRE_GENERATED(g);
  compare(g);
}

// Any capture and truth, e.g. the 1 GB recipe, too big for the default test run:
//   SIPSCOPE_TRUTH_PCAP=big.pcap SIPSCOPE_TRUTH_JSON=big.json correlate_tests --gtest_filter=Truth.FromEnvironment
TEST(Truth, FromEnvironment) {
  const char* pcap = std::getenv("SIPSCOPE_TRUTH_PCAP");
  const char* truth = std::getenv("SIPSCOPE_TRUTH_JSON");
  if (!pcap || !truth) GTEST_SKIP() << "set SIPSCOPE_TRUTH_PCAP and SIPSCOPE_TRUTH_JSON to check a capture";
  compare(generated{pcap, truth});
}

TEST(Truth, RotatedFilesGiveTheSameModel) {
  // One continuous run cut into 1 MB files (OUT-000.pcap, ...): calls span files; given all
  // the files, the model must be the one of the whole capture.
  generated g = generate("rot", "--calls 60 --hold 3-8 --ring-timeout 2-4 --split 1M --seed 21");
  REQUIRE_GENERATED(g);
  std::ifstream in(g.truth);
  const json truth = json::parse(in);
  std::vector<fs::path> files;
  for (const json& f : truth["files"]) files.emplace_back(f["path"].get<std::string>());
  ASSERT_GT(files.size(), 3u);
  // Given in reverse order on purpose: the pipeline merges them by time.
  std::reverse(files.begin(), files.end());
  compare(g, files);
}

// Batch export mode: with a sink, finished records are handed over and dropped as the capture
// goes, so memory holds only the calls in progress; and what the sink gets is exactly the
// model a run without a sink builds.
TEST(Truth, SinkKeepsOnlyCallsInProgress) {
  generated g = generate("spread", "--calls 300 --duration-s 1200 --hold 2-6 --ring-timeout 2-4 "
                                   "--registers 30 --options 30 --seed 17");
  REQUIRE_GENERATED(g);
  run_result batch = correlate_file(g.capture);

  capture::pipeline p;
  p.add_file(g.capture.string());
  correlator c;
  std::vector<record> sunk;
  std::size_t peak = 0;
  c.set_sink([&](record&& r) {
    peak = std::max(peak, c.in_progress());
    sunk.push_back(std::move(r));
  });
  p.run(c);
  c.finish();
  EXPECT_TRUE(c.records().empty());
  ASSERT_EQ(sunk.size(), batch.records.size());
  // 360 records over 20 minutes, a few seconds each plus 32 s of linger: a handful at a time.
  EXPECT_LT(peak, 40u) << "records in progress at a hand-over";
  std::sort(sunk.begin(), sunk.end(), [](const record& a, const record& b) { return a.index < b.index; });
  for (std::size_t i = 0; i < sunk.size(); ++i) {
    json_writer a(false), b(false);
    write_json(a, sunk[i]);
    write_json(b, batch.records[i]);
    EXPECT_EQ(a.str(), b.str()) << "record " << sunk[i].call_id;
  }
}

}  // namespace
}  // namespace sipscope::correlate
