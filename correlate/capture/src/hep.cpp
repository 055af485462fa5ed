// HEP v1/v2/v3 decoder (hep.hpp). Every read is bounds-checked against the packet, or, for v3,
// against the total length it announces; a chunk length below its own header (6) is an error,
// never a zero-length step, so the chunk loop always advances.
#include "sipscope/capture/hep.hpp"

#include <zlib.h>

#include <cstring>
#include <new>
#include <vector>

namespace sipscope::capture {

namespace {

inline std::uint16_t be16(const unsigned char* p) noexcept {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t be32(const unsigned char* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline std::uint32_t le32(const unsigned char* p) noexcept {
  return (std::uint32_t{p[3]} << 24) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[1]} << 8) | p[0];
}
inline std::uint16_t le16(const unsigned char* p) noexcept {
  return static_cast<std::uint16_t>((p[1] << 8) | p[0]);
}

constexpr std::size_t hep3_header = 6;   // "HEP3" + total length
constexpr std::size_t chunk_header = 6;  // vendor, type, length

// Address families as agents send them: AF_INET is 2 everywhere; AF_INET6 is 10 on Linux,
// 23 on Windows, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS.
int family_of(std::uint8_t f) noexcept {
  switch (f) {
    case 2: return 4;
    case 10: case 23: case 24: case 28: case 30: return 6;
    default: return 0;
  }
}

transport transport_of(std::uint8_t ip_protocol) noexcept {
  switch (ip_protocol) {
    case 6: return transport::tcp;
    case 132: return transport::sctp;
    default: return transport::udp;
  }
}

timestamp_ns to_ns(std::uint32_t sec, std::uint32_t usec) noexcept {
  return static_cast<timestamp_ns>(sec) * 1'000'000'000 + static_cast<timestamp_ns>(usec) * 1'000;
}

bool fail(hep_failure& err, hep_error code, std::size_t offset, std::string_view what) noexcept {
  err.code = code;
  err.offset = static_cast<std::uint32_t>(offset);
  err.what = what;
  return false;
}

void set_ip(ip_address& a, int family, const unsigned char* p) noexcept {
  a.family = static_cast<std::uint8_t>(family);
  a.bytes = {};
  std::memcpy(a.bytes.data(), p, family == 4 ? 4 : 16);
}

}  // namespace

std::string_view to_string(hep_error e) noexcept {
  switch (e) {
    case hep_error::none: return "none";
    case hep_error::truncated: return "truncated";
    case hep_error::bad_version: return "bad_version";
    case hep_error::bad_length: return "bad_length";
    case hep_error::bad_family: return "bad_family";
    case hep_error::bad_chunk_length: return "bad_chunk_length";
    case hep_error::missing_chunk: return "missing_chunk";
    case hep_error::decompress_failed: return "decompress_failed";
    case hep_error::payload_too_large: return "payload_too_large";
  }
  return "?";
}

hep_frame hep_frame_length(std::string_view head) noexcept {
  static constexpr char magic[] = "HEP3";
  std::size_t n = head.size() < 4 ? head.size() : 4;
  if (std::memcmp(head.data(), magic, n) != 0) return {hep_frame_status::malformed, 0};
  if (head.size() < hep3_header) return {hep_frame_status::incomplete, 0};
  std::size_t len = be16(reinterpret_cast<const unsigned char*>(head.data()) + 4);
  if (len < hep3_header) return {hep_frame_status::malformed, 0};
  if (head.size() < len) return {hep_frame_status::incomplete, len};
  return {hep_frame_status::ok, len};
}

bool looks_like_hep(std::string_view bytes) noexcept {
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "HEP3", 4) == 0) return true;
  if (bytes.size() < 8) return false;
  auto p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (p[0] != 1 && p[0] != 2) return false;
  int fam = family_of(p[2]);
  return (fam == 4 && p[1] == 16) || (fam == 6 && p[1] == 40);
}

// zlib state and output buffer, reused across packets (inflateReset, not inflateInit).
struct hep_decoder::inflater {
  z_stream zs{};
  bool ready = false;
  std::vector<char> out;
  std::size_t used = 0;

  ~inflater() {
    if (ready) inflateEnd(&zs);
  }

  // Inflates `in` (zlib or gzip, detected from the header) into `out`; at most `limit` bytes.
  hep_error run(std::string_view in, std::size_t limit) noexcept {
    used = 0;
    if (!ready) {
      if (inflateInit2(&zs, 15 + 32) != Z_OK) return hep_error::decompress_failed;
      ready = true;
    } else if (inflateReset(&zs) != Z_OK) {
      return hep_error::decompress_failed;
    }
    if (out.size() < limit + 1) {
      try {
        out.resize(limit + 1);  // one spare byte tells "exactly limit" from "more than limit"
      } catch (const std::bad_alloc&) {
        return hep_error::payload_too_large;
      }
    }
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(limit + 1);
    int rc = inflate(&zs, Z_FINISH);
    used = limit + 1 - zs.avail_out;
    if (rc == Z_STREAM_END) return used > limit ? hep_error::payload_too_large : hep_error::none;
    if (used > limit || (rc == Z_BUF_ERROR && zs.avail_out == 0)) return hep_error::payload_too_large;
    return hep_error::decompress_failed;
  }
};

hep_decoder::hep_decoder(hep_limits limits) : limits_(limits) {}
hep_decoder::~hep_decoder() = default;
hep_decoder::hep_decoder(hep_decoder&&) noexcept = default;
hep_decoder& hep_decoder::operator=(hep_decoder&&) noexcept = default;

std::string_view hep_decoder::owned() const noexcept {
  if (!z_) return {};
  return {z_->out.data(), z_->used};
}

namespace {

bool decode_v12(std::string_view packet, hep_packet& out, hep_failure& err) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(packet.data());
  std::size_t n = packet.size();
  if (n < 8) return fail(err, hep_error::truncated, n, "HEP v1/v2 header (8 bytes)");
  out.version = p[0];
  int fam = family_of(p[2]);
  if (fam == 0) return fail(err, hep_error::bad_family, 2, "address family AF_INET or AF_INET6");
  std::size_t alen = fam == 4 ? 4 : 16;
  std::size_t hlen = 8 + 2 * alen;
  if (p[1] != hlen) return fail(err, hep_error::bad_length, 1, "header length 16 (IPv4) or 40 (IPv6)");
  out.ip_protocol = p[3];
  out.proto = transport_of(p[3]);
  out.src.port = be16(p + 4);
  out.dst.port = be16(p + 6);
  if (n < hlen) return fail(err, hep_error::truncated, n, "source and destination addresses");
  set_ip(out.src.ip, fam, p + 8);
  set_ip(out.dst.ip, fam, p + 8 + alen);
  std::size_t off = hlen;
  if (out.version == 2) {
    // struct hep_timehdr {u32 tv_sec; u32 tv_usec; u16 captid;} with 2 bytes of padding
    if (n < off + 12) return fail(err, hep_error::truncated, n, "HEP v2 time header (12 bytes)");
    std::uint32_t sec = le32(p + off), usec = le32(p + off + 4);
    if (usec >= 1'000'000) out.warnings |= hep_warn_bad_usec;
    out.time = to_ns(sec, usec);
    out.has_time = true;
    out.capture_id = le16(p + off + 8);
    off += 12;
  }
  out.payload_type = static_cast<std::uint8_t>(hep_proto::sip);
  out.payload = packet.substr(off);
  return true;
}

// Fixed value sizes of the generic chunks we read (0 = variable).
std::size_t fixed_size(std::uint16_t type) noexcept {
  switch (type) {
    case 1: case 2: case 11: return 1;
    case 3: case 4: return 4;
    case 5: case 6: return 16;
    case 7: case 8: return 2;
    case 9: case 10: return 4;
    default: return 0;
  }
}

}  // namespace

bool hep_decoder::decode(std::string_view packet, hep_packet& out, hep_failure& err) noexcept {
  out = hep_packet{};
  err = hep_failure{};
  auto p = reinterpret_cast<const unsigned char*>(packet.data());
  std::size_t n = packet.size();
  if (n == 0) return fail(err, hep_error::truncated, 0, "HEP version (1, 2 or \"HEP3\")");
  if (p[0] == 1 || p[0] == 2) return decode_v12(packet, out, err);

  std::size_t m = n < 4 ? n : 4;
  if (std::memcmp(p, "HEP3", m) != 0) return fail(err, hep_error::bad_version, 0, "HEP version (1, 2 or \"HEP3\")");
  if (n < hep3_header) return fail(err, hep_error::truncated, n, "HEP3 total length");
  out.version = 3;
  std::size_t total = be16(p + 4);
  if (total < hep3_header) return fail(err, hep_error::bad_length, 4, "HEP3 total length of at least 6");
  if (total > n) return fail(err, hep_error::truncated, n, "as many bytes as the HEP3 total length");
  if (total < n) out.warnings |= hep_warn_trailing_bytes;

  // Which generic chunks we have seen (bit per type 1..31) and where the payload is.
  std::uint32_t seen = 0;
  std::uint8_t family_raw = 0;
  const unsigned char* src4 = nullptr; const unsigned char* dst4 = nullptr;
  const unsigned char* src6 = nullptr; const unsigned char* dst6 = nullptr;
  std::uint32_t sec = 0, usec = 0;
  std::string_view payload, zpayload;
  std::size_t zoffset = 0;

  std::size_t off = hep3_header;
  while (off < total) {
    if (total - off < chunk_header) return fail(err, hep_error::truncated, off, "chunk header (6 bytes)");
    std::uint16_t vendor = be16(p + off), type = be16(p + off + 2);
    std::size_t len = be16(p + off + 4);
    if (len < chunk_header) return fail(err, hep_error::bad_chunk_length, off + 4, "chunk length of at least 6");
    if (len > total - off) return fail(err, hep_error::truncated, off + 4, "chunk within the HEP3 total length");
    const unsigned char* v = p + off + chunk_header;
    std::size_t vlen = len - chunk_header;
    std::size_t voff = off + chunk_header;
    ++out.chunks;
    if (vendor != 0 || type == 0 || type > 31) {
      out.warnings |= hep_warn_unknown_chunk;
      off += len;
      continue;
    }
    std::uint32_t bit = std::uint32_t{1} << type;
    if (seen & bit) out.warnings |= hep_warn_repeated_chunk;
    seen |= bit;
    if (std::size_t want = fixed_size(type); want != 0 && vlen != want)
      return fail(err, hep_error::bad_chunk_length, off + 4, "chunk length for the chunk's fixed value size");
    switch (type) {
      case 1: family_raw = v[0]; break;
      case 2: out.ip_protocol = v[0]; break;
      case 3: src4 = v; break;
      case 4: dst4 = v; break;
      case 5: src6 = v; break;
      case 6: dst6 = v; break;
      case 7: out.src.port = be16(v); break;
      case 8: out.dst.port = be16(v); break;
      case 9: sec = be32(v); break;
      case 10: usec = be32(v); break;
      case 11: out.payload_type = v[0]; break;
      case 12:  // u32 since rev. 12; early agents sent u16
        if (vlen == 4) out.capture_id = be32(v);
        else if (vlen == 2) { out.capture_id = be16(v); out.warnings |= hep_warn_odd_value_size; }
        else return fail(err, hep_error::bad_chunk_length, off + 4, "capture id of 4 (or 2) bytes");
        break;
      case 13:
        if (vlen != 2) return fail(err, hep_error::bad_chunk_length, off + 4, "keep-alive timer of 2 bytes");
        out.keep_alive = be16(v);
        break;
      case 14: out.auth_key = packet.substr(voff, vlen); break;
      case 15: payload = packet.substr(voff, vlen); zpayload = {}; break;
      case 16: zpayload = packet.substr(voff, vlen); zoffset = voff; payload = {}; break;
      case 17: out.correlation_id = packet.substr(voff, vlen); break;
      case 18:
        if (vlen == 2) out.vlan = be16(v);
        else if (vlen == 4) { out.vlan = static_cast<std::uint16_t>(be32(v) & 0xfff); out.warnings |= hep_warn_odd_value_size; }
        else return fail(err, hep_error::bad_chunk_length, off + 4, "VLAN id of 2 bytes");
        break;
      default:  // 19 group id, 20/21 MACs, 22 ethertype, 23 TCP flags, 24 TOS, 32+ QoS: not needed
        break;
    }
    off += len;
  }

  // A keep-alive (chunk 13 without a payload) carries no packet: addresses are optional.
  if ((seen & (1u << 13)) && !(seen & ((1u << 15) | (1u << 16)))) {
    out.keep_alive_only = true;
    return true;
  }
  // Mandatory: family, both addresses of that family, both ports, a payload.
  if (!(seen & (1u << 1))) return fail(err, hep_error::missing_chunk, total, "IP family chunk (type 1)");
  int fam = family_of(family_raw);
  if (fam == 0) return fail(err, hep_error::bad_family, total, "IP family 2 (IPv4) or 10 (IPv6)");
  const unsigned char* s = fam == 4 ? src4 : src6;
  const unsigned char* d = fam == 4 ? dst4 : dst6;
  if (!s) return fail(err, hep_error::missing_chunk, total, fam == 4 ? "IPv4 source chunk (type 3)" : "IPv6 source chunk (type 5)");
  if (!d) return fail(err, hep_error::missing_chunk, total, fam == 4 ? "IPv4 destination chunk (type 4)" : "IPv6 destination chunk (type 6)");
  set_ip(out.src.ip, fam, s);
  set_ip(out.dst.ip, fam, d);
  if (!(seen & (1u << 7))) return fail(err, hep_error::missing_chunk, total, "source port chunk (type 7)");
  if (!(seen & (1u << 8))) return fail(err, hep_error::missing_chunk, total, "destination port chunk (type 8)");
  if (!(seen & ((1u << 15) | (1u << 16)))) return fail(err, hep_error::missing_chunk, total, "payload chunk (type 15 or 16)");
  out.proto = transport_of(out.ip_protocol);
  if (seen & (1u << 9)) {
    if (usec >= 1'000'000) out.warnings |= hep_warn_bad_usec;
    out.time = to_ns(sec, usec);
    out.has_time = true;
  }
  if (zpayload.data() != nullptr) {
    if (!z_) {
      z_ = std::unique_ptr<inflater>(new (std::nothrow) inflater);
      if (!z_) return fail(err, hep_error::decompress_failed, zoffset, "memory for zlib");
    }
    hep_error e = z_->run(zpayload, limits_.max_payload);
    if (e == hep_error::payload_too_large) return fail(err, e, zoffset, "compressed payload within the size limit");
    if (e != hep_error::none) return fail(err, e, zoffset, "zlib or gzip stream in the compressed payload");
    out.payload = std::string_view(z_->out.data(), z_->used);
    out.compressed = true;
  } else {
    out.payload = payload;
  }
  return true;
}

}  // namespace sipscope::capture
