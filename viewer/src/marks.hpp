// What the ladder marks beyond its arrows, and small helpers of the panes, computed without
// ImGui so that tests/viewer checks them: where a finding goes on the ladder, the explain
// verdict's evidence rows, the transaction an arrow belongs to (colour per transaction), the
// call list's time range, and the file dialog's directory listing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipscope/correlate/model.hpp"
#include "sipscope/explain/explain.hpp"
#include "sipscope/ladder/layout.hpp"

namespace sipscope::viewer {

namespace cr = sipscope::correlate;
namespace lad = sipscope::ladder;

// A finding of a record placed on the ladder. The model gives findings no time: a finding about
// one RTP stream ("RTP a -> b ...") goes where that stream starts (rtp_after_bye: where it
// ends), on its sender's column; a call-level one (one_way_audio, no_rtp: about the talk) at
// the answer; no_response at the last INVITE; the others at the record's first message.
struct finding_mark {
  std::size_t record = 0;             // index into layout::records
  std::size_t finding = 0;            // index into record::findings
  cr::timestamp_ns time = 0;
  std::size_t column = lad::npos;     // the stream sender's column, npos: the record's first column
};
std::vector<finding_mark> finding_marks(const lad::layout& l);

// The rows whose message is a frame of the verdict's evidence chain (sorted, each once).
std::vector<std::size_t> evidence_rows(const lad::layout& l, std::size_t record, const explain::verdict& v);
// The same for every record at once (verdicts[i] is layout::records[i]'s; one pass over the
// rows, for merges of thousands of calls): 1 where a row is evidence of its record's verdict.
std::vector<char> evidence_flags(const lad::layout& l, const std::vector<explain::verdict>& verdicts);

// The transaction of a message for colouring (RFC 3261 17: requests and their responses share
// the CSeq number and method; CANCEL and an ACK to a 2xx are transactions of their own).
// The model keeps no Via branch: two transactions with the same CSeq and method in one record
// (a request retried after a challenge keeps the method and increments CSeq, so they differ)
// would share a colour.
std::uint64_t transaction_key(std::size_t record, const cr::message_entry& m);

// A bound of the call list's time range: "HH:MM[:SS[.mmm]]" (UTC, on the day of `day_of`) or
// "+SECONDS" from `day_of` itself (the capture's first record). Empty text: no bound;
// nullopt with `error` set when the text is neither.
std::optional<cr::timestamp_ns> parse_time_bound(std::string_view text, cr::timestamp_ns day_of, std::string& error);

// The file dialog's listing: directories first, then the files whose name ends with one of
// `exts` (".pcap"...; empty: all), each sorted by name; hidden entries left out.
struct dir_entry {
  std::string name;
  bool dir = false;
  std::uint64_t size = 0;
};
std::vector<dir_entry> list_directory(const std::string& dir, const std::vector<std::string>& exts, std::string& error);

}  // namespace sipscope::viewer
