// SIP messages found per capture of ../shared/corpus/pcap, against tshark 4.0.17's
// `tshark -r F -Y sip | wc -l` (MANIFEST.tsv, sip_msgs_tshark4_0), and the project's own
// captures in corpus/pcap (corpus/pcap/README.md).
//
// Every row is a pass/fail comparison. Where sipscope and tshark differ, the row says why it is
// tshark's limitation or error: tshark has no HEP dissector (it counts 0 SIP in HEP captures;
// the counts here were checked against a hand decode of every HEP packet, see
// tests/capture/hep_test.cpp), and 4.0 takes HTTP on port 5060 for SIP continuations.
#include "sipscope/capture/pipeline.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "pcap_writer.hpp"

namespace sipscope::capture {
namespace {

namespace fs = std::filesystem;

enum class status { equal, tshark_no_hep, tshark_wrong };

struct expectation {
  const char* file;
  int tshark4_0;       // sip_msgs_tshark4_0 in MANIFEST.tsv (frames with SIP)
  int ours;            // sip_events from this slice
  status st;
  const char* note;
};

// clang-format off
const expectation shared[] = {
  {"wssample_SIP_CALL.pcap",                      14, 14, status::equal, ""},
  {"wssample_sip-rtp-g711.pcap",                  10, 10, status::equal, ""},
  {"wssample_sip-rtp-g729a.pcap",                  6,  6, status::equal, ""},
  {"wssample_sip-rtp-speex.pcap",                 18, 18, status::equal, ""},
  {"wssample_SIP_DTMF2.pcap",                     29, 29, status::equal, ""},
  {"wssample_metasploit-sip-invite-spoof.pcap",    2,  2, status::equal, ""},
  {"wssample_aaa.pcap",                           81, 81, status::equal, ""},
  {"wssample_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",  92, 92, status::equal, ""},
  {"heplify_ipip0.pcap",                           8,  8, status::equal, "raw IP link, IP-in-IP tunnel"},
  {"ndpi_sip_hello.pcapng",                        8,  8, status::equal, ""},
  {"suricata-verify_cloudshark-sip-s0.pcap",      10, 10, status::equal, ""},
  {"suricata-verify_sip_compact_form.pcap",        1,  1, status::equal, ""},
  {"suricata-verify_sip_header_multi_val.pcap",    1,  1, status::equal, ""},
  {"pcapplusplus_sip_non_default_port.pcap",       2,  2, status::equal, "SIP on a non-default port"},
  {"zeek_sip-junk-before-request.pcap",            1,  1, status::equal, "frame 1 is 4 junk bytes: a udp_event"},
  {"zeek_invalid-content-length.pcap",             2,  2, status::equal, ""},
  {"rtpproxy_lost.pcap",                           0,  0, status::equal, "RTP only"},
  {"rtpproxy_DLT_NULL.pcap",                       0,  0, status::equal, "RTP only, DLT_NULL, IPv4 and IPv6"},
  {"ndpi_http_on_sip_port.pcap",                   2,  0, status::tshark_wrong,
   "HTTP on port 5060: tshark 4.0.17 shows 2 'SIP Continuation' frames, 4.4.19 shows 0 (MANIFEST note)"},
  {"sngrep_ipv6frag.pcap",                        32, 32, status::equal,
   "IPv6, SLL: 30 SIP datagrams unfragmented, 2 reassembled from IPv6 fragments"},
  {"suricata-verify_sip-tcp.pcap",                 2,  2, status::equal, "SIP over TCP"},
  {"suricata-verify_sip-body-large.pcap",          2,  2, status::equal, "SIP over TCP, BSD null link"},
  {"hep-wireshark_hep.pcap",                       0,  6, status::tshark_no_hep,
   "8 HEP3 packets on UDP 9060: 6 SIP, 1 log, 1 RTCP JSON; tshark has no HEP dissector"},
  {"hep-wireshark_hep3_compressed.pcapng",         0, 21, status::tshark_no_hep,
   "21 compressed HEP3 packets over TCP (SLL): 7 SIP messages, each sent 3 times"},
};
// clang-format on

struct counter : handler {
  int sip = 0, udp = 0, errors = 0;
  void on_sip(const sip_event&) override { ++sip; }
  void on_udp(const udp_event&) override { ++udp; }
  void on_diag(const diag_event& d) override { errors += d.error; }
};

TEST(ingest_corpus, shared_pcaps_sip_messages_vs_tshark) {
  fs::path dir = fs::path(SIPSCOPE_SHARED_CORPUS_DIR) / "pcap";
  if (!fs::exists(dir / "MANIFEST.tsv")) GTEST_SKIP() << "no shared corpus at " << dir;
  // every capture of the manifest has a row here
  std::ifstream m(dir / "MANIFEST.tsv");
  std::string line;
  std::getline(m, line);
  std::size_t rows = 0;
  while (std::getline(m, line)) {
    std::string name = line.substr(0, line.find('\t'));
    bool found = false;
    for (auto& e : shared) found |= name == e.file;
    EXPECT_TRUE(found) << name << " has no expectation row";
    ++rows;
  }
  EXPECT_EQ(rows, std::size(shared));

  for (const expectation& e : shared) {
    pipeline p;
    p.add_file((dir / e.file).string());
    counter c;
    ASSERT_TRUE(p.run(c)) << e.file;
    EXPECT_EQ(c.sip, e.ours) << e.file << ": " << e.note;
    if (e.st == status::equal) {
      EXPECT_EQ(c.sip, e.tshark4_0) << e.file;
    }
    std::printf("  %-44s tshark4.0 %3d  sipscope %3d  %s\n", e.file, e.tshark4_0, c.sip,
                e.st == status::equal            ? "equal"
                : e.st == status::tshark_wrong   ? "tshark wrong"
                                                 : "tshark has no HEP dissector");
  }
}

// ---- the project's own captures (corpus/pcap/README.md) ----------------------------------

// The captures written with pcap_writer.hpp; regenerated on purpose with
//   SIPSCOPE_WRITE_CORPUS=1 build/bin/capture_tests --gtest_filter='ingest_corpus.*'
void write_own_captures(const fs::path& dir) {
  using namespace sipscope::test;
  const std::int64_t t = 1735732800LL * 1000000000;
  auto v4 = [](std::string_view pl, unsigned sp, unsigned dp) {
    return ipv4(ip4("192.0.2.10"), ip4("192.0.2.20"), 17, udp_header(sp, dp, pl));
  };
  auto v6 = [](std::string_view pl, unsigned sp, unsigned dp) {
    return ipv6(ip6("2001:db8::10"), ip6("2001:db8::20"), 17, udp_header(sp, dp, pl));
  };
  // mixed-links.pcapng: Ethernet (µs), SLL (ns), raw IP (µs) interfaces in one section
  pcapng_writer g;
  g.interface(1);
  g.interface(113, 262144, 9);
  g.interface(101);
  g.epb(0, std::uint64_t(t / 1000), ethernet(0x0800, v4(sip_invite(), 5060, 5060), {{0x8100, 100}}));
  g.epb(1, std::uint64_t(t + 1000000), sll(0x86dd, v6(sip_200(), 5060, 5060)));
  g.epb(2, std::uint64_t(t / 1000 + 2000), v4(rtp_packet(1), 16384, 16386));
  g.epb(0, std::uint64_t(t / 1000 + 3000), ethernet(0x0800, v4(sip_invite("odd-port"), 40000, 40002)));
  g.epb(2, std::uint64_t(t / 1000 + 4000),
        ipv4(ip4("203.0.113.1"), ip4("203.0.113.2"), 4, v4(sip_200(), 5060, 5060)));   // IP-in-IP
  write_file((dir / "mixed-links.pcapng").string(), g.out);
  // damaged-truncated.pcap: a bogus IPv4 total length, a lying UDP length, then a record cut
  pcap_writer w(1);
  w.add(t, ethernet(0x0800, ipv4(ip4("192.0.2.10"), ip4("192.0.2.20"), 17, udp_header(5060, 5060, sip_200()), 1400)));
  w.add(t + 1000, ethernet(0x0800, ipv4(ip4("192.0.2.10"), ip4("192.0.2.20"), 17, udp_header(5060, 5060, sip_200(), 900))));
  w.add(t + 2000, ethernet(0x0800, v4(sip_invite(), 5060, 5060)));
  write_file((dir / "damaged-truncated.pcap").string(), std::string_view(w.out).substr(0, w.out.size() - 100));

  // link-zoo.pcapng: one INVITE (Call-ID zoo-N) through each link type and tunnel the pipeline
  // decodes, so that the capture fuzzer (fuzz_capture, seeded from this directory) starts
  // from every decoder, not only Ethernet/SLL/raw.
  pcapng_writer z;
  for (std::uint16_t lt : {0, 108, 12, 14, 228, 229, 276, 1}) z.interface(lt);
  const unsigned null_if = 0, loop_if = 1, raw12_if = 2, raw14_if = 3, ip4_if = 4, ip6_if = 5, sll2_if = 6, eth_if = 7;
  int n = 0;
  std::uint64_t at = std::uint64_t(t / 1000);
  auto inv = [&n] { return sip_invite("zoo-" + std::to_string(++n)); };
  auto outer4 = [](unsigned proto, std::string_view inner) {
    return ipv4(ip4("198.51.100.1"), ip4("198.51.100.2"), proto, inner);
  };
  auto gre = [](unsigned flags, unsigned proto, std::string_view extra, std::string_view inner) {
    bytes b;
    put16be(b, flags);
    put16be(b, proto);
    b.append(extra);
    b.append(inner);
    return b;
  };
  z.epb(null_if, at += 1000, null_link(2, v4(inv(), 5060, 5060), false));          // BSD null, AF_INET
  z.epb(null_if, at += 1000, null_link(30, v6(inv(), 5060, 5060), false));         // AF_INET6 (macOS)
  z.epb(loop_if, at += 1000, null_link(2, v4(inv(), 5060, 5060), true));           // OpenBSD loop
  z.epb(raw12_if, at += 1000, v4(inv(), 5060, 5060));
  z.epb(raw14_if, at += 1000, v6(inv(), 5060, 5060));
  z.epb(ip4_if, at += 1000, v4(inv(), 5060, 5060));
  z.epb(ip6_if, at += 1000, v6(inv(), 5060, 5060));
  z.epb(sll2_if, at += 1000, sll2(0x0800, v4(inv(), 5060, 5060)));
  z.epb(eth_if, at += 1000, ethernet(0x86dd, v6(inv(), 5060, 5060), {{0x88a8, 10}, {0x8100, 20}}));   // QinQ
  {
    bytes mpls;   // two labels, the second the bottom of the stack, then IPv4
    put32be(mpls, (16u << 12) | 64);
    put32be(mpls, (17u << 12) | (1u << 8) | 64);
    z.epb(eth_if, at += 1000, ethernet(0x8847, mpls + v4(inv(), 5060, 5060)));
  }
  bytes key;
  put32be(key, 42);
  z.epb(eth_if, at += 1000, ethernet(0x0800, outer4(47, gre(0x2000, 0x0800, key, v4(inv(), 5060, 5060)))));   // GRE key
  z.epb(eth_if, at += 1000, ethernet(0x0800, outer4(47, gre(0, 0x6558, {}, ethernet(0x0800, v4(inv(), 5060, 5060))))));
  {
    bytes seq_erspan;   // GRE sequence number, then the 8-byte ERSPAN II header
    put32be(seq_erspan, 7);
    put32be(seq_erspan, 0x10000000u | 5);
    put32be(seq_erspan, 0);
    z.epb(eth_if, at += 1000,
          ethernet(0x0800, outer4(47, gre(0x1000, 0x88be, seq_erspan, ethernet(0x0800, v4(inv(), 5060, 5060))))));
    bytes erspan3(12, '\0');   // ERSPAN III (version 2), no platform subheader
    erspan3[0] = 0x20;
    z.epb(eth_if, at += 1000, ethernet(0x0800, outer4(47, gre(0x1000, 0x22eb, std::string(4, '\0') + erspan3,
                                                                ethernet(0x0800, v4(inv(), 5060, 5060))))));
  }
  z.epb(eth_if, at += 1000, ethernet(0x0800, outer4(41, v6(inv(), 5060, 5060))));   // 6in4
  z.epb(eth_if, at += 1000,
        ethernet(0x86dd, ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"), 41, v6(inv(), 5060, 5060))));   // IPv6 in IPv6
  {
    bytes vx;   // VXLAN: I flag, VNI 100, then an Ethernet frame
    put32be(vx, 0x08000000u);
    put32be(vx, 100u << 8);
    z.epb(eth_if, at += 1000, ethernet(0x0800, ipv4(ip4("198.51.100.1"), ip4("198.51.100.2"), 17,
                                                    udp_header(49152, 4789, vx + ethernet(0x0800, v4(inv(), 5060, 5060))))));
  }
  write_file((dir / "link-zoo.pcapng").string(), z.out);
}

struct tally : handler {
  int sip = 0, udp = 0, errors = 0;
  timestamp_ns last = INT64_MIN;
  bool ordered = true;
  void on_sip(const sip_event& e) override { ++sip; ordered &= e.time >= last; last = e.time; }
  void on_udp(const udp_event& e) override { ++udp; ordered &= e.time >= last; last = e.time; }
  void on_diag(const diag_event& d) override { errors += d.error; }
};

TEST(ingest_corpus, own_captures_match_their_expectations) {
  fs::path dir = fs::path(SIPSCOPE_CORPUS_DIR) / "pcap";
  if (std::getenv("SIPSCOPE_WRITE_CORPUS")) write_own_captures(dir);
  std::ifstream in(dir / "EXPECT.tsv");
  ASSERT_TRUE(in) << dir / "EXPECT.tsv";
  std::string line;
  std::getline(in, line);   // header
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string files;
    std::uint64_t frames = 0, tcp = 0;
    int sip = 0, udp = 0, errors = 0;
    ls >> files >> frames >> sip >> udp >> errors >> tcp;
    pipeline p;
    std::istringstream fs_(files);
    for (std::string f; std::getline(fs_, f, ',');) p.add_file((dir / f).string());
    tally c;
    p.run(c);
    EXPECT_EQ(p.stats().frames, frames) << files;
    EXPECT_EQ(c.sip, sip) << files;
    EXPECT_EQ(c.udp, udp) << files;
    EXPECT_EQ(c.errors, errors) << files;
    EXPECT_EQ(p.stats().tcp_segments, tcp) << files;
    EXPECT_TRUE(c.ordered) << files << ": events not in time order";
    ++rows;
  }
  EXPECT_GE(rows, 5);
}

}  // namespace
}  // namespace sipscope::capture
