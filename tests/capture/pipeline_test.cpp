// Capture ingestion, end to end on captures written by pcap_writer.hpp: every link type, both
// IP versions, VLAN/QinQ, tunnels, file formats and their damage, merging, the hook points.
#include "sipscope/capture/pipeline.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "pcap_writer.hpp"

namespace sipscope::capture {
namespace {

using namespace sipscope::test;
namespace fs = std::filesystem;

struct recorded {
  char kind;   // 's' sip, 'u' udp, 'd' diag
  std::string bytes;
  frame_ref frame;
  timestamp_ns time = 0;
  endpoint src, dst;
  carriage via;
  diag_kind dk{};
  std::uint64_t offset = 0;
  bool error = true;
};

struct recorder : handler {
  std::vector<recorded> ev;
  std::uint64_t last_done = 0, last_total = 0;
  void on_sip(const sip_event& e) override {
    ev.push_back({'s', std::string(e.bytes), e.frame, e.time, e.src, e.dst, e.via});
  }
  void on_udp(const udp_event& e) override {
    ev.push_back({'u', std::string(e.payload), e.frame, e.time, e.src, e.dst, e.via});
  }
  void on_diag(const diag_event& e) override {
    recorded r;
    r.kind = 'd';
    r.bytes = std::string(e.what);
    r.frame = e.frame;
    r.dk = e.kind;
    r.offset = e.byte_offset;
    r.error = e.error;
    ev.push_back(r);
  }
  void on_progress(std::uint64_t d, std::uint64_t t) override { last_done = d; last_total = t; }
  std::vector<recorded> of(char k) const {
    std::vector<recorded> v;
    for (auto& e : ev) if (e.kind == k) v.push_back(e);
    return v;
  }
  std::vector<diag_kind> diags() const {
    std::vector<diag_kind> v;
    for (auto& e : ev) if (e.kind == 'd') v.push_back(e.dk);
    return v;
  }
};

std::string temp_path(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("sipscope-capture-" + std::to_string(getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

std::string write_temp(const std::string& name, std::string_view data) {
  std::string p = temp_path(name);
  EXPECT_TRUE(write_file(p, data));
  return p;
}

struct run_result {
  recorder rec;
  statistics st;
  bool ok = false;
};

run_result run_files(const std::vector<std::string>& paths, pipeline_options o = {}) {
  run_result r;
  pipeline p(o);
  for (auto& f : paths) p.add_file(f);
  r.ok = p.run(r.rec);
  r.st = p.stats();
  return r;
}
run_result run_bytes(std::string_view data, pipeline_options o = {}, const char* name = "t.pcap") {
  return run_files({write_temp(name, data)}, std::move(o));
}

const std::int64_t t0 = 1700000000LL * 1000000000 + 123456000;   // µs-exact

bytes udp4_packet(std::string_view payload, unsigned sport = 5060, unsigned dport = 5060) {
  return ipv4(ip4("192.0.2.1"), ip4("198.51.100.2"), 17, udp_header(sport, dport, payload));
}
bytes udp6_packet(std::string_view payload, unsigned sport = 5060, unsigned dport = 5060) {
  return ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"), 17, udp_header(sport, dport, payload));
}

// ---- the basics -------------------------------------------------------------------------

TEST(pipeline, ethernet_ipv4_udp_sip_exact_event) {
  std::string inv = sip_invite();
  pcap_writer w(1);
  w.add(t0, ethernet(0x0800, udp4_packet(inv, 5062, 5060)));
  w.add(t0 + 1000, ethernet(0x0800, udp4_packet(sip_200(), 5060, 5062)));
  auto r = run_bytes(w.out);
  ASSERT_TRUE(r.ok);
  auto s = r.rec.of('s');
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].bytes, inv);
  EXPECT_EQ(s[0].frame.file, 0u);
  EXPECT_EQ(s[0].frame.number, 1u);
  EXPECT_EQ(s[0].frame.offset, 24u);
  EXPECT_EQ(s[0].time, t0);
  EXPECT_EQ(s[0].src.to_string(), "192.0.2.1:5062");
  EXPECT_EQ(s[0].dst.to_string(), "198.51.100.2:5060");
  EXPECT_EQ(s[1].frame.number, 2u);
  EXPECT_EQ(s[1].frame.offset, w.offsets[1]);
  EXPECT_EQ(s[1].time, t0 + 1000);
  EXPECT_EQ(s[1].bytes, sip_200());
  EXPECT_TRUE(r.rec.of('d').empty());
  EXPECT_EQ(r.st.frames, 2u);
  EXPECT_EQ(r.st.sip_messages, 2u);
  EXPECT_EQ(r.st.per_link_type.at(1), 2u);
  EXPECT_EQ(r.rec.last_total, w.out.size());
  EXPECT_EQ(r.rec.last_done, w.out.size());
}

TEST(pipeline, nanosecond_and_big_endian_pcap) {
  const std::int64_t t = 1700000000LL * 1000000000 + 123456789;
  for (bool big : {false, true}) {
    pcap_writer w(1, /*nano*/ true, big);
    w.add(t, ethernet(0x0800, udp4_packet(sip_200())));
    auto r = run_bytes(w.out);
    auto s = r.rec.of('s');
    ASSERT_EQ(s.size(), 1u) << big;
    EXPECT_EQ(s[0].time, t);
  }
}

TEST(pipeline, rtp_is_a_udp_event_and_sip_is_found_on_any_port) {
  pcap_writer w(1);
  w.add(t0, ethernet(0x0800, udp4_packet(rtp_packet(7), 20000, 30000)));
  w.add(t0 + 1, ethernet(0x0800, udp4_packet(sip_invite(), 40000, 12345)));
  w.add(t0 + 2, ethernet(0x0800, udp4_packet("\r\n\r\n", 5060, 5060)));   // keep-alive
  w.add(t0 + 3, ethernet(0x0800, udp4_packet("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", 5060, 5060)));
  auto r = run_bytes(w.out);
  auto u = r.rec.of('u');
  auto s = r.rec.of('s');
  ASSERT_EQ(u.size(), 3u);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(u[0].bytes, rtp_packet(7));
  EXPECT_EQ(u[0].src.port, 20000);
  EXPECT_EQ(u[0].dst.port, 30000);
  EXPECT_EQ(s[0].dst.port, 12345);
  EXPECT_EQ(s[0].frame.number, 2u);
  EXPECT_EQ(r.st.udp_datagrams, 3u);
}

TEST(pipeline, sip_datagram_with_trailing_bytes_is_handed_whole) {
  std::string m = sip_200() + std::string("\0\0\0garbage", 10);
  pcap_writer w(1);
  w.add(t0, ethernet(0x0800, udp4_packet(m)));
  auto s = run_bytes(w.out).rec.of('s');
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].bytes, m);
}

TEST(pipeline, looks_like_sip_shapes) {
  EXPECT_TRUE(looks_like_sip("SIP/2.0 200 OK\r\n"));
  EXPECT_TRUE(looks_like_sip("SIP/2.0 180\r\n\r\n"));
  EXPECT_TRUE(looks_like_sip("REGISTER sip:example.com SIP/2.0\r\n"));
  EXPECT_TRUE(looks_like_sip("FOO tel:+1555 SIP/2.0\n"));
  EXPECT_FALSE(looks_like_sip("SIP/2.0 2000 OK\r\n"));
  EXPECT_FALSE(looks_like_sip("SIP/2.0 20 OK\r\n\r\n"));
  EXPECT_FALSE(looks_like_sip("GET / HTTP/1.1\r\nHost: a\r\n"));
  EXPECT_FALSE(looks_like_sip("INVITE bob SIP/2.0\r\n"));            // no scheme
  EXPECT_FALSE(looks_like_sip("INVITE sip:bob SIP/2.0 extra\r\n"));
  EXPECT_FALSE(looks_like_sip("\x80\x00\x12\x34sip:x SIP/2.0\r\n"));
  EXPECT_FALSE(looks_like_sip("INVITE  sip:bob@x SIP/2.0\r\n"));      // the parser's leniency, not ours
  EXPECT_FALSE(looks_like_sip(""));
}

// ---- link layers, both IP versions ------------------------------------------------------

struct link_case {
  const char* name;
  std::uint32_t linktype;
  bytes (*frame)(const bytes& ip, bool v6);
  std::uint16_t vlan;
};

const link_case link_cases[] = {
    {"ethernet", 1, [](const bytes& ip, bool v6) { return ethernet(v6 ? 0x86dd : 0x0800, ip); }, 0},
    {"vlan", 1, [](const bytes& ip, bool v6) { return ethernet(v6 ? 0x86dd : 0x0800, ip, {{0x8100, 42}}); }, 42},
    {"qinq", 1,
     [](const bytes& ip, bool v6) { return ethernet(v6 ? 0x86dd : 0x0800, ip, {{0x88a8, 100}, {0x8100, 7}}); }, 100},
    {"qinq3", 1,
     [](const bytes& ip, bool v6) {
       return ethernet(v6 ? 0x86dd : 0x0800, ip, {{0x9100, 5}, {0x88a8, 6}, {0x8100, 7}});
     },
     5},
    {"sll", 113, [](const bytes& ip, bool v6) { return sll(v6 ? 0x86dd : 0x0800, ip); }, 0},
    {"sll2", 276, [](const bytes& ip, bool v6) { return sll2(v6 ? 0x86dd : 0x0800, ip); }, 0},
    {"raw101", 101, [](const bytes& ip, bool) { return ip; }, 0},
    {"raw_ipv4_or_ipv6", 0xffff, [](const bytes& ip, bool) { return ip; }, 0},   // 228 / 229
    {"null_host_order", 0, [](const bytes& ip, bool v6) { return null_link(v6 ? 30 : 2, ip, false); }, 0},
    {"null_linux_af", 0, [](const bytes& ip, bool v6) { return null_link(v6 ? 10 : 2, ip, false); }, 0},
    {"null_big_endian", 0, [](const bytes& ip, bool v6) { return null_link(v6 ? 24 : 2, ip, true); }, 0},
    {"openbsd_loop", 108, [](const bytes& ip, bool v6) { return null_link(v6 ? 24 : 2, ip, true); }, 0},
};

TEST(pipeline, every_link_type_both_ip_versions_pcap_and_pcapng) {
  std::string inv = sip_invite();
  for (const link_case& c : link_cases) {
    for (bool v6 : {false, true}) {
      bytes ip = v6 ? udp6_packet(inv, 5070, 5080) : udp4_packet(inv, 5070, 5080);
      std::uint32_t lt = c.linktype == 0xffff ? (v6 ? 229 : 228) : c.linktype;
      pcap_writer w(lt);
      w.add(t0, c.frame(ip, v6));
      pcapng_writer g;
      g.interface(std::uint16_t(lt));
      g.epb(0, std::uint64_t(t0 / 1000), c.frame(ip, v6));
      for (const bytes& file : {w.out, g.out}) {
        auto r = run_bytes(file);
        auto s = r.rec.of('s');
        ASSERT_EQ(s.size(), 1u) << c.name << " v6=" << v6;
        EXPECT_EQ(s[0].bytes, inv) << c.name;
        EXPECT_EQ(s[0].time, t0) << c.name;
        EXPECT_EQ(s[0].via.vlan, c.vlan) << c.name;
        EXPECT_FALSE(s[0].via.tunnelled);
        EXPECT_EQ(s[0].src.to_string(), v6 ? "[2001:db8::1]:5070" : "192.0.2.1:5070") << c.name;
        EXPECT_EQ(s[0].dst.to_string(), v6 ? "[2001:db8::2]:5080" : "198.51.100.2:5080") << c.name;
        EXPECT_TRUE(r.rec.of('d').empty()) << c.name << " " << r.rec.of('d')[0].bytes;
      }
    }
  }
}

TEST(pipeline, ipv4_options_and_ipv6_extension_headers) {
  std::string inv = sip_invite();
  bytes opt4 = ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), 17, udp_header(5060, 5060, inv), -1, 0, false, 1,
                    std::string("\x94\x04\x00\x00\x01\x01\x01\x00", 8));   // router alert, NOP, EOL
  bytes ext6 = ipv6_opts(60) + ipv6_opts(44) + ipv6_frag(17, 0, false, 9) + udp_header(5060, 5060, inv);
  bytes p6 = ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"), 0, ext6);   // HBH, dest opts, atomic fragment
  pcap_writer w(101);
  w.add(t0, opt4).add(t0 + 1, p6);
  auto r = run_bytes(w.out);
  auto s = r.rec.of('s');
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].bytes, inv);
  EXPECT_EQ(s[1].bytes, inv);
  EXPECT_EQ(r.st.ip_fragments, 0u);
}

TEST(pipeline, ethernet_padding_is_trimmed_by_the_ip_total_length) {
  bytes f = ethernet(0x0800, udp4_packet("SIP/2.0 200 OK\r\n\r\n"));
  f.append(20, '\0');
  pcap_writer w(1);
  w.add(t0, f);
  auto s = run_bytes(w.out).rec.of('s');
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].bytes, "SIP/2.0 200 OK\r\n\r\n");
}

TEST(pipeline, tunnels_ipip_gre_erspan_vxlan) {
  std::string inv = sip_invite();
  bytes inner4 = udp4_packet(inv);
  bytes inner6 = udp6_packet(inv);
  auto outer = [](unsigned proto, const bytes& payload) {
    return ethernet(0x0800, ipv4(ip4("203.0.113.1"), ip4("203.0.113.2"), proto, payload));
  };
  auto gre = [](unsigned flags, unsigned proto, const bytes& payload, unsigned extra_words) {
    bytes b;
    put16be(b, flags);
    put16be(b, proto);
    for (unsigned i = 0; i < extra_words; ++i) put32be(b, 0x01020304);
    return b + payload;
  };
  bytes erspan2(8, '\0');
  bytes erspan3(12, '\0');
  bytes vxlan;
  put32be(vxlan, 0x08000000);
  put32be(vxlan, 0x00000100);
  pcap_writer w(1);
  w.add(t0, outer(4, inner4));                                                 // IP-in-IP
  w.add(t0 + 1, outer(41, inner6));                                             // 6in4
  w.add(t0 + 2, outer(47, gre(0, 0x0800, inner4, 0)));                          // GRE
  w.add(t0 + 3, outer(47, gre(0x2000 | 0x1000, 0x86dd, inner6, 2)));            // GRE key + seq
  w.add(t0 + 4, outer(47, gre(0x1000, 0x88be, erspan2 + ethernet(0x0800, inner4), 1)));   // ERSPAN II
  w.add(t0 + 5, outer(47, gre(0x1000, 0x22eb, erspan3 + ethernet(0x0800, inner4, {{0x8100, 9}}), 1)));
  w.add(t0 + 6, ethernet(0x0800, udp4_packet(vxlan + ethernet(0x86dd, inner6), 49152, 4789)));
  auto r = run_bytes(w.out);
  auto s = r.rec.of('s');
  ASSERT_EQ(s.size(), 7u);
  for (auto& e : s) {
    EXPECT_TRUE(e.via.tunnelled) << e.frame.number;
    EXPECT_EQ(e.bytes, inv);
    EXPECT_EQ(e.dst.port, 5060);
  }
  EXPECT_EQ(s[0].src.ip.to_string(), "192.0.2.1");
  EXPECT_EQ(s[1].src.ip.to_string(), "2001:db8::1");
  EXPECT_EQ(s[5].via.vlan, 9);
  EXPECT_EQ(r.st.tunnelled, 7u);
}

// ---- damaged packets ---------------------------------------------------------------------

TEST(pipeline, lying_lengths) {
  std::string m = sip_200();
  pcap_writer w(101);
  // IPv4 total length beyond the frame, UDP consistent with what is there: used, with a diag
  w.add(t0, ipv4(ip4("192.0.2.1"), ip4("192.0.2.2"), 17, udp_header(5060, 5060, m), 1400));
  // UDP length beyond the IP payload: dropped
  w.add(t0 + 1, ipv4(ip4("192.0.2.1"), ip4("192.0.2.2"), 17, udp_header(5060, 5060, m, 1400)));
  // UDP length below 8
  w.add(t0 + 2, ipv4(ip4("192.0.2.1"), ip4("192.0.2.2"), 17, udp_header(5060, 5060, m, 4)));
  // IHL below 5
  bytes bad = ipv4(ip4("192.0.2.1"), ip4("192.0.2.2"), 17, udp_header(5060, 5060, m));
  bad[0] = 0x44;
  w.add(t0 + 3, bad);
  // total length below the header
  w.add(t0 + 4, ipv4(ip4("192.0.2.1"), ip4("192.0.2.2"), 17, udp_header(5060, 5060, m), 12));
  // IPv4 header cut (frame of 10 bytes, not a snaplen cut)
  w.add(t0 + 5, bad.substr(0, 10));
  // version 7 on a raw link
  bytes v7 = bad;
  v7[0] = 0x75;
  w.add(t0 + 6, v7);
  auto r = run_bytes(w.out);
  auto s = r.rec.of('s');
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].frame.number, 1u);
  EXPECT_EQ(s[0].bytes, m);
  std::vector<diag_kind> want = {diag_kind::ip_length_mismatch, diag_kind::bad_udp_header, diag_kind::bad_udp_header,
                                 diag_kind::bad_ip_header, diag_kind::bad_ip_header, diag_kind::truncated_packet,
                                 diag_kind::bad_ip_header};
  EXPECT_EQ(r.rec.diags(), want);
  auto d = r.rec.of('d');
  for (std::size_t i = 0; i < d.size(); ++i) EXPECT_EQ(d[i].frame.number, i + 1);
  EXPECT_EQ(d[1].offset, 20u);   // the UDP header, inside the frame
  EXPECT_EQ(r.st.diags.at(diag_kind::bad_udp_header), 2u);
}

TEST(pipeline, snaplen_cut_udp_is_delivered_with_a_diagnostic) {
  std::string m = sip_invite();
  bytes f = ethernet(0x0800, udp4_packet(m));
  pcap_writer w(1, false, false, 200);
  w.add(t0, f.substr(0, 200), std::uint32_t(f.size()));
  w.add(t0 + 1, f.substr(0, 30), std::uint32_t(f.size()));   // IP header cut by the snaplen
  auto r = run_bytes(w.out);
  auto s = r.rec.of('s');
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].bytes, m.substr(0, 200 - 42));
  EXPECT_EQ(r.rec.diags(), (std::vector<diag_kind>{diag_kind::snaplen_cut, diag_kind::snaplen_cut}));
}

TEST(pipeline, garbage_link_headers) {
  pcap_writer w(1);
  w.add(t0, bytes(10, 'x'));                                   // short Ethernet
  w.add(t0 + 1, ethernet(0x8100, bytes(2, '\0')));              // VLAN tag cut
  bytes deep;
  for (int i = 0; i < 12; ++i) { put16be(deep, 0x8100); put16be(deep, 1); }
  w.add(t0 + 2, mac(1) + mac(2) + deep + udp4_packet(sip_200()));   // too many tags
  w.add(t0 + 3, ethernet(0x0806, bytes(28, '\0')));             // ARP: not IP, no diag
  auto r = run_bytes(w.out);
  EXPECT_EQ(r.rec.diags(), (std::vector<diag_kind>{diag_kind::bad_link_header, diag_kind::bad_link_header,
                                                   diag_kind::bad_link_header}));
  EXPECT_EQ(r.st.not_ip, 1u);
  EXPECT_EQ(r.st.frames, 4u);
}

TEST(pipeline, unsupported_link_type_is_named_once_per_file) {
  pcap_writer w(105);   // 802.11
  w.add(t0, "abc").add(t0 + 1, "def");
  auto r = run_bytes(w.out);
  auto d = r.rec.of('d');
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].dk, diag_kind::unsupported_link_type);
  EXPECT_NE(d[0].bytes.find("IEEE802_11"), std::string::npos);
  EXPECT_EQ(link_type_name(1), "EN10MB");
  EXPECT_EQ(link_type_name(105), "IEEE802_11");
  EXPECT_EQ(r.st.frames, 2u);
}

// ---- damaged files ----------------------------------------------------------------------

TEST(pipeline, truncated_in_record_header_and_in_payload) {
  pcap_writer w(1);
  w.add(t0, ethernet(0x0800, udp4_packet(sip_invite())));
  w.add(t0 + 1, ethernet(0x0800, udp4_packet(sip_200())));
  for (std::size_t cut : {w.offsets[1] + 7, w.offsets[1] + 16 + 30}) {
    auto r = run_bytes(std::string_view(w.out).substr(0, cut));
    ASSERT_EQ(r.rec.of('s').size(), 1u) << cut;   // what was read is kept
    auto d = r.rec.of('d');
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].dk, diag_kind::truncated_file);
    EXPECT_EQ(d[0].offset, w.offsets[1]);
    EXPECT_EQ(d[0].frame.number, 0u);
  }
  auto r = run_bytes(std::string_view(w.out).substr(0, 20));   // file header cut
  EXPECT_EQ(r.rec.diags(), std::vector<diag_kind>{diag_kind::truncated_file});
  EXPECT_FALSE(r.ok);
}

TEST(pipeline, bogus_record_lengths) {
  bytes f = ethernet(0x0800, udp4_packet(sip_200()));
  {  // caplen above libpcap's maximum: rest of the file unreadable
    pcap_writer w(1);
    w.add(t0, f);
    w.add(t0 + 1, f, 0, 300000);
    w.add(t0 + 2, f);
    auto r = run_bytes(w.out);
    EXPECT_EQ(r.rec.of('s').size(), 1u);
    auto d = r.rec.of('d');
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].dk, diag_kind::bad_record_length);
    EXPECT_EQ(d[0].offset, w.offsets[1]);
  }
  {  // caplen above the file's snaplen: libpcap cuts to the snaplen, offsets stay exact
    pcap_writer w(1, false, false, 64);
    w.add(t0, f);
    w.add(t0 + 1, f.substr(0, 60));
    auto r = run_bytes(w.out);
    auto d = r.rec.of('d');
    ASSERT_GE(d.size(), 1u);
    EXPECT_EQ(d[0].dk, diag_kind::bad_record_length);
    EXPECT_FALSE(d[0].error);
    EXPECT_EQ(r.st.frames, 2u);
    // the second record's frame_ref is exact although the first was longer than the snaplen
    struct last : handler {
      frame_ref f;
      void on_udp(const udp_event& e) override { f = e.frame; }
      void on_diag(const diag_event& e) override { if (e.frame.number) f = e.frame; }
    } h;
    pipeline p;
    p.add_file(write_temp("snap.pcap", w.out));
    p.run(h);
    EXPECT_EQ(h.f.number, 2u);
    EXPECT_EQ(h.f.offset, w.offsets[1]);
  }
}

TEST(pipeline, not_a_capture_and_cannot_open) {
  auto r = run_bytes("hello, this is not a capture file at all");
  EXPECT_EQ(r.rec.diags(), std::vector<diag_kind>{diag_kind::not_a_capture});
  EXPECT_FALSE(r.ok);
  auto r2 = run_files({temp_path("does-not-exist.pcap")});
  EXPECT_EQ(r2.rec.diags(), std::vector<diag_kind>{diag_kind::cannot_open});
  auto r3 = run_files({fs::temp_directory_path().string()});
  EXPECT_EQ(r3.rec.diags(), std::vector<diag_kind>{diag_kind::cannot_open});
}

// ---- pcapng -----------------------------------------------------------------------------

TEST(pipeline, pcapng_mixed_link_types_exact_offsets_and_resolutions) {
  std::string inv = sip_invite();
  for (bool big : {false, true}) {
    pcapng_writer g(big);
    g.interface(1);                         // Ethernet, µs
    g.interface(113, 65535, 9);             // SLL, ns
    g.other_block(5, 20);                   // an ISB between packets: skipped
    g.interface(101, 65535, 0x80 | 10);     // raw, 2^-10 s
    g.epb(0, std::uint64_t(t0 / 1000), ethernet(0x0800, udp4_packet(inv)));
    g.epb(1, std::uint64_t(t0 + 5), sll(0x86dd, udp6_packet(sip_200())));
    g.other_block(4, 8);                    // NRB
    g.epb(2, (std::uint64_t(1700000001) << 10) | 512, udp4_packet(rtp_packet(1), 10000, 10002));
    g.pb(0, std::uint64_t(t0 / 1000) + 7, ethernet(0x0800, udp4_packet(sip_200())));
    g.spb(ethernet(0x0800, udp4_packet(sip_200())));
    auto r = run_bytes(g.out, {}, "t.pcapng");
    auto s = r.rec.of('s');
    auto u = r.rec.of('u');
    ASSERT_EQ(s.size(), 4u) << big;
    ASSERT_EQ(u.size(), 1u);
    EXPECT_TRUE(r.rec.of('d').empty());
    EXPECT_EQ(s[0].frame.offset, g.offsets[0]);
    EXPECT_EQ(s[0].frame.number, 1u);
    EXPECT_EQ(s[0].time, t0);
    EXPECT_EQ(s[1].frame.offset, g.offsets[1]);
    EXPECT_EQ(s[1].time, t0 + 5);
    EXPECT_EQ(s[1].src.ip.family, 6);
    EXPECT_EQ(u[0].frame.offset, g.offsets[2]);
    EXPECT_EQ(u[0].frame.number, 3u);
    EXPECT_EQ(u[0].time, 1700000001LL * 1000000000 + 500000000);
    EXPECT_EQ(s[2].frame.number, 4u);
    EXPECT_EQ(s[2].time, t0 + 7000);
    EXPECT_EQ(s[3].frame.number, 5u);
    EXPECT_EQ(s[3].frame.offset, g.offsets[4]);
    EXPECT_EQ(r.st.per_link_type.at(1), 3u);
    EXPECT_EQ(r.st.per_link_type.at(113), 1u);
    EXPECT_EQ(r.st.per_link_type.at(101), 1u);
  }
}

TEST(pipeline, pcapng_damage) {
  pcapng_writer g;
  g.interface(1);
  g.epb(0, 1, ethernet(0x0800, udp4_packet(sip_200())));
  g.epb(5, 2, ethernet(0x0800, udp4_packet(sip_200())));   // undeclared interface
  g.epb(0, 3, ethernet(0x0800, udp4_packet(sip_200())));
  std::size_t cut = g.out.size() - 9;
  auto r = run_bytes(std::string_view(g.out).substr(0, cut), {}, "t.pcapng");
  EXPECT_EQ(r.rec.of('s').size(), 1u);
  auto d = r.rec.of('d');
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].dk, diag_kind::bad_record_length);
  EXPECT_EQ(d[0].frame.number, 2u);
  EXPECT_EQ(d[0].frame.offset, g.offsets[1]);
  EXPECT_EQ(d[1].dk, diag_kind::truncated_file);
  EXPECT_EQ(d[1].offset, g.offsets[2]);

  bytes bad = g.out;
  bad[g.offsets[1] + 4] = 0x03;   // block length not a multiple of 4
  auto r2 = run_bytes(bad, {}, "t.pcapng");
  EXPECT_EQ(r2.rec.of('s').size(), 1u);
  EXPECT_EQ(r2.rec.diags(), std::vector<diag_kind>{diag_kind::bad_record_length});

  // a block that promises 16 MiB and ends: truncated, and no 16 MiB buffer for 5 bytes
  bytes promise = g.out.substr(0, g.offsets[0]);
  put32le(promise, 6);
  put32le(promise, 16 * 1024 * 1024 - 4);
  promise += "short";
  auto r3 = run_bytes(promise, {}, "t.pcapng");
  auto d3 = r3.rec.of('d');
  ASSERT_EQ(d3.size(), 1u);
  EXPECT_EQ(d3[0].dk, diag_kind::truncated_file);
  EXPECT_EQ(d3[0].offset, g.offsets[0]);
}

// ---- inputs: gzip, stdin, several files, filter -------------------------------------------

TEST(pipeline, gzip_compressed_capture) {
  pcap_writer w(1);
  for (int i = 0; i < 50; ++i) w.add(t0 + i, ethernet(0x0800, udp4_packet(i % 5 ? rtp_packet(std::uint16_t(i)) : sip_invite())));
  std::string path = temp_path("t.pcap.gz");
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_TRUE(gz);
  gzwrite(gz, w.out.data(), unsigned(w.out.size()));
  gzclose(gz);
  auto r = run_files({path});
  EXPECT_EQ(r.st.sip_messages, 10u);
  EXPECT_EQ(r.st.udp_datagrams, 40u);
  EXPECT_TRUE(r.rec.of('d').empty());
  auto s = r.rec.of('s');
  ASSERT_EQ(s.size(), 10u);
  EXPECT_EQ(s[1].frame.number, 6u);
  EXPECT_EQ(s[1].frame.offset, w.offsets[5]);   // offsets in the uncompressed stream
  EXPECT_EQ(r.rec.last_total, fs::file_size(path));
  EXPECT_EQ(r.rec.last_done, fs::file_size(path));

  pcapng_writer g;   // a gzip'd pcapng goes through the block reader
  g.interface(1);
  g.epb(0, 1, ethernet(0x0800, udp4_packet(sip_200())));
  std::string p2 = temp_path("t.pcapng.gz");
  gz = gzopen(p2.c_str(), "wb");
  gzwrite(gz, g.out.data(), unsigned(g.out.size()));
  gzclose(gz);
  EXPECT_EQ(run_files({p2}).st.sip_messages, 1u);
}

TEST(pipeline, stdin_input) {
  pcap_writer w(1);
  w.add(t0, ethernet(0x0800, udp4_packet(sip_invite())));
  std::string path = write_temp("stdin.pcap", w.out);
  int saved = dup(STDIN_FILENO);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_TRUE(f);
  dup2(fileno(f), STDIN_FILENO);
  recorder rec;
  pipeline p;
  p.add_stdin();
  EXPECT_TRUE(p.run(rec));
  dup2(saved, STDIN_FILENO);
  close(saved);
  std::fclose(f);
  auto s = rec.of('s');
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].frame.offset, 24u);
}

TEST(pipeline, rotated_files_merged_by_time) {
  pcap_writer a(1), b(113, true);
  for (int i = 0; i < 4; ++i) {
    a.add(t0 + 2 * i * 1000, ethernet(0x0800, udp4_packet(sip_invite(), 5060, 5060 + i)));
    b.add(t0 + (2 * i + 1) * 1000, sll(0x0800, udp4_packet(sip_200(), 5060, 6000 + i)));
  }
  std::string pa = write_temp("a.pcap", a.out), pb = write_temp("b.pcap", b.out);
  auto r = run_files({pb, pa});
  auto s = r.rec.of('s');
  ASSERT_EQ(s.size(), 8u);
  for (std::size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(s[i].time, t0 + std::int64_t(i) * 1000);
    EXPECT_EQ(s[i].frame.file, i % 2 ? 0u : 1u);
    EXPECT_EQ(s[i].frame.number, i / 2 + 1);
  }
  EXPECT_EQ(r.st.files, 2u);
  EXPECT_EQ(r.rec.last_total, a.out.size() + b.out.size());
  pipeline_options seq;
  seq.merge_by_time = false;
  auto r2 = run_files({pb, pa}, seq);
  auto s2 = r2.rec.of('s');
  ASSERT_EQ(s2.size(), 8u);
  EXPECT_EQ(s2[0].frame.file, 0u);
  EXPECT_EQ(s2[3].frame.file, 0u);
  EXPECT_EQ(s2[4].frame.file, 1u);
}

TEST(pipeline, bpf_filter) {
  pcap_writer w(1);
  w.add(t0, ethernet(0x0800, udp4_packet(sip_invite(), 5060, 5060)));
  w.add(t0 + 1, ethernet(0x0800, udp4_packet(rtp_packet(1), 10000, 20000)));
  w.add(t0 + 2, ethernet(0x0800, udp4_packet(sip_200(), 5080, 5080)));
  pipeline_options o;
  o.filter = "udp port 5060 or portrange 10000-10010";
  auto r = run_bytes(w.out, o);
  EXPECT_EQ(r.st.sip_messages, 1u);
  EXPECT_EQ(r.st.udp_datagrams, 1u);
  EXPECT_EQ(r.st.filtered_out, 1u);
  auto u = r.rec.of('u');
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].frame.number, 2u);   // frame numbers count filtered frames too

  pcapng_writer g;   // per link type compiled filter in a mixed pcapng
  g.interface(1);
  g.interface(113);
  g.epb(0, 1, ethernet(0x0800, udp4_packet(sip_200(), 5060, 5060)));
  g.epb(1, 2, sll(0x0800, udp4_packet(sip_200(), 5060, 5060)));
  g.epb(1, 3, sll(0x0800, udp4_packet(sip_200(), 7000, 7000)));
  o.filter = "udp port 5060";
  EXPECT_EQ(run_bytes(g.out, o, "f.pcapng").st.sip_messages, 2u);

  pipeline_options bo;
  bo.filter = "udp port nonsense-port-name-xyz";
  pipeline bad(bo);
  bad.add_file("x");
  std::string err;
  EXPECT_FALSE(bad.ready(err));
  EXPECT_FALSE(err.empty());
}

// ---- hook points ------------------------------------------------------------------------

TEST(pipeline, fragments_without_defragmenter_are_counted_and_dropped) {
  std::string m = sip_invite();
  bytes l4 = udp_header(5060, 5060, m);
  pcap_writer w(101);
  w.add(t0, ipv4(ip4("192.0.2.1"), ip4("192.0.2.2"), 17, l4.substr(0, 48), -1, 0, true, 77));
  w.add(t0 + 1, ipv4(ip4("192.0.2.1"), ip4("192.0.2.2"), 17, l4.substr(48), -1, 48, false, 77));
  w.add(t0 + 2, ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"), 44, ipv6_frag(17, 0, true, 5) + l4.substr(0, 48)));
  pipeline_options bare;
  bare.standard_modules = false;
  auto r = run_bytes(w.out, bare);
  EXPECT_EQ(r.st.ip_fragments, 3u);
  EXPECT_EQ(r.st.sip_messages, 0u);
  EXPECT_EQ(r.st.diags.at(diag_kind::fragment_limit), 3u);
  // with the standard modules (the default) the IPv4 pair is reassembled into one SIP
  // message; the lone IPv6 first fragment never completes and is reported at the end
  auto d = run_bytes(w.out);
  EXPECT_EQ(d.st.ip_fragments, 3u);
  EXPECT_EQ(d.st.sip_messages, 1u);
  EXPECT_EQ(d.st.diags.count(diag_kind::fragment_limit), 0u);
  EXPECT_EQ(d.st.diags.at(diag_kind::fragment_timeout), 1u);
}

TEST(pipeline, defragmenter_hook_gets_fragments_and_its_datagram_is_decoded) {
  struct concat : fragment_hook {
    std::string buf, out;
    std::vector<hook_fragment> seen;
    bool add(const hook_fragment& f, std::string_view& d, handler&) override {
      seen.push_back(f);
      buf.append(f.payload);
      if (f.more) return false;
      out = buf;
      buf.clear();
      d = out;
      return true;
    }
  } defrag;
  std::string m = sip_invite();
  bytes l4 = udp_header(5060, 5062, m);
  pcap_writer w(101);
  w.add(t0, ipv4(ip4("192.0.2.1"), ip4("192.0.2.2"), 17, l4.substr(0, 48), -1, 0, true, 77));
  w.add(t0 + 1, ipv4(ip4("192.0.2.1"), ip4("192.0.2.2"), 17, l4.substr(48), -1, 48, false, 77));
  w.add(t0 + 2, ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"), 44, ipv6_frag(17, 0, true, 5) + l4.substr(0, 48)));
  w.add(t0 + 3, ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"), 44, ipv6_frag(17, 48, false, 5) + l4.substr(48)));
  recorder rec;
  pipeline p;
  p.set_defragmenter(&defrag);
  p.add_file(write_temp("frag.pcap", w.out));
  p.run(rec);
  auto s = rec.of('s');
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].bytes, m);
  EXPECT_TRUE(s[0].via.reassembled_ip);
  EXPECT_EQ(s[0].frame.number, 2u);
  EXPECT_EQ(s[0].dst.port, 5062);
  EXPECT_EQ(s[1].src.ip.family, 6);
  ASSERT_EQ(defrag.seen.size(), 4u);
  EXPECT_EQ(defrag.seen[0].id, 77u);
  EXPECT_EQ(defrag.seen[1].offset, 48u);
  EXPECT_EQ(defrag.seen[3].version, 6);
  EXPECT_EQ(defrag.seen[3].id, 5u);
  EXPECT_EQ(defrag.seen[3].protocol, 17);
  EXPECT_TRUE(rec.of('d').empty());
}

TEST(pipeline, tcp_segments_go_to_the_stream_hook_and_are_counted) {
  struct streams : stream_hook {
    std::vector<std::pair<std::string, std::uint32_t>> seen;
    void add(const hook_segment& s, handler&) override { seen.emplace_back(std::string(s.payload), s.seq); }
  } st;
  pcap_writer w(1);
  w.add(t0, ethernet(0x0800, ipv4(ip4("192.0.2.1"), ip4("192.0.2.2"), 6, tcp_header(40000, 5060, 1000, 1, 0x18, sip_invite()))));
  w.add(t0 + 1, ethernet(0x86dd, ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"), 6, tcp_header(5060, 40000, 9, 1, 0x10, ""))));
  pipeline_options bare;
  bare.standard_modules = false;
  auto r = run_bytes(w.out, bare);
  EXPECT_EQ(r.st.tcp_segments, 2u);
  EXPECT_EQ(r.st.tcp_payload_bytes, sip_invite().size());
  EXPECT_EQ(r.st.sip_messages, 0u);   // without a stream module TCP is only counted
  // the standard stream module frames the INVITE out of the stream
  recorder std_rec;
  pipeline sp;
  sp.add_file(write_temp("tcp-std.pcap", w.out));
  sp.run(std_rec);
  auto framed = std_rec.of('s');
  ASSERT_EQ(framed.size(), 1u);
  EXPECT_EQ(framed[0].bytes, sip_invite());
  EXPECT_TRUE(framed[0].via.from_stream);
  EXPECT_EQ(framed[0].dst.port, 5060);
  recorder rec;
  pipeline p(bare);
  p.set_stream_reassembler(&st);
  p.add_file(write_temp("tcp.pcap", w.out));
  p.run(rec);
  ASSERT_EQ(st.seen.size(), 2u);
  EXPECT_EQ(st.seen[0].first, sip_invite());
  EXPECT_EQ(st.seen[0].second, 1000u);
}

TEST(pipeline, udp_decapsulator_hook_takes_datagrams_first) {
  struct hep : udp_hook {
    int n = 0;
    bool take(const udp_event& d, handler&) override {
      if (d.payload.substr(0, 4) != "HEP3") return false;
      ++n;
      return true;
    }
  } x;
  pcap_writer w(1);
  w.add(t0, ethernet(0x0800, udp4_packet("HEP3\x00\x10 etc", 9060, 9060)));
  w.add(t0 + 1, ethernet(0x0800, udp4_packet(sip_200())));
  recorder rec;
  pipeline_options bare;   // without the standard HEP module, which would take it first
  bare.standard_modules = false;
  pipeline p(bare);
  p.add_udp_decapsulator(&x);
  p.add_file(write_temp("hep.pcap", w.out));
  p.run(rec);
  EXPECT_EQ(x.n, 1);
  EXPECT_EQ(rec.of('s').size(), 1u);
  EXPECT_TRUE(rec.of('u').empty());
}

// Ethernet + plain IPv4/IPv6 + UDP takes the pipeline's fast path; the same IP packets on the
// raw link type take the general one. Both must give the same events, edge cases included.
TEST(pipeline, fast_path_and_general_path_agree) {
  std::string inv = sip_invite();
  bytes df = udp4_packet(rtp_packet(7), 40000, 40002);
  df[6] = 0x40;   // DF set: not a fragment
  bytes hep_like = udp4_packet(std::string("\x02\x10\x02\x11 not HEP", 12), 9060, 9060);
  bytes h_first = udp4_packet("Hello", 9060, 9060);
  bytes long_udp = ipv4(ip4("192.0.2.1"), ip4("198.51.100.2"), 17, udp_header(1, 2, "abcd", 40));
  bytes short_udp = ipv4(ip4("192.0.2.1"), ip4("198.51.100.2"), 17, udp_header(1, 2, "abcd", 6));
  bytes vxlan = udp4_packet(bytes(30, '\x08'), 1234, 4789);
  const std::vector<bytes> packets = {udp4_packet(inv), udp6_packet(inv), udp4_packet(rtp_packet(1), 40000, 40002),
                                      udp6_packet(rtp_packet(2), 40000, 40002), df, hep_like, h_first,
                                      udp4_packet(""), udp6_packet(""), long_udp, short_udp, vxlan,
                                      ipv4(ip4("192.0.2.1"), ip4("198.51.100.2"), 17, udp_header(1, 2, "x"), 60)};
  pcap_writer eth(1), raw(101);
  std::int64_t t = t0;
  for (const bytes& ip : packets) {
    bool v6 = (ip[0] >> 4) == 6;
    eth.add(t, ethernet(v6 ? 0x86dd : 0x0800, ip));
    raw.add(t, ip);
    bytes padded = ethernet(v6 ? 0x86dd : 0x0800, ip) + bytes(16, '\0');   // Ethernet padding
    eth.add(t + 1, padded);
    raw.add(t + 1, ip + bytes(16, '\0'));
    t += 1000;
  }
  // snaplen-cut frames (origlen above caplen)
  eth.add(t, ethernet(0x0800, udp4_packet(rtp_packet(3))), 1400);
  raw.add(t, udp4_packet(rtp_packet(3)), 1400 - 14);
  auto a = run_bytes(eth.out, {}, "fast.pcap");
  auto b = run_bytes(raw.out, {}, "general.pcap");
  ASSERT_EQ(a.rec.ev.size(), b.rec.ev.size());
  for (std::size_t i = 0; i < a.rec.ev.size(); ++i) {
    const recorded& x = a.rec.ev[i];
    const recorded& y = b.rec.ev[i];
    EXPECT_EQ(x.kind, y.kind) << i;
    EXPECT_EQ(x.bytes, y.bytes) << i;
    EXPECT_EQ(x.frame.number, y.frame.number) << i;
    EXPECT_EQ(x.time, y.time) << i;
    EXPECT_EQ(x.src, y.src) << i;
    EXPECT_EQ(x.dst, y.dst) << i;
    EXPECT_EQ(x.via.vlan, y.via.vlan) << i;
    EXPECT_EQ(x.via.tunnelled, y.via.tunnelled) << i;
    EXPECT_EQ(x.dk, y.dk) << i;
  }
  EXPECT_EQ(a.st.sip_messages, 4u);
  // each twice (padded copy): UDP length above and below the datagram, the HEP look-alike,
  // an IPv4 total length beyond the frame
  EXPECT_EQ(a.rec.of('d').size(), 8u);
  EXPECT_EQ(a.st.sip_messages, b.st.sip_messages);
  EXPECT_EQ(a.st.udp_datagrams, b.st.udp_datagrams);
}

// A decapsulator is offered only the datagrams whose first byte it may take (and empty ones).
TEST(pipeline, udp_decapsulator_offered_by_first_byte) {
  struct picky : udp_hook {
    std::vector<std::string> offered;
    bool take(const udp_event& d, handler&) override {
      offered.emplace_back(d.payload);
      return false;
    }
    bool may_take(std::uint8_t first) const noexcept override { return first == 'X'; }
  } x;
  pcap_writer w(1);
  w.add(t0, ethernet(0x0800, udp4_packet("Xyz", 9, 9)));
  w.add(t0 + 1, ethernet(0x0800, udp4_packet("abc", 9, 9)));
  w.add(t0 + 2, ethernet(0x0800, udp4_packet("", 9, 9)));
  w.add(t0 + 3, ethernet(0x86dd, udp6_packet("Xv6", 9, 9)));
  pipeline_options bare;
  bare.standard_modules = false;
  pipeline p(bare);
  p.add_udp_decapsulator(&x);
  p.add_file(write_temp("picky.pcap", w.out));
  recorder rec;
  p.run(rec);
  EXPECT_EQ(x.offered, (std::vector<std::string>{"Xyz", "", "Xv6"}));
  EXPECT_EQ(rec.of('u').size(), 4u);
}

}  // namespace
}  // namespace sipscope::capture

// Live capture on the loopback interface: needs CAP_NET_RAW, skipped without it.
namespace sipscope::capture {
namespace {

TEST(pipeline, live_capture_on_loopback) {
  struct first_sip : handler {
    std::atomic<int> sip{0};
    std::string bytes;
    void on_sip(const sip_event& e) override {
      if (sip.load() == 0) bytes = std::string(e.bytes);
      ++sip;
    }
  } h;
  pipeline_options o;
  o.filter = "udp port 45099";
  o.live.timeout_ms = 20;
  pipeline p(o);
  p.add_interface("lo");
  {
    reader probe;
    std::string err;
    if (!probe.open_live("lo", o.live, 0, err)) GTEST_SKIP() << "no live capture here: " << err;
  }
  std::thread t([&] { p.run(h); });
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(45099);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string m = sip_200();
  for (int i = 0; i < 250 && h.sip.load() == 0; ++i) {
    sendto(s, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  p.stop();
  t.join();
  close(s);
  ASSERT_GE(h.sip.load(), 1);
  EXPECT_EQ(h.bytes, m);
  EXPECT_EQ(p.stats().dropped_by_kernel, 0u);
}

}  // namespace
}  // namespace sipscope::capture
