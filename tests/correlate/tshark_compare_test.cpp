// sipscope's call model against Wireshark's on ../shared/corpus/pcap (issue 5, "Must show"):
// the VoIP Calls list (sharkd's voip-calls tap, saved in tshark/NAME.voip_calls.txt), and
// `tshark -q -z sip,stat` (tshark/NAME.sip_stat.txt). Every disagreement is listed; each one
// must be explained in tests/correlate/tshark_compare.tsv (capture, item, ours, tshark, why),
// and an explanation that no longer matches a disagreement fails too, so the file stays true.
// Skipped when the shared corpus is absent.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"

namespace sipscope::correlate {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Wireshark's VoIP Calls states (ui/voip_calls.h voip_call_state) for our call states.
std::string wireshark_state(const record& r) {
  switch (r.state) {
    case call_state::calling: return "CALL SETUP";
    case call_state::ringing: return "RINGING";
    case call_state::in_call: return "IN CALL";
    case call_state::completed: return "COMPLETED";
    case call_state::cancelled: return "CANCELLED";
    default: return "REJECTED";
  }
}

struct disagreement {
  std::string capture, item, ours, tshark;
  bool operator<(const disagreement& o) const {
    return std::tie(capture, item, ours, tshark) < std::tie(o.capture, o.item, o.ours, o.tshark);
  }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "Number of SIP messages: 14" -> 14; -1 when absent.
long stat_value(const std::string& text, const std::string& label) {
  auto pos = text.find(label);
  if (pos == std::string::npos) return -1;
  return std::strtol(text.c_str() + pos + label.size(), nullptr, 10);
}

std::vector<disagreement> compare_capture(const fs::path& dir, const std::string& name) {
  std::vector<disagreement> out;
  capture::pipeline p;
  p.add_file((dir / name).string());
  correlator c;
  p.run(c);
  c.finish();
  std::vector<const record*> calls;
  std::uint64_t retrans = 0;
  for (const record& r : c.records()) {
    if (r.kind == record_kind::call) calls.push_back(&r);
    retrans += r.retransmissions;
  }
  const std::uint64_t messages = c.stats().sip_messages;
  auto add = [&](std::string item, std::string ours, std::string tshark) {
    if (ours != tshark) out.push_back({name, std::move(item), std::move(ours), std::move(tshark)});
  };

  // SIP statistics. tshark counts frames decoded as SIP; we count messages (a frame may carry
  // several over TCP), including those too broken for any record (no Call-ID, CSeq...).
  const std::string stat = read_file(dir / "tshark" / (name + ".sip_stat.txt"));
  add("sip_messages", std::to_string(messages), std::to_string(stat_value(stat, "Number of SIP messages: ")));
  add("resent", std::to_string(retrans), std::to_string(stat_value(stat, "Number of resent SIP messages: ")));

  // VoIP Calls: SIP rows, in start order as ours are (records are in order of first message).
  const std::string vc = read_file(dir / "tshark" / (name + ".voip_calls.txt"));
  auto js = vc.find("{\"jsonrpc\"");
  std::vector<json> ws;
  if (js != std::string::npos) {
    json j = json::parse(vc.substr(js, vc.find('\n', js) - js));
    for (const json& t : j["result"]["taps"])
      for (const json& call : t["calls"])
        if (call["protocol"] == "SIP") ws.push_back(call);
  }
  add("calls", std::to_string(calls.size()), std::to_string(ws.size()));
  for (std::size_t i = 0; i < std::min(calls.size(), ws.size()); ++i) {
    const record& r = *calls[i];
    const std::string n = "call " + std::to_string(i) + " ";
    add(n + "state", wireshark_state(r), ws[i]["state"].get<std::string>());
    const std::string from = ws[i]["from"].get<std::string>();
    add(n + "from", from.find(r.caller.uri) != std::string::npos ? "same" : r.caller.uri, "same");
  }

  // RTP streams, tshark with heuristic RTP on (NAME.rtp_streams_heur.txt) against every stream
  // sipscope found (those of records and those no signalling named).
  std::vector<const stream_info*> ours;
  for (const record& r : c.records())
    for (const stream_info& st : r.streams) ours.push_back(&st);
  for (const stream_info& st : c.orphan_streams()) ours.push_back(&st);
  const std::string rtp = read_file(dir / "tshark" / (name + ".rtp_streams_heur.txt"));
  static const std::regex row(
      R"(^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-Fa-f]+)\s+.*?\s+(\d+)\s+(-?\d+) \([-\d.]+%\)\s+[\d.]+\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+([\d.]+)\s+([\d.]+))");
  std::size_t theirs = 0;
  std::istringstream lines(rtp);
  std::string line;
  auto ip_port = [](const endpoint& e) { return e.ip.to_string() + " " + std::to_string(e.port); };
  while (std::getline(lines, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    ++theirs;
    const std::string src = m[1].str() + " " + m[2].str(), dst = m[3].str() + " " + m[4].str();
    const std::uint32_t ssrc = static_cast<std::uint32_t>(std::stoul(m[5].str(), nullptr, 16));
    const std::string id = "stream " + src + " -> " + dst + " " + m[5].str() + " ";
    const stream_info* st = nullptr;
    for (const stream_info* o : ours)
      if (ip_port(o->src) == src && ip_port(o->dst) == dst && o->ssrc == ssrc) st = o;
    if (!st) {
      add(id + "found", "no", "yes");
      continue;
    }
    add(id + "packets", std::to_string(st->packets), m[6].str());
    add(id + "lost", std::to_string(st->lost), m[7].str());
    auto close = [&](const char* what, double v, const std::string& want) {
      char b[32];
      std::snprintf(b, sizeof b, "%.3f", v);
      if (std::fabs(v - std::stod(want)) > 0.0015) add(id + what, b, want);
    };
    close("max_delta_ms", st->max_delta_ms, m[9].str());
    close("mean_jitter_ms", st->mean_jitter_ms, m[10].str());
    close("max_jitter_ms", st->max_jitter_ms, m[11].str());
  }
  add("rtp_streams", std::to_string(ours.size()), std::to_string(theirs));
  return out;
}

TEST(TsharkCompare, VoipCallsAndSipStat) {
  const fs::path dir = fs::path(SIPSCOPE_SHARED_CORPUS_DIR) / "pcap";
  if (!fs::exists(dir / "MANIFEST.tsv")) GTEST_SKIP() << "shared corpus not present";

  std::set<disagreement> explained;
  std::map<disagreement, std::string> why;
  {
    std::ifstream in(fs::path(SIPSCOPE_SOURCE_DIR) / "tests/correlate/tshark_compare.tsv");
    ASSERT_TRUE(in) << "tests/correlate/tshark_compare.tsv missing";
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::vector<std::string> f;
      std::stringstream ss(line);
      std::string cell;
      while (std::getline(ss, cell, '\t')) f.push_back(cell);
      ASSERT_GE(f.size(), 5u) << "bad row: " << line;
      ASSERT_FALSE(f[4].empty()) << "a row without its explanation: " << line;
      disagreement d{f[0], f[1], f[2], f[3]};
      explained.insert(d);
      why[d] = f[4];
    }
  }

  std::set<disagreement> seen;
  std::ifstream manifest(dir / "MANIFEST.tsv");
  std::string line;
  std::getline(manifest, line);  // header
  int captures = 0;
  while (std::getline(manifest, line)) {
    const std::string name = line.substr(0, line.find('\t'));
    if (!fs::exists(dir / "tshark" / (name + ".voip_calls.txt"))) continue;
    ++captures;
    for (const disagreement& d : compare_capture(dir, name)) {
      seen.insert(d);
      if (explained.count(d)) {
        std::cout << "[explained] " << d.capture << " " << d.item << ": ours " << d.ours << ", Wireshark "
                  << d.tshark << " -- " << why[d] << "\n";
      } else {
        ADD_FAILURE() << "unexplained disagreement: " << d.capture << "\t" << d.item << "\t" << d.ours << "\t"
                      << d.tshark;
      }
    }
  }
  EXPECT_GT(captures, 10);
  for (const disagreement& d : explained)
    if (!seen.count(d))
      ADD_FAILURE() << "stale explanation (no longer disagrees): " << d.capture << "\t" << d.item << "\t" << d.ours
                    << "\t" << d.tshark;
}

}  // namespace
}  // namespace sipscope::correlate
