// HEP decoder (hep.hpp): packets built here (v1, v2 IPv4/IPv6, v3 with every common chunk,
// compressed payloads, truncation at every byte, bogus chunk lengths), and the HEP3 payloads of
// the shared captures from sipcapture/hep-wireshark, read with libpcap.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "sipscope/capture/hep.hpp"

using namespace sipscope::capture;

namespace {

const std::string sip = "OPTIONS sip:bob@example.com SIP/2.0\r\nCall-ID: x@y\r\nContent-Length: 0\r\n\r\n";

void put16(std::string& s, unsigned v) { s.push_back(char(v >> 8)); s.push_back(char(v & 0xff)); }
void put32(std::string& s, std::uint32_t v) { put16(s, v >> 16); put16(s, v & 0xffff); }
void le32(std::string& s, std::uint32_t v) { for (int i = 0; i < 4; ++i) s.push_back(char((v >> (8 * i)) & 0xff)); }

// HEP3 builder: chunks appended, then the total length patched in.
struct hep3 {
  std::string b = std::string("HEP3\0\0", 6);
  hep3& chunk(unsigned type, std::string_view value, unsigned vendor = 0) {
    put16(b, vendor); put16(b, type); put16(b, unsigned(value.size() + 6)); b.append(value); return *this;
  }
  hep3& u8(unsigned type, unsigned v) { return chunk(type, std::string(1, char(v))); }
  hep3& u16(unsigned type, unsigned v) { std::string s; put16(s, v); return chunk(type, s); }
  hep3& u32(unsigned type, std::uint32_t v) { std::string s; put32(s, v); return chunk(type, s); }
  std::string done() { std::string s = b; s[4] = char(s.size() >> 8); s[5] = char(s.size() & 0xff); return s; }
};

hep3 common_v4() {
  hep3 h;
  h.u8(1, 2).u8(2, 17).chunk(3, std::string("\xc0\x00\x02\x01", 4)).chunk(4, std::string("\xc0\x00\x02\x02", 4))
      .u16(7, 5060).u16(8, 5080).u32(9, 1700000000).u32(10, 123456).u8(11, 1).u32(12, 2001);
  return h;
}

std::string deflate(std::string_view in) {
  uLongf n = compressBound(in.size());
  std::string out(n, '\0');
  compress(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(in.data()), in.size());
  out.resize(n);
  return out;
}

// Copies to the heap exactly sized so that ASan catches any read past the end.
struct exact {
  std::unique_ptr<char[]> p;
  std::size_t n;
  explicit exact(std::string_view s) : p(new char[s.size() ? s.size() : 1]), n(s.size()) { std::memcpy(p.get(), s.data(), n); }
  std::string_view view() const { return {p.get(), n}; }
};

bool inside(std::string_view v, std::string_view outer) {
  return v.empty() || (v.data() >= outer.data() && v.data() + v.size() <= outer.data() + outer.size());
}

}  // namespace

TEST(hep, v3_all_common_chunks) {
  std::string pkt = common_v4().u16(13, 30).chunk(14, "myHep").chunk(17, "corr-1@host").u16(18, 42)
                        .chunk(15, sip).done();
  hep_decoder d;
  hep_packet p;
  hep_failure f;
  ASSERT_TRUE(d.decode(pkt, p, f)) << f.what;
  EXPECT_EQ(p.version, 3);
  EXPECT_EQ(p.src.to_string(), "192.0.2.1:5060");
  EXPECT_EQ(p.dst.to_string(), "192.0.2.2:5080");
  EXPECT_EQ(p.ip_protocol, 17);
  EXPECT_EQ(p.proto, transport::udp);
  EXPECT_TRUE(p.has_time);
  EXPECT_EQ(p.time, 1700000000LL * 1000000000 + 123456000);
  EXPECT_EQ(p.capture_id, 2001u);
  EXPECT_EQ(p.payload_type, 1);
  EXPECT_EQ(p.keep_alive, 30);
  EXPECT_EQ(p.auth_key, "myHep");
  EXPECT_EQ(p.correlation_id, "corr-1@host");
  EXPECT_EQ(p.vlan, 42);
  EXPECT_EQ(p.payload, sip);
  EXPECT_FALSE(p.compressed);
  EXPECT_EQ(p.warnings, 0);
  EXPECT_EQ(p.chunks, 15);
  EXPECT_TRUE(inside(p.payload, pkt));
}

TEST(hep, v3_ipv6_tcp) {
  std::string a(16, '\0'), b(16, '\0');
  a[0] = char(0x20); a[1] = char(0x01); a[2] = char(0x0d); a[3] = char(0xb8); a[15] = 1;
  b = a; b[15] = 2;
  std::string pkt = hep3().u8(1, 10).u8(2, 6).chunk(5, a).chunk(6, b).u16(7, 5061).u16(8, 40000)
                        .chunk(15, sip).done();
  hep_decoder d;
  hep_packet p;
  hep_failure f;
  ASSERT_TRUE(d.decode(pkt, p, f)) << f.what;
  EXPECT_EQ(p.src.to_string(), "[2001:db8::1]:5061");
  EXPECT_EQ(p.dst.to_string(), "[2001:db8::2]:40000");
  EXPECT_EQ(p.proto, transport::tcp);
  EXPECT_FALSE(p.has_time);
  EXPECT_EQ(p.payload, sip);
}

TEST(hep, v3_compressed_payload) {
  std::string pkt = common_v4().chunk(16, deflate(sip)).done();
  hep_decoder d;
  hep_packet p;
  hep_failure f;
  ASSERT_TRUE(d.decode(pkt, p, f)) << f.what;
  EXPECT_TRUE(p.compressed);
  EXPECT_EQ(p.payload, sip);
  EXPECT_TRUE(inside(p.payload, d.owned()));
  // reused: a second, different packet through the same inflater
  std::string big(5000, 'a');
  ASSERT_TRUE(d.decode(common_v4().chunk(16, deflate(big)).done(), p, f)) << f.what;
  EXPECT_EQ(p.payload, big);
}

TEST(hep, v3_compressed_payload_limits) {
  hep_decoder d(hep_limits{.max_payload = 1000});
  hep_packet p;
  hep_failure f;
  std::string exactly(1000, 'x'), over(1001, 'x');
  EXPECT_TRUE(d.decode(common_v4().chunk(16, deflate(exactly)).done(), p, f)) << f.what;
  EXPECT_EQ(p.payload.size(), 1000u);
  EXPECT_FALSE(d.decode(common_v4().chunk(16, deflate(over)).done(), p, f));
  EXPECT_EQ(f.code, hep_error::payload_too_large);
  // a zlib bomb: 1 MB of zeros compresses to about 1 kB
  EXPECT_FALSE(d.decode(common_v4().chunk(16, deflate(std::string(1 << 20, '\0'))).done(), p, f));
  EXPECT_EQ(f.code, hep_error::payload_too_large);
  EXPECT_LE(d.owned().size(), 1001u);
  // not zlib at all, and a zlib stream cut short
  EXPECT_FALSE(d.decode(common_v4().chunk(16, "not zlib").done(), p, f));
  EXPECT_EQ(f.code, hep_error::decompress_failed);
  std::string z = deflate(sip);
  EXPECT_FALSE(d.decode(common_v4().chunk(16, z.substr(0, z.size() / 2)).done(), p, f));
  EXPECT_EQ(f.code, hep_error::decompress_failed);
}

TEST(hep, v3_unknown_vendor_and_repeated_chunks) {
  std::string pkt = common_v4().chunk(0x21, "vendor data", 3).chunk(99, "future generic").u16(7, 1111)
                        .chunk(15, "first").chunk(15, sip).done();
  hep_decoder d;
  hep_packet p;
  hep_failure f;
  ASSERT_TRUE(d.decode(pkt, p, f)) << f.what;
  EXPECT_EQ(p.src.port, 1111);           // the last one wins
  EXPECT_EQ(p.payload, sip);
  EXPECT_TRUE(p.warnings & hep_warn_unknown_chunk);
  EXPECT_TRUE(p.warnings & hep_warn_repeated_chunk);
}

TEST(hep, v3_keep_alive) {
  hep_decoder d;
  hep_packet p;
  hep_failure f;
  ASSERT_TRUE(d.decode(hep3().u32(12, 7).u16(13, 30).done(), p, f)) << f.what;
  EXPECT_TRUE(p.keep_alive_only);
  EXPECT_EQ(p.keep_alive, 30);
  EXPECT_EQ(p.capture_id, 7u);
  EXPECT_TRUE(p.payload.empty());
  std::string with_payload = common_v4().u16(13, 30).chunk(15, sip).done();   // views point into it
  ASSERT_TRUE(d.decode(with_payload, p, f)) << f.what;
  EXPECT_FALSE(p.keep_alive_only);
  EXPECT_EQ(p.payload, sip);
}

TEST(hep, v3_missing_mandatory_chunks) {
  hep_decoder d;
  hep_packet p;
  hep_failure f;
  EXPECT_FALSE(d.decode(common_v4().done(), p, f));
  EXPECT_EQ(f.code, hep_error::missing_chunk);
  EXPECT_EQ(f.what, "payload chunk (type 15 or 16)");
  EXPECT_FALSE(d.decode(hep3().u8(1, 2).chunk(3, "abcd").u16(7, 1).u16(8, 2).chunk(15, sip).done(), p, f));
  EXPECT_EQ(f.code, hep_error::missing_chunk);
  EXPECT_EQ(f.what, "IPv4 destination chunk (type 4)");
  EXPECT_FALSE(d.decode(hep3().chunk(3, "abcd").chunk(4, "abcd").u16(7, 1).u16(8, 2).chunk(15, sip).done(), p, f));
  EXPECT_EQ(f.what, "IP family chunk (type 1)");
  // IPv6 family with only IPv4 addresses
  EXPECT_FALSE(d.decode(hep3().u8(1, 10).chunk(3, "abcd").chunk(4, "abcd").u16(7, 1).u16(8, 2).chunk(15, sip).done(), p, f));
  EXPECT_EQ(f.code, hep_error::missing_chunk);
  EXPECT_FALSE(d.decode(hep3().u8(1, 7).chunk(3, "abcd").chunk(4, "abcd").u16(7, 1).u16(8, 2).chunk(15, sip).done(), p, f));
  EXPECT_EQ(f.code, hep_error::bad_family);
}

TEST(hep, v3_bogus_lengths) {
  hep_decoder d;
  hep_packet p;
  hep_failure f;
  std::string good = common_v4().chunk(15, sip).done();
  // chunk length 0 and 5: below the chunk header
  for (unsigned bad : {0u, 5u}) {
    std::string pkt = good;
    pkt[6 + 4] = 0; pkt[6 + 5] = char(bad);
    EXPECT_FALSE(d.decode(pkt, p, f));
    EXPECT_EQ(f.code, hep_error::bad_chunk_length);
    EXPECT_EQ(f.offset, 10u);
  }
  // a chunk length past the total length
  {
    std::string pkt = good;
    pkt[6 + 4] = char(0xff); pkt[6 + 5] = char(0xff);
    EXPECT_FALSE(d.decode(pkt, p, f));
    EXPECT_EQ(f.code, hep_error::truncated);
  }
  // a fixed-size chunk with the wrong size (IPv4 address of 5 bytes)
  EXPECT_FALSE(d.decode(hep3().u8(1, 2).chunk(3, "abcde").done(), p, f));
  EXPECT_EQ(f.code, hep_error::bad_chunk_length);
  // total length below the header, above the packet, below the packet (trailing bytes)
  {
    std::string pkt = good;
    pkt[4] = 0; pkt[5] = 3;
    EXPECT_FALSE(d.decode(pkt, p, f));
    EXPECT_EQ(f.code, hep_error::bad_length);
    pkt[4] = char(0xff); pkt[5] = char(0xff);
    EXPECT_FALSE(d.decode(pkt, p, f));
    EXPECT_EQ(f.code, hep_error::truncated);
    pkt = good + "padding";
    ASSERT_TRUE(d.decode(pkt, p, f));
    EXPECT_TRUE(p.warnings & hep_warn_trailing_bytes);
    EXPECT_EQ(p.payload, sip);
  }
  // capture id of 2 bytes (early agents) is read; of 3 bytes is not
  EXPECT_TRUE(d.decode(common_v4().chunk(12, std::string("\x01\x02", 2)).chunk(15, sip).done(), p, f));
  EXPECT_EQ(p.capture_id, 0x102u);
  EXPECT_FALSE(d.decode(common_v4().chunk(12, "abc").chunk(15, sip).done(), p, f));
}

TEST(hep, truncation_at_every_byte) {
  hep_decoder d;
  hep_packet p;
  hep_failure f;
  std::string pkt = common_v4().chunk(17, "cid").chunk(16, deflate(sip)).done();
  ASSERT_TRUE(d.decode(pkt, p, f));
  for (std::size_t n = 0; n < pkt.size(); ++n) {
    exact e(std::string_view(pkt).substr(0, n));
    EXPECT_FALSE(d.decode(e.view(), p, f)) << n;
    EXPECT_NE(f.code, hep_error::none);
    EXPECT_LE(f.offset, n);
    EXPECT_FALSE(f.what.empty());
  }
  // v2 too
  std::string v2 = std::string("\x02\x10\x02\x11\x13\xc4\x13\xc4\xc0\x00\x02\x01\xc0\x00\x02\x02", 16);
  le32(v2, 1); le32(v2, 2); v2.append("\x07\x00\x00\x00", 4);
  v2 += sip;
  for (std::size_t n = 0; n < 28; ++n) {
    exact e(std::string_view(v2).substr(0, n));
    EXPECT_FALSE(d.decode(e.view(), p, f)) << n;
    EXPECT_LE(f.offset, n);
  }
}

TEST(hep, v2_ipv4) {
  std::string pkt = std::string("\x02\x10\x02\x11\x13\xc4\x16\x2e\xc0\x00\x02\x01\xc0\x00\x02\x02", 16);
  le32(pkt, 1700000000); le32(pkt, 999999); pkt.append("\xd1\x07\x00\x00", 4);
  pkt += sip;
  hep_decoder d;
  hep_packet p;
  hep_failure f;
  ASSERT_TRUE(d.decode(pkt, p, f)) << f.what;
  EXPECT_EQ(p.version, 2);
  EXPECT_EQ(p.src.to_string(), "192.0.2.1:5060");
  EXPECT_EQ(p.dst.to_string(), "192.0.2.2:5678");
  EXPECT_EQ(p.time, 1700000000LL * 1000000000 + 999999000);
  EXPECT_EQ(p.capture_id, 2001u);
  EXPECT_EQ(p.payload_type, 1);
  EXPECT_EQ(p.payload, sip);
  EXPECT_TRUE(looks_like_hep(pkt));
}

TEST(hep, v2_ipv6_and_v1) {
  std::string addrs(32, '\0');
  addrs[0] = char(0x20); addrs[1] = 1; addrs[15] = 1; addrs[16] = char(0x20); addrs[17] = 1; addrs[31] = 2;
  std::string v2 = std::string("\x02\x28\x0a\x06\x13\xc4\x13\xc5", 8) + addrs;
  le32(v2, 5); le32(v2, 6); v2.append("\x01\x00\x00\x00", 4);
  v2 += sip;
  hep_decoder d;
  hep_packet p;
  hep_failure f;
  ASSERT_TRUE(d.decode(v2, p, f)) << f.what;
  EXPECT_EQ(p.src.to_string(), "[2001::1]:5060");
  EXPECT_EQ(p.dst.to_string(), "[2001::2]:5061");
  EXPECT_EQ(p.proto, transport::tcp);
  EXPECT_EQ(p.time, 5LL * 1000000000 + 6000);
  EXPECT_EQ(p.payload, sip);

  std::string v1 = std::string("\x01\x10\x02\x11\x13\xc4\x13\xc4\xc0\x00\x02\x01\xc0\x00\x02\x02", 16) + sip;
  ASSERT_TRUE(d.decode(v1, p, f)) << f.what;
  EXPECT_EQ(p.version, 1);
  EXPECT_FALSE(p.has_time);
  EXPECT_EQ(p.payload, sip);

  // header length that does not match the family
  std::string bad = v1;
  bad[1] = 40;
  EXPECT_FALSE(d.decode(bad, p, f));
  EXPECT_EQ(f.code, hep_error::bad_length);
  bad = v1;
  bad[2] = 99;
  EXPECT_FALSE(d.decode(bad, p, f));
  EXPECT_EQ(f.code, hep_error::bad_family);
  EXPECT_FALSE(d.decode("GARBAGE", p, f));
  EXPECT_EQ(f.code, hep_error::bad_version);
}

TEST(hep, frame_length_on_a_stream) {
  std::string a = common_v4().chunk(15, sip).done();
  std::string stream = a + a;
  EXPECT_EQ(hep_frame_length(std::string_view(stream).substr(0, 3)).status, hep_frame_status::incomplete);
  EXPECT_EQ(hep_frame_length(std::string_view(stream).substr(0, 10)).status, hep_frame_status::incomplete);
  hep_frame fr = hep_frame_length(stream);
  EXPECT_EQ(fr.status, hep_frame_status::ok);
  EXPECT_EQ(fr.length, a.size());
  EXPECT_EQ(hep_frame_length("HEX3\0\0").status, hep_frame_status::malformed);
  EXPECT_EQ(hep_frame_length(std::string_view("HEP3\0\2", 6)).status, hep_frame_status::malformed);
}

// ---- the shared captures (sipcapture/hep-wireshark samples) ----

namespace {

// UDP payloads of every IPv4/UDP frame (Ethernet or Linux cooked), with libpcap.
std::vector<std::string> udp_payloads(const std::string& file) {
  std::vector<std::string> out;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(file.c_str(), err);
  if (!pc) { ADD_FAILURE() << err; return out; }
  int link = pcap_datalink(pc);
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(pc, &h, &d) == 1) {
    std::size_t l2 = link == DLT_EN10MB ? 14 : link == DLT_LINUX_SLL ? 16 : 0;
    if (l2 == 0 || h->caplen < l2 + 28) { ADD_FAILURE() << "link type " << link; continue; }
    const u_char* ip = d + l2;
    std::size_t ihl = (ip[0] & 15) * 4;
    if ((ip[0] >> 4) != 4 || ip[9] != 17 || h->caplen < l2 + ihl + 8) continue;
    out.emplace_back(reinterpret_cast<const char*>(ip + ihl + 8), h->caplen - l2 - ihl - 8);
  }
  pcap_close(pc);
  return out;
}

std::string first_line(std::string_view s) { return std::string(s.substr(0, s.find_first_of("\r\n"))); }

}  // namespace

// tshark (4.0.17 and 4.4.19) has no HEP dissector and reports 0 SIP frames for these files
// (MANIFEST.tsv, tshark/*.sip_stat.txt): the expectations below were read from the packets by
// hand (a second, independent decoder in Python during development), not from tshark.
TEST(hep, shared_capture_hep_pcap) {
  std::string file = std::string(SIPSCOPE_SHARED_CORPUS_DIR) + "/pcap/hep-wireshark_hep.pcap";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " absent";
  auto pkts = udp_payloads(file);
  ASSERT_EQ(pkts.size(), 8u);
  hep_decoder d;
  struct want { const char* src; const char* dst; unsigned type; std::uint32_t sec, usec; std::size_t len; const char* line; };
  const want w[] = {
      {"192.168.1.1:5060", "192.168.1.2:5060", 1, 1481455196, 100, 638, "INVITE sip:nodejs@127.0.0.1 SIP/2.0"},
      {"192.168.1.2:5060", "192.168.1.1:5060", 1, 1481455196, 325, 322, "SIP/2.0 100 Trying"},
      {"192.168.1.2:5060", "192.168.1.1:5060", 1, 1481455197, 126, 432, "SIP/2.0 407 Proxy Authentication Required"},
      {"192.168.1.1:5060", "192.168.1.2:5060", 1, 1481455198, 127, 298, "OPTIONS sip:127.0.0.1 SIP/2.0"},
      {"192.168.1.1:0", "192.168.1.2:0", 100, 1481455199, 126, 83, nullptr},
      {"192.168.1.2:5060", "192.168.1.1:5060", 1, 1481455200, 326, 409, "SIP/2.0 200 Alive"},
      {"192.168.1.1:5060", "192.168.1.2:5060", 1, 1481455201, 627, 813, "PUBLISH sip:nodejs@127.0.0.1:5999;transport=udp SIP/2.0"},
      {"192.168.1.1:0", "192.168.1.2:0", 5, 1481455202, 927, 333, nullptr},
  };
  int sip_count = 0;
  for (std::size_t i = 0; i < pkts.size(); ++i) {
    SCOPED_TRACE(i + 1);
    hep_packet p;
    hep_failure f;
    ASSERT_TRUE(d.decode(pkts[i], p, f)) << f.what << " at " << f.offset;
    EXPECT_EQ(p.version, 3);
    EXPECT_EQ(p.src.to_string(), w[i].src);
    EXPECT_EQ(p.dst.to_string(), w[i].dst);
    EXPECT_EQ(p.proto, transport::udp);
    EXPECT_EQ(p.payload_type, w[i].type);
    EXPECT_EQ(p.time, timestamp_ns(w[i].sec) * 1000000000 + timestamp_ns(w[i].usec) * 1000);
    EXPECT_EQ(p.capture_id, 2001u);
    EXPECT_EQ(p.auth_key, "myHep");
    EXPECT_EQ(p.correlation_id, "qgf3dm9rudi@127.0.0.1");
    EXPECT_EQ(p.payload.size(), w[i].len);
    EXPECT_EQ(p.warnings, 0);
    if (w[i].line) {
      EXPECT_EQ(first_line(p.payload), w[i].line);
    }
    sip_count += p.payload_type == 1;
  }
  EXPECT_EQ(sip_count, 6);   // tshark: 0 (no HEP dissector); 1 log (type 100) and 1 RTCP JSON (type 5)
}

TEST(hep, shared_capture_hep3_compressed) {
  std::string file = std::string(SIPSCOPE_SHARED_CORPUS_DIR) + "/pcap/hep-wireshark_hep3_compressed.pcapng";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << file << " absent";
  auto pkts = udp_payloads(file);
  ASSERT_EQ(pkts.size(), 21u);
  hep_decoder d;
  // Each HEP packet appears three times in a row in this file (same bytes, same time).
  struct want { const char* src; const char* dst; std::uint32_t usec; std::size_t len; const char* line; };
  const want w[] = {
      {"192.168.137.1:54345", "192.168.137.247:5060", 307169, 1112, "REGISTER sip:rcs.st SIP/2.0"},
      {"192.168.137.247:5060", "192.168.137.247:5070", 610599, 1339, "REGISTER sip:rcs.st SIP/2.0"},
      {"192.168.137.247:5070", "192.168.137.247:5060", 625307, 592, "SIP/2.0 401 Unauthorized"},
      {"192.168.137.247:5060", "192.168.137.1:54345", 663631, 488, "SIP/2.0 401 Unauthorized"},
      {"192.168.137.1:54345", "192.168.137.247:5060", 694101, 1253, "REGISTER sip:rcs.st SIP/2.0"},
      {"192.168.137.247:5060", "192.168.137.247:5070", 696186, 1480, "REGISTER sip:rcs.st SIP/2.0"},
      {"192.168.137.247:5070", "192.168.137.247:5060", 719482, 1190, "SIP/2.0 200 OK"},
  };
  for (std::size_t i = 0; i < pkts.size(); ++i) {
    SCOPED_TRACE(i + 1);
    const want& x = w[i / 3];
    hep_packet p;
    hep_failure f;
    ASSERT_TRUE(d.decode(pkts[i], p, f)) << f.what << " at " << f.offset;
    EXPECT_EQ(p.version, 3);
    EXPECT_TRUE(p.compressed);
    EXPECT_EQ(p.proto, transport::tcp);
    EXPECT_EQ(p.src.to_string(), x.src);
    EXPECT_EQ(p.dst.to_string(), x.dst);
    EXPECT_EQ(p.time, 1502941090LL * 1000000000 + timestamp_ns(x.usec) * 1000);
    EXPECT_EQ(p.capture_id, 228u);
    EXPECT_EQ(p.payload_type, 1);
    EXPECT_EQ(p.payload.size(), x.len);
    EXPECT_EQ(first_line(p.payload), x.line);
    EXPECT_TRUE(inside(p.payload, d.owned()));
  }
}
