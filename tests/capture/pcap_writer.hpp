// A small writer of test captures: pcap (µs or ns magic, either byte order) and pcapng
// (SHB/IDB/EPB/SPB/PB, several interfaces of different link types, either byte order), and
// builders for the frames inside them (Ethernet with VLAN/QinQ tags, Linux SLL/SLL2, raw IP,
// BSD null/loop) around IPv4/IPv6 UDP/TCP packets. Each writer records the byte offset of every
// record it writes, which is what frame_ref::offset must equal.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace sipscope::test {

using bytes = std::string;

inline void put8(bytes& b, unsigned v) { b.push_back(char(v & 0xff)); }
inline void put16be(bytes& b, unsigned v) { put8(b, v >> 8); put8(b, v); }
inline void put32be(bytes& b, std::uint32_t v) { put16be(b, v >> 16); put16be(b, v & 0xffff); }
inline void put16le(bytes& b, unsigned v) { put8(b, v); put8(b, v >> 8); }
inline void put32le(bytes& b, std::uint32_t v) { put16le(b, v & 0xffff); put16le(b, v >> 16); }

struct endian_writer {
  bool big = false;
  void u16(bytes& b, unsigned v) const { big ? put16be(b, v) : put16le(b, v); }
  void u32(bytes& b, std::uint32_t v) const { big ? put32be(b, v) : put32le(b, v); }
};

// ---- files ------------------------------------------------------------------------------

struct pcap_writer : endian_writer {
  bool nano = false;
  bytes out;
  std::vector<std::uint64_t> offsets;   // of each record header

  explicit pcap_writer(std::uint32_t linktype, bool nanosecond = false, bool big_endian = false,
                       std::uint32_t snaplen = 262144) {
    big = big_endian;
    nano = nanosecond;
    u32(out, nano ? 0xa1b23c4d : 0xa1b2c3d4);
    u16(out, 2);
    u16(out, 4);
    u32(out, 0);
    u32(out, 0);
    u32(out, snaplen);
    u32(out, linktype);
  }
  // time in ns since the epoch; origlen 0 = the frame's size
  pcap_writer& add(std::int64_t time_ns, std::string_view frame, std::uint32_t origlen = 0,
                   std::uint32_t caplen_field = 0) {
    offsets.push_back(out.size());
    u32(out, std::uint32_t(time_ns / 1000000000));
    u32(out, std::uint32_t(nano ? time_ns % 1000000000 : time_ns % 1000000000 / 1000));
    u32(out, caplen_field ? caplen_field : std::uint32_t(frame.size()));
    u32(out, origlen ? origlen : std::uint32_t(frame.size()));
    out.append(frame);
    return *this;
  }
};

struct pcapng_writer : endian_writer {
  bytes out;
  std::vector<std::uint64_t> offsets;   // of each packet block

  explicit pcapng_writer(bool big_endian = false) {
    big = big_endian;
    section();
  }
  void block(std::uint32_t type, const bytes& body) {
    bytes padded = body;
    while (padded.size() % 4) padded.push_back('\0');
    std::uint32_t total = std::uint32_t(padded.size() + 12);
    u32(out, type);
    u32(out, total);
    out += padded;
    u32(out, total);
  }
  void section() {
    bytes b;
    u32(b, 0x1A2B3C4D);
    u16(b, 1);
    u16(b, 0);
    u32(b, 0xffffffff);   // section length unknown (-1)
    u32(b, 0xffffffff);
    block(0x0A0D0D0A, b);
  }
  // tsresol: the if_tsresol byte (6 = µs, 9 = ns, 0x80|k = 2^-k); -1 = no option (µs)
  void interface(std::uint16_t linktype, std::uint32_t snaplen = 262144, int tsresol = -1) {
    bytes b;
    u16(b, linktype);
    u16(b, 0);
    u32(b, snaplen);
    if (tsresol >= 0) {
      u16(b, 9);
      u16(b, 1);
      b.push_back(char(tsresol));
      b.append(3, '\0');
      u16(b, 0);
      u16(b, 0);
    }
    block(1, b);
  }
  // timestamp in units of the interface's resolution
  pcapng_writer& epb(std::uint32_t ifid, std::uint64_t ts_units, std::string_view frame, std::uint32_t origlen = 0) {
    offsets.push_back(out.size());
    bytes b;
    u32(b, ifid);
    u32(b, std::uint32_t(ts_units >> 32));
    u32(b, std::uint32_t(ts_units));
    u32(b, std::uint32_t(frame.size()));
    u32(b, origlen ? origlen : std::uint32_t(frame.size()));
    b.append(frame);
    block(6, b);
    return *this;
  }
  pcapng_writer& spb(std::string_view frame) {
    offsets.push_back(out.size());
    bytes b;
    u32(b, std::uint32_t(frame.size()));
    b.append(frame);
    block(3, b);
    return *this;
  }
  pcapng_writer& pb(std::uint16_t ifid, std::uint64_t ts_units, std::string_view frame) {   // obsolete
    offsets.push_back(out.size());
    bytes b;
    u16(b, ifid);
    u16(b, 0);
    u32(b, std::uint32_t(ts_units >> 32));
    u32(b, std::uint32_t(ts_units));
    u32(b, std::uint32_t(frame.size()));
    u32(b, std::uint32_t(frame.size()));
    b.append(frame);
    block(2, b);
    return *this;
  }
  void other_block(std::uint32_t type, std::size_t len) { block(type, bytes(len, 'x')); }
};

inline bool write_file(const std::string& path, std::string_view data) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return std::fclose(f) == 0 && ok;
}

// ---- packets ----------------------------------------------------------------------------

inline bytes ip4(const char* text) {
  bytes b(4, '\0');
  inet_pton(AF_INET, text, b.data());
  return b;
}
inline bytes ip6(const char* text) {
  bytes b(16, '\0');
  inet_pton(AF_INET6, text, b.data());
  return b;
}

inline bytes udp_header(unsigned sport, unsigned dport, std::string_view payload, int length_field = -1) {
  bytes b;
  put16be(b, sport);
  put16be(b, dport);
  put16be(b, length_field >= 0 ? unsigned(length_field) : unsigned(payload.size() + 8));
  put16be(b, 0);   // no checksum
  b.append(payload);
  return b;
}

inline bytes tcp_header(unsigned sport, unsigned dport, std::uint32_t seq, std::uint32_t ack, unsigned flags,
                        std::string_view payload) {
  bytes b;
  put16be(b, sport);
  put16be(b, dport);
  put32be(b, seq);
  put32be(b, ack);
  put8(b, 5 << 4);
  put8(b, flags);
  put16be(b, 65535);
  put16be(b, 0);
  put16be(b, 0);
  b.append(payload);
  return b;
}

// IPv4: `l4` is the transport header + payload. total_length -1 = correct; frag: offset in
// bytes (multiple of 8) and MF; options: bytes appended to the header (multiple of 4).
inline bytes ipv4(const bytes& src, const bytes& dst, unsigned proto, std::string_view l4,
                  int total_length = -1, unsigned frag_offset = 0, bool more = false, unsigned id = 0x1234,
                  std::string_view options = {}) {
  bytes b;
  std::size_t ihl = 20 + options.size();
  put8(b, 0x40 | unsigned(ihl / 4));
  put8(b, 0);
  put16be(b, total_length >= 0 ? unsigned(total_length) : unsigned(ihl + l4.size()));
  put16be(b, id);
  put16be(b, (more ? 0x2000 : 0) | (frag_offset / 8));
  put8(b, 64);
  put8(b, proto);
  put16be(b, 0);
  b += src;
  b += dst;
  b.append(options);
  b.append(l4);
  return b;
}

// IPv6 with optional extension headers already encoded in `ext` (first_nh = type of the first
// of them, or the transport protocol when ext is empty).
inline bytes ipv6(const bytes& src, const bytes& dst, unsigned first_nh, std::string_view ext_and_l4,
                  int payload_length = -1) {
  bytes b;
  put32be(b, 0x60000000);
  put16be(b, payload_length >= 0 ? unsigned(payload_length) : unsigned(ext_and_l4.size()));
  put8(b, first_nh);
  put8(b, 64);
  b += src;
  b += dst;
  b.append(ext_and_l4);
  return b;
}
// a hop-by-hop / destination options header of 8 bytes (PadN)
inline bytes ipv6_opts(unsigned next) {
  bytes b;
  put8(b, next);
  put8(b, 0);
  put8(b, 1);
  put8(b, 4);
  b.append(4, '\0');
  return b;
}
inline bytes ipv6_frag(unsigned next, unsigned offset, bool more, std::uint32_t id) {
  bytes b;
  put8(b, next);
  put8(b, 0);
  put16be(b, (offset & 0xfff8) | (more ? 1 : 0));
  put32be(b, id);
  return b;
}

inline bytes mac(unsigned last) { return bytes{'\x02', '\0', '\0', '\0', '\0', char(last)}; }

// Ethernet: tags are (TPID, VLAN id) pairs from the outside in.
inline bytes ethernet(unsigned ethertype, std::string_view payload,
                      std::initializer_list<std::pair<unsigned, unsigned>> tags = {}) {
  bytes b = mac(1) + mac(2);
  for (auto [tpid, vid] : tags) {
    put16be(b, tpid);
    put16be(b, vid);
  }
  put16be(b, ethertype);
  b.append(payload);
  return b;
}
inline bytes sll(unsigned protocol, std::string_view payload) {
  bytes b;
  put16be(b, 0);     // packet type: to us
  put16be(b, 1);     // ARPHRD_ETHER
  put16be(b, 6);
  b += mac(3);
  b.append(2, '\0');
  put16be(b, protocol);
  b.append(payload);
  return b;
}
inline bytes sll2(unsigned protocol, std::string_view payload) {
  bytes b;
  put16be(b, protocol);
  put16be(b, 0);
  put32be(b, 2);     // interface index
  put16be(b, 1);
  put8(b, 4);        // outgoing
  put8(b, 6);
  b += mac(4);
  b.append(2, '\0');
  b.append(payload);
  return b;
}
// BSD null (host order, little-endian writer here) or OpenBSD loop (network order)
inline bytes null_link(std::uint32_t af, std::string_view payload, bool network_order) {
  bytes b;
  network_order ? put32be(b, af) : put32le(b, af);
  b.append(payload);
  return b;
}

inline std::string sip_invite(std::string_view call_id = "a84b4c76e66710") {
  std::string m =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
      "Max-Forwards: 70\r\n"
      "To: Bob <sip:bob@biloxi.example.com>\r\n"
      "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
      "Call-ID: ";
  m.append(call_id);
  m.append("\r\nCSeq: 314159 INVITE\r\nContact: <sip:alice@pc33.atlanta.example.com>\r\nContent-Length: 0\r\n\r\n");
  return m;
}
inline std::string sip_200() {
  return "SIP/2.0 200 OK\r\n"
         "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
         "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
         "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
         "Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n";
}
// 12-byte RTP header (PT 0) + 160 bytes of payload
inline std::string rtp_packet(std::uint16_t seq) {
  bytes b;
  put8(b, 0x80);
  put8(b, 0);
  put16be(b, seq);
  put32be(b, 160u * seq);
  put32be(b, 0x11223344);
  b.append(160, char(0xff));
  return b;
}

}  // namespace sipscope::test
