// capture::relay: a pipeline's events handed to another thread arrive the same, in the same
// order, with the same bytes, as when the pipeline calls the handler itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sipscope/capture/handoff.hpp"
#include "sipscope/capture/pipeline.hpp"
#include "sipscope/capture/relay.hpp"

namespace cap = sipscope::capture;
namespace fs = std::filesystem;

namespace {

// One line per event: what a consumer can see of it.
class recorder : public cap::handler {
 public:
  std::vector<std::string> lines;
  void on_sip(const cap::sip_event& e) override {
    std::string l = "sip " + frame(e.frame) + " " + std::to_string(e.time) + " " + e.src.to_string() + ">" +
                    e.dst.to_string() + " " + cap::to_string(e.proto).data() + " pieces " +
                    std::to_string(e.pieces.count) + (e.via.from_stream ? " stream" : "") +
                    (e.via.reassembled_ip ? " frag" : "") + " | ";
    l.append(e.bytes);
    lines.push_back(std::move(l));
  }
  // A datagram's line has its size; its bytes are kept beside it (a relay may carry only the
  // first ones: udp_event::cut).
  void on_udp(const cap::udp_event& e) override {
    lines.push_back("udp " + frame(e.frame) + " " + std::to_string(e.time) + " " + e.src.to_string() + ">" +
                    e.dst.to_string() + " size " + std::to_string(e.payload.size() + e.cut));
    payloads.emplace_back(lines.size() - 1, std::string(e.payload));
  }
  std::vector<std::pair<std::size_t, std::string>> payloads;   // (line, bytes carried)
  void on_diag(const cap::diag_event& e) override {
    lines.push_back("diag " + std::string(cap::to_string(e.kind)) + " " + frame(e.frame) + " " +
                    std::to_string(e.byte_offset) + " " + std::string(e.what));
  }
  void on_icmp(const cap::icmp_event& e) override {
    lines.push_back("icmp " + frame(e.frame) + " " + e.src.to_string() + ">" + e.dst.to_string() + " " +
                    std::to_string(e.type) + "/" + std::to_string(e.code));
  }
  void on_tcp(const cap::tcp_event& e) override {
    lines.push_back("tcp " + frame(e.frame) + " " + e.src.to_string() + ">" + e.dst.to_string() + " " +
                    std::to_string(e.flags));
  }
  void on_progress(std::uint64_t done, std::uint64_t total) override {
    last_progress = std::to_string(done) + "/" + std::to_string(total);
  }
  std::string last_progress;

 private:
  static std::string frame(const cap::frame_ref& f) {
    return std::to_string(f.file) + ":" + std::to_string(f.number) + "@" + std::to_string(f.offset);
  }
};

std::vector<std::string> corpus_captures() {
  std::vector<std::string> out;
  const fs::path root = SIPSCOPE_CORPUS_DIR;
  for (const char* dir : {"calls", "explain", "pcap"})
    for (const auto& e : fs::directory_iterator(root / dir)) {
      const std::string ext = e.path().extension().string();
      if (ext == ".pcap" || ext == ".pcapng" || ext == ".gz") out.push_back(e.path().string());
    }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(relay, same_events_as_the_pipeline_gives_directly) {
  const auto files = corpus_captures();
  ASSERT_GT(files.size(), 60u);
  std::size_t events = 0, udp = 0, diags = 0, others = 0, cut = 0;
  for (const std::string& f : files) {
    recorder direct;
    {
      cap::pipeline p;
      p.add_file(f);
      p.run(direct);
    }
    // tiny batches and a short queue: the producer waits for the consumer, and batches are reused
    for (std::size_t batch_events : {std::size_t{1}, std::size_t{7}, std::size_t{2048}}) {
      recorder relayed;
      cap::relay r(2, batch_events);
      cap::pipeline p;
      p.add_file(f);
      std::thread producer([&] {
        p.run(r);
        r.close();
      });
      EXPECT_TRUE(r.drain(relayed));
      producer.join();
      ASSERT_EQ(relayed.lines.size(), direct.lines.size()) << f;
      for (std::size_t i = 0; i < direct.lines.size(); ++i) ASSERT_EQ(relayed.lines[i], direct.lines[i]) << f << " event " << i;
      EXPECT_EQ(relayed.last_progress, direct.last_progress) << f;
      // Every datagram's bytes, except that a plain RTP one (version 2, no padding, extension
      // or CSRC, not an RTCP type) keeps its 12-byte header and 4 payload bytes only.
      ASSERT_EQ(relayed.payloads.size(), direct.payloads.size()) << f;
      for (std::size_t i = 0; i < direct.payloads.size(); ++i) {
        const std::string& d = direct.payloads[i].second;
        const std::string& r = relayed.payloads[i].second;
        const auto b1 = d.size() > 1 ? static_cast<unsigned char>(d[1]) : 0;
        const bool plain_rtp = d.size() > 16 && static_cast<unsigned char>(d[0]) == 0x80 && (b1 < 192 || b1 > 223);
        if (plain_rtp) {
          ASSERT_EQ(r, d.substr(0, 16)) << f << " datagram " << i;
          ++cut;
        } else {
          ASSERT_EQ(r, d) << f << " datagram " << i;
        }
      }
    }
    events += direct.lines.size();
    for (const std::string& l : direct.lines) {
      if (l.starts_with("udp")) ++udp;
      else if (l.starts_with("diag")) ++diags;
      else if (!l.starts_with("sip")) ++others;
    }
  }
  // the corpus has every kind: RTP, diagnostics (truncated files...), ICMP and TCP SYN/RST
  EXPECT_GT(events, 1000u);
  EXPECT_GT(udp, 100u);
  EXPECT_GT(cut, 100u);          // RTP crossed cut short
  EXPECT_LT(cut, 3 * udp);       // (each of the 3 runs) and other datagrams whole
  EXPECT_GT(diags, 0u);
  EXPECT_GT(others, 0u);
}

TEST(relay, cancel_stops_both_sides) {
  const fs::path f = fs::path(SIPSCOPE_CORPUS_DIR) / "calls" / "basic-call.pcap";
  cap::relay r(1, 1);
  cap::pipeline p;
  p.add_file(f.string());
  struct stopper : cap::handler {
    cap::relay* r = nullptr;
    cap::pipeline* p = nullptr;
    int seen = 0;
    void on_udp(const cap::udp_event&) override {
      if (++seen == 3) {
        r->cancel();
        p->stop();
      }
    }
    void on_sip(const cap::sip_event&) override { on_udp({}); }
  } h;
  h.r = &r;
  h.p = &p;
  std::thread producer([&] {
    p.run(r);
    r.close();
  });
  EXPECT_FALSE(r.drain(h));
  producer.join();   // returns: the producer's waits end with the cancel
  EXPECT_EQ(h.seen, 3);
}

// capture::handoff: the downstream handler gets every event once, in order, on the owner's
// thread up to the claim and on the helper's after it; a claim after finish() is refused.
namespace {

// The recorder, plus the thread of each event, and a claim made from inside the callback of
// event `claim_at` (deterministic: the next event is the first one relayed).
class switching : public recorder {
 public:
  cap::handoff* ho = nullptr;
  std::size_t claim_at = 0;   // 0: never
  std::thread helper;
  std::vector<std::thread::id> threads;
  void seen() {
    threads.push_back(std::this_thread::get_id());
    if (threads.size() == claim_at && ho->claim()) helper = std::thread([this] { ho->help(); });
  }
  void on_sip(const cap::sip_event& e) override { recorder::on_sip(e); seen(); }
  void on_udp(const cap::udp_event& e) override { recorder::on_udp(e); seen(); }
  void on_diag(const cap::diag_event& e) override { recorder::on_diag(e); seen(); }
  void on_icmp(const cap::icmp_event& e) override { recorder::on_icmp(e); seen(); }
  void on_tcp(const cap::tcp_event& e) override { recorder::on_tcp(e); seen(); }
};

}  // namespace

TEST(handoff, same_events_whenever_a_helper_takes_over) {
  const fs::path f = fs::path(SIPSCOPE_CORPUS_DIR) / "explain" / "low-mos.pcap";   // ~1 500 RTP
  recorder direct;
  {
    cap::pipeline p;
    p.add_file(f.string());
    p.run(direct);
  }
  const std::size_t n = direct.lines.size();
  ASSERT_GT(n, 100u);
  for (std::size_t at : {std::size_t{0}, std::size_t{1}, n / 3, n - 1, n}) {
    switching down;
    cap::handoff ho(down);
    down.ho = &ho;
    down.claim_at = at;
    cap::pipeline p;
    p.add_file(f.string());
    p.run(ho);
    ho.finish();   // returns once the helper has handed over the last event
    if (down.helper.joinable()) down.helper.join();
    // (after the last line, a progress report may still cross)
    if (at < n) {
      EXPECT_EQ(ho.switched(), at != 0) << "claim after event " << at;
    }
    ASSERT_EQ(down.lines, direct.lines) << "claim after event " << at;
    EXPECT_EQ(down.last_progress, direct.last_progress);
    // Up to the claim, the owner's thread and whole payloads; after it, another thread and the
    // relay's (plain RTP cut to its header and 4 bytes).
    const std::size_t owner_events = at == 0 ? n : at;
    std::size_t relayed_cut = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const bool owner = down.threads[i] == std::this_thread::get_id();
      ASSERT_EQ(owner, i < owner_events) << "event " << i;
    }
    for (std::size_t i = 0; i < direct.payloads.size(); ++i) {
      const auto& [line, d] = direct.payloads[i];
      const std::string& r = down.payloads[i].second;
      if (line < owner_events || r == d) {
        ASSERT_EQ(r, d) << "datagram " << i;
      } else {
        ASSERT_EQ(r, d.substr(0, 16)) << "datagram " << i;
        ++relayed_cut;
      }
    }
    if (at == n / 3) {
      EXPECT_GT(relayed_cut, 50u);   // RTP after the claim did cross the relay
    }
  }
}

TEST(handoff, a_claim_after_finish_or_a_second_claim_is_refused) {
  recorder down;
  {
    cap::handoff ho(down);
    ho.finish();
    EXPECT_FALSE(ho.claim());   // the owner is done: nothing to help with
  }
  {
    cap::handoff ho(down);
    ASSERT_TRUE(ho.claim());
    EXPECT_FALSE(ho.claim());   // one helper per capture
    std::thread helper([&] { ho.help(); });
    ho.finish();                // no event after the claim: the helper returns all the same
    helper.join();
    EXPECT_FALSE(ho.switched());
  }
  EXPECT_TRUE(down.lines.empty());
}
