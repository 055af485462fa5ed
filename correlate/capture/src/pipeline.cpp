// The ingestion pipeline: inputs merged by time, BPF filter, link layer, IPv4/IPv6, tunnels,
// UDP (SIP by content on any port, else udp_event), TCP segments and IP fragments to the hooks.
#include "sipscope/capture/pipeline.hpp"
#include "sipscope/capture/modules.hpp"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace sipscope::capture {

namespace {

inline std::uint16_t be16(const std::uint8_t* p) { return std::uint16_t(p[0] << 8 | p[1]); }
inline std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}
inline std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t(p[3]) << 24 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[1]) << 8 | p[0];
}

// Link types (LINKTYPE_ values, and the DLT_ values libpcap hands back for some of them).
constexpr int lt_null = 0, lt_ethernet = 1, lt_raw_dlt = 12, lt_raw_openbsd = 14, lt_raw = 101,
              lt_loop = 108, lt_sll = 113, lt_ipv4 = 228, lt_ipv6 = 229, lt_sll2 = 276;

// Counts every event on its way to the caller's handler; hooks get this one too, so that
// statistics cover what they emit.
struct counting_handler final : handler {
  handler& inner;
  statistics& st;
  counting_handler(handler& h, statistics& s) : inner(h), st(s) {}
  void on_sip(const sip_event& e) override { ++st.sip_messages; inner.on_sip(e); }
  void on_udp(const udp_event& e) override { ++st.udp_datagrams; inner.on_udp(e); }
  void on_diag(const diag_event& e) override { ++st.diags[e.kind]; inner.on_diag(e); }
  void on_icmp(const icmp_event& e) override { inner.on_icmp(e); }
  void on_tcp(const tcp_event& e) override { inner.on_tcp(e); }
  void on_progress(std::uint64_t d, std::uint64_t t) override { inner.on_progress(d, t); }
};

// RFC 3261 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~".
// A table: the first byte of every UDP payload goes through it (RTP's 0x80 fails at once).
constexpr struct token_table {
  bool ok[256] = {};
  constexpr token_table() {
    for (int c = 'A'; c <= 'Z'; ++c) ok[c] = ok[c + 32] = true;
    for (int c = '0'; c <= '9'; ++c) ok[c] = true;
    for (unsigned char c : std::string_view("-.!%*_+`'~")) ok[c] = true;
  }
} token_chars;

inline bool is_token_char(unsigned char c) { return token_chars.ok[c]; }

bool is_sip_version(const char* p) {
  return (p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p' && p[3] == '/' &&
         p[4] == '2' && p[5] == '.' && p[6] == '0';
}

}  // namespace

// A shape check of the first line, not the grammar (the parser owns that): a status line
// "SIP/2.0 NNN", or "TOKEN SP scheme:... SP SIP/2.0 (CR)LF" within the first 2 KiB.
bool looks_like_sip(std::string_view s) noexcept {
  if (s.size() < 12) return false;
  const char* p = s.data();
  if (is_sip_version(p)) {
    return p[7] == ' ' && p[8] >= '1' && p[8] <= '6' && p[9] >= '0' && p[9] <= '9' && p[10] >= '0' &&
           p[10] <= '9' && (p[11] == ' ' || p[11] == '\r' || p[11] == '\n');
  }
  std::size_t n = std::min<std::size_t>(s.size(), 2048);
  std::size_t i = 0;
  while (i < n && i < 32 && is_token_char(static_cast<unsigned char>(p[i]))) ++i;
  if (i == 0 || i >= n || p[i] != ' ') return false;
  std::size_t uri = ++i;
  bool colon = false;
  while (i < n && p[i] != ' ' && p[i] != '\r' && p[i] != '\n' && static_cast<unsigned char>(p[i]) > 0x20) {
    colon |= p[i] == ':';
    ++i;
  }
  if (i == uri || !colon || i + 8 > n || p[i] != ' ') return false;
  ++i;
  if (!is_sip_version(p + i)) return false;
  i += 7;
  return (i < n && p[i] == '\n') || (i + 1 < n && p[i] == '\r' && p[i + 1] == '\n');
}

// Source and destination addresses as they are in the packet (or in a reassembled fragment).
struct ip_pair {
  std::uint8_t family;
  const std::uint8_t* src;
  const std::uint8_t* dst;
  // Constant-size copies (a variable size is a call to memcpy); the rest of an IPv4 address
  // is zeroed so that a reused address compares and hashes as a fresh one.
  void fill(ip_address& s, ip_address& d) const {
    s.family = d.family = family;
    if (family == 4) {
      std::memset(s.bytes.data() + 4, 0, 12);
      std::memset(d.bytes.data() + 4, 0, 12);
      std::memcpy(s.bytes.data(), src, 4);
      std::memcpy(d.bytes.data(), dst, 4);
    } else {
      std::memcpy(s.bytes.data(), src, 16);
      std::memcpy(d.bytes.data(), dst, 16);
    }
  }
};

struct pipeline::input {
  std::string path;          // or interface name
  std::FILE* stream = nullptr;
  std::uint64_t stream_size = 0;
  bool live = false;
  reader rd;
  record rec;
  bool open = false;
};

// Per-packet decoding. Everything is on the stack or in the pipeline; nothing allocates on the
// way of a packet (the diagnostic map allocates once per new kind, the link-type map once per
// new link type).
struct pipeline::decoder {
  pipeline& pl;
  counting_handler& h;
  handler& out;   // the caller's: SIP and UDP events go straight there, counted here
  const pipeline_options& opt;
  statistics& st;

  decoder(pipeline& p, counting_handler& ch) : pl(p), h(ch), out(ch.inner), opt(p.opt_), st(p.stats_) {}

  // the packet being decoded
  const std::uint8_t* base = nullptr;
  const std::uint8_t* end = nullptr;
  bool cut = false;          // caplen < origlen
  frame_ref frame;
  timestamp_ns time = 0;
  carriage via;
  const frame_list* pieces = nullptr;   // of the datagram being delivered, when reassembled
  unsigned tunnels = 0;
  bool counted_tunnel = false;
  udp_event udp_ev;          // deliver_udp's, reused

  // once-only diagnostics
  std::vector<std::pair<std::uint32_t, int>> unsupported_seen;
  bool sctp_seen = false;
  int last_lt = -1;
  std::uint64_t* last_lt_count = nullptr;

  void diag(diag_kind k, const std::uint8_t* at, std::string_view what, bool error = true) {
    std::uint64_t off = at && at >= base ? std::uint64_t(at - base) : 0;
    diag_event d{k, error, frame, off, what};
    h.on_diag(d);
  }
  // a header that does not fit: cut by the snaplen, or really short
  void short_header(const std::uint8_t* at, diag_kind otherwise, std::string_view what) {
    if (cut) diag(diag_kind::snaplen_cut, at, what);
    else diag(otherwise, at, what);
  }

  void packet(const record& r) {
    base = r.data;
    end = r.data + r.caplen;
    cut = r.caplen < r.origlen;
    frame = r.frame;
    time = r.time;
    via = carriage{};
    tunnels = 0;
    counted_tunnel = false;
    if (r.origlen < r.caplen)
      diag(diag_kind::bad_record_length, base, "record's original length below its captured length", false);
    link(r.linktype, r.data, r.caplen);
  }

  // The shape of nearly every packet of a VoIP capture: Ethernet (untagged or one 802.1Q
  // tag), IPv4 without options or IPv6 without extension headers, not a fragment, UDP with
  // lengths that agree, not VXLAN. Decoded here straight through, with exactly the result of
  // packet() (no diagnostic is possible on this shape); anything else returns false and goes
  // the general way. Measured: the general path's checks and calls cost twice this one.
  bool fast_udp(const record& r) {
    const std::uint8_t* d = r.data;
    std::size_t len = r.caplen;
    if (r.linktype != lt_ethernet || len < 14 + 20 + 8 || r.origlen < r.caplen) return false;
    std::uint16_t type = be16(d + 12);
    std::uint16_t vlan = 0;
    d += 14;
    len -= 14;
    if (type == 0x8100) {
      if (opt.max_vlan_tags == 0 || len < 4 + 20 + 8) return false;
      vlan = be16(d) & 0x0fff;
      type = be16(d + 2);
      d += 4;
      len -= 4;
    }
    ip_pair ips;
    const std::uint8_t* u;
    std::size_t avail;   // IP payload: the UDP header and its data
    if (type == 0x0800) {
      std::size_t total = be16(d + 2);
      if (d[0] != 0x45 || d[9] != 17 || total < 20 + 8 || total > len || (be16(d + 6) & 0x3fff)) return false;
      ips = ip_pair{4, d + 12, d + 16};
      u = d + 20;
      avail = total - 20;
    } else if (type == 0x86dd) {
      if (len < 40 + 8 || d[0] >> 4 != 6 || d[6] != 17) return false;
      std::size_t plen = be16(d + 4);
      if (plen < 8 || 40 + plen > len) return false;
      ips = ip_pair{6, d + 8, d + 24};
      u = d + 40;
      avail = plen;
    } else {
      return false;
    }
    std::size_t ulen = be16(u + 4);
    if (ulen < 8 || ulen > avail || be16(u + 2) == 4789) return false;
    base = r.data;
    end = r.data + r.caplen;
    cut = r.caplen < r.origlen;
    frame = r.frame;
    time = r.time;
    via = carriage{};
    via.vlan = vlan;
    tunnels = 0;
    counted_tunnel = false;
    deliver_udp(ips, u, view(u + 8, ulen - 8));
    return true;
  }

  void link(int lt, const std::uint8_t* d, std::size_t len) {
    switch (lt) {
      case lt_ethernet: return ethernet(d, len);
      case lt_raw: case lt_raw_dlt: case lt_raw_openbsd: return raw_ip(d, len);
      case lt_ipv4: return ipv4(d, len);
      case lt_ipv6: return ipv6(d, len);
      case lt_sll:
        if (len < 16) return short_header(d, diag_kind::bad_link_header, "Linux cooked (SLL) header cut");
        return ethertype(be16(d + 14), d + 16, len - 16, 0);
      case lt_sll2:
        if (len < 20) return short_header(d, diag_kind::bad_link_header, "Linux cooked (SLL2) header cut");
        return ethertype(be16(d), d + 20, len - 20, 0);
      case lt_null: case lt_loop: {
        // the address family, in the byte order of the capturing host (NULL) or network
        // order (LOOP), and some writers get that wrong: take whichever reading is small
        if (len < 4) return short_header(d, diag_kind::bad_link_header, "loopback header cut");
        std::uint32_t af = le32(d);
        if (af > 0xffff) af = be32(d);
        if (af == 2) return ipv4(d + 4, len - 4);
        if (af == 10 || af == 24 || af == 28 || af == 30) return ipv6(d + 4, len - 4);
        ++st.not_ip;
        return;
      }
      default: {
        auto key = std::make_pair(frame.file, lt);
        // bounded: a damaged pcapng can declare thousands of link types
        if (unsupported_seen.size() < 1024 &&
            std::find(unsupported_seen.begin(), unsupported_seen.end(), key) == unsupported_seen.end()) {
          unsupported_seen.push_back(key);
          diag_event e{diag_kind::unsupported_link_type, true, frame_ref{frame.file, frame.offset, frame.number},
                       0, unsupported_name(lt)};
          h.on_diag(e);
        }
        return;
      }
    }
  }

  // diag_event::what must be static text: libpcap's name table is (pcap_datalink_val_to_name
  // returns a pointer into it), so the diagnostic names the link type as libpcap does.
  static std::string_view unsupported_name(int lt) {
    if (const char* n = pcap_datalink_val_to_name(lt)) return n;
    return "unsupported link type, unknown to libpcap (the statistics give its number)";
  }

  void raw_ip(const std::uint8_t* d, std::size_t len) {
    if (len < 1) return short_header(d, diag_kind::bad_ip_header, "raw IP packet empty");
    switch (d[0] >> 4) {
      case 4: return ipv4(d, len);
      case 6: return ipv6(d, len);
    }
    diag(diag_kind::bad_ip_header, d, "raw IP link type: version neither 4 nor 6");
  }

  void ethernet(const std::uint8_t* d, std::size_t len) {
    if (len < 14) return short_header(d, diag_kind::bad_link_header, "Ethernet header cut");
    std::uint16_t type = be16(d + 12);
    if (type <= 1500) {
      // IEEE 802.3 length + LLC; IP only in SNAP (AA AA 03 OUI type)
      if (len >= 22 && d[14] == 0xaa && d[15] == 0xaa && d[16] == 0x03)
        return ethertype(be16(d + 20), d + 22, len - 22, 0);
      ++st.not_ip;
      return;
    }
    ethertype(type, d + 14, len - 14, 0);
  }

  void ethertype(std::uint16_t type, const std::uint8_t* d, std::size_t len, unsigned tags) {
    switch (type) {
      case 0x0800: return ipv4(d, len);
      case 0x86dd: return ipv6(d, len);
      case 0x8100: case 0x88a8: case 0x9100: case 0x9200: {   // 802.1Q, 802.1ad, old QinQ
        if (len < 4) return short_header(d, diag_kind::bad_link_header, "VLAN tag cut");
        if (tags >= opt.max_vlan_tags) return diag(diag_kind::bad_link_header, d, "too many VLAN tags");
        if (via.vlan == 0) via.vlan = be16(d) & 0x0fff;
        return ethertype(be16(d + 2), d + 4, len - 4, tags + 1);
      }
      case 0x8847: case 0x8848: {   // MPLS: labels up to bottom of stack, then IP by version
        std::size_t i = 0;
        for (unsigned n = 0;; ++n, i += 4) {
          if (i + 4 > len) return short_header(d + i, diag_kind::bad_link_header, "MPLS label stack cut");
          if (n >= 16) return diag(diag_kind::bad_link_header, d, "MPLS label stack too deep");
          if (d[i + 2] & 1) break;
        }
        return raw_ip(d + i + 4, len - i - 4);
      }
      case 0x6558: return tunnel_ethernet(d, len);   // transparent Ethernet bridging (GRE)
    }
    ++st.not_ip;
  }

  bool enter_tunnel(const std::uint8_t* at) {
    if (tunnels >= opt.max_tunnel_depth) {
      diag(diag_kind::bad_ip_header, at, "tunnels nested deeper than the limit");
      return false;
    }
    ++tunnels;
    via.tunnelled = true;
    if (!counted_tunnel) { counted_tunnel = true; ++st.tunnelled; }
    return true;
  }
  void tunnel_ethernet(const std::uint8_t* d, std::size_t len) {
    if (enter_tunnel(d)) ethernet(d, len);
  }

  void ipv4(const std::uint8_t* d, std::size_t len) {
    if (len < 20) return short_header(d, diag_kind::truncated_packet, "IPv4 header cut");
    if (d[0] >> 4 != 4) return diag(diag_kind::bad_ip_header, d, "IPv4: version field is not 4");
    std::size_t ihl = std::size_t(d[0] & 0x0f) * 4;
    if (ihl < 20) return diag(diag_kind::bad_ip_header, d, "IPv4: header length below 20");
    if (ihl > len) return short_header(d, diag_kind::truncated_packet, "IPv4 options cut");
    std::size_t total = be16(d + 2);
    bool tail_cut = false;
    if (total < ihl) {
      if (total != 0) return diag(diag_kind::bad_ip_header, d, "IPv4: total length below the header length");
      // 0: segmentation offload on the capturing host; the frame is all there is
      diag(diag_kind::ip_length_mismatch, d, "IPv4: total length 0 (segmentation offload?): captured bytes used", false);
    } else if (total > len) {
      if (cut && d + len == end) {
        tail_cut = true;   // the snaplen cut it; the UDP layer says so if it matters
      } else {
        diag(diag_kind::ip_length_mismatch, d, "IPv4: total length beyond the captured frame: captured bytes used");
      }
    } else {
      len = total;   // drop Ethernet padding
    }
    const ip_pair ips{4, d + 12, d + 16};
    std::uint16_t fo = be16(d + 6);
    if ((fo & 0x2000) || (fo & 0x1fff)) {
      hook_fragment f;
      f.version = 4;
      ips.fill(f.src, f.dst);
      f.id = be16(d + 4);
      f.protocol = d[9];
      f.offset = std::uint32_t(fo & 0x1fff) * 8;
      f.more = fo & 0x2000;
      f.payload = view(d + ihl, len - ihl);
      f.ip_header = view(d, ihl);
      return fragment(f, tail_cut);
    }
    transport_layer(d[9], ips, d + ihl, len - ihl, tail_cut);
  }

  void ipv6(const std::uint8_t* d, std::size_t len) {
    if (len < 40) return short_header(d, diag_kind::truncated_packet, "IPv6 header cut");
    if (d[0] >> 4 != 6) return diag(diag_kind::bad_ip_header, d, "IPv6: version field is not 6");
    std::size_t plen = be16(d + 4);
    bool tail_cut = false;
    if (plen == 0) {
      // jumbogram (hop-by-hop option) or segmentation offload: the frame is all there is
      if (d[6] != 0)
        diag(diag_kind::ip_length_mismatch, d, "IPv6: payload length 0 without a hop-by-hop header: captured bytes used", false);
    } else if (40 + plen > len) {
      if (cut && d + len == end) tail_cut = true;
      else diag(diag_kind::ip_length_mismatch, d, "IPv6: payload length beyond the captured frame: captured bytes used");
    } else {
      len = 40 + plen;
    }
    const ip_pair ips{6, d + 8, d + 24};
    std::uint8_t nh = d[6];
    std::size_t p = 40;
    for (unsigned n = 0;; ++n) {
      if (n > opt.max_ipv6_headers)
        return diag(diag_kind::bad_ip_header, d + p, "IPv6: extension header chain longer than the limit");
      std::size_t hl;
      switch (nh) {
        case 0: case 43: case 60: case 135: case 139: case 140:   // HBH, routing, dest, mobility, HIP, shim6
          if (p + 2 > len) return short_header(d + p, diag_kind::truncated_packet, "IPv6 extension header cut");
          hl = (std::size_t(d[p + 1]) + 1) * 8;
          break;
        case 51:   // AH
          if (p + 2 > len) return short_header(d + p, diag_kind::truncated_packet, "IPv6 AH header cut");
          hl = (std::size_t(d[p + 1]) + 2) * 4;
          break;
        case 44: {   // Fragment
          if (p + 8 > len) return short_header(d + p, diag_kind::truncated_packet, "IPv6 fragment header cut");
          std::uint16_t fo = be16(d + p + 2);
          if ((fo & 0xfff8) == 0 && !(fo & 1)) {   // atomic fragment (RFC 6946): not fragmented
            hl = 8;
            break;
          }
          hook_fragment f;
          f.version = 6;
          ips.fill(f.src, f.dst);
          f.id = be32(d + p + 4);
          f.protocol = d[p];
          f.offset = fo & 0xfff8;
          f.more = fo & 1;
          f.payload = view(d + p + 8, len - p - 8);
          f.ip_header = view(d, p);
          return fragment(f, tail_cut);
        }
        case 59:   // no next header
          return;
        default:
          return transport_layer(nh, ips, d + p, len - p, tail_cut);
      }
      if (p + hl > len) return short_header(d + p, diag_kind::truncated_packet, "IPv6 extension header cut");
      nh = d[p];
      p += hl;
    }
  }

  static std::string_view view(const std::uint8_t* d, std::size_t n) {
    return {reinterpret_cast<const char*>(d), n};
  }

  // ---- hook point: IP fragments -> fragment_hook (defrag.* when it exists) ----
  void fragment(hook_fragment& f, bool tail_cut) {
    ++st.ip_fragments;
    f.frame = frame;
    f.time = time;
    f.via = via;
    if (tail_cut) diag(diag_kind::snaplen_cut, reinterpret_cast<const std::uint8_t*>(f.payload.data()), "IP fragment cut by the snaplen");
    if (!pl.defrag_) {
      diag(diag_kind::fragment_limit, reinterpret_cast<const std::uint8_t*>(f.ip_header.data()),
           "IP fragment dropped: no fragment_hook (reassembly module pending)");
      return;
    }
    std::string_view dgram;
    if (pl.defrag_->add(f, dgram, h)) {
      carriage saved = via;
      via.reassembled_ip = true;
      const frame_list* saved_pieces = pieces;
      pieces = pl.defrag_->pieces();
      // offsets of diagnostics inside the reassembled datagram are not frame offsets
      const std::uint8_t* b = base;
      const std::uint8_t* e = end;
      base = reinterpret_cast<const std::uint8_t*>(dgram.data());
      end = base + dgram.size();
      transport_layer(f.protocol, ip_pair{f.version, f.src.bytes.data(), f.dst.bytes.data()}, base, dgram.size(), false);
      base = b;
      end = e;
      via = saved;
      pieces = saved_pieces;
    }
  }

  void transport_layer(std::uint8_t proto, const ip_pair& ips, const std::uint8_t* d, std::size_t len, bool tail_cut) {
    switch (proto) {
      case 17: return udp(ips, d, len, tail_cut);
      case 6: return tcp(ips, d, len, tail_cut);
      case 1: if (icmp(ips, d, len, false)) return; break;
      case 58: if (icmp(ips, d, len, true)) return; break;
      case 4: if (enter_tunnel(d)) ipv4(d, len); return;
      case 41: if (enter_tunnel(d)) ipv6(d, len); return;
      case 47: return gre(d, len);
      case 132:
        ++st.other_ip_protocol;
        if (!sctp_seen) {
          sctp_seen = true;
          diag(diag_kind::bad_ip_header, d, "SCTP seen: not decoded (counted as another IP protocol)", false);
        }
        return;
    }
    ++st.other_ip_protocol;
  }

  // Destination unreachable (ICMP type 3, ICMPv6 type 1) quoting a UDP datagram: an event;
  // any other ICMP is another IP protocol (false).
  bool icmp(const ip_pair& ips, const std::uint8_t* d, std::size_t len, bool v6) {
    if (len < 8 || d[0] != (v6 ? 1 : 3)) return false;
    const std::uint8_t* q = d + 8;
    const std::size_t ql = len - 8;
    icmp_event e;
    std::size_t udp_at;
    if (!v6) {
      if (ql < 20 || (q[0] >> 4) != 4) return false;
      udp_at = std::size_t(q[0] & 15) * 4;
      if (udp_at < 20 || ql < udp_at + 8 || q[9] != 17) return false;
      ip_pair{4, q + 12, q + 16}.fill(e.src.ip, e.dst.ip);
    } else {
      udp_at = 40;
      if (ql < 40 + 8 || (q[0] >> 4) != 6 || q[6] != 17) return false;
      ip_pair{6, q + 8, q + 24}.fill(e.src.ip, e.dst.ip);
    }
    ip_address to;
    ips.fill(e.reporter, to);
    e.src.port = be16(q + udp_at);
    e.dst.port = be16(q + udp_at + 2);
    e.frame = frame;
    e.time = time;
    e.type = d[0];
    e.code = d[1];
    out.on_icmp(e);
    return true;
  }

  void gre(const std::uint8_t* d, std::size_t len) {
    if (len < 4) return short_header(d, diag_kind::bad_ip_header, "GRE header cut");
    std::uint16_t flags = be16(d), proto = be16(d + 2);
    if ((flags & 7) != 0 || (flags & 0x4000)) { ++st.other_ip_protocol; return; }   // PPTP GRE, source routing
    std::size_t p = 4;
    if (flags & 0x8000) p += 4;   // checksum
    if (flags & 0x2000) p += 4;   // key
    bool seq = flags & 0x1000;
    if (seq) p += 4;
    if (p > len) return short_header(d, diag_kind::bad_ip_header, "GRE header cut");
    d += p;
    len -= p;
    switch (proto) {
      case 0x0800: if (enter_tunnel(d)) ipv4(d, len); return;
      case 0x86dd: if (enter_tunnel(d)) ipv6(d, len); return;
      case 0x6558: return tunnel_ethernet(d, len);
      case 0x88be:   // ERSPAN type II (8-byte header), type I without a sequence number
        if (!seq) return tunnel_ethernet(d, len);
        if (len < 8) return short_header(d, diag_kind::bad_link_header, "ERSPAN II header cut");
        return tunnel_ethernet(d + 8, len - 8);
      case 0x22eb: {   // ERSPAN type III: 12 bytes, + 8 of platform subheader when O is set
        if (len < 12) return short_header(d, diag_kind::bad_link_header, "ERSPAN III header cut");
        std::size_t h3 = (d[11] & 1) ? 20 : 12;
        if (len < h3) return short_header(d, diag_kind::bad_link_header, "ERSPAN III header cut");
        return tunnel_ethernet(d + h3, len - h3);
      }
    }
    ++st.other_ip_protocol;
  }

  // Events are filled in place from the packet: building addresses in a temporary and copying
  // them stalls on store forwarding (measured: ~10% of ingestion time).
  template <class Event>
  void fill(Event& e, const ip_pair& ips, const std::uint8_t* ports) {
    e.frame = frame;
    if constexpr (std::is_same_v<Event, sip_event>) {
      if (pieces && pieces->count > 1) e.pieces = *pieces;
    }
    e.time = time;
    e.via = via;
    ips.fill(e.src.ip, e.dst.ip);
    e.src.port = be16(ports);
    e.dst.port = be16(ports + 2);
  }

  void udp(const ip_pair& ips, const std::uint8_t* d, std::size_t len, bool tail_cut) {
    if (len < 8) return short_header(d, diag_kind::bad_udp_header, "UDP header cut");
    std::size_t ulen = be16(d + 4);
    std::size_t plen;
    if (ulen < 8) {
      if (ulen != 0 || ips.family != 6) return diag(diag_kind::bad_udp_header, d, "UDP length below 8");
      plen = len - 8;   // IPv6 jumbogram (RFC 2675)
    } else if (ulen > len) {
      if (!tail_cut && !(cut && d + len == end))
        return diag(diag_kind::bad_udp_header, d, "UDP length beyond the IP payload: datagram dropped");
      diag(diag_kind::snaplen_cut, d, "UDP payload cut by the snaplen: the captured part is delivered");
      plen = len - 8;
    } else {
      plen = ulen - 8;
    }
    const std::uint8_t* pay = d + 8;
    // VXLAN (RFC 7348): UDP 4789, I flag set, then an Ethernet frame
    if (be16(d + 2) == 4789 && plen >= 8 + 14 && (pay[0] & 0x08) && tunnels < opt.max_tunnel_depth)
      return tunnel_ethernet(pay + 8, plen - 8);
    deliver_udp(ips, d, view(pay, plen));
  }

  // A UDP datagram whose header `d` checked out: to the decapsulators, else SIP or UDP event.
  void deliver_udp(const ip_pair& ips, const std::uint8_t* d, std::string_view payload) {
    // One udp_event serves the decapsulators and, when nobody takes it and it is not SIP, the
    // caller: filling it twice cost more than the rest of the UDP layer. It lives in the
    // decoder (every field is written below), so that it is not zeroed first for each packet.
    udp_event& u = udp_ev;
    u.payload = payload;
    fill(u, ips, d);
    // ---- hook point: UDP decapsulators (HEP v2/v3, hep.* when it exists) ----
    if (payload.empty() ? !pl.decaps_.empty() : pl.decap_first_[static_cast<std::uint8_t>(payload[0])])
      for (udp_hook* x : pl.decaps_)
        if (x->take(u, h)) return;
    // Both shapes start with a token character ('S' of "SIP/2.0" included): RTP's first byte
    // (0x80 and up) ends the test here, without the call.
    if (payload.size() >= 12 && is_token_char(static_cast<unsigned char>(payload[0])) && looks_like_sip(payload))
        [[unlikely]] {
      sip_event e;
      e.bytes = payload;
      e.proto = transport::udp;
      fill(e, ips, d);
      ++st.sip_messages;
      out.on_sip(e);
      return;
    }
    ++st.udp_datagrams;
    out.on_udp(u);
  }

  // ---- hook point: TCP segments -> stream reassembler (tcp_stream.* / sip_framer.*) ----
  void tcp(const ip_pair& ips, const std::uint8_t* d, std::size_t len, bool tail_cut) {
    if (len < 20) return short_header(d, diag_kind::bad_tcp_header, "TCP header cut");
    std::size_t off = std::size_t(d[12] >> 4) * 4;
    if (off < 20) return diag(diag_kind::bad_tcp_header, d, "TCP data offset below 20");
    if (off > len) return short_header(d, diag_kind::bad_tcp_header, "TCP options cut");
    if (tail_cut) diag(diag_kind::snaplen_cut, d, "TCP segment cut by the snaplen");
    hook_segment s;
    ips.fill(s.src.ip, s.dst.ip);
    s.src.port = be16(d);
    s.dst.port = be16(d + 2);
    s.seq = be32(d + 4);
    s.ack = be32(d + 8);
    s.flags = d[13];
    s.window = be16(d + 14);
    s.payload = view(d + off, len - off);
    s.frame = frame;
    s.time = time;
    s.via = via;
    ++st.tcp_segments;
    st.tcp_payload_bytes += s.payload.size();
    if (s.flags & 0x06) {   // SYN or RST: connection attempts and resets (tcp_event)
      tcp_event t;
      t.frame = frame;
      t.time = time;
      t.src = s.src;
      t.dst = s.dst;
      t.flags = s.flags;
      out.on_tcp(t);
    }
    if (pl.streams_) pl.streams_->add(s, h);
  }
};

pipeline::pipeline(pipeline_options o) : opt_(std::move(o)) {
  if (opt_.standard_modules) {
    own_modules_ = std::make_unique<standard_modules>();
    own_modules_->install(*this);
  }
}

pipeline::~pipeline() {
  for (input& in : inputs_)
    if (!in.open && in.stream) std::fclose(in.stream);
}

void pipeline::stop() noexcept {
  stop_.store(true, std::memory_order_relaxed);
  for (input& in : inputs_)
    if (in.live) in.rd.break_loop();
}

void pipeline::add_file(std::string path) {
  input& in = inputs_.emplace_back();
  in.path = std::move(path);
}

void pipeline::add_udp_decapsulator(udp_hook* u) {
  decaps_.push_back(u);
  for (unsigned c = 0; c < 256; ++c)
    if (u->may_take(static_cast<std::uint8_t>(c))) decap_first_[c] = true;
}

void pipeline::add_stream(std::FILE* f, std::uint64_t size) {
  input& in = inputs_.emplace_back();
  in.path = "<stream>";
  in.stream = f;
  in.stream_size = size;
}

void pipeline::add_interface(std::string iface) {
  input& in = inputs_.emplace_back();
  in.path = std::move(iface);
  in.live = true;
}

namespace {

// One compiled filter per link type: a pcapng may mix them, and BPF code depends on it.
struct filter_set {
  std::string text;
  std::vector<std::pair<int, bpf_program>> progs;
  std::vector<int> failed;
  ~filter_set() {
    for (auto& p : progs) pcap_freecode(&p.second);
  }
  static bool compile(const std::string& text, int lt, bpf_program& out, std::string* error) {
    pcap_t* dead = pcap_open_dead_with_tstamp_precision(lt, 262144, PCAP_TSTAMP_PRECISION_NANO);
    if (!dead) return false;
    int rc = pcap_compile(dead, &out, text.c_str(), 1, PCAP_NETMASK_UNKNOWN);
    if (rc != 0 && error) *error = pcap_geterr(dead);
    pcap_close(dead);
    return rc == 0;
  }
  // nullptr when the filter cannot apply to this link type
  const bpf_program* get(int lt) {
    for (auto& p : progs) if (p.first == lt) return &p.second;
    if (std::find(failed.begin(), failed.end(), lt) != failed.end()) return nullptr;
    if (progs.size() + failed.size() >= 256) return nullptr;   // damaged pcapng: bounded work
    bpf_program prog{};
    if (!compile(text, lt, prog, nullptr)) {
      failed.push_back(lt);
      return nullptr;
    }
    progs.emplace_back(lt, prog);
    return &progs.back().second;
  }
};

}  // namespace

bool pipeline::ready(std::string& error) {
  if (inputs_.empty()) {
    error = "no input";
    return false;
  }
  std::size_t live = 0;
  for (const input& in : inputs_) live += in.live;
  if (live > 1 || (live == 1 && inputs_.size() > 1)) {
    error = "one live interface per run, and not mixed with files";
    return false;
  }
  if (!opt_.filter.empty()) {
    bpf_program prog{};
    if (!filter_set::compile(opt_.filter, lt_ethernet, prog, &error)) return false;
    pcap_freecode(&prog);
  }
  return true;
}

bool pipeline::run(handler& user) {
  counting_handler h(user, stats_);
  decoder dec(*this, h);
  filter_set filter;
  filter.text = opt_.filter;

  std::uint64_t total = 0;
  std::size_t opened = 0;
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    input& in = inputs_[i];
    auto idx = std::uint32_t(i);
    if (in.live) {
      std::string err;
      in.open = in.rd.open_live(in.path, opt_.live, idx, err);
      if (!in.open) {
        diag_event d{diag_kind::cannot_open, true, frame_ref{idx, 0, 0}, 0, "cannot open the interface for capture"};
        h.on_diag(d);
      }
    } else if (in.stream) {
      in.open = in.rd.open_stream(in.stream, in.stream_size, idx, h, opt_.limits);
      in.stream = nullptr;   // the reader owns (or closed) it
    } else {
      in.open = in.rd.open_file(in.path, idx, h, opt_.limits);
    }
    if (in.open) {
      ++opened;
      ++stats_.files;
      total += in.rd.size();
    }
  }

  // A heap of inputs on their next record: (time, file index) with merge_by_time, else file
  // index alone, so that each file is read to its end before the next.
  std::vector<std::size_t> heap;
  heap.reserve(inputs_.size());
  const bool by_time = opt_.merge_by_time;
  auto later = [&](std::size_t a, std::size_t b) {
    const record& ra = inputs_[a].rec;
    const record& rb = inputs_[b].rec;
    if (by_time && ra.time != rb.time) return ra.time > rb.time;
    return a > b;
  };
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    input& in = inputs_[i];
    if (in.open && in.rd.next(in.rec, h)) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), later);
    }
  }

  std::uint64_t next_progress = opt_.progress_every;
  auto progress = [&]() {
    std::uint64_t done = 0;
    for (const input& in : inputs_) if (in.open) done += in.rd.position();
    h.on_progress(done, total);
  };

  auto deliver = [&](const record& r) {
    ++stats_.frames;
    stats_.bytes += r.caplen;
    if (r.linktype != dec.last_lt) {
      dec.last_lt = r.linktype;
      dec.last_lt_count = &stats_.per_link_type[r.linktype];
    }
    ++*dec.last_lt_count;

    bool pass = true;
    if (!filter.text.empty()) {
      const bpf_program* prog = filter.get(r.linktype);
      if (!prog) {
        pass = false;
        auto key = std::make_pair(r.frame.file, r.linktype);
        if (dec.unsupported_seen.size() < 1024 &&
            std::find(dec.unsupported_seen.begin(), dec.unsupported_seen.end(), key) == dec.unsupported_seen.end()) {
          dec.unsupported_seen.push_back(key);
          diag_event d{diag_kind::unsupported_link_type, true, r.frame, 0,
                       "the BPF filter cannot be compiled for this link type: its frames are skipped"};
          h.on_diag(d);
        }
      } else {
        pcap_pkthdr ph{};
        ph.caplen = r.caplen;
        ph.len = r.origlen;
        pass = pcap_offline_filter(prog, &ph, r.data) != 0;
      }
      if (!pass) ++stats_.filtered_out;
    }
    if (pass) {
      current_ = std::string_view(reinterpret_cast<const char*>(r.data), r.caplen);
      if (!dec.fast_udp(r)) dec.packet(r);
      current_ = {};
    }
    if (stats_.bytes >= next_progress) {
      next_progress = stats_.bytes + opt_.progress_every;
      progress();
    }
  };

  // The earliest input is read for as long as it stays the earliest: one input (the common
  // case) never touches the heap.
  while (!heap.empty() && !stop_.load(std::memory_order_relaxed)) {
    std::pop_heap(heap.begin(), heap.end(), later);
    std::size_t i = heap.back();
    heap.pop_back();
    input& in = inputs_[i];
    for (;;) {
      deliver(in.rec);
      if (!in.rd.next(in.rec, h) || stop_.load(std::memory_order_relaxed)) break;
      if (!heap.empty() && later(i, heap.front())) {
        heap.push_back(i);
        std::push_heap(heap.begin(), heap.end(), later);
        break;
      }
    }
  }

  for (input& in : inputs_) {
    std::uint64_t dropped = 0;
    if (in.open && in.rd.live_drops(dropped)) {
      stats_.dropped_by_kernel += dropped;
      if (dropped) {
        diag_event d{diag_kind::dropped_by_kernel, true, frame_ref{}, dropped,
                     "packets dropped by the kernel or interface (count in byte_offset)"};
        h.on_diag(d);
      }
    }
  }
  if (defrag_) defrag_->flush(h);
  if (streams_) streams_->flush(h);
  progress();
  return opened > 0 || inputs_.empty();
}

}  // namespace sipscope::capture
