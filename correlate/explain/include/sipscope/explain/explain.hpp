// Why a call failed, with the evidence (issue 10). One record of the call model in, one verdict
// out: the rule that fired, one sentence, the chain of evidence (what was seen, or expected and
// not seen, with frame numbers, times, messages, header fields and SDP lines), a confidence and
// what to check next.
//
//   explain::context ctx;                        // what the capture as a whole says
//   ctx.capture_end = stats.last_time;
//   explain::verdict v = explain::explain(record, ctx);
//
// The rules live in one table (rules()): named, in priority order, each with a doc string that
// cites the RFC section it rests on. The first rule that matches gives the verdict; the ids of
// the others that match too are listed in `also`. Rules read only the model (model.hpp): they
// never see packets, so what the capture could not see is a rule of its own (category
// `capture`), never blamed on the network or the peer. docs/verdicts.md lists every rule.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sipscope/correlate/model.hpp"
#include "sipscope/json_writer.hpp"

namespace sipscope::explain {

using correlate::timestamp_ns;

// high: a message of the capture states the cause (a final response, a header); medium: the
// cause is inferred from timing or from what is absent; low: a plausible reading among others.
enum class confidence : std::uint8_t { low, medium, high };
std::string_view to_string(confidence c) noexcept;

// ok: nothing failed (the verdict says what happened); signalling / media: the failure is in
// SIP or in RTP; capture: the capture itself cannot show what happened.
enum class category : std::uint8_t { ok, signalling, media, capture };
std::string_view to_string(category c) noexcept;

struct evidence {
  bool seen = true;                 // false: expected, and not in the capture
  capture::frame_ref frame;         // number 0: no frame (not seen, or a stream summary)
  timestamp_ns time = 0;            // 0: no time
  std::string what;                 // "486 Busy Here 192.0.2.10:5060 -> 192.0.2.101:5060"
  std::string detail;               // a header field or SDP line, and what it means
};

struct verdict {
  std::string_view rule;            // id of the rule that fired ("busy", "missing_ack"...)
  std::string_view rfc;             // its basis: "RFC 3261 21.4.24"
  category cat = category::ok;
  std::string text;                 // one sentence
  std::vector<evidence> chain;      // in time order as far as possible
  confidence conf = confidence::medium;
  std::string next;                 // what to check next
  std::vector<std::string_view> also;   // other rules that match this record too
};

// A packet the capture (or sipscope, at a resource limit) lost or cut: a diagnostic of the
// pipeline (capture/packet.hpp diag_kind) with its frame.
struct capture_loss {
  capture::diag_kind kind;
  capture::frame_ref frame;         // number 0: not tied to a frame (kernel drops)
};

// What the capture as a whole tells, beyond the record.
struct context {
  timestamp_ns capture_end = 0;     // time of the last packet of the capture (0: unknown)
  std::uint64_t rtp_packets = 0;    // RTP packets in the whole capture
  bool media_tracked = true;        // the correlator tracked RTP (false: --no-rtp or the like)
  // Packets lost or cut by the capture, sorted by file and frame (add_loss keeps the order;
  // see is_capture_loss): a verdict built on what is not seen says so when they fall within
  // the call. Kernel drops, which no frame locates, are only counted.
  std::vector<capture_loss> losses;
  std::uint64_t kernel_drops = 0;
};

// Whether a diagnostic means the capture (or sipscope) missed part of the traffic: kernel
// drops, TCP gaps, IP fragments never completed, frames cut at the snaplen, resource limits.
bool is_capture_loss(capture::diag_kind k) noexcept;
// Adds the diagnostic to ctx.losses when it is a loss (at most 100000 are kept).
void add_loss(context& ctx, const capture::diag_event& e);

struct rule {
  std::string_view id;
  std::string_view rfc;
  category cat;
  std::string_view doc;             // one or two sentences: when it fires and why
  // Fills `v` (text, chain, confidence, next) and returns true when the rule applies.
  bool (*match)(const correlate::record& r, const context& c, verdict& v);
};

// Every rule, in priority order.
std::span<const rule> rules() noexcept;

// The verdict of one record (calls; registrations and other records get the rules that apply
// to a request: challenges, rejections, no response). Never fails: a record no rule explains
// gets the rule "unexplained" with a low confidence.
verdict explain(const correlate::record& r, const context& c = {});

// ITU-T Q.850 cause values (Table 1), e.g. 17 -> "user busy"; "" when not listed.
std::string_view q850_cause(int cause) noexcept;
// The Q.850 cause of a Reason header value ("Q.850;cause=17;text=..."), -1 when none.
int reason_cause(std::string_view reason_value) noexcept;

// {"rule", "rfc", "category", "verdict", "confidence", "evidence": [...], "next", "also"}.
void write_json(json_writer& w, const verdict& v, bool with_evidence = true);

}  // namespace sipscope::explain
