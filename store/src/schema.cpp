#include "schema.hpp"

#include <chrono>
#include <cstring>
#include <cstdio>
#include <ctime>

#include "sipscope/correlate/json.hpp"
#include "sipscope/json_writer.hpp"

namespace sipscope::store::detail {

namespace {

using enum col_type;
namespace cr = correlate;

// calls: the fields of `sipscope calls` (the model's JSON of a call), one row per call record.
constexpr column calls_cols[] = {
    {"capture_id", integer}, {"record_index", integer}, {"call_id", text}, {"first_method", text},
    {"caller_uri", text}, {"caller_user", text}, {"caller_display", text}, {"caller_tag", text},
    {"callee_uri", text}, {"callee_user", text}, {"callee_display", text}, {"callee_tag", text},
    {"asserted_identity", text}, {"request_uri", text}, {"state", text}, {"answered", boolean},
    {"final_status", integer}, {"final_reason", text}, {"reason_header", text}, {"hangup", text},
    {"t_invite", real}, {"t_first_18x", real}, {"t_answer", real}, {"t_ack", real}, {"t_bye", real},
    {"t_cancel", real}, {"t_final", real}, {"t_end", real}, {"first_time", real}, {"last_time", real},
    {"post_dial_delay_ms", integer}, {"setup_ms", integer}, {"talk_ms", integer}, {"holds", integer},
    {"prack", boolean}, {"auth_challenges", integer}, {"challenged", boolean}, {"sip_messages", integer},
    {"retransmissions", integer}, {"dropped_messages", integer}, {"user_agents", text},
    {"verdict", text}, {"verdict_category", text}, {"verdict_text", text}, {"verdict_confidence", text},
};
constexpr column registrations_cols[] = {
    {"capture_id", integer}, {"record_index", integer}, {"call_id", text}, {"caller_uri", text},
    {"caller_user", text}, {"callee_uri", text}, {"callee_user", text}, {"request_uri", text},
    {"aor", text}, {"contact", text}, {"expires", integer}, {"state", text}, {"final_status", integer},
    {"final_reason", text}, {"auth_challenges", integer}, {"challenged", boolean}, {"first_time", real},
    {"last_time", real}, {"sip_messages", integer}, {"retransmissions", integer}, {"user_agents", text},
    {"verdict", text}, {"verdict_category", text}, {"verdict_text", text}, {"verdict_confidence", text},
};
// events: every other record (OPTIONS, MESSAGE, SUBSCRIBE/NOTIFY, REFER, other transactions).
constexpr column events_cols[] = {
    {"capture_id", integer}, {"record_index", integer}, {"kind", text}, {"call_id", text},
    {"first_method", text}, {"caller_uri", text}, {"caller_user", text}, {"callee_uri", text},
    {"callee_user", text}, {"request_uri", text}, {"state", text}, {"final_status", integer},
    {"final_reason", text}, {"event", text}, {"subscription_state", text}, {"auth_challenges", integer},
    {"challenged", boolean}, {"first_time", real}, {"last_time", real}, {"sip_messages", integer},
    {"retransmissions", integer}, {"user_agents", text},
    {"verdict", text}, {"verdict_category", text}, {"verdict_text", text}, {"verdict_confidence", text},
};
constexpr column dialogs_cols[] = {
    {"capture_id", integer}, {"record_index", integer}, {"seq", integer}, {"local_tag", text},
    {"remote_tag", text}, {"method", text}, {"state", text}, {"first_status", integer},
    {"created", real}, {"confirmed", real}, {"terminated", real},
};
constexpr column legs_cols[] = {
    {"capture_id", integer}, {"record_index", integer}, {"seq", integer}, {"other_call_id", text},
};
constexpr column messages_cols[] = {
    {"capture_id", integer}, {"record_index", integer}, {"seq", integer}, {"file_index", integer},
    {"frame", integer}, {"file_offset", integer}, {"time", real}, {"src", text}, {"dst", text},
    {"transport", text}, {"request", boolean}, {"method", text}, {"status", integer}, {"cseq", integer},
    {"summary", text}, {"reason", text}, {"retransmission", boolean}, {"has_sdp", boolean},
    {"sdp_summary", text}, {"user_agent", text}, {"dialog", integer}, {"errors", integer},
    {"warnings", integer}, {"raw", text},
};
constexpr column streams_cols[] = {
    {"capture_id", integer}, {"record_index", integer}, {"seq", integer}, {"src", text}, {"dst", text},
    {"ssrc", integer}, {"payload_type", integer}, {"codec", text}, {"clock_rate", integer},
    {"from_side", text}, {"negotiated", boolean}, {"origin", text}, {"first_frame", integer},
    {"packets", integer}, {"expected", integer}, {"lost", integer}, {"lost_unique", integer},
    {"lost_percent", real}, {"duplicates", integer}, {"out_of_order", integer},
    {"sequence_errors", integer}, {"max_delta_ms", real}, {"mean_delta_ms", real},
    {"max_jitter_ms", real}, {"mean_jitter_ms", real}, {"mos", real}, {"r_factor", real},
    {"start_time", real}, {"end_time", real}, {"rtcp_reports", integer}, {"rtcp_fraction_lost", real},
    {"rtcp_jitter_ms", real}, {"rtt_ms", real}, {"dtmf", text},
};
constexpr column findings_cols[] = {
    {"capture_id", integer}, {"record_index", integer}, {"seq", integer}, {"kind", text}, {"text", text},
};

// Added by migration 2 (ALTER TABLE ... ADD COLUMN, so at the end of their tables, where the
// column lists above put them): the verdict of `sipscope explain`, as `sipscope calls` gives it.
constexpr std::string_view verdict_columns[] = {"verdict", "verdict_category", "verdict_text", "verdict_confidence"};
constexpr std::string_view verdict_tables[] = {"calls", "registrations", "events"};

// And messages.raw: the message's text, with `export --with-messages` (NULL without).
bool added_in_v2(std::string_view column) {
  for (std::string_view c : verdict_columns)
    if (c == column) return true;
  return column == "raw";
}

constexpr table tables[] = {
    {"calls", calls_cols, "capture_id, record_index"},
    {"registrations", registrations_cols, "capture_id, record_index"},
    {"events", events_cols, "capture_id, record_index"},
    {"dialogs", dialogs_cols, "capture_id, record_index, seq"},
    {"legs", legs_cols, "capture_id, record_index, seq"},
    {"messages", messages_cols, "capture_id, record_index, seq"},
    {"streams", streams_cols, "capture_id, record_index, seq"},
    {"findings", findings_cols, "capture_id, record_index, seq"},
};
static_assert(std::size(tables) == t_count);

// The questions an operator asks: calls by time, by number (either side), by state, by
// Call-ID; streams by MOS; registrations by AOR; events by kind and time.
constexpr index index_list[] = {
    {"calls_by_time", "calls", "first_time"},
    {"calls_by_caller", "calls", "caller_user"},
    {"calls_by_callee", "calls", "callee_user"},
    {"calls_by_state", "calls", "state, first_time"},
    {"calls_by_call_id", "calls", "call_id"},
    {"registrations_by_aor", "registrations", "aor, first_time"},
    {"events_by_kind", "events", "kind, first_time"},
    {"streams_by_mos", "streams", "mos"},
    {"messages_by_time", "messages", "time"},
};

class row {
 public:
  row(row_sink& s, table_id t, row_counts& n) : s_(s) {
    s_.begin_row(t);
    ++n.per_table[t];
  }
  ~row() { s_.end_row(); }
  row& i(std::int64_t v) { s_.integer(v); return *this; }
  row& b(bool v) { s_.integer(v ? 1 : 0); return *this; }
  row& d(double v) { s_.real(v); return *this; }
  row& t(std::string_view v) {
    if (is_clean(v)) s_.text(v);
    else {
      tmp_.clear();
      clean_text(v, tmp_);
      s_.text(tmp_);
    }
    return *this;
  }
  row& null() { s_.null(); return *this; }
  // Times: epoch seconds at µs, as the JSON (NULL when absent or 0).
  row& time(const std::optional<cr::timestamp_ns>& v) { return v ? d(cr::epoch_seconds(*v)) : null(); }
  row& time0(cr::timestamp_ns v) { return v ? d(cr::epoch_seconds(v)) : null(); }
  row& ms(std::int64_t v) { return v >= 0 ? i(v) : null(); }
  row& opt(double v) { return v >= 0 ? d(v) : null(); }
  row& positive(double v) { return v > 0 ? d(v) : null(); }

 private:
  row_sink& s_;
  std::string tmp_;
};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

}  // namespace

std::span<const table> record_tables() { return tables; }
std::span<const index> indexes() { return index_list; }

void emit_rows(const cr::record& r, std::int64_t cap, const verdict_fields& v, row_sink& s, row_counts& n) {
  auto verdict = [&](row& w) {
    if (v.rule.empty()) w.null().null().null().null();
    else w.t(v.rule).t(v.category).t(v.text).t(v.confidence);
  };
  const auto idx = static_cast<std::int64_t>(r.index);
  const bool call = r.kind == cr::record_kind::call;
  if (call) {
    row w(s, t_calls, n);
    w.i(cap).i(idx).t(r.call_id).t(r.first_method);
    w.t(r.caller.uri).t(r.caller.user).t(r.caller.display).t(r.caller.tag);
    w.t(r.callee.uri).t(r.callee.user).t(r.callee.display).t(r.callee.tag);
    w.t(r.asserted).t(r.request_uri).t(cr::to_string(r.state)).b(r.times.answer.has_value());
    w.i(r.final_status).t(r.final_reason).t(r.reason_header);
    if (r.hangup == cr::side::none) w.null();
    else w.t(cr::to_string(r.hangup));
    w.time(r.times.invite).time(r.times.first_18x).time(r.times.answer).time(r.times.ack);
    w.time(r.times.bye).time(r.times.cancel).time(r.times.final).time(r.times.end);
    w.time0(r.first_time).time0(r.last_time);
    w.ms(r.post_dial_delay_ms()).ms(r.setup_ms()).ms(r.talk_ms()).i(r.holds).b(r.prack);
    w.i(r.auth_challenges).b(r.challenged).i(r.sip_messages).i(r.retransmissions).i(r.dropped_messages);
    w.t(joined(r.user_agents));
    verdict(w);
  } else if (r.kind == cr::record_kind::registration) {
    row w(s, t_registrations, n);
    w.i(cap).i(idx).t(r.call_id).t(r.caller.uri).t(r.caller.user).t(r.callee.uri).t(r.callee.user);
    w.t(r.request_uri).t(r.aor).t(r.contact).i(r.expires).t(cr::to_string(r.outcome));
    w.i(r.final_status).t(r.final_reason).i(r.auth_challenges).b(r.challenged);
    w.time0(r.first_time).time0(r.last_time).i(r.sip_messages).i(r.retransmissions).t(joined(r.user_agents));
    verdict(w);
  } else {
    row w(s, t_events, n);
    w.i(cap).i(idx).t(cr::to_string(r.kind)).t(r.call_id).t(r.first_method);
    w.t(r.caller.uri).t(r.caller.user).t(r.callee.uri).t(r.callee.user).t(r.request_uri);
    w.t(cr::to_string(r.outcome)).i(r.final_status).t(r.final_reason).t(r.event).t(r.subscription_state);
    w.i(r.auth_challenges).b(r.challenged).time0(r.first_time).time0(r.last_time);
    w.i(r.sip_messages).i(r.retransmissions).t(joined(r.user_agents));
    verdict(w);
  }
  std::int64_t seq = 0;
  for (const cr::dialog& d : r.dialogs) {
    row w(s, t_dialogs, n);
    w.i(cap).i(idx).i(seq++).t(d.local_tag).t(d.remote_tag).t(d.method).t(cr::to_string(d.state));
    w.i(d.first_status).time0(d.created).time0(d.confirmed).time0(d.terminated);
  }
  seq = 0;
  for (const std::string& l : r.legs) {
    row w(s, t_legs, n);
    w.i(cap).i(idx).i(seq++).t(l);
  }
  seq = 0;
  for (const cr::message_entry& m : r.messages) {
    row w(s, t_messages, n);
    w.i(cap).i(idx).i(seq++).i(m.frame.file).i(static_cast<std::int64_t>(m.frame.number));
    w.i(static_cast<std::int64_t>(m.frame.offset)).time0(m.time).t(m.src.to_string()).t(m.dst.to_string());
    w.t(capture::to_string(m.proto)).b(m.request).t(m.method).i(m.status).i(m.cseq).t(m.summary);
    if (m.request) w.null();
    else w.t(m.reason);
    w.b(m.retransmission).b(m.has_sdp).t(m.sdp).t(m.user_agent).i(m.dialog).i(m.errors).i(m.warnings);
    if (m.raw.empty()) w.null();
    else w.t(m.raw);
  }
  seq = 0;
  for (const cr::stream_info& st : r.streams) {
    row w(s, t_streams, n);
    w.i(cap).i(idx).i(seq++).t(st.src.to_string()).t(st.dst.to_string()).i(st.ssrc).i(st.payload_type);
    w.t(st.codec).i(st.clock_rate).t(cr::to_string(st.from)).b(st.negotiated).t(st.origin);
    w.i(static_cast<std::int64_t>(st.first_frame.number)).i(static_cast<std::int64_t>(st.packets));
    w.i(static_cast<std::int64_t>(st.expected)).i(st.lost).i(st.lost_unique).d(st.lost_percent());
    w.i(static_cast<std::int64_t>(st.duplicates)).i(static_cast<std::int64_t>(st.out_of_order));
    w.i(static_cast<std::int64_t>(st.sequence_errors)).d(st.max_delta_ms).d(st.mean_delta_ms);
    w.d(st.max_jitter_ms).d(st.mean_jitter_ms).positive(st.mos);
    if (st.mos > 0) w.d(st.r_factor);   // R is 0 for the worst streams (G.107 bounds it), MOS 1
    else w.null();
    w.time0(st.start).time0(st.end).i(st.rtcp_reports).opt(st.rtcp_fraction_lost).opt(st.rtcp_jitter_ms);
    w.opt(st.rtt_ms);
    std::string digits;
    for (const cr::dtmf_event& e : st.dtmf) digits += e.digit;
    w.t(digits);
  }
  seq = 0;
  for (const cr::finding& f : r.findings) {
    row w(s, t_findings, n);
    w.i(cap).i(idx).i(seq++).t(f.kind).t(f.text);
  }
}

// ---- row_batch: rows encoded on a worker, replayed by the store's thread ----------------------
//
// Per row: the table id (1 byte), then every column but the first (capture_id, which only the
// store knows: replay_rows() puts it back) as a tag byte and its value: 'n' NULL, 'i' int64
// and 'r' double (8 bytes each, host order: the batch never leaves the process), 't' text
// (4-byte length, then the bytes, already clean_text()ed).

namespace {

class encoder final : public row_sink {
 public:
  explicit encoder(std::string& out) : out_(out) {}
  void begin_row(table_id t) override {
    out_.push_back(static_cast<char>(t));
    first_ = true;
  }
  void null() override {
    if (skip()) return;
    out_.push_back('n');
  }
  void integer(std::int64_t v) override {
    if (skip()) return;
    put('i', &v, sizeof v);
  }
  void real(double v) override {
    if (skip()) return;
    put('r', &v, sizeof v);
  }
  void text(std::string_view v) override {
    if (skip()) return;
    const auto n = static_cast<std::uint32_t>(v.size());
    put('t', &n, sizeof n);
    out_.append(v);
  }
  void end_row() override {}

 private:
  bool skip() {   // the first column of every record table is capture_id
    const bool f = first_;
    first_ = false;
    return f;
  }
  void put(char tag, const void* p, std::size_t n) {
    const std::size_t at = out_.size();
    out_.resize(at + 1 + n);
    out_[at] = tag;
    std::memcpy(out_.data() + at + 1, p, n);
  }
  std::string& out_;
  bool first_ = true;
};

}  // namespace

bool replay_rows(std::string_view b, std::int64_t cap, row_sink& s, row_counts& n) {
  const auto tables = record_tables();
  const char* p = b.data();
  const char* const end = p + b.size();
  auto take = [&](void* out, std::size_t k) {
    if (static_cast<std::size_t>(end - p) < k) return false;
    std::memcpy(out, p, k);
    p += k;
    return true;
  };
  while (p < end) {
    const auto t = static_cast<unsigned char>(*p++);
    if (t >= t_count) return false;
    const std::size_t cols = tables[t].columns.size();
    s.begin_row(static_cast<table_id>(t));
    ++n.per_table[t];
    s.integer(cap);
    for (std::size_t c = 1; c < cols; ++c) {
      if (p == end) return false;
      const char tag = *p++;
      if (tag == 'n') {
        s.null();
      } else if (tag == 'i') {
        std::int64_t v;
        if (!take(&v, sizeof v)) return false;
        s.integer(v);
      } else if (tag == 'r') {
        double v;
        if (!take(&v, sizeof v)) return false;
        s.real(v);
      } else if (tag == 't') {
        std::uint32_t k;
        if (!take(&k, sizeof k) || static_cast<std::size_t>(end - p) < k) return false;
        s.text(std::string_view(p, k));
        p += k;
      } else {
        return false;
      }
    }
    s.end_row();
  }
  return true;
}

}  // namespace sipscope::store::detail

namespace sipscope::store {

void row_batch::add(const correlate::record& r, const verdict_fields& v) {
  detail::encoder e(bytes_);
  detail::row_counts unused;
  detail::emit_rows(r, 0, v, e, unused);
  ++records_;
  if (r.kind == correlate::record_kind::call) ++calls_;
}

void row_batch::clear() noexcept {
  bytes_.clear();
  records_ = calls_ = 0;
}

}  // namespace sipscope::store

namespace sipscope::store::detail {

bool is_clean(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) { ++i; continue; }
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void clean_text(std::string_view s, std::string& out) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0) { out += "\xEF\xBF\xBD"; ++i; continue; }
    if (c < 0x80) { out.push_back(static_cast<char>(c)); ++i; continue; }
    const std::size_t n = utf8_sequence_length(s, i);
    if (n) { out.append(s.substr(i, n)); i += n; continue; }
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));   // U+0080..U+00FF in two bytes
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    ++i;
  }
}

std::string now_iso() {
  const auto now = std::chrono::system_clock::now();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  return correlate::iso8601(static_cast<correlate::timestamp_ns>(ns));
}

}  // namespace sipscope::store::detail

namespace sipscope::store::detail {

namespace {

std::string_view type_name(col_type t, dialect d) {
  const bool pg = d == dialect::postgres;
  switch (t) {
    case col_type::integer: return pg ? "bigint" : "INTEGER";
    case col_type::real: return pg ? "double precision" : "REAL";
    case col_type::text: return pg ? "text" : "TEXT";
    case col_type::boolean: return pg ? "boolean" : "INTEGER";
  }
  return "TEXT";
}

}  // namespace

std::string schema_v1_sql(dialect d) {
  const bool pg = d == dialect::postgres;
  std::string s;
  s += "CREATE TABLE captures (\n";
  s += pg ? "  id bigserial PRIMARY KEY,\n" : "  id INTEGER PRIMARY KEY,\n";
  auto col = [&](std::string_view name, col_type t, std::string_view extra = {}) {
    s += "  ";
    s += name;
    s += ' ';
    s += type_name(t, d);
    if (!extra.empty()) {
      s += ' ';
      s += extra;
    }
    s += ",\n";
  };
  col("path", col_type::text, "NOT NULL");
  col("hash", col_type::text, "NOT NULL UNIQUE");
  col("size", col_type::integer, "NOT NULL");
  col("files", col_type::integer, "NOT NULL");
  col("status", col_type::text, "NOT NULL CHECK (status IN ('importing', 'complete', 'failed'))");
  col("link_types", col_type::text);
  col("first_time", col_type::real);
  col("last_time", col_type::real);
  for (std::string_view n : {"packets", "bytes", "sip_messages", "rtp_packets", "records", "calls", "registrations",
                             "events", "messages", "streams"})
    col(n, col_type::integer);
  col("diagnostics", col_type::text);
  col("import_started", col_type::text);
  col("import_finished", col_type::text);
  s += "  tool_version ";
  s += type_name(col_type::text, d);
  s += "\n);\n";
  s += "CREATE TABLE capture_files (\n  capture_id ";
  s += type_name(col_type::integer, d);
  s += " NOT NULL REFERENCES captures(id),\n  file_index ";
  s += type_name(col_type::integer, d);
  s += " NOT NULL,\n  path ";
  s += type_name(col_type::text, d);
  s += " NOT NULL,\n  hash ";
  s += type_name(col_type::text, d);
  s += " NOT NULL UNIQUE,\n  size ";
  s += type_name(col_type::integer, d);
  s += " NOT NULL,\n  PRIMARY KEY (capture_id, file_index)\n);\n";
  for (const table& t : record_tables()) {
    s += "CREATE TABLE ";
    s += t.name;
    s += " (\n";
    for (const column& c : t.columns) {
      if (added_in_v2(c.name)) continue;
      s += "  ";
      s += c.name;
      s += ' ';
      s += type_name(c.type, d);
      if (c.name == "capture_id") s += " NOT NULL REFERENCES captures(id)";
      s += ",\n";
    }
    s += "  PRIMARY KEY (";
    s += t.primary_key;
    s += ")\n);\n";
  }
  for (const index& i : indexes()) {
    s += "CREATE INDEX ";
    s += i.name;
    s += " ON ";
    s += i.table;
    s += " (";
    s += i.columns;
    s += ");\n";
  }
  return s;
}

std::string schema_v2_sql(dialect d) {
  std::string s;
  for (std::string_view t : verdict_tables)
    for (std::string_view c : verdict_columns) {
      s += "ALTER TABLE ";
      s += t;
      s += " ADD COLUMN ";
      s += c;
      s += ' ';
      s += type_name(col_type::text, d);
      s += ";\n";
    }
  s += "ALTER TABLE messages ADD COLUMN raw ";
  s += type_name(col_type::text, d);
  s += ";\n";
  s += "CREATE INDEX calls_by_verdict ON calls (verdict, first_time);\n";
  return s;
}

std::span<const migration> migrations() {
  static constexpr migration list[] = {
      {1, "initial schema: captures, capture_files, calls, registrations, events, dialogs, legs, messages, "
          "streams, findings",
       schema_v1_sql},
      {2, "the verdict of sipscope explain in calls, registrations and events (verdict, verdict_category, "
          "verdict_text, verdict_confidence); messages.raw (export --with-messages)",
       schema_v2_sql},
  };
  return list;
}

}  // namespace sipscope::store::detail
