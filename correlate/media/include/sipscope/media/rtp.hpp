// RTP and RTCP on the wire (RFC 3550, RFC 3611 VoIP metrics, RFC 5761 multiplexing).
//
// Parsers never allocate per call (parse_rtcp reuses the vectors of the rtcp_compound it is
// given), never read outside their input and return false on anything that is not a
// well-formed packet. Views point into the caller's buffer (the udp_event payload): they are
// valid only as long as it is.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace sipscope::media {

// ---- RTP (RFC 3550 section 5.1) ----------------------------------------------------------

struct rtp_header {
  std::uint8_t version = 0;
  bool padding = false;
  bool extension = false;
  bool marker = false;
  std::uint8_t csrc_count = 0;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::string_view csrcs;             // csrc_count x 4 bytes, network order
  std::uint16_t extension_profile = 0;
  std::string_view extension_data;    // the header extension's words (after profile + length)
  std::uint8_t padding_length = 0;    // last byte of the packet when `padding`
  std::string_view payload;           // between the headers and the padding
  std::uint32_t csrc(unsigned i) const noexcept;   // i < csrc_count
};

// Version 2 only; the CSRC list, extension and padding must fit the datagram (a padding count
// of 0 or larger than what is left after the headers is malformed, RFC 3550 5.1). On false,
// `out` holds whatever was read before the problem: use none of it.
bool parse_rtp(std::string_view bytes, rtp_header& out) noexcept;

// ---- RTCP (RFC 3550 section 6, RFC 3611 section 4.7) -------------------------------------

enum rtcp_type : std::uint8_t {
  rtcp_sr = 200, rtcp_rr = 201, rtcp_sdes = 202, rtcp_bye = 203, rtcp_app = 204,
  rtcp_rtpfb = 205, rtcp_psfb = 206, rtcp_xr = 207,
};

struct rtcp_report_block {
  std::uint32_t reporter = 0;          // SSRC of the SR/RR that carries the block
  std::uint32_t ssrc = 0;              // the source it reports on
  std::uint8_t fraction_lost = 0;      // /256 since the previous report
  std::int32_t cumulative_lost = 0;    // 24-bit signed (duplicates can make it negative)
  std::uint32_t ext_highest_seq = 0;   // cycles << 16 | highest sequence number
  std::uint32_t jitter = 0;            // interarrival jitter, timestamp units
  std::uint32_t lsr = 0;               // middle 32 bits of the last SR's NTP time (0: none)
  std::uint32_t dlsr = 0;              // delay since that SR, 1/65536 s
};

struct rtcp_sender_report {
  std::uint32_t ssrc = 0;
  std::uint64_t ntp = 0;               // NTP timestamp, 32.32 fixed point
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
  std::uint32_t ntp_middle() const noexcept { return std::uint32_t(ntp >> 16); }
};

struct rtcp_cname {
  std::uint32_t ssrc = 0;
  std::string_view cname;
};

// RFC 3611 4.7, every field as sent (units in the comments; 127/255 mean "unavailable" where
// the RFC says so).
struct rtcp_voip_metrics {
  std::uint32_t reporter = 0;          // SSRC of the XR packet
  std::uint32_t ssrc = 0;              // the source it reports on
  std::uint8_t loss_rate = 0;          // fraction lost, /256
  std::uint8_t discard_rate = 0;       // fraction discarded by the jitter buffer, /256
  std::uint8_t burst_density = 0;      // /256
  std::uint8_t gap_density = 0;        // /256
  std::uint16_t burst_duration = 0;    // ms
  std::uint16_t gap_duration = 0;      // ms
  std::uint16_t round_trip_delay = 0;  // ms
  std::uint16_t end_system_delay = 0;  // ms
  std::int8_t signal_level = 127;      // dBm0
  std::int8_t noise_level = 127;       // dBm0
  std::uint8_t rerl = 127;             // residual echo return loss, dB
  std::uint8_t gmin = 16;
  std::uint8_t r_factor = 127;         // 0..100, 127 unavailable
  std::uint8_t ext_r_factor = 127;
  std::uint8_t mos_lq = 127;           // MOS x 10 (10..50), 127 unavailable
  std::uint8_t mos_cq = 127;
  std::uint8_t rx_config = 0;
  std::uint16_t jb_nominal = 0;        // ms
  std::uint16_t jb_maximum = 0;
  std::uint16_t jb_abs_max = 0;
};

// One compound RTCP packet, flattened by content. Reuse one object: parse_rtcp clears it.
struct rtcp_compound {
  unsigned packets = 0;                          // RTCP packets in the compound
  unsigned other_packets = 0;                    // APP, feedback, unknown types, other XR blocks
  std::uint8_t first_type = 0;                   // RFC 3550 A.2: SR or RR in a full compound
  std::vector<rtcp_sender_report> sender_reports;
  std::vector<rtcp_report_block> report_blocks;  // from SRs and RRs
  std::vector<rtcp_cname> cnames;                // SDES CNAME items
  std::vector<std::uint32_t> bye;                // SSRCs leaving
  std::vector<rtcp_voip_metrics> voip_metrics;   // XR block type 7
  void clear() noexcept;
};

// Every packet version 2, lengths adding up exactly to the datagram, padding only on the last
// packet. Non-compound (RFC 5506) packets are accepted; first_type tells what came first.
bool parse_rtcp(std::string_view bytes, rtcp_compound& out);

// ---- classification of a UDP payload with no signalling context -------------------------

enum class udp_payload_kind : std::uint8_t { other, rtp, rtcp };

// The shape test: RTCP when the second byte is an RTCP type that RFC 5761 section 4 keeps
// apart from RTP (M+PT 72..76 -> 200..204; XR 207) and parse_rtcp accepts the whole datagram;
// RTP when parse_rtp accepts it, the payload type is a plausible one (static audio/video types
// of RFC 3551 or dynamic 96..127; not the 64..95 range RFC 5761 reserves) and there is a
// payload. A single datagram is weak evidence for RTP: the stream table also requires a few
// packets in sequence before it believes a flow without signalling.
udp_payload_kind classify_udp_payload(std::string_view bytes) noexcept;

// True for the payload types RFC 3551 assigns (0..34 less the unassigned ones) and 96..127.
bool plausible_payload_type(std::uint8_t pt) noexcept;

}  // namespace sipscope::media
