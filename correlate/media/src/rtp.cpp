// RTP/RTCP wire parsing (rtp.hpp). Every read is bounds-checked against the datagram first.
#include "sipscope/media/rtp.hpp"

namespace sipscope::media {
namespace {

inline std::uint16_t be16(const unsigned char* p) noexcept {
  return std::uint16_t(p[0] << 8 | p[1]);
}
inline std::uint32_t be32(const unsigned char* p) noexcept {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}
inline const unsigned char* bytes_of(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// One RTCP packet inside a compound: its type, count field, and body (after the 4-byte header,
// padding removed when it is the last packet).
struct rtcp_piece {
  std::uint8_t type = 0;
  std::uint8_t count = 0;
  std::string_view body;
};

// Walks the packets of a compound (RFC 3550 A.2 checks), calling f(piece) for each; false
// when the compound is malformed. Allocation-free; `f` returns false to reject.
template <typename F>
bool walk_rtcp(std::string_view bytes, F&& f) noexcept(noexcept(f(rtcp_piece{}))) {
  if (bytes.size() < 4) return false;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 4) return false;
    const unsigned char* h = bytes_of(bytes) + pos;
    if ((h[0] >> 6) != 2) return false;
    std::size_t len = (std::size_t(be16(h + 2)) + 1) * 4;
    if (len > bytes.size() - pos) return false;
    rtcp_piece p;
    p.type = h[1];
    p.count = h[0] & 0x1f;
    p.body = bytes.substr(pos + 4, len - 4);
    if (h[0] & 0x20) {   // padding: only the last packet may carry it (A.2)
      if (pos + len != bytes.size()) return false;
      std::uint8_t pad = h[len - 1];
      if (pad == 0 || pad > p.body.size()) return false;
      p.body.remove_suffix(pad);
    }
    if (!f(p)) return false;
    pos += len;
  }
  return true;
}

bool is_rtcp_type(std::uint8_t t) noexcept { return t >= rtcp_sr && t <= rtcp_xr; }

// Structural check of one packet's body without storing anything (classification).
bool check_piece(const rtcp_piece& p) noexcept {
  const std::size_t n = p.body.size();
  switch (p.type) {
    case rtcp_sr: return n >= 24 + std::size_t(p.count) * 24;
    case rtcp_rr: return n >= 4 + std::size_t(p.count) * 24;
    case rtcp_bye: return n >= std::size_t(p.count) * 4;
    case rtcp_sdes: return p.count == 0 || n >= 4;
    case rtcp_app: return n >= 8;
    case rtcp_rtpfb: case rtcp_psfb: return n >= 8;
    case rtcp_xr: return n >= 4;
    default: return false;
  }
}

void read_blocks(const unsigned char* b, unsigned count, std::uint32_t reporter,
                 std::vector<rtcp_report_block>* out) {
  if (!out) return;
  for (unsigned i = 0; i < count; ++i, b += 24) {
    rtcp_report_block r;
    r.reporter = reporter;
    r.ssrc = be32(b);
    r.fraction_lost = b[4];
    std::uint32_t cl = std::uint32_t(b[5]) << 16 | std::uint32_t(b[6]) << 8 | b[7];
    r.cumulative_lost = (cl & 0x800000) ? std::int32_t(cl) - 0x1000000 : std::int32_t(cl);
    r.ext_highest_seq = be32(b + 8);
    r.jitter = be32(b + 12);
    r.lsr = be32(b + 16);
    r.dlsr = be32(b + 20);
    out->push_back(r);
  }
}

// SDES (RFC 3550 6.5): chunks of SSRC + items, each chunk ended by a null item and padded to
// a 32-bit boundary.
bool read_sdes(const rtcp_piece& p, std::vector<rtcp_cname>* out) {
  std::string_view b = p.body;
  for (unsigned c = 0; c < p.count; ++c) {
    if (b.size() < 4) return false;
    std::uint32_t ssrc = be32(bytes_of(b));
    std::size_t pos = 4;
    for (;;) {
      if (pos >= b.size()) return false;
      std::uint8_t type = std::uint8_t(b[pos]);
      if (type == 0) {
        ++pos;
        break;
      }
      if (b.size() - pos < 2) return false;
      std::size_t len = std::uint8_t(b[pos + 1]);
      if (b.size() - pos - 2 < len) return false;
      if (type == 1 && out) out->push_back({ssrc, b.substr(pos + 2, len)});
      pos += 2 + len;
    }
    pos = (pos + 3) & ~std::size_t(3);   // the null octets up to the chunk boundary
    if (pos > b.size()) return false;
    b.remove_prefix(pos);
  }
  return true;
}

// XR (RFC 3611 3): SSRC, then report blocks of BT, type-specific, block length (words).
bool read_xr(const rtcp_piece& p, rtcp_compound* out) {
  std::string_view b = p.body;
  if (b.size() < 4) return false;
  std::uint32_t reporter = be32(bytes_of(b));
  b.remove_prefix(4);
  while (!b.empty()) {
    if (b.size() < 4) return false;
    const unsigned char* h = bytes_of(b);
    std::size_t len = (std::size_t(be16(h + 2)) + 1) * 4;
    if (len > b.size()) return false;
    if (h[0] == 7 && len == 36 && !out) {
      // VoIP Metrics, only validated
    } else if (h[0] == 7 && len == 36) {   // VoIP Metrics, block length 8 (4.7)
      const unsigned char* v = h + 4;
      rtcp_voip_metrics m;
      m.reporter = reporter;
      m.ssrc = be32(v);
      m.loss_rate = v[4];
      m.discard_rate = v[5];
      m.burst_density = v[6];
      m.gap_density = v[7];
      m.burst_duration = be16(v + 8);
      m.gap_duration = be16(v + 10);
      m.round_trip_delay = be16(v + 12);
      m.end_system_delay = be16(v + 14);
      m.signal_level = std::int8_t(v[16]);
      m.noise_level = std::int8_t(v[17]);
      m.rerl = v[18];
      m.gmin = v[19];
      m.r_factor = v[20];
      m.ext_r_factor = v[21];
      m.mos_lq = v[22];
      m.mos_cq = v[23];
      m.rx_config = v[24];
      m.jb_nominal = be16(v + 26);
      m.jb_maximum = be16(v + 28);
      m.jb_abs_max = be16(v + 30);
      out->voip_metrics.push_back(m);
    } else if (h[0] == 7) {
      return false;   // a VoIP metrics block of the wrong size is malformed, not "other"
    } else if (out) {
      ++out->other_packets;
    }
    b.remove_prefix(len);
  }
  return true;
}

}  // namespace

std::uint32_t rtp_header::csrc(unsigned i) const noexcept {
  if (std::size_t(i) * 4 + 4 > csrcs.size()) return 0;
  return be32(bytes_of(csrcs) + i * 4);
}

bool parse_rtp(std::string_view bytes, rtp_header& h) noexcept {
  // Every field is written once, straight into the caller's header (the hot path of the
  // stream table: no zeroing and copying of a whole rtp_header per packet).
  if (bytes.size() < 12) return false;
  const unsigned char* p = bytes_of(bytes);
  if ((p[0] >> 6) != 2) return false;
  h.version = 2;
  h.padding = p[0] & 0x20;
  h.extension = p[0] & 0x10;
  h.csrc_count = p[0] & 0x0f;
  h.marker = p[1] & 0x80;
  h.payload_type = p[1] & 0x7f;
  h.sequence = be16(p + 2);
  h.timestamp = be32(p + 4);
  h.ssrc = be32(p + 8);
  std::size_t pos = 12;
  std::size_t csrc_bytes = std::size_t(h.csrc_count) * 4;
  if (bytes.size() - pos < csrc_bytes) return false;
  h.csrcs = bytes.substr(pos, csrc_bytes);
  pos += csrc_bytes;
  h.extension_profile = 0;
  h.extension_data = {};
  if (h.extension) {   // 5.3.1: profile-defined 16 bits, length in 32-bit words
    if (bytes.size() - pos < 4) return false;
    h.extension_profile = be16(p + pos);
    std::size_t words = be16(p + pos + 2);
    pos += 4;
    if ((bytes.size() - pos) / 4 < words) return false;
    h.extension_data = bytes.substr(pos, words * 4);
    pos += words * 4;
  }
  std::size_t end = bytes.size();
  h.padding_length = 0;
  if (h.padding) {
    h.padding_length = p[end - 1];
    if (h.padding_length == 0 || h.padding_length > end - pos) return false;
    end -= h.padding_length;
  }
  h.payload = bytes.substr(pos, end - pos);
  return true;
}

void rtcp_compound::clear() noexcept {
  packets = other_packets = 0;
  first_type = 0;
  sender_reports.clear();
  report_blocks.clear();
  cnames.clear();
  bye.clear();
  voip_metrics.clear();
}

namespace {

// The full parse, or (out == nullptr) the same checks without storing anything, so that
// classification and parsing always agree.
bool parse_rtcp_into(std::string_view bytes, rtcp_compound* out) {
  return walk_rtcp(bytes, [&](const rtcp_piece& p) {
    if (!is_rtcp_type(p.type) || !check_piece(p)) return false;
    if (out && out->packets++ == 0) out->first_type = p.type;
    const unsigned char* b = bytes_of(p.body);
    switch (p.type) {
      case rtcp_sr: {
        rtcp_sender_report s;
        s.ssrc = be32(b);
        s.ntp = std::uint64_t(be32(b + 4)) << 32 | be32(b + 8);
        s.rtp_timestamp = be32(b + 12);
        s.packet_count = be32(b + 16);
        s.octet_count = be32(b + 20);
        if (out) out->sender_reports.push_back(s);
        read_blocks(b + 24, p.count, s.ssrc, out ? &out->report_blocks : nullptr);
        return true;
      }
      case rtcp_rr:
        read_blocks(b + 4, p.count, be32(b), out ? &out->report_blocks : nullptr);
        return true;
      case rtcp_sdes:
        return read_sdes(p, out ? &out->cnames : nullptr);
      case rtcp_bye:
        if (out)
          for (unsigned i = 0; i < p.count; ++i) out->bye.push_back(be32(b + 4 * i));
        if (p.body.size() > std::size_t(p.count) * 4) {   // optional reason: length + text
          std::size_t rpos = std::size_t(p.count) * 4;
          if (std::uint8_t(p.body[rpos]) > p.body.size() - rpos - 1) return false;
        }
        return true;
      case rtcp_xr:
        return read_xr(p, out);
      default:
        if (out) ++out->other_packets;
        return true;
    }
  });
}

}  // namespace

bool parse_rtcp(std::string_view bytes, rtcp_compound& out) {
  out.clear();
  bool ok = parse_rtcp_into(bytes, &out);
  if (!ok) out.clear();
  return ok;
}

bool plausible_payload_type(std::uint8_t pt) noexcept {
  if (pt >= 96 && pt <= 127) return true;
  if (pt > 34) return false;
  // RFC 3551 tables 4 and 5: 1, 2 reserved; 20-24, 27, 29, 30 unassigned; 19 was CN (old).
  constexpr std::uint64_t assigned = [] {
    std::uint64_t m = 0;
    for (int t : {0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 25, 26, 28, 31,
                  32, 33, 34})
      m |= std::uint64_t(1) << t;
    return m;
  }();
  return (assigned >> pt) & 1;
}

udp_payload_kind classify_udp_payload(std::string_view bytes) noexcept {
  if (bytes.size() < 8) return udp_payload_kind::other;
  const unsigned char* p = bytes_of(bytes);
  if ((p[0] >> 6) != 2) return udp_payload_kind::other;
  if (p[1] >= 192 && p[1] <= 223) {   // RFC 5761 4: the RTCP side of the shared range
    return parse_rtcp_into(bytes, nullptr) ? udp_payload_kind::rtcp : udp_payload_kind::other;
  }
  rtp_header h;
  if (!parse_rtp(bytes, h)) return udp_payload_kind::other;
  if (!plausible_payload_type(h.payload_type) || h.payload.empty()) return udp_payload_kind::other;
  return udp_payload_kind::rtp;
}

}  // namespace sipscope::media
