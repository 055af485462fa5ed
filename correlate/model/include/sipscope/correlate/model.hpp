// The call model (issue 5): what the correlator reconstructs from a capture and every front end
// reads (CLI, export, viewer). One `record` per Call-ID: a call (INVITE), a registration, or
// another kind of traffic (OPTIONS, MESSAGE, SUBSCRIBE/NOTIFY, out-of-dialog REFER...), so that a
// capture full of registrations is summarised, not listed as fake calls.
//
// A record holds summaries and frame references, never packets: its message index (frame ref,
// time, addresses, method/status, one-line summary) lets the viewer and `extract` re-read the
// original frames from the capture files later.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipscope/capture/packet.hpp"

namespace sipscope::correlate {

using capture::endpoint;
using capture::frame_ref;
using capture::timestamp_ns;

enum class record_kind : std::uint8_t {
  call,          // INVITE dialog(s)
  registration,  // REGISTER
  options,
  message,       // MESSAGE (RFC 3428)
  subscription,  // SUBSCRIBE / NOTIFY (RFC 6665)
  refer,         // REFER outside any call (RFC 3515)
  other,         // PUBLISH, INFO, unknown methods, responses without their request
};
std::string_view to_string(record_kind k) noexcept;

// Call states, from the INVITE transaction of the caller's side (RFC 3261 13, 15).
enum class call_state : std::uint8_t {
  calling,     // INVITE sent, no provisional response with a status above 100 yet
  ringing,     // 18x seen
  in_call,     // 2xx seen, no BYE yet
  completed,   // answered, then BYE
  cancelled,   // CANCEL / 487
  busy,        // 486, 600
  rejected,    // other 4xx/6xx (403, 404, 603, 488, an unanswered 401/407 challenge...)
  failed,      // 5xx, or no final response at all (Timer B)
  no_answer,   // 480, 408
  redirected,  // 3xx
};
std::string_view to_string(call_state s) noexcept;

// Other records' outcome.
enum class record_state : std::uint8_t {
  pending,       // request seen, no final response
  ok,            // 2xx
  failed,        // >= 300 (after any authentication retry)
  registered,    // REGISTER 2xx with a binding
  unregistered,  // REGISTER 2xx removing bindings (expires 0)
};
std::string_view to_string(record_state s) noexcept;

enum class side : std::uint8_t { none, caller, callee };
std::string_view to_string(side s) noexcept;

// One SIP message of a record: the ladder's row.
struct message_entry {
  frame_ref frame;                  // the frame that completed it
  std::vector<frame_ref> pieces;    // every frame it was carried in, when more than one
  timestamp_ns time = 0;
  endpoint src, dst;
  capture::transport proto = capture::transport::udp;
  bool request = false;
  bool retransmission = false;      // same transaction, same message seen before
  bool has_sdp = false;
  std::uint16_t status = 0;         // responses
  std::uint32_t cseq = 0;
  std::string method;               // request method, or the CSeq method of a response
  std::string summary;              // the start line: "INVITE sip:bob@b.example", "180 Ringing"
  std::string reason;               // responses: the reason phrase
  std::string sdp;                  // "PCMU 192.0.2.1:49170 sendrecv, ..." when it carries SDP
  std::string user_agent;           // its User-Agent or Server header, when it has one
  std::uint16_t errors = 0;         // parser diagnostics of severity error
  std::uint16_t warnings = 0;
  std::int32_t dialog = -1;         // index into record::dialogs
  std::string raw;                  // the message's bytes, only with correlator_options::keep_raw
};

// A header field worth quoting as evidence of what went wrong (explain, issue 10): Reason
// (RFC 3326), Warning (RFC 3261 20.43), the challenges and credentials of digest
// authentication (22), Retry-After, Unsupported, Min-SE (RFC 4028), Max-Forwards when 0, the
// Contact of a 3xx, the Contact and Record-Route of a 2xx to INVITE (where ACK and BYE must go).
struct header_note {
  std::uint32_t message = 0;        // index into record::messages
  std::string name;                 // canonical name: "Reason", "WWW-Authenticate"...
  std::string value;                // as written (cut at 256 bytes)
};

// An ICMP destination unreachable about a request of the record (capture::icmp_event): the
// request never reached a listener (RFC 792 type 3, RFC 4443 type 1).
struct unreachable {
  frame_ref frame;
  timestamp_ns time = 0;
  capture::ip_address reporter;     // the host itself (port unreachable) or a router
  endpoint to;                      // where the request was sent
  std::uint8_t type = 0, code = 0;
};

// A TCP connection attempt or connection of a record that failed (capture::tcp_event): a
// connect refused (the SYN answered with RST), a connect never answered (SYNs, retransmitted,
// and no SYN-ACK), or a connection that carried the record's messages reset by RST (RFC 793
// 3.4, 3.7; RFC 3261 16.9, 18.4: a transport error is a 503, its timeout a 408). A connect is
// tied to the record of the last request received by the connecting host (within 64*T1),
// on a SIP port; a reset to the record of the last SIP message carried on that connection.
enum class tcp_failure_kind : std::uint8_t { refused, unanswered, reset };
std::string_view to_string(tcp_failure_kind k) noexcept;
struct tcp_failure {
  tcp_failure_kind kind = tcp_failure_kind::unanswered;
  endpoint from, to;                // connect: the connecting side, its target; reset: the
                                    // side that got the RST, the side that sent it
  std::vector<frame_ref> syns;      // connect: the SYN and its retransmissions (at most 16)
  std::vector<timestamp_ns> syn_times;   // their times
  timestamp_ns first_syn = 0, last_syn = 0;
  frame_ref rst;                    // refused, reset: the RST (number 0: none)
  timestamp_ns rst_time = 0;
};

struct party {
  std::string uri;                  // as written in From/To (without <>)
  std::string user;                 // user part (unescaped), tel number
  std::string display;              // display name, unquoted
  std::string tag;
};

enum class dialog_state : std::uint8_t { early, confirmed, terminated };
std::string_view to_string(dialog_state s) noexcept;

struct dialog {
  std::string local_tag;            // the From tag of the request that formed it (caller side)
  std::string remote_tag;           // the To tag of the response
  std::string method;               // dialog-forming request: INVITE, SUBSCRIBE, REFER, NOTIFY
  dialog_state state = dialog_state::early;
  timestamp_ns created = 0;         // first response with this To tag
  timestamp_ns confirmed = 0;       // 2xx (0 when never)
  timestamp_ns terminated = 0;
  std::uint16_t first_status = 0;   // the response that created it
};

// One m= line of one SDP body: what a side said it would receive, and how.
struct sdp_codec {
  std::uint8_t payload_type = 0;
  std::string name;                 // "PCMU", "opus", "telephone-event" ("" when unknown)
  std::uint32_t clock_rate = 0;
};
struct sdp_media {
  std::size_t message = 0;          // index into record::messages
  side from = side::none;           // whose description this is
  bool offer = true;                // offer or answer (RFC 3264)
  std::string media;                // "audio", "video"...
  endpoint address;                 // c= + m= port (port 0: stream disabled; no IP when c= is
                                    // a name or malformed: see `connection`)
  std::string connection;           // the c= address as written
  std::string proto;                // "RTP/AVP", "RTP/SAVP"...
  std::string direction;            // sendrecv, sendonly, recvonly, inactive
  bool hold = false;                // sendonly/inactive or c=0.0.0.0 (RFC 3264 8.4, RFC 2543)
  std::vector<sdp_codec> codecs;
  std::uint32_t ptime = 0;          // ms, 0 when absent
  bool crypto = false;              // a=crypto (SDES-SRTP) or a SAVP profile
  int telephone_event = -1;         // RFC 4733 payload type, -1 when not offered
};

// A re-INVITE / UPDATE that changed the session (hold, resume, new media).
struct session_change {
  timestamp_ns time = 0;
  std::string method;               // INVITE or UPDATE
  side by = side::none;
  std::string what;                 // "hold", "resume", "media"
};

// A finding about the call worth an engineer's attention (one-way audio, NAT...).
struct finding {
  std::string kind;                 // stable snake_case id: one_way_audio, nat_mismatch...
  std::string text;                 // one sentence for humans
};

// One RTP stream (5-tuple + SSRC) attached to a call, with its statistics (the media library's
// figures, copied: the model does not depend on how they were computed).
struct dtmf_event {
  char digit = '?';
  timestamp_ns time = 0;
  std::uint32_t duration_ms = 0;
};
struct stream_info {
  endpoint src, dst;
  std::uint32_t ssrc = 0;
  std::uint8_t payload_type = 0;
  std::string codec;
  std::uint32_t clock_rate = 0;
  side from = side::none;           // the sending side, when the SDP tells
  bool negotiated = true;           // its destination is an SDP address of the call
  std::string origin;               // "signalled", "latched" (symmetric RTP / NAT), "heuristic"
  frame_ref first_frame;
  std::uint64_t packets = 0, expected = 0;
  std::int64_t lost = 0;            // expected - packets (Wireshark's; negative with duplicates)
  std::int64_t lost_unique = 0;     // RFC 3550 A.3: duplicates do not hide loss
  std::uint64_t duplicates = 0, out_of_order = 0, sequence_errors = 0;
  double max_delta_ms = 0, mean_delta_ms = 0;
  double max_jitter_ms = 0, mean_jitter_ms = 0;
  double mos = 0;                   // E-model estimate (G.107), 0 when unknown
  double r_factor = 0;
  // The E-model's inputs for that estimate (media/stream_table.hpp quality_estimate).
  double one_way_delay_ms = 0, burst_ratio = 1, ie_eff = 0;
  timestamp_ns start = 0, end = 0;
  std::vector<dtmf_event> dtmf;
  std::uint32_t rtcp_reports = 0;   // RTCP SR, report blocks and XR about this SSRC
  double rtcp_fraction_lost = -1;   // worst fraction lost the receiver reported (0..1), -1 none
  double rtcp_jitter_ms = -1;       // worst jitter the receiver reported, -1 none
  double rtt_ms = -1;               // round trip from SR/RR (LSR/DLSR), -1 unknown
  double lost_percent() const noexcept {
    return expected ? 100.0 * static_cast<double>(lost) / static_cast<double>(expected) : 0.0;
  }
};

struct call_times {
  std::optional<timestamp_ns> invite, first_18x, answer, ack, bye, cancel, final, end;
};

struct record {
  std::uint64_t index = 0;          // creation order in the run, from 1
  record_kind kind = record_kind::other;
  std::string call_id;
  std::string first_method;         // the request that created the record

  party caller, callee;             // From / To of the first request
  std::string asserted;             // P-Asserted-Identity URI, if any
  std::string request_uri;          // of the first request
  std::vector<std::string> user_agents;   // User-Agent and Server values seen

  // Calls.
  call_state state = call_state::calling;
  std::uint16_t final_status = 0;   // final response to the (last) initial INVITE; 0 none
  std::string final_reason;         // its reason phrase
  std::string reason_header;        // a Reason header (RFC 3326) seen on BYE/CANCEL/final
  side hangup = side::none;         // who sent the BYE
  call_times times;
  std::uint32_t auth_challenges = 0;
  bool prack = false;               // reliable provisionals (RFC 3262) used
  std::uint32_t holds = 0;
  std::vector<session_change> changes;
  std::vector<dialog> dialogs;
  std::vector<sdp_media> sdp;
  std::vector<stream_info> streams;
  std::vector<finding> findings;
  std::vector<header_note> notes;   // in message order, at most 64
  std::vector<unreachable> unreachables;   // ICMP errors about its requests, at most 16
  std::vector<tcp_failure> tcp_failures;   // failed TCP connects and resets, at most 16
  // Other calls this one is tied to: B2BUA legs, transfers (Call-IDs).
  std::vector<std::string> legs;

  // Registrations and other kinds.
  record_state outcome = record_state::pending;
  std::string aor, contact;         // REGISTER: To URI, first Contact URI
  std::uint32_t expires = 0;        // granted (from the 2xx when present, else requested)
  bool challenged = false;          // 401/407 seen
  std::string event, subscription_state;   // SUBSCRIBE/NOTIFY

  // Every record.
  std::vector<message_entry> messages;
  std::uint32_t sip_messages = 0;   // including retransmissions (messages may be capped)
  std::uint32_t retransmissions = 0;
  std::uint32_t dropped_messages = 0;   // beyond correlator_options::max_messages_per_record
  std::uint32_t text_matches = 0;   // messages whose raw text matched correlator_options::text_match
  timestamp_ns first_time = 0, last_time = 0;

  // Durations in ms, -1 when they do not apply.
  std::int64_t post_dial_delay_ms() const noexcept;   // INVITE -> first 18x (or the final)
  std::int64_t setup_ms() const noexcept;             // INVITE -> 2xx
  // 2xx -> BYE; without a BYE, to the last SIP message or RTP packet of the call, whichever
  // is later (a call still talking when the capture ends, or whose BYE was not captured).
  std::int64_t talk_ms() const noexcept;
};

}  // namespace sipscope::correlate
