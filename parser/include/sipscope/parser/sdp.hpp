// SDP session descriptions (RFC 8866; RFC 4566 descriptions are accepted too).
//
// Zero copy: every string_view points into the body given to parse_sdp(), which must outlive
// the session. An `sdp_session` is meant to be reused: parse_sdp() clears it but keeps the
// capacity of its vectors, so once warmed up a parse allocates nothing.
//
// Lists are pooled: connections, bandwidths, attributes and formats of the session and of
// every media section live in the session's vectors; the session level and each media refer
// to their slice by an `sdp_range`, and the accessors below return spans.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sipscope/parser/diagnostic.hpp"

namespace sipscope::parser {

// Bounds against hostile input. Each violation is a bad_sdp diagnostic; the lines beyond a
// bound are diagnosed once and skipped, so memory never grows past them.
struct sdp_limits {
  std::uint32_t max_size = 64 * 1024;   // bytes of description; larger ones are not parsed
  std::uint16_t max_media = 64;         // m= sections
  std::uint16_t max_attributes = 1024;  // a= lines, session and media levels together
  std::uint16_t max_fields = 1024;      // e, p, c, b, t, r lines and m= formats, each list
  std::uint16_t max_diagnostics = 32;   // diagnostics one parse may add
};

enum class sdp_addr : std::uint8_t { none, ipv4, ipv6, fqdn, other };  // other: extn-addr

struct sdp_range {
  std::uint16_t first = 0;
  std::uint16_t count = 0;
};

struct sdp_origin {  // o= (RFC 8866 5.2)
  std::string_view username, sess_id, sess_version, nettype, addrtype, address;
  sdp_addr address_kind = sdp_addr::none;
};

struct sdp_connection {  // c= (5.7)
  std::string_view nettype, addrtype;
  std::string_view address;         // without "/ttl/number"
  sdp_addr address_kind = sdp_addr::none;
  bool multicast = false;
  bool has_ttl = false;             // IPv4 multicast only
  std::uint8_t ttl = 0;
  std::uint32_t num_addresses = 1;  // "/number" (1 when absent)
  std::uint32_t offset = 0;         // of the line, in the whole message
};

struct sdp_bandwidth {  // b= (5.8)
  std::string_view type;            // "AS", "CT", "TIAS", other token
  std::uint64_t value = 0;
};

struct sdp_repeat {  // r= (5.10): typed-time texts ("7d", "3600")
  std::string_view interval, duration;
  std::string_view offsets;         // one or more SP-separated typed-times
};

struct sdp_time {  // t= (5.9) and its r= lines
  std::uint64_t start = 0, stop = 0;  // NTP seconds, 0 = unbounded
  sdp_range repeats;                  // into sdp_session::repeats
};

struct sdp_key {  // k= (5.12, obsolete): "prompt", "clear:v", "base64:v", "uri:v"
  std::string_view method, value;
};

// Attributes with a typed view below; everything else is `other` (kept as name/value).
enum class sdp_attr : std::uint8_t {
  other, rtpmap, fmtp, ptime, maxptime, sendrecv, sendonly, recvonly, inactive, rtcp,
  rtcp_mux, crypto, candidate, mid, setup, fingerprint,
};

struct sdp_attribute {  // a= (5.13)
  std::string_view name;
  std::string_view value;           // empty when !has_value
  bool has_value = false;
  bool valid = true;                // false: a known attribute whose value is malformed
  sdp_attr kind = sdp_attr::other;
  std::uint32_t offset = 0;         // of the line, in the whole message
};

struct sdp_media {  // m= (5.14) and its section
  std::string_view type;            // "audio", "video", "image", "application"...
  std::uint16_t port = 0;
  std::uint32_t num_ports = 1;      // "/number" (1 when absent)
  std::string_view proto;           // "RTP/AVP", "UDP/TLS/RTP/SAVPF", "udptl"...
  sdp_range formats;                // into sdp_session::formats
  std::string_view information;     // i=
  sdp_range connections, bandwidths, attributes;
  sdp_key key;
  bool has_key = false;
  std::uint32_t offset = 0;         // of "m=", in the whole message
};

enum class sdp_direction : std::uint8_t { sendrecv, sendonly, recvonly, inactive };

struct sdp_session {
  std::string_view version;         // "0"
  sdp_origin origin;
  std::string_view name, information, uri;
  std::vector<std::string_view> emails, phones;
  std::vector<sdp_time> times;
  std::vector<sdp_repeat> repeats;
  std::string_view zone_adjustments;  // z= value, raw
  sdp_key key;
  bool has_key = false;
  std::vector<sdp_media> media;

  // Pools shared by the session level and the media sections (see the ranges).
  std::vector<sdp_connection> connections;
  std::vector<sdp_bandwidth> bandwidth_pool;
  std::vector<sdp_attribute> attribute_pool;
  std::vector<std::string_view> format_pool;
  sdp_range session_connection, session_bandwidths, session_attributes;

  void clear() noexcept;

  std::span<const sdp_attribute> attributes() const noexcept { return slice(attribute_pool, session_attributes); }
  std::span<const sdp_attribute> attributes(const sdp_media& m) const noexcept { return slice(attribute_pool, m.attributes); }
  std::span<const sdp_bandwidth> bandwidths() const noexcept { return slice(bandwidth_pool, session_bandwidths); }
  std::span<const sdp_bandwidth> bandwidths(const sdp_media& m) const noexcept { return slice(bandwidth_pool, m.bandwidths); }
  std::span<const std::string_view> formats(const sdp_media& m) const noexcept { return slice(format_pool, m.formats); }
  std::span<const sdp_connection> connections_of(const sdp_media& m) const noexcept { return slice(connections, m.connections); }
  // Session-level c=, or nullptr.
  const sdp_connection* connection() const noexcept;
  // Effective connection of a media: its first c= when it has one, else the session's.
  const sdp_connection* connection(const sdp_media& m) const noexcept;
  // First attribute by name (case-sensitive, RFC 8866 5.13), or nullptr.
  const sdp_attribute* find(std::string_view name) const noexcept;
  const sdp_attribute* find(const sdp_media& m, std::string_view name) const noexcept;
  // a=sendrecv/sendonly/recvonly/inactive: the media's, else the session's, else sendrecv.
  sdp_direction direction() const noexcept;
  sdp_direction direction(const sdp_media& m) const noexcept;

 private:
  template <typename T>
  static std::span<const T> slice(const std::vector<T>& v, sdp_range r) noexcept {
    return r.first + r.count <= v.size() ? std::span<const T>(v.data() + r.first, r.count)
                                         : std::span<const T>();
  }
};

// Parses a whole description. Diagnostics are appended to `diags` (bad_sdp), their offsets
// shifted by `base_offset` (the body's offset in the SIP message). A bad line is diagnosed at
// the byte that failed and skipped; parsing goes on at the next line. Returns malformed when
// any error was found (a warning alone, e.g. bare LF line ends, leaves it ok).
status parse_sdp(std::string_view body, sdp_session& out, std::vector<diagnostic>& diags,
                 std::uint32_t base_offset = 0, const sdp_limits& limits = {}) noexcept;

// Typed views of attribute values (the text after "name:"). Each returns false when the value
// does not match the attribute's grammar (parse_sdp has diagnosed it and set valid=false).
struct sdp_rtpmap {  // RFC 8866 6.6
  std::uint8_t payload_type = 0;
  std::string_view encoding;        // "PCMU", "opus", "telephone-event"
  std::uint32_t clock_rate = 0;
  std::string_view encoding_params; // raw, empty when absent
  std::uint16_t channels = 1;       // encoding_params as a number (audio), 1 when absent
};
struct sdp_fmtp {  // 6.15
  std::string_view format;
  int payload_type = -1;            // format as 0..127, -1 when not numeric
  std::string_view params;          // raw
};
struct sdp_ptime {  // ptime / maxptime (6.4, 6.5)
  std::string_view raw;             // "20", "22.5"
  std::uint32_t ms = 0;             // integer part
};
struct sdp_rtcp {  // RFC 3605
  std::uint16_t port = 0;
  std::string_view nettype, addrtype, address;  // empty when absent
};
struct sdp_crypto {  // RFC 4568 9.1
  std::uint32_t tag = 0;
  std::string_view suite;           // "AES_CM_128_HMAC_SHA1_80"
  std::string_view key_params;      // "inline:...|2^20|1:32", several joined by ';'
  std::string_view session_params;  // raw, SP-separated, empty when absent
};
struct sdp_candidate {  // RFC 8839 5.1
  std::string_view foundation;
  std::uint16_t component = 0;
  std::string_view transport;       // "UDP", "TCP"...
  std::uint32_t priority = 0;
  std::string_view address;
  std::uint16_t port = 0;
  std::string_view type;            // "host", "srflx", "prflx", "relay", other token
  std::string_view rel_addr;        // empty when absent
  std::uint16_t rel_port = 0;
  bool has_rel_port = false;
  std::string_view extensions;      // raw "name value name value...", see next_extension()
};
enum class sdp_setup : std::uint8_t { active, passive, actpass, holdconn };  // RFC 4145
struct sdp_fingerprint {  // RFC 8122 5
  std::string_view hash_func;       // "sha-256"
  std::string_view value;           // "4A:AD:..."
};

bool parse_rtpmap(std::string_view value, sdp_rtpmap& out) noexcept;
bool parse_fmtp(std::string_view value, sdp_fmtp& out) noexcept;
bool parse_ptime(std::string_view value, sdp_ptime& out) noexcept;
bool parse_rtcp(std::string_view value, sdp_rtcp& out) noexcept;
bool parse_crypto(std::string_view value, sdp_crypto& out) noexcept;
bool parse_candidate(std::string_view value, sdp_candidate& out) noexcept;
bool parse_setup(std::string_view value, sdp_setup& out) noexcept;
bool parse_fingerprint(std::string_view value, sdp_fingerprint& out) noexcept;
bool parse_mid(std::string_view value, std::string_view& out) noexcept;
// Takes the next "name value" pair off a candidate's `extensions`; false at the end.
bool next_extension(std::string_view& rest, std::string_view& name, std::string_view& value) noexcept;
// The rtpmap of a payload type in a media section, if it has one.
bool find_rtpmap(const sdp_session& s, const sdp_media& m, std::uint8_t pt, sdp_rtpmap& out) noexcept;

std::string_view to_string(sdp_direction d) noexcept;
std::string_view to_string(sdp_setup s) noexcept;
std::string_view to_string(sdp_addr a) noexcept;

}  // namespace sipscope::parser
