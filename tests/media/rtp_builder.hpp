// Builds RTP/RTCP packets byte by byte for the media tests (what the bytes are is spelled out
// here, independently of the parser under test).
#pragma once

#include <cstdint>
#include <vector>
#include <string>
#include <string_view>

#include "sipscope/capture/packet.hpp"

namespace sipscope::test {

inline void put8(std::string& s, unsigned v) { s.push_back(char(v & 0xff)); }
inline void put16(std::string& s, unsigned v) {
  put8(s, v >> 8);
  put8(s, v);
}
inline void put32(std::string& s, std::uint32_t v) {
  put16(s, v >> 16);
  put16(s, v & 0xffff);
}

struct rtp_spec {
  std::uint8_t pt = 0;
  bool marker = false;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::uint32_t ssrc = 0x11223344;
  std::string payload = std::string(160, '\xff');
  std::vector<std::uint32_t> csrcs = {};
  bool extension = false;
  std::uint16_t ext_profile = 0xBEDE;
  std::string ext_data = {};     // multiple of 4 bytes
  std::uint8_t padding = 0;      // padding bytes (count in the last one)
};

inline std::string rtp(const rtp_spec& r) {
  std::string s;
  put8(s, 0x80 | (r.padding ? 0x20 : 0) | (r.extension ? 0x10 : 0) | unsigned(r.csrcs.size()));
  put8(s, (r.marker ? 0x80 : 0) | r.pt);
  put16(s, r.seq);
  put32(s, r.ts);
  put32(s, r.ssrc);
  for (std::uint32_t c : r.csrcs) put32(s, c);
  if (r.extension) {
    put16(s, r.ext_profile);
    put16(s, unsigned(r.ext_data.size() / 4));
    s += r.ext_data;
  }
  s += r.payload;
  if (r.padding) {
    s.append(r.padding - 1, '\0');
    put8(s, r.padding);
  }
  return s;
}

// RFC 4733 event payload
inline std::string dtmf_payload(std::uint8_t event, bool end, std::uint8_t volume, std::uint16_t duration) {
  std::string s;
  put8(s, event);
  put8(s, (end ? 0x80 : 0) | (volume & 0x3f));
  put16(s, duration);
  return s;
}

// RTCP header with the length field computed from the body
inline std::string rtcp_packet(unsigned count, unsigned type, const std::string& body) {
  std::string s;
  put8(s, 0x80 | count);
  put8(s, type);
  put16(s, unsigned((body.size() + 4) / 4 - 1));
  return s + body;
}

inline std::string report_block(std::uint32_t ssrc, std::uint8_t fraction, std::int32_t cum,
                                std::uint32_t ext_seq, std::uint32_t jitter, std::uint32_t lsr,
                                std::uint32_t dlsr) {
  std::string s;
  put32(s, ssrc);
  put8(s, fraction);
  std::uint32_t c = std::uint32_t(cum) & 0xffffff;
  put8(s, c >> 16);
  put16(s, c & 0xffff);
  put32(s, ext_seq);
  put32(s, jitter);
  put32(s, lsr);
  put32(s, dlsr);
  return s;
}

inline capture::endpoint ep4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  capture::endpoint e;
  e.ip.family = 4;
  e.ip.bytes[0] = a;
  e.ip.bytes[1] = b;
  e.ip.bytes[2] = c;
  e.ip.bytes[3] = d;
  e.port = port;
  return e;
}

inline capture::udp_event udp(std::string_view payload, capture::endpoint src, capture::endpoint dst,
                              capture::timestamp_ns t, std::uint64_t frame = 0) {
  capture::udp_event e;
  e.payload = payload;
  e.src = src;
  e.dst = dst;
  e.time = t;
  e.frame.number = frame;
  return e;
}

constexpr capture::timestamp_ns ms(double v) { return capture::timestamp_ns(v * 1e6); }

}  // namespace sipscope::test
