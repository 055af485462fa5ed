// What the capture-reading commands (calls, stats, ladder) share: option parsing for inputs,
// filters, output format and progress; running capture::pipeline into the correlator; record
// filters and --fail-on; and the small text helpers of terminal output (width, colour,
// truncation, CSV quoting). Presentation only: every protocol fact comes from the model
// (sipscope/correlate/model.hpp).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "sipscope/capture/modules.hpp"
#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"
#include "sipscope/correlate/model.hpp"

namespace sipscope {
class json_writer;
}

namespace sipscope::cli {

namespace cr = sipscope::correlate;

// ---- arguments -------------------------------------------------------------------------------

// Walks a command's arguments: `--name value`, `--name=value`, flags, FILEs.
class arg_cursor {
 public:
  explicit arg_cursor(args a) : a_(a) {}
  bool done() const noexcept { return i_ >= a_.size(); }
  std::string_view current() const noexcept { return a_[i_]; }
  void next() noexcept { ++i_; }
  // Whether the current argument is the flag `name` (consumes it when so).
  bool flag(std::string_view name);
  // Whether the current argument is the option `name`; its value in `value` (consumed). An
  // option without a value sets `error`.
  bool option(std::string_view name, std::string& value, std::string& error);
  // The name of the current argument without any "=value".
  std::string_view name() const noexcept;

 private:
  args a_;
  std::size_t i_ = 0;
};

// Record filters, all optional; a record is kept when it passes every one given.
struct filters {
  std::vector<std::string> call_ids;            // exact
  std::vector<std::string> from, to, user;      // case-insensitive substring of user or URI
  std::vector<std::string> states;              // to_string(call_state) or to_string(record_state)
  std::vector<std::pair<int, int>> statuses;    // [lo, hi] ranges of final_status
  std::optional<std::string> since, until;      // as given, resolved once the capture starts
  std::vector<std::pair<std::string, int>> hosts;   // ip text, port (-1 any)
  std::optional<std::regex> match;
  std::string match_text;
  std::vector<cr::record_kind> kinds;           // empty: the command's default
  bool all_kinds = false;
};

// One --fail-on condition.
struct fail_condition {
  enum class what { failed, state, status, loss, jitter, mos, pdd } w = what::failed;
  enum class op { lt, le, eq, ne, ge, gt } o = op::eq;
  std::string text;      // state name, as given
  double number = 0;
  std::string source;    // as written, for messages
};

struct common_options {
  std::string command;                 // "calls", for messages
  std::vector<std::string> files;
  std::string bpf;
  bool quiet = false;
  std::string format;                  // empty: the command's default
  std::string color = "auto";
  filters f;
  std::vector<cr::record_kind> default_kinds;   // without --kind/--all; empty: every kind
  std::vector<fail_condition> fail_on;
  std::vector<std::string> leg_headers;  // --leg-header: more B2BUA correlation headers
  std::string leg_pattern;               // --leg-pattern: Call-ID regex of B2BUA legs
  std::vector<std::pair<std::string, std::uint64_t>> limits;   // --limit NAME=VALUE, checked
};

enum class parsed { mine, not_mine, error };
// Parses one shared option at the cursor (FILEs included). On error, prints it (usage_error).
parsed parse_common(arg_cursor& c, common_options& o);
// After the loop: checks what needs every argument (FILE given).
bool finish_common(common_options& o);
int usage_error(const common_options& o, const std::string& msg);

// "a,b,,c" -> {"a", "b", "c"} (empty elements dropped): every comma-separated option value.
std::vector<std::string> split_list(std::string_view s);

// The usage text of the shared options, for each command's --help.
extern const std::string_view common_usage;

// ---- resource limits (--limit NAME=VALUE, docs/LIMITS.md) -----------------------------------

struct limit_info {
  std::string_view name;
  std::uint64_t default_value;
  std::string_view what;        // what is bounded, and what happens at the limit
};
// Every limit --limit knows, with its default (the libraries' own defaults).
std::vector<limit_info> known_limits();
// "records=500000", "tcp-buffer=64M" (K, M, G: binary multiples) -> name, value; false with
// `error` set on an unknown name or a bad value.
bool parse_limit(std::string_view text, std::string& name, std::uint64_t& value, std::string& error);
// `--limit list`: every limit with its default and what happens at it, one per line on stdout.
void print_known_limits();
// Applies --limit values to the capture modules' and the correlator's options.
void apply_limits(const common_options& o, capture::module_limits& m, cr::correlator_options& c);

// ---- running the capture -------------------------------------------------------------------

struct diag_summary {
  std::uint64_t count = 0;
  capture::frame_ref first;
  bool error = true;
};

struct run_result {
  capture::statistics pipeline;
  cr::correlator_stats correlator;
  std::map<capture::diag_kind, diag_summary> diags;
  capture::timestamp_ns capture_start = 0;   // first event's time (0: no event)
  std::uint64_t records_seen = 0;            // before filters
  std::uint64_t records_kept = 0;
  bool io_error = false;                     // an input could not be opened or is not a capture
};

// Reads every FILE through the pipeline into the correlator; each finished record that passes
// the filters is handed to `take` (in the order the correlator finishes them). Errors on files
// are printed (naming the file and what to do) and set io_error. Returns false when nothing
// could be read (usage or I/O error: exit 2).
using record_sink = std::function<void(cr::record&&)>;
bool run_capture(const common_options& o, const record_sink& take, run_result& out);

// What some commands add to a run: the correlator's options, a live interface instead of the
// FILEs, a look at the correlator once it has finished (orphan streams), and the pipeline
// while it runs (to stop it from a signal handler).
struct run_extras {
  cr::correlator_options correlator;
  std::string interface;                                   // live capture when not empty
  capture::live_options live;
  std::function<void(const cr::correlator&)> finished;     // after correlator::finish()
  std::function<void(capture::pipeline*)> running;         // the pipeline, then nullptr
  std::function<void(const capture::diag_event&)> diag;    // each diagnostic (explain: capture losses)
};
bool run_capture(const common_options& o, const record_sink& take, run_result& out, const run_extras& x);

// The one-paragraph end-of-run summary and the diagnostics by kind, on stderr (unless -q).
void print_run_summary(const common_options& o, const run_result& r, std::string_view what);

// Whether a record passes the filters (times relative to capture_start where given so).
// `kinds_default` applies when neither --kind nor --all was given.
bool record_passes(const filters& f, const cr::record& r, capture::timestamp_ns capture_start,
                   const std::vector<cr::record_kind>& kinds_default);

// --fail-on: whether the record matches any condition; `why` gets the first that did.
bool fails(const std::vector<fail_condition>& conds, const cr::record& r, std::string& why);
// Prints the matching records on stderr and returns exit_findings, or exit_ok when none.
int apply_fail_on(const common_options& o, const std::vector<const cr::record*>& recs);

// ---- text ------------------------------------------------------------------------------------

int terminal_columns(std::FILE* f, int fallback = 0);   // TIOCGWINSZ, then $COLUMNS, else fallback
bool use_color(const std::string& mode, std::FILE* f);
bool utf8_terminal();
// Printable text for a terminal: control characters and invalid UTF-8 as '?'.
std::string printable(std::string_view s);
// Display width in columns (code points; printable() text).
std::size_t text_width(std::string_view s);
// Cut to `width` columns with an ellipsis at the end (or in the middle when `middle`).
std::string truncate(std::string_view s, std::size_t width, bool middle = false);
std::string pad(std::string_view s, std::size_t width, bool right_align = false);
// A From/To URI for a narrow column: scheme and URI parameters dropped when it does not fit.
std::string short_uri(const std::string& uri, std::size_t width);
std::string csv_field(std::string_view s);   // RFC 4180
std::string utc_time(capture::timestamp_ns t, bool with_date = false);   // HH:MM:SS.mmm
std::string utc_date(capture::timestamp_ns t);                            // YYYY-MM-DD
std::string ms_text(std::int64_t ms);                                     // "1.25 s", "340 ms", "-"

// The worst stream figures of a record (streams may be empty).
struct stream_worst {
  bool any = false;
  double loss_percent = 0, jitter_ms = 0, mos = 0;   // mos: lowest known, 0 none
};
stream_worst worst_streams(const cr::record& r);

// "call,registration" -> kinds; false on an unknown name.
bool parse_kinds(std::string_view list, std::vector<cr::record_kind>& out, std::string& bad);
// The record's state text, whatever its kind.
std::string_view state_text(const cr::record& r);

// --format json: the n items as one indented array; jsonl (lines): one compact object per line.
// write(w, i) writes item i's object. Ends with a flush of stdout.
void print_json_items(std::size_t n, bool lines, const std::function<void(json_writer&, std::size_t)>& write);

}  // namespace sipscope::cli
