// HEP (Homer Encapsulation Protocol) v1, v2 and v3 decoder (issue 4): one HEP packet (a UDP
// payload, or one record cut from a TCP stream with hep_frame_length) -> the original
// addresses, time and payload.
//
// Layouts (sipcapture/HEP "HEP3 Network Protocol Specification", rev. 37; Kamailio sipcapture):
// * v1/v2: version u8, header length u8 (8 + both addresses: 16 for IPv4, 40 for IPv6), address
//   family u8 (AF_INET, AF_INET6), IP protocol u8, source port u16, destination port u16
//   (network order), source and destination address; v2 then adds the sender's
//   `struct hep_timehdr` {u32 sec, u32 usec, u16 capture id} = 12 bytes with padding, written in
//   the *sender's* byte order (every known agent runs on little-endian hosts, so we read it as
//   little-endian). The payload (always SIP) is the rest of the packet.
// * v3: "HEP3", total length u16 (the whole packet), then chunks {vendor u16, type u16,
//   length u16 (including these 6 bytes), value}, all big-endian. Vendor 0 = generic chunks.
//
// Zero copy: views point into the input, except a compressed payload (chunk 16), inflated into a
// buffer the decoder owns; every view is valid until the next decode() call on the same
// decoder, and as long as the input is. No exceptions and no allocation on the per-packet path
// (the inflate buffer is allocated once, at most hep_limits::max_payload bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "sipscope/capture/packet.hpp"

namespace sipscope::capture {

// Why a packet was rejected; the pipeline reports every one as diag_kind::bad_hep_packet.
enum class hep_error : std::uint8_t {
  none = 0,
  truncated,           // the packet (or a chunk) ends before the length it announces
  bad_version,         // neither 1, 2 nor "HEP3"
  bad_length,          // a header/total length field that cannot be right
  bad_family,          // unknown address family, or addresses of the other family
  bad_chunk_length,    // a chunk length below 6 (the chunk header), or wrong for a fixed type
  missing_chunk,       // a mandatory chunk is absent (family, addresses, ports, payload)
  decompress_failed,   // chunk 16 is not a zlib/gzip stream
  payload_too_large,   // chunk 16 inflates to more than hep_limits::max_payload
};
std::string_view to_string(hep_error e) noexcept;

struct hep_failure {
  hep_error code = hep_error::none;
  std::uint32_t offset = 0;   // in the packet: where the decoder stopped
  std::string_view what;      // static text: what was expected there
};

// Non-fatal findings, as bits of hep_packet::warnings.
enum hep_warning : std::uint16_t {
  hep_warn_repeated_chunk = 1 << 0,   // a generic chunk came twice: the last one wins
  hep_warn_unknown_chunk = 1 << 1,    // a vendor chunk or an unknown generic type was skipped
  hep_warn_trailing_bytes = 1 << 2,   // bytes after the HEP3 total length (UDP padding?)
  hep_warn_bad_usec = 1 << 3,         // microseconds >= 1000000 (kept as sent)
  hep_warn_odd_value_size = 1 << 4,   // capture id or vlan with an unusual (but readable) size
};

// HEP protocol types (chunk 11). v1/v2 only ever carry SIP.
enum class hep_proto : std::uint8_t {
  unknown = 0, sip = 1, xmpp = 2, sdp = 3, rtp = 4, rtcp_json = 5, mgcp = 6, megaco = 7,
  m2ua = 8, m3ua = 9, iax = 10, h322 = 11, h321 = 12, m2pa = 13,
  mos_full_json = 34, mos_short = 35, sip_json = 50, dns_json = 53, m3ua_isup_json = 54,
  rtsp = 55, diameter = 56, gsm_map = 57, rtcp_pion = 58, cdr = 60, log = 100,
};

struct hep_packet {
  std::uint8_t version = 0;             // 1, 2 or 3
  endpoint src, dst;                     // the original packet's addresses
  std::uint8_t ip_protocol = 0;          // IP protocol number as sent (17 UDP, 6 TCP, 132 SCTP)
  transport proto = transport::udp;      // ip_protocol mapped; anything else reads as udp
  timestamp_ns time = 0;                 // capture time; 0 when the packet has none (v1, or v3
  bool has_time = false;                 //   without chunk 9): the pipeline uses its own
  std::uint32_t capture_id = 0;          // capture agent id (chunk 12; v2's u16)
  std::uint8_t payload_type = 0;         // chunk 11 as sent (see hep_proto); 1 for v1/v2
  bool compressed = false;               // payload was inflated from chunk 16
  std::string_view payload;              // the original packet's payload (input or owned)
  std::string_view correlation_id;       // chunk 17, empty if absent
  std::string_view auth_key;             // chunk 14, empty if absent
  std::uint16_t vlan = 0;                // chunk 18
  std::uint16_t keep_alive = 0;          // chunk 13 (seconds), 0 if absent
  bool keep_alive_only = false;          // chunk 13 and no payload: an agent's heartbeat, with
                                         //   no original packet (addresses may be unset)
  std::uint16_t warnings = 0;            // hep_warning bits
  std::uint16_t chunks = 0;              // v3: chunks read, skipped ones included
};

struct hep_limits {
  // Largest inflated payload (chunk 16). A UDP datagram carries at most 64 KiB of SIP; TCP SIP
  // messages can be larger, but an agent that sends > 256 KiB in one HEP packet is unlikely.
  std::size_t max_payload = 256 * 1024;
};

// Framing of HEP3 on a TCP stream: the length of the packet at the head of `head`.
enum class hep_frame_status : std::uint8_t { ok, incomplete, malformed };
struct hep_frame {
  hep_frame_status status = hep_frame_status::incomplete;
  std::size_t length = 0;   // ok: bytes of the packet at the head
};
hep_frame hep_frame_length(std::string_view head) noexcept;

// True if `bytes` start like a HEP packet (v3 magic, or a plausible v1/v2 header): a cheap test
// for the pipeline to pick HEP on a port other than 9060.
bool looks_like_hep(std::string_view bytes) noexcept;

class hep_decoder {
 public:
  explicit hep_decoder(hep_limits limits = {});
  ~hep_decoder();
  hep_decoder(const hep_decoder&) = delete;
  hep_decoder& operator=(const hep_decoder&) = delete;
  hep_decoder(hep_decoder&&) noexcept;
  hep_decoder& operator=(hep_decoder&&) noexcept;

  // Decodes one packet. On false, `err` says why and `out` is unspecified.
  bool decode(std::string_view packet, hep_packet& out, hep_failure& err) noexcept;

  // The decoder's own buffer (inflated payloads live in it); for checks in tests and fuzzing.
  std::string_view owned() const noexcept;

 private:
  struct inflater;
  hep_limits limits_;
  std::unique_ptr<inflater> z_;   // created at the first compressed payload
};

}  // namespace sipscope::capture
