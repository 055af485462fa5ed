// The layout of a ladder (issue 8): what a sequence diagram of one or several records shows and
// where, computed from the model (sipscope/correlate/model.hpp) with no drawing code, so that
// every front end draws the same ladder (the CLI's text/SVG/HTML/Mermaid, sipscope-view) and the
// tests check it without a screen.
//
//   std::vector<const correlate::record*> recs = {&a_leg, &b_leg};   // merged by time
//   ladder::layout l = ladder::build(recs, {});
//   ladder::placement p = ladder::place(l, {});                       // pixels (or cells)
//
// Pointers into the records (rows' `message`, `records`) stay valid while the records live.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sipscope/correlate/model.hpp"

namespace sipscope::ladder {

namespace cr = sipscope::correlate;

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

// One column: a host (IP:port) that sent or received a SIP message, in order of first
// appearance; or, after those, an IP that only carries media (an RTP band's end no SIP host
// shares the IP of).
struct column {
  cr::endpoint host;
  std::string alias;         // the caller's name for it (options::aliases), "" none
  std::string user_agent;    // User-Agent/Server of the first message it sent, "" none
  bool media_only = false;
  // What to print above the column: the alias, else the user agent, else "" (the front end
  // then prints only host.to_string()).
  const std::string& name() const noexcept { return alias.empty() ? user_agent : alias; }
};

// How a front end colours an arrow: by what the message is.
enum class arrow_kind : std::uint8_t { request, provisional, success, redirect, failure };

// One row: one SIP message, merged across records by time (then file, then frame number).
struct row {
  std::size_t record = 0;                    // index into layout::records
  const cr::message_entry* message = nullptr;
  std::size_t from = 0, to = 0;              // columns (equal: a message a host sent itself)
  arrow_kind kind = arrow_kind::request;
  std::string label;       // "INVITE CSeq 1", "180 Ringing CSeq 1" (raw model text)
  std::string sdp_badge;   // "PCMU sendrecv"-like summary when the message carries SDP, else ""
  bool retransmission = false;
  bool diagnostics = false;  // the parser reported errors or warnings about it
  // Set by mark_evidence(): the message is a step of its record's verdict (explain), which rule
  // cited it and what the step says ("" when not evidence).
  bool evidence = false;
  std::string evidence_rule;
  std::string evidence_what;
};

// One RTP stream between two columns, over the rows it ran across.
struct band {
  std::size_t record = 0;                    // index into layout::records
  const cr::stream_info* stream = nullptr;
  std::size_t from = 0, to = 0;              // columns of its source and destination IPs
  std::size_t lane = 0;                      // its rank among the bands of the same column pair
  // The rows around it: the last message at or before its first packet (its start is drawn
  // just below that arrow) and the first at or after its last packet (npos: after every row).
  std::size_t row_begin = 0, row_end = npos;
  std::string label;       // "PCMU 120 pkts, loss 0.0 %, jitter 0.3 ms, MOS 4.41"
  bool bad = false;        // loss above 1 %, jitter above 30 ms or MOS below 3.6
  // Set by mark_evidence(): the stream's first packet is a step of the verdict.
  bool evidence = false;
  std::string evidence_rule;
  std::string evidence_what;
};

struct options {
  // Names for hosts: "ip" or "ip:port" -> name; an "ip:port" entry wins over an "ip" one.
  std::vector<std::pair<std::string, std::string>> aliases;
  bool media_columns = true;    // add columns for media-only IPs (else such bands are dropped)
};

struct layout {
  std::vector<const cr::record*> records;
  std::vector<column> columns;
  std::vector<row> rows;
  std::vector<band> bands;
  cr::timestamp_ns t0 = 0;       // the first row's time (0 without rows)
  bool any_retransmission = false;
};

layout build(const std::vector<const cr::record*>& records, const options& o);

// A frame that a record's verdict cites as evidence (an explain::verdict's chain, seen steps),
// given by the front end so that this library needs no explain: the ladder marks the arrows
// (and RTP bands) of the evidence chain.
struct evidence_mark {
  std::size_t record = 0;    // index into layout::records
  cr::frame_ref frame;       // the message's frame (or one of its pieces), or a stream's first
  std::string rule;          // the rule that cited it ("no_response")
  std::string what;          // the evidence step ("TCP RST 192.0.2.20:5060 -> ...")
};
// Sets row::evidence / band::evidence (and their rule and text) where a mark's frame is the
// row's message (its completing frame or a piece) or the band's first packet, in the same
// record. Returns the number of marks that fell on no row or band (frames of TCP SYN/RST, ICMP,
// which the ladder does not draw).
std::size_t mark_evidence(layout& l, const std::vector<evidence_mark>& marks);

// "INVITE CSeq 1" / "180 Ringing CSeq 1".
std::string arrow_label(const cr::message_entry& m);
arrow_kind kind_of(const cr::message_entry& m) noexcept;

// The time axis: absolute "HH:MM:SS.mmm" (UTC) or relative "+1234ms" from t0.
enum class time_axis : std::uint8_t { absolute, relative };
std::string time_label(cr::timestamp_ns t, cr::timestamp_ns t0, time_axis a);

// ---- geometry --------------------------------------------------------------------------------

// Units are the front end's (pixels for the viewer and SVG).
struct geometry {
  float left = 190;           // x of the first column
  float spacing = 220;        // between columns
  float top = 60;             // y of the first row
  float row_height = 34;
  float sdp_extra = 14;       // added below a row that carries an SDP badge
  // Room for band labels: added below the row where bands start, per band starting there (the
  // rows are evenly spaced, so a stream of minutes may otherwise span a single row gap).
  float band_extra = 0;
};

struct placement {
  std::vector<float> column_x;
  std::vector<float> row_y;        // the arrow's y
  std::vector<float> band_y;       // the top of each band (below its row_begin, in the room added)
  float width = 0, height = 0;     // of the whole drawing
  // y of a capture time: interpolated between the rows around it (rows are evenly spaced,
  // not proportional to time), clamped to the first and the last row.
  float y_at(const layout& l, cr::timestamp_ns t) const noexcept;
  // The row at a y (nearest arrow within half a row), or npos.
  std::size_t row_at(float y, float row_height) const noexcept;
  // The first row whose arrow is at or below y (binary search: the visible range of a
  // 10 000-row ladder costs two searches, not a scan).
  std::size_t first_row_below(float y) const noexcept;
};

placement place(const layout& l, const geometry& g);

}  // namespace sipscope::ladder
