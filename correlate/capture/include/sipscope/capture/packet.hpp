// Types shared by every stage of capture ingestion (issue 4): where a packet came from, its
// time, its addresses, and the events the pipeline hands to its caller.
//
// Views (std::string_view payloads) point into buffers owned by the pipeline and are valid
// only during the callback that receives them: a caller that keeps bytes copies them, or keeps
// the frame_ref and re-reads the packet later (the viewer and `extract` do that).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sipscope::capture {

// Where a frame is in its capture file, so that it can be read again later without keeping it
// in memory: the file (index into the list of inputs), the byte offset of its record header,
// and its 1-based frame number in that file (what Wireshark shows).
struct frame_ref {
  std::uint32_t file = 0;
  std::uint64_t offset = 0;
  std::uint64_t number = 0;
};

// Nanoseconds since the Unix epoch (pcap µs and ns precisions, pcapng if_tsresol all map here).
using timestamp_ns = std::int64_t;

// now - then, saturated. Capture times come from files and can be anything (negative, near
// the int64 limits): every timeout and age computation goes through this, never a bare '-'.
inline timestamp_ns elapsed(timestamp_ns now, timestamp_ns then) noexcept {
  timestamp_ns d;
  if (__builtin_sub_overflow(now, then, &d)) return now > then ? INT64_MAX : INT64_MIN;
  return d;
}
// t + d, saturated: a time some duration after another, for the same reason.
inline timestamp_ns later(timestamp_ns t, timestamp_ns d) noexcept {
  timestamp_ns r;
  if (__builtin_add_overflow(t, d, &r)) return d > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

struct ip_address {
  std::uint8_t family = 0;                 // 4 or 6; 0 = none
  std::array<std::uint8_t, 16> bytes{};    // IPv4 in the first 4 bytes
  bool operator==(const ip_address&) const = default;
  std::string to_string() const;           // "192.0.2.1", "2001:db8::1" (RFC 5952)
};

struct endpoint {
  ip_address ip;
  std::uint16_t port = 0;
  bool operator==(const endpoint&) const = default;
  std::string to_string() const;           // "192.0.2.1:5060", "[2001:db8::1]:5060"
};

enum class transport : std::uint8_t { udp, tcp, tls, sctp, ws, wss };
std::string_view to_string(transport t) noexcept;

// How the bytes reached us, beyond the transport: set when IP fragments were reassembled, the
// message came from a TCP stream (possibly across segments), or was unwrapped from HEP/tunnels.
struct carriage {
  bool reassembled_ip = false;    // from IPv4/IPv6 fragments
  bool from_stream = false;       // framed out of a TCP/TLS/WS byte stream
  bool hep = false;               // decapsulated from HEP v2/v3 (addresses/time are HEP's)
  bool tunnelled = false;         // from inside IP-in-IP, GRE, ERSPAN or VXLAN
  std::uint16_t vlan = 0;         // outermost 802.1Q VLAN id, 0 when untagged
};

// The frames one reassembled message was carried in (IP fragments, TCP segments), in the order
// they were received, each once; at most `capacity` of them (`more` says there were others).
// Empty for a message that came in one frame. What `extract` needs to copy a whole message.
struct frame_list {
  static constexpr std::size_t capacity = 8;
  std::array<frame_ref, capacity> items{};
  std::uint8_t count = 0;
  bool more = false;
  void add(const frame_ref& f) noexcept {
    for (std::uint8_t i = 0; i < count; ++i)
      if (items[i].file == f.file && items[i].number == f.number) return;
    if (count < capacity) items[count++] = f;
    else more = true;
  }
  void clear() noexcept { count = 0; more = false; }
  const frame_ref* begin() const noexcept { return items.data(); }
  const frame_ref* end() const noexcept { return items.data() + count; }
};

// One SIP message, as bytes, ready for sipscope::parser::parse_message (datagram framing when
// transport is udp/sctp; the stream framer has already cut it otherwise).
struct sip_event {
  std::string_view bytes;
  frame_ref frame;                // the frame that completed the message
  frame_list pieces;              // every frame of a message reassembled from several
  timestamp_ns time = 0;
  endpoint src, dst;
  transport proto = transport::udp;
  carriage via;
};

// A UDP datagram that is not SIP: possible RTP/RTCP (the correlator decides), with 5-tuple.
struct udp_event {
  std::string_view payload;
  frame_ref frame;
  timestamp_ns time = 0;
  endpoint src, dst;
  carriage via;
  // Bytes of the payload that `payload` does not hold: the datagram was payload.size() + cut
  // bytes. 0 from the pipeline; a relay (relay.hpp) keeps only the fixed header and the first
  // 4 payload bytes of a plain RTP datagram, all that the media statistics read.
  std::uint32_t cut = 0;
};

// An ICMP / ICMPv6 "destination unreachable" quoting a UDP datagram (RFC 792, RFC 4443 3.1):
// the quoted datagram says which request never arrived (explain: why a request got no answer).
struct icmp_event {
  frame_ref frame;
  timestamp_ns time = 0;
  ip_address reporter;              // who sent the ICMP: the host itself, or a router
  endpoint src, dst;                // of the quoted UDP datagram
  std::uint8_t type = 0, code = 0;  // ICMPv4 3/3, ICMPv6 1/4: port unreachable
};

// A TCP segment with SYN or RST set (RFC 793 3.4, 3.7): connection attempts, their answers and
// resets, so that a request over TCP that got no answer can say why (a connect refused, SYNs
// never answered, a connection reset after the request; explain, issue 10). Data segments go to
// the stream reassembler only.
struct tcp_event {
  frame_ref frame;
  timestamp_ns time = 0;
  endpoint src, dst;
  std::uint8_t flags = 0;           // FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10
};

enum class diag_kind : std::uint16_t {
  // file level
  cannot_open = 1, not_a_capture, truncated_file, bad_record_length, unsupported_link_type,
  // packet level
  truncated_packet = 100, snaplen_cut, bad_link_header, bad_ip_header, bad_ip_checksum,
  bad_udp_header, bad_tcp_header, ip_length_mismatch,
  // reassembly
  fragment_timeout = 200, fragment_overlap, fragment_limit, tcp_gap, tcp_flow_limit,
  tcp_buffer_limit, stream_resync, bad_ws_frame, bad_hep_packet,
  tcp_overlap,        // TCP segments overlapping with different bytes (the first copy is kept)
  not_sip_stream,     // a TCP stream that is not SIP (TLS on 5061...): counted, not decoded
  // resource limits (docs/LIMITS.md): what went over a limit is dropped or cut, and counted
  sip_size_limit = 250,   // a SIP message over the message size limit
  sip_header_limit,       // a SIP message with more header fields or list elements than allowed
  multipart_depth_limit,  // a body nested deeper than the multipart depth limit (not decoded)
  record_limit,           // calls/records in progress at the limit: the least recent handed over
  message_limit,          // messages of one record at the limit: further ones counted, not kept
  transaction_limit,      // transactions of one record at the limit: the oldest forgotten
  stream_limit,           // RTP streams at the limit: a new stream not tracked
  // live capture
  dropped_by_kernel = 300,
};
std::string_view to_string(diag_kind k) noexcept;

struct diag_event {
  diag_kind kind;
  bool error = true;              // false: informational (e.g. TLS seen and counted)
  frame_ref frame;                // frame.number 0 = file-level
  std::uint64_t byte_offset = 0;  // in the file, or in the frame when frame.number != 0
  std::string_view what;          // static text: what was expected
};

// The caller's side of the pipeline. Callbacks come in capture order (merged by time across
// files); payload views are valid only during the call.
class handler {
 public:
  virtual ~handler() = default;
  virtual void on_sip(const sip_event&) {}
  virtual void on_udp(const udp_event&) {}
  virtual void on_diag(const diag_event&) {}
  virtual void on_icmp(const icmp_event&) {}
  virtual void on_tcp(const tcp_event&) {}
  // Progress for long work: bytes of the inputs consumed so far and their total (0 = unknown).
  virtual void on_progress(std::uint64_t /*done*/, std::uint64_t /*total*/) {}
};

}  // namespace sipscope::capture
