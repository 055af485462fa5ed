// Ground truth: captures written by ../shared/bench/gen-capture, whose truth JSON holds the
// RTP stream statistics tshark 4.0 computes (calls[].streams[]) and the DTMF digits sent
// (calls[].dtmf[]). The capture goes through capture::pipeline into a stream_table, once with
// the SDP endpoints expected (as the correlator will) and once with no signalling at all
// (heuristic mode); every truth stream must come out with the same numbers, and nothing else.
// Skips when the generator, python3 or nlohmann_json is missing.
#include "sipscope/media/stream_table.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sipscope/capture/pipeline.hpp"

#ifdef SIPSCOPE_HAVE_JSON
#include <nlohmann/json.hpp>
#endif

namespace sipscope::media {
namespace {

#ifdef SIPSCOPE_HAVE_JSON

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string key_of(const capture::endpoint& src, const capture::endpoint& dst, std::uint32_t ssrc) {
  char h[16];
  std::snprintf(h, sizeof h, "0x%08x", ssrc);
  return src.ip.to_string() + ":" + std::to_string(src.port) + " " + dst.ip.to_string() + ":" +
         std::to_string(dst.port) + " " + h;
}

std::string key_of(const json& s) {
  return s["src"].get<std::string>() + " " + s["dst"].get<std::string>() + " " + s["ssrc"].get<std::string>();
}

capture::endpoint parse_endpoint(const std::string& s) {
  capture::endpoint e;
  std::size_t colon = s.rfind(':');
  std::string ip = s.substr(0, colon);
  e.port = std::uint16_t(std::stoi(s.substr(colon + 1)));
  if (ip.find(':') != std::string::npos) {
    e.ip.family = 6;
    EXPECT_EQ(inet_pton(AF_INET6, ip.c_str(), e.ip.bytes.data()), 1) << ip;
  } else {
    e.ip.family = 4;
    EXPECT_EQ(inet_pton(AF_INET, ip.c_str(), e.ip.bytes.data()), 1) << ip;
  }
  return e;
}

capture::timestamp_ns to_ns(double epoch_s) { return capture::timestamp_ns(std::llround(epoch_s * 1e6)) * 1000; }

struct generated {
  fs::path dir, pcap;
  json truth;
};

// Runs the generator into a fresh temporary directory; nullopt (and a skip reason) when it
// cannot run here.
std::optional<generated> generate(const std::string& name, const std::string& args, std::string& why) {
  const fs::path gen = fs::path(SIPSCOPE_BENCH_DIR) / "gen-capture";
  if (!fs::exists(gen)) {
    why = "no " + gen.string();
    return std::nullopt;
  }
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) {
    why = "no python3";
    return std::nullopt;
  }
  generated g;
  g.dir = fs::temp_directory_path() / ("sipscope-media-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(g.dir);
  fs::create_directories(g.dir);
  g.pcap = g.dir / "cap.pcap";
  const fs::path truth = g.dir / "truth.json";
  std::string cmd = "python3 '" + gen.string() + "' -o '" + g.pcap.string() + "' --truth '" + truth.string() +
                    "' " + args + " 2>'" + (g.dir / "gen.log").string() + "'";
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << "gen-capture failed: " << cmd;
    return std::nullopt;
  }
  std::ifstream in(truth);
  g.truth = json::parse(in);
  return g;
}

struct finished {
  stream_stats stats;
  std::uint64_t call_ref = 0;
  stream_origin origin{};
};

// capture -> stream_table, with finish_idle every second of capture time (the batch mode)
struct feeder : capture::handler {
  stream_table& table;
  std::map<std::string, finished> done;
  std::size_t duplicates_keys = 0;
  capture::timestamp_ns next_idle = INT64_MIN;
  explicit feeder(stream_table& t) : table(t) {}
  stream_table::sink sink() {
    return [this](const rtp_stream& s) {
      std::string k = key_of(s.src, s.dst, s.stats().ssrc);
      if (done.count(k)) ++duplicates_keys;
      done[k] = {s.stats(), s.call_ref, s.origin};
    };
  }
  void on_udp(const capture::udp_event& e) override {
    table.on_udp(e);
    if (e.time >= next_idle) {
      table.finish_idle(e.time, 10'000'000'000, sink());
      next_idle = e.time + 1'000'000'000;
    }
  }
};

payload_map sdp_map(const std::string& codec) {
  payload_map m;
  if (codec == "pcmu") m.set(0, "PCMU", 8000);
  if (codec == "pcma") m.set(8, "PCMA", 8000);
  if (codec == "g729") m.set(18, "G729", 8000);
  if (codec == "opus") m.set(111, "opus", 48000);
  m.set(101, "telephone-event", 8000);
  return m;
}

bool close(double mine, double truth) {
  return std::fabs(mine - truth) <= 0.01 || std::fabs(mine - truth) <= 0.01 * std::fabs(truth);
}

struct report {
  std::size_t streams = 0, compared_fields = 0, mismatches = 0, dtmf_events = 0, wraps = 0;
  std::vector<std::string> first;
  void bad(const std::string& what) {
    ++mismatches;
    if (first.size() < 30) first.push_back(what);
  }
};

void compare(const generated& g, const feeder& f, bool heuristic, report& r) {
  std::size_t truth_streams = 0;
  for (const json& call : g.truth["calls"]) {
    const std::string codec = call["codec"].get<std::string>();
    std::vector<dtmf_event> events;
    for (const json& s : call["streams"]) {
      ++truth_streams;
      const std::string k = key_of(s);
      auto it = f.done.find(k);
      if (it == f.done.end()) {
        r.bad("missing stream " + k);
        continue;
      }
      ++r.streams;
      const stream_stats& m = it->second.stats;
      if (s["seq_cycles"].get<std::uint32_t>() > 0) ++r.wraps;
      auto eq = [&](const char* field, std::int64_t mine) {
        ++r.compared_fields;
        std::int64_t t = s[field].get<std::int64_t>();
        if (mine != t) r.bad(k + " " + field + ": " + std::to_string(mine) + " != " + std::to_string(t));
      };
      auto near = [&](const char* field, double mine) {
        ++r.compared_fields;
        double t = s[field].get<double>();
        if (!close(mine, t)) r.bad(k + " " + field + ": " + std::to_string(mine) + " != " + std::to_string(t));
      };
      eq("packets", std::int64_t(m.packets));
      eq("expected", m.expected());
      eq("lost", m.lost());
      eq("first_seq", m.first_seq);
      eq("last_seq", m.last_seq);
      eq("seq_cycles", m.cycles);
      eq("lost_unique", m.lost_unique());
      eq("duplicates", std::int64_t(m.duplicates));
      eq("dtmf_packets", std::int64_t(m.telephone_event_packets));
      eq("payload_type", m.payload_type);
      eq("clock_rate", m.clock_rate);
      near("max_delta_ms", m.max_delta_ms);
      near("mean_delta_ms", m.mean_delta_ms);
      near("max_jitter_ms", m.max_jitter_ms);
      near("mean_jitter_ms", m.mean_jitter_ms);
      near("final_jitter_ms", m.jitter_ms);
      ++r.compared_fields;
      if (m.first_time != to_ns(s["start"].get<double>()) || m.last_time != to_ns(s["end"].get<double>())) {
        r.bad(k + " start/end");
      }
      if (heuristic) {
        if (it->second.origin != stream_origin::heuristic) r.bad(k + " origin");
      } else if (it->second.call_ref != call["index"].get<std::uint64_t>() + 1) {
        r.bad(k + " call_ref " + std::to_string(it->second.call_ref));
      }
      events.insert(events.end(), m.dtmf.begin(), m.dtmf.end());
    }
    const json& want = call["dtmf"];
    ++r.compared_fields;
    if (events.size() != want.size()) {
      r.bad(call["call_id"].get<std::string>() + " dtmf count " + std::to_string(events.size()) + " != " +
            std::to_string(want.size()));
      continue;
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
      ++r.dtmf_events;
      const json& w = want[i];
      std::string digit(1, events[i].digit);
      if (digit != w["digit"].get<std::string>() || !events[i].ended ||
          events[i].start != to_ns(w["time"].get<double>())) {
        r.bad(call["call_id"].get<std::string>() + " dtmf " + digit);
      }
      // the generator's event durations are in audio clock units: telephone-event/8000 reads
      // them right for the 8 kHz codecs only
      if (codec != "opus" && std::fabs(events[i].duration_ms - w["duration_ms"].get<double>()) > 1e-9) {
        r.bad(call["call_id"].get<std::string>() + " dtmf duration " + std::to_string(events[i].duration_ms));
      }
    }
  }
  EXPECT_EQ(truth_streams, g.truth["totals"]["rtp_streams"].get<std::size_t>());
  // nothing beyond the truth's RTP streams (RTCP, SIP, the silent sides' RR are not streams)
  EXPECT_EQ(f.done.size(), truth_streams);
  EXPECT_EQ(f.duplicates_keys, 0u);
}

void run_case(const std::string& name, const std::string& args) {
  std::string why;
  std::optional<generated> g = generate(name, args, why);
  if (!g) {
    if (!why.empty()) GTEST_SKIP() << why;
    return;
  }
  for (bool heuristic : {false, true}) {
    table_limits lim;
    lim.heuristic = heuristic;
    lim.heuristic_payloads.set(111, "opus", 48000);
    lim.heuristic_payloads.set(101, "telephone-event", 8000);
    stream_table table(lim);
    if (!heuristic) {
      for (const json& call : g->truth["calls"]) {
        std::uint64_t ref = call["index"].get<std::uint64_t>() + 1;
        payload_map pts = sdp_map(call["codec"].get<std::string>());
        for (const json& s : call["streams"]) {
          table.expect(parse_endpoint(s["src"].get<std::string>()), ref, pts);
          table.expect(parse_endpoint(s["dst"].get<std::string>()), ref, pts);
        }
      }
    }
    feeder f(table);
    capture::pipeline p;
    p.add_file(g->pcap.string());
    std::string err;
    ASSERT_TRUE(p.ready(err)) << err;
    ASSERT_TRUE(p.run(f));
    table.finish_all(f.sink());
    report r;
    compare(*g, f, heuristic, r);
    std::printf("[ %s, %s ] %zu streams (%zu wrapping), %zu values compared, %zu DTMF events, %zu mismatches; "
                "table: %llu RTP, %llu RTCP, %llu other datagrams\n",
                name.c_str(), heuristic ? "heuristic" : "SDP-expected", r.streams, r.wraps, r.compared_fields,
                r.dtmf_events, r.mismatches, (unsigned long long)table.counters().rtp_packets,
                (unsigned long long)table.counters().rtcp_packets, (unsigned long long)table.counters().other);
    EXPECT_EQ(r.mismatches, 0u);
    for (const std::string& s : r.first) ADD_FAILURE() << s;
    EXPECT_EQ(table.counters().rtcp_packets, g->truth["totals"]["rtcp_packets"].get<std::uint64_t>());
    EXPECT_EQ(table.counters().rtp_packets, g->truth["totals"]["rtp_packets"].get<std::uint64_t>());
  }
  std::error_code ec;
  fs::remove_all(g->dir, ec);
}

TEST(MediaTruth, Calls60) { run_case("base", "--calls 60 --hold 3-8 --ring-timeout 3-5 --seed 42"); }

TEST(MediaTruth, ReorderingAndLoss) {
  run_case("loss", "--calls 60 --hold 3-8 --ring-timeout 3-5 --seed 43 --jitter-ms 40 --loss 0.2");
}

TEST(MediaTruth, Opus10ms) {
  run_case("opus", "--calls 60 --hold 3-8 --ring-timeout 3-5 --seed 44 --codec opus --ptime 10");
}

TEST(MediaTruth, LongCallsWrapSequenceNumbers) {
  // 60 s calls: about 5 % of streams wrap their 16-bit sequence number (gen-capture README)
  run_case("wrap", "--calls 40 --mix answered=100 --hold 50-60 --seed 7 --jitter-ms 15 --loss 0.02");
}

#else

TEST(MediaTruth, NeedsNlohmannJson) { GTEST_SKIP() << "built without nlohmann_json"; }

#endif

}  // namespace
}  // namespace sipscope::media
