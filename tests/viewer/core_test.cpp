// sipscope-view's headless core (viewer/src): the loader, re-reading messages and RTP packets
// from the capture, the message pane's text analysis, the PNG writer. Real captures from
// corpus/calls; no display needed.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>
#include <string>
#include <vector>

#include "png.hpp"
#include "reread.hpp"
#include "session.hpp"
#include "sip_text.hpp"
#include "tools.hpp"

namespace {

using namespace sipscope;
using namespace sipscope::viewer;

std::string corpus(const std::string& name) {
  return (std::filesystem::path(SIPSCOPE_CORPUS_DIR) / "calls" / (name + ".pcap")).string();
}

std::filesystem::path temp_dir() {
  auto d = std::filesystem::temp_directory_path() / ("sipscope-view-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}

// Loads a capture the way the viewer does (worker thread), waits, and takes the records.
std::vector<std::unique_ptr<correlate::record>> load(session& s, const std::string& file) {
  s.start({file});
  s.wait();
  std::lock_guard<std::mutex> g(s.mutex());
  std::vector<std::unique_ptr<correlate::record>> out;
  for (const auto& r : s.data().records) out.push_back(std::make_unique<correlate::record>(*r));
  return out;
}

TEST(ViewerSession, LoadsEveryRecordOnTheWorker) {
  session s;
  auto recs = load(s, corpus("b2bua"));
  ASSERT_EQ(recs.size(), 2u);
  std::set<std::string> ids;
  for (const auto& r : recs) ids.insert(r->call_id);
  EXPECT_TRUE(ids.count("09e121d9c325e115bf18@atlanta.example.com"));
  EXPECT_TRUE(ids.count("be127a1fdb98ad1234dc@b2bua.example.com"));
  std::lock_guard<std::mutex> g(s.mutex());
  EXPECT_EQ(s.data().state, load_state::done);
  EXPECT_EQ(s.data().sip_messages, 14u);
  EXPECT_EQ(s.data().rtp_packets, 480u);
  EXPECT_GE(s.data().first_record_s, 0.0);
  EXPECT_GE(s.data().finished_s, s.data().first_record_s);
}

TEST(ViewerSession, RestartReplacesTheData) {
  session s;
  EXPECT_EQ(load(s, corpus("b2bua")).size(), 2u);
  auto recs = load(s, corpus("basic-call"));
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0]->messages.size(), 20u);
}

TEST(ViewerSession, NotACaptureFails) {
  const auto dir = temp_dir();
  const std::string bad = (dir / "not-a-capture.pcap").string();
  std::ofstream(bad) << "this is text, not a capture\n";
  session s;
  EXPECT_TRUE(load(s, bad).empty());
  std::lock_guard<std::mutex> g(s.mutex());
  EXPECT_EQ(s.data().state, load_state::failed);
  EXPECT_FALSE(s.data().error.empty());
  std::filesystem::remove_all(dir);
}

// Every message of a capture read back by its frame reference: the start line is the one the
// model summarised, and reading the same capture gzip-compressed (no fast path: it scans)
// gives the same bytes.
TEST(ViewerReread, MessagesComeBackByFrameReference) {
  session s;
  auto recs = load(s, corpus("auth-proxy-407"));
  ASSERT_EQ(recs.size(), 1u);
  const auto dir = temp_dir();
  const std::string gz = (dir / "auth.pcap.gz").string();
  {
    std::ifstream in(corpus("auth-proxy-407"), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    gzFile z = gzopen(gz.c_str(), "wb");
    ASSERT_NE(z, nullptr);
    ASSERT_EQ(gzwrite(z, data.data(), static_cast<unsigned>(data.size())), static_cast<int>(data.size()));
    gzclose(z);
  }
  std::size_t n = 0;
  for (const correlate::message_entry& m : recs[0]->messages) {
    SCOPED_TRACE(m.summary);
    const raw_message fast = read_message({corpus("auth-proxy-407")}, m);
    ASSERT_TRUE(fast.found) << fast.error;
    EXPECT_TRUE(fast.fast_path);
    const std::string start = m.request ? m.summary : "SIP/2.0 " + m.summary;   // the model drops the version
    EXPECT_EQ(fast.bytes.compare(0, start.size(), start), 0) << fast.bytes.substr(0, 60);
    EXPECT_NE(fast.bytes.find("CSeq: " + std::to_string(m.cseq) + " " + m.method), std::string::npos);
    if (n++ % 5 == 0) {   // the scan is slower: every fifth message
      const raw_message slow = read_message({gz}, m);
      ASSERT_TRUE(slow.found) << slow.error;
      EXPECT_FALSE(slow.fast_path);
      EXPECT_EQ(slow.bytes, fast.bytes);
    }
  }
  EXPECT_EQ(n, 30u);
  std::filesystem::remove_all(dir);
}

TEST(ViewerReread, MissingFileIsAnErrorNotACrash) {
  correlate::message_entry m;
  m.frame = {0, 24, 1};
  const raw_message r = read_message({"/nonexistent/x.pcap"}, m);
  EXPECT_FALSE(r.found);
  EXPECT_FALSE(r.error.empty());
  const raw_message r2 = read_message({}, m);
  EXPECT_FALSE(r2.found);
}

TEST(ViewerReread, RtpSeriesOfAStream) {
  session s;
  auto recs = load(s, corpus("basic-call"));
  ASSERT_EQ(recs.size(), 1u);
  ASSERT_EQ(recs[0]->streams.size(), 2u);
  const correlate::stream_info& st = recs[0]->streams[0];
  const rtp_series ser = read_rtp_series({corpus("basic-call")}, st);
  ASSERT_TRUE(ser.error.empty()) << ser.error;
  EXPECT_EQ(ser.points.size(), st.packets);   // 130: every packet, no decimation
  EXPECT_EQ(ser.points.front().t_s, 0.0);
  EXPECT_EQ(ser.points.back().lost, 0);
  // 20 ms packetisation: the intervals after the first are 20 ms (a clean capture).
  std::size_t twenty = 0;
  for (std::size_t i = 1; i < ser.points.size(); ++i)
    if (ser.points[i].delta_ms > 19.5 && ser.points[i].delta_ms < 20.5) ++twenty;
  EXPECT_EQ(twenty, ser.points.size() - 1);
  EXPECT_NEAR(ser.points.back().t_s, static_cast<double>(st.end - st.start) / 1e9, 1e-6);
  // Decimation keeps the first and spreads the rest.
  const rtp_series few = read_rtp_series({corpus("basic-call")}, st, 10);
  EXPECT_EQ(few.points.size(), 10u);
  EXPECT_EQ(few.points.front().t_s, 0.0);
}

TEST(ViewerSipText, SpansCoverTheMessageAndNameItsParts) {
  const std::string msg =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
      "From: \"A;b\" <sip:alice@atlanta.example.com;transport=udp>;tag=1928301774\r\n"
      "Content-Length: 13\r\n"
      "\r\n"
      "v=0\r\ns=-\r\nxy";
  const sip_text t = analyse_sip_text(msg);
  EXPECT_EQ(t.start_line, "INVITE sip:bob@biloxi.example.com SIP/2.0");
  std::uint32_t at = 0;
  for (const text_span& s : t.spans) {
    EXPECT_EQ(s.offset, at);
    at = s.offset + s.length;
  }
  EXPECT_EQ(at, msg.size());
  auto text_of = [&](span_kind k) {
    std::vector<std::string> v;
    for (const text_span& s : t.spans)
      if (s.kind == k) v.push_back(msg.substr(s.offset, s.length));
    return v;
  };
  EXPECT_EQ(text_of(span_kind::header_name), (std::vector<std::string>{"Via", "From", "Content-Length"}));
  // Parameters: not the ';' inside the quoted display name nor inside <...>.
  EXPECT_EQ(text_of(span_kind::parameter), (std::vector<std::string>{";branch=z9hG4bK776asdhds", ";tag=1928301774"}));
  EXPECT_EQ(text_of(span_kind::sdp_type), (std::vector<std::string>{"v=", "s="}));
  EXPECT_EQ(text_of(span_kind::body), (std::vector<std::string>{"xy"}));
}

TEST(ViewerSipText, DiagnosticsAtTheirOffsets) {
  // RFC 4475 3.1.2.15 (corpus/sip/rfc4475/baddn.sip): unquoted display names with a comma.
  std::ifstream in(std::filesystem::path(SIPSCOPE_CORPUS_DIR) / "sip" / "rfc4475" / "baddn.sip", std::ios::binary);
  const std::string msg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(msg.empty());
  const sip_text t = analyse_sip_text(msg);
  ASSERT_FALSE(t.diagnostics.empty());
  const std::size_t from_line = msg.find("\r\nFrom:") + 2;
  const std::size_t to_line = msg.find("\r\nTo:") + 2;
  bool on_from = false, on_to = false;
  for (const diag_mark& d : t.diagnostics) {
    if (d.offset >= from_line && d.offset < msg.find("\r\n", from_line)) {
      on_from = true;
      EXPECT_EQ(d.line, 4u);
      EXPECT_TRUE(d.error);
      EXPECT_NE(d.text.find("From"), std::string::npos) << d.text;
    }
    if (d.offset >= to_line && d.offset < msg.find("\r\n", to_line)) on_to = true;
    EXPECT_LE(d.offset + d.length, msg.size());
  }
  EXPECT_TRUE(on_from);
  EXPECT_TRUE(on_to);
  for (std::size_t i = 1; i < t.diagnostics.size(); ++i) EXPECT_LE(t.diagnostics[i - 1].offset, t.diagnostics[i].offset);
}

TEST(ViewerSipText, GarbageDoesNotCrash) {
  for (const std::string& s : {std::string(), std::string("\r\n\r\n"), std::string("\0\0\xff", 3), std::string(5000, ';')}) {
    const sip_text t = analyse_sip_text(s);
    std::uint32_t at = 0;
    for (const text_span& sp : t.spans) at = sp.offset + sp.length;
    EXPECT_EQ(at, s.size());
  }
}

// Export and Extract go through the `sipscope` binary beside the viewer's (build/bin).
TEST(ViewerTools, LadderSvgAndExtractThroughTheCli) {
  if (::access((std::filesystem::read_symlink("/proc/self/exe").parent_path() / "sipscope").c_str(), X_OK) != 0)
    GTEST_SKIP() << "no sipscope binary beside the test";
  session s;
  auto recs = load(s, corpus("b2bua"));
  ASSERT_EQ(recs.size(), 2u);
  const std::vector<std::string> ids = {recs[0]->call_id, recs[1]->call_id};
  const auto dir = temp_dir();
  const std::string svg = (dir / "ladder.svg").string();
  const tool_result r = export_ladder_svg(ids, {corpus("b2bua")}, svg);
  ASSERT_EQ(r.status, 0) << r.message;
  std::ifstream in(svg);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind("<svg", 0), 0u);
  std::size_t arrows = 0;
  for (std::size_t p = 0; (p = text.find("class=\"arrow\"", p)) != std::string::npos; ++p) ++arrows;
  EXPECT_EQ(arrows, 14u);

  const std::string pcap = (dir / "calls.pcap").string();
  const tool_result x = extract_calls({recs[1]->call_id}, {corpus("b2bua")}, pcap);
  ASSERT_EQ(x.status, 0) << x.message;
  session s2;
  auto back = load(s2, pcap);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0]->call_id, recs[1]->call_id);
  EXPECT_EQ(back[0]->messages.size(), 7u);
  EXPECT_EQ(back[0]->streams.size(), 2u);

  const tool_result bad = extract_calls({"no-such-call"}, {corpus("b2bua")}, (dir / "none.pcap").string());
  EXPECT_NE(bad.status, 0);
  EXPECT_FALSE(bad.message.empty());
  std::filesystem::remove_all(dir);
}

TEST(ViewerPng, RoundTrip) {
  const auto dir = temp_dir();
  const std::string path = (dir / "t.png").string();
  const int w = 37, h = 11;
  std::vector<std::uint8_t> img(static_cast<std::size_t>(w * h * 4));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      std::uint8_t* p = &img[static_cast<std::size_t>((y * w + x) * 4)];
      p[0] = static_cast<std::uint8_t>(x * 7);
      p[1] = static_cast<std::uint8_t>(y * 23);
      p[2] = static_cast<std::uint8_t>(x ^ y);
      p[3] = 255;
    }
  std::string err;
  ASSERT_TRUE(write_png(path, w, h, img, err)) << err;
  int rw = 0, rh = 0;
  std::vector<std::uint8_t> back;
  ASSERT_TRUE(read_png(path, rw, rh, back, err)) << err;
  EXPECT_EQ(rw, w);
  EXPECT_EQ(rh, h);
  EXPECT_EQ(back, img);
  EXPECT_FALSE(write_png((dir / "no-such-dir" / "x.png").string(), w, h, img, err));
  EXPECT_FALSE(write_png(path, w, h + 1, img, err));
  std::filesystem::remove_all(dir);
}

}  // namespace
