// make-hostile: writes adversarial captures, one per resource limit (issue 9), as a pcap on
// stdout or into a file. Deterministic: the same arguments write the same bytes.
//
//   make-hostile CASE [OUT.pcap|-] [SCALE]
//
// Cases (SCALE multiplies the counts; 1 = what the issue asks for):
//   calls      a million INVITEs with SDP, each its own Call-ID, none ever answered
//   cl2e63     a TCP stream: INVITEs announcing Content-Length 2^63, 2^63-1, 2^32-1 and 2^64+10,
//              16 MiB of body bytes behind the first three, then an OPTIONS that must still be
//              framed
//   fragments  400000 IPv4 fragments (first and middle pieces) from as many sources, none ever
//              complete, then a plain UDP OPTIONS that must still be seen
//   vias       one INVITE with 100000 Via headers over TCP (4.6 MB), then an OPTIONS
//   rtpjumps   a call with SDP, then RTP whose sequence number jumps by every value from 0 to
//              65535, and a stream back whose SSRC, payload type and timestamp jump every packet
// The last message of each capture is an ordinary OPTIONS ("survivor@hostile"; BYE of the call
// in rtpjumps) that the test expects in `sipscope calls --all`: the hostile part must not stop
// the analysis of what follows it. C++ rather than Python: the million calls are written in
// about a second, so the hostile suite stays short on a 2-core CI machine.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr std::uint32_t epoch0 = 1735732800;   // 2025-01-01 12:00:00 UTC

class pcap_out {
 public:
  explicit pcap_out(std::FILE* f) : f_(f) {
    std::uint8_t h[24];
    put32le(h, 0xa1b2c3d4);
    put16le(h + 4, 2);
    put16le(h + 6, 4);
    put32le(h + 8, 0);
    put32le(h + 12, 0);
    put32le(h + 16, 262144);
    put32le(h + 20, 1);   // Ethernet
    std::fwrite(h, 1, sizeof h, f_);
  }

  // An IPv4 packet in an Ethernet frame; frag: flags + offset word (MF 0x2000, offset / 8).
  void ip(std::uint64_t us, std::uint32_t src, std::uint32_t dst, std::uint8_t proto, std::string_view payload,
          std::uint16_t ident = 0, std::uint16_t frag = 0) {
    std::string& b = buf_;
    b.clear();
    const std::uint32_t len = static_cast<std::uint32_t>(14 + 20 + payload.size());
    std::uint8_t rec[16];
    put32le(rec, static_cast<std::uint32_t>(epoch0 + us / 1000000));
    put32le(rec + 4, static_cast<std::uint32_t>(us % 1000000));
    put32le(rec + 8, len);
    put32le(rec + 12, len);
    b.append(reinterpret_cast<const char*>(rec), 16);
    static const std::uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0};
    b.append(reinterpret_cast<const char*>(eth), 14);
    std::uint8_t h[20] = {0x45, 0};
    put16be(h + 2, static_cast<std::uint16_t>(20 + payload.size()));
    put16be(h + 4, ident);
    put16be(h + 6, frag);
    h[8] = 64;
    h[9] = proto;
    put32be(h + 12, src);
    put32be(h + 16, dst);
    std::uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += static_cast<std::uint32_t>(h[i] << 8 | h[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    put16be(h + 10, static_cast<std::uint16_t>(~sum));
    b.append(reinterpret_cast<const char*>(h), 20);
    b.append(payload);
    std::fwrite(b.data(), 1, b.size(), f_);
  }

  void udp(std::uint64_t us, std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport,
           std::string_view payload) {
    std::string& p = pkt_;
    p.assign(8, '\0');
    put16be(p.data(), sport);
    put16be(p.data() + 2, dport);
    put16be(p.data() + 4, static_cast<std::uint16_t>(8 + payload.size()));
    p.append(payload);
    std::string copy = p;
    ip(us, src, dst, 17, copy);
  }

  void tcp(std::uint64_t us, std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport,
           std::uint32_t seq, std::string_view payload, std::uint8_t flags = 0x18) {
    std::string& p = pkt_;
    p.assign(20, '\0');
    put16be(p.data(), sport);
    put16be(p.data() + 2, dport);
    put32be(p.data() + 4, seq);
    put32be(p.data() + 8, 1);
    p[12] = 5 << 4;
    p[13] = static_cast<char>(flags);
    put16be(p.data() + 14, 65535);
    p.append(payload);
    std::string copy = p;
    ip(us, src, dst, 6, copy);
  }

 private:
  template <class P>
  static void put16be(P* p, std::uint16_t v) {
    p[0] = static_cast<P>(v >> 8);
    p[1] = static_cast<P>(v);
  }
  template <class P>
  static void put32be(P* p, std::uint32_t v) {
    put16be(p, static_cast<std::uint16_t>(v >> 16));
    put16be(p + 2, static_cast<std::uint16_t>(v));
  }
  static void put16le(std::uint8_t* p, std::uint16_t v) {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
  }
  static void put32le(std::uint8_t* p, std::uint32_t v) {
    put16le(p, static_cast<std::uint16_t>(v));
    put16le(p + 2, static_cast<std::uint16_t>(v >> 16));
  }

  std::FILE* f_;
  std::string buf_, pkt_;
};

constexpr std::uint32_t addr(unsigned a, unsigned b, unsigned c, unsigned d) { return a << 24 | b << 16 | c << 8 | d; }
const std::uint32_t host_a = addr(10, 0, 0, 1), host_b = addr(10, 0, 0, 2);

std::string num(std::uint64_t v) { return std::to_string(v); }

// a + b + c, by append (GCC 12 warns of -Wrestrict on chained operator+)
std::string cat(std::string_view a, std::string_view b, std::string_view c = {}) {
  std::string s(a);
  s.append(b);
  s.append(c);
  return s;
}

void line(std::string& s, std::string_view a, std::string_view b = {}, std::string_view c = {}) {
  s.append(a);
  s.append(b);
  s.append(c);
  s.append("\r\n");
}

// An INVITE; cl: the Content-Length text (empty: the body's length).
std::string invite(std::string_view call_id, std::string_view branch, int sdp_port, std::string_view transport,
                   std::string_view cl = {}, std::uint64_t extra_vias = 0) {
  std::string body;
  if (sdp_port >= 0) {
    line(body, "v=0");
    line(body, "o=- ", branch, " 1 IN IP4 10.1.0.1");
    line(body, "s=-");
    line(body, "c=IN IP4 10.1.0.1");
    line(body, "t=0 0");
    line(body, "m=audio ", num(static_cast<std::uint64_t>(sdp_port)), " RTP/AVP 0");
    line(body, "a=rtpmap:0 PCMU/8000");
  }
  std::string m;
  line(m, "INVITE sip:bob@example.com SIP/2.0");
  for (std::uint64_t i = 0; i < extra_vias; ++i) {
    std::string host = cat("10.", num(i >> 16 & 255));
    host += '.';
    host += num(i >> 8 & 255);
    host += '.';
    host += num(i & 255);
    std::string v = "Via: SIP/2.0/";
    v += transport;
    v += ' ';
    v += host;
    line(m, v, ";branch=z9hG4bKv", num(i));
  }
  std::string via = "Via: SIP/2.0/";
  via += transport;
  line(m, via, " 10.0.0.1:5060;branch=z9hG4bK", branch);
  line(m, "From: <sip:alice@example.com>;tag=", branch);
  line(m, "To: <sip:bob@example.com>");
  line(m, "Call-ID: ", call_id);
  line(m, "CSeq: 1 INVITE");
  line(m, "Max-Forwards: 70");
  line(m, "Contact: <sip:alice@10.0.0.1>");
  if (sdp_port >= 0) line(m, "Content-Type: application/sdp");
  line(m, "Content-Length: ", cl.empty() ? num(body.size()) : std::string(cl));
  line(m, "");
  m += body;
  return m;
}

std::string options(std::string_view call_id, std::string_view transport) {
  std::string m;
  line(m, "OPTIONS sip:bob@example.com SIP/2.0");
  std::string via = "Via: SIP/2.0/";
  via += transport;
  line(m, via, " 10.0.0.1:5060;branch=z9hG4bKlast");
  line(m, "From: <sip:alice@example.com>;tag=last");
  line(m, "To: <sip:bob@example.com>");
  line(m, "Call-ID: ", call_id);
  line(m, "CSeq: 1 OPTIONS");
  line(m, "Max-Forwards: 70");
  line(m, "Content-Length: 0");
  line(m, "");
  return m;
}

// One TCP stream 10.0.0.1:5060 -> 10.0.0.2:5060: a SYN, then the pieces in 1400-byte segments.
class tcp_writer {
 public:
  explicit tcp_writer(pcap_out& p) : p_(p) { p_.tcp(us_, host_a, 5060, host_b, 5060, seq_ - 1, {}, 0x02); }
  void send(std::string_view data) {
    for (std::size_t off = 0; off < data.size(); off += 1400) {
      const std::string_view s = data.substr(off, 1400);
      p_.tcp(++us_, host_a, 5060, host_b, 5060, seq_, s);
      seq_ += static_cast<std::uint32_t>(s.size());
    }
  }

 private:
  pcap_out& p_;
  std::uint64_t us_ = 0;
  std::uint32_t seq_ = 1000;
};

void case_calls(pcap_out& p, double scale) {
  const auto n = static_cast<std::uint64_t>(1'000'000 * scale);
  for (std::uint64_t i = 0; i < n; ++i) {
    // 10 µs apart: the whole flood is 10 s of capture time, well within Timer B, so no call
    // ends by a timeout: only the records limit bounds memory
    const std::string id = cat("flood-", num(i), "@hostile");
    p.udp(i * 10, host_a, 5060, host_b, 5060, invite(id, cat("f", num(i)), static_cast<int>(10000 + 2 * (i % 25000)), "UDP"));
  }
  p.udp(n * 10 + 10, host_a, 5060, host_b, 5060, options("survivor@hostile", "UDP"));
}

void case_cl2e63(pcap_out& p, double scale) {
  // the body bytes end with CRLF, so that the next start line begins a line
  std::string body(static_cast<std::size_t>(16 * 1024 * 1024 * scale), 'A');
  body += "\r\n";
  tcp_writer w(p);
  w.send(invite("cl63@hostile", "c1", -1, "TCP", "9223372036854775808"));
  w.send(body);
  w.send(invite("cl63m1@hostile", "c2", -1, "TCP", "9223372036854775807"));
  w.send(body);
  // the largest Content-Length RFC 3261 allows: over the size limit, not a bad value
  w.send(invite("cl32@hostile", "c4", -1, "TCP", "4294967295"));
  w.send(body);
  w.send(invite("cl64@hostile", "c3", -1, "TCP", "18446744073709551626"));
  w.send(std::string_view(body).substr(body.size() - 65536));
  w.send(options("survivor@hostile", "TCP"));
}

void case_fragments(pcap_out& p, double scale) {
  const auto n = static_cast<std::uint64_t>(400'000 * scale);
  const std::string chunk(64, 'F');
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint32_t src = addr(10, i >> 16 & 255, i >> 8 & 255, i & 255);
    // first pieces (MF, offset 0) and middle pieces (MF, offset 1024): none completes
    const auto frag = static_cast<std::uint16_t>(0x2000 | (i % 2 == 0 ? 0 : 128));
    p.ip(i * 5, src, host_b, 17, chunk, static_cast<std::uint16_t>(i), frag);
  }
  p.udp(n * 5 + 10, host_a, 5060, host_b, 5060, options("survivor@hostile", "UDP"));
}

void case_vias(pcap_out& p, double scale) {
  tcp_writer w(p);
  w.send(invite("vias@hostile", "v1", -1, "TCP", {}, static_cast<std::uint64_t>(100'000 * scale)));
  w.send(options("survivor@hostile", "TCP"));
}

std::string rtp(std::uint8_t m_pt, std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc) {
  std::string r(12, '\0');
  r[0] = static_cast<char>(0x80);
  r[1] = static_cast<char>(m_pt);
  r[2] = static_cast<char>(seq >> 8);
  r[3] = static_cast<char>(seq);
  for (int i = 0; i < 4; ++i) r[4 + i] = static_cast<char>(ts >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) r[8 + i] = static_cast<char>(ssrc >> (24 - 8 * i));
  r.append(160, static_cast<char>(0xff));
  return r;
}

void case_rtpjumps(pcap_out& p, double scale) {
  p.udp(0, host_a, 5060, host_b, 5060, invite("rtp@hostile", "r1", 40000, "UDP"));
  std::string sdp;
  line(sdp, "v=0");
  line(sdp, "o=- 2 1 IN IP4 10.0.0.2");
  line(sdp, "s=-");
  line(sdp, "c=IN IP4 10.0.0.2");
  line(sdp, "t=0 0");
  line(sdp, "m=audio 50000 RTP/AVP 0");
  line(sdp, "a=rtpmap:0 PCMU/8000");
  std::string ok;
  line(ok, "SIP/2.0 200 OK");
  line(ok, "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKr1");
  line(ok, "From: <sip:alice@example.com>;tag=r1");
  line(ok, "To: <sip:bob@example.com>;tag=b1");
  line(ok, "Call-ID: rtp@hostile");
  line(ok, "CSeq: 1 INVITE");
  line(ok, "Contact: <sip:bob@10.0.0.2>");
  line(ok, "Content-Type: application/sdp");
  line(ok, "Content-Length: ", num(sdp.size()));
  line(ok, "");
  ok += sdp;
  p.udp(1000, host_b, 5060, host_a, 5060, ok);
  const auto n = static_cast<std::uint64_t>(65536 * scale);
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::uint64_t us = 10'000;
  const std::uint32_t media_a = addr(10, 1, 0, 1);
  for (std::uint64_t k = 0; k < n; ++k) {
    // every sequence jump from 0 (a duplicate) to 65535 (one behind), 20 ms apart
    seq = static_cast<std::uint16_t>(seq + k);
    ts += 160;
    us += 20'000;
    p.udp(us, host_b, 50000, media_a, 40000, rtp(0, seq, ts, 0x1234));
    // back: SSRC (7 of them), marker, payload type and timestamp jump every packet
    p.udp(us + 1, media_a, 40000, host_b, 50000,
          rtp(static_cast<std::uint8_t>((k & 1 ? 0x80 : 0) | (k % 128)), static_cast<std::uint16_t>(k),
              static_cast<std::uint32_t>(k * 2654435761u), static_cast<std::uint32_t>(0x5678 + k % 7)));
  }
  std::string bye;
  line(bye, "BYE sip:bob@10.0.0.2 SIP/2.0");
  line(bye, "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKr2");
  line(bye, "From: <sip:alice@example.com>;tag=r1");
  line(bye, "To: <sip:bob@example.com>;tag=b1");
  line(bye, "Call-ID: rtp@hostile");
  line(bye, "CSeq: 2 BYE");
  line(bye, "Max-Forwards: 70");
  line(bye, "Content-Length: 0");
  line(bye, "");
  p.udp(us + 20'000, host_a, 5060, host_b, 5060, bye);
}

}  // namespace

int main(int argc, char** argv) {
  struct named {
    const char* name;
    void (*run)(pcap_out&, double);
  };
  static const named cases[] = {{"calls", case_calls}, {"cl2e63", case_cl2e63}, {"fragments", case_fragments},
                                {"vias", case_vias}, {"rtpjumps", case_rtpjumps}};
  const named* c = nullptr;
  for (const named& n : cases)
    if (argc >= 2 && std::strcmp(argv[1], n.name) == 0) c = &n;
  if (!c) {
    std::fprintf(stderr, "usage: make-hostile calls|cl2e63|fragments|vias|rtpjumps [OUT.pcap|-] [SCALE]\n");
    return 2;
  }
  std::FILE* f = stdout;
  if (argc >= 3 && std::strcmp(argv[2], "-") != 0) {
    f = std::fopen(argv[2], "wb");
    if (!f) {
      std::perror(argv[2]);
      return 2;
    }
  }
  const double scale = argc >= 4 ? std::atof(argv[3]) : 1.0;
  static char buf[1 << 16];
  std::setvbuf(f, buf, _IOFBF, sizeof buf);
  pcap_out p(f);
  c->run(p, scale);
  if (std::fflush(f) != 0 || (f != stdout && std::fclose(f) != 0)) {
    std::perror("make-hostile");
    return 2;
  }
  return 0;
}
