#include "sipscope/store/reader.hpp"

#include <arpa/inet.h>
#include <sqlite3.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string_view>
#include <unordered_map>

namespace sipscope::store {

namespace cr = correlate;

namespace {

// A prepared statement whose result columns are looked up by name once; a missing column reads
// as NULL, so that every schema version reads with the same code.
class query {
 public:
  query(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK) {
      error_ = sqlite3_errmsg(db);
      s_ = nullptr;
      return;
    }
    for (int i = 0; i < sqlite3_column_count(s_); ++i) cols_.emplace(sqlite3_column_name(s_, i), i);
  }
  ~query() { sqlite3_finalize(s_); }
  query(const query&) = delete;
  query& operator=(const query&) = delete;

  bool ok() const noexcept { return s_ != nullptr; }
  const std::string& error() const noexcept { return error_; }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  // SQLITE_ROW: a row; SQLITE_DONE: the end; anything else an error (error()).
  int step() {
    const int rc = sqlite3_step(s_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) error_ = sqlite3_errmsg(sqlite3_db_handle(s_));
    return rc;
  }
  bool has(const char* name) const { return cols_.count(name) > 0; }
  bool null(const char* name) const {
    const auto it = cols_.find(name);
    return it == cols_.end() || sqlite3_column_type(s_, it->second) == SQLITE_NULL;
  }
  std::int64_t i(const char* name, std::int64_t def = 0) const {
    return null(name) ? def : sqlite3_column_int64(s_, cols_.at(name));
  }
  double d(const char* name, double def = 0) const { return null(name) ? def : sqlite3_column_double(s_, cols_.at(name)); }
  std::string t(const char* name) const {
    if (null(name)) return {};
    const int c = cols_.at(name);
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c))) : std::string();
  }
  bool b(const char* name) const { return i(name) != 0; }
  // Epoch seconds (µs precision, as written) back to nanoseconds; 0 when NULL.
  cr::timestamp_ns time(const char* name) const {
    return null(name) ? 0 : static_cast<cr::timestamp_ns>(std::llround(d(name) * 1e6)) * 1000;
  }
  std::optional<cr::timestamp_ns> opt_time(const char* name) const {
    if (null(name)) return std::nullopt;
    return time(name);
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  std::unordered_map<std::string, int> cols_;
  std::string error_;
};

// The model's enums from the names the export writes (their to_string()); false when unknown.
template <class E>
bool enum_from(std::string_view s, E& out, int count) {
  for (int i = 0; i < count; ++i) {
    const E e = static_cast<E>(i);
    if (cr::to_string(e) == s) {
      out = e;
      return true;
    }
  }
  return false;
}

bool transport_from(std::string_view s, capture::transport& out) {
  for (int i = 0; i < 6; ++i) {
    const auto t = static_cast<capture::transport>(i);
    if (capture::to_string(t) == s) {
      out = t;
      return true;
    }
  }
  return false;
}

// "192.0.2.1:5060" or "[2001:db8::1]:5060" (endpoint::to_string()); a default endpoint else.
cr::endpoint endpoint_from(std::string_view s) {
  cr::endpoint e;
  std::string host;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return e;
    host.assign(s.substr(1, close - 1));
    port = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) return e;
    host.assign(s.substr(0, colon));
    port = s.substr(colon + 1);
  }
  unsigned p = 0;
  for (char c : port) {
    if (c < '0' || c > '9' || p > 65535) return e;
    p = p * 10 + static_cast<unsigned>(c - '0');
  }
  if (p > 65535) return e;
  if (inet_pton(AF_INET, host.c_str(), e.ip.bytes.data()) == 1) e.ip.family = 4;
  else if (inet_pton(AF_INET6, host.c_str(), e.ip.bytes.data()) == 1) e.ip.family = 6;
  else return {};
  e.port = static_cast<std::uint16_t>(p);
  return e;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t a = 0;
  while (a < s.size()) {
    const auto nl = s.find('\n', a);
    out.push_back(s.substr(a, nl == std::string::npos ? std::string::npos : nl - a));
    if (nl == std::string::npos) break;
    a = nl + 1;
  }
  return out;
}

template <class T>
T narrow(std::int64_t v) {
  return static_cast<T>(v);
}

// The fields every record table has.
void common_fields(const query& q, cr::record& r) {
  r.call_id = q.t("call_id");
  r.caller.uri = q.t("caller_uri");
  r.caller.user = q.t("caller_user");
  r.callee.uri = q.t("callee_uri");
  r.callee.user = q.t("callee_user");
  r.request_uri = q.t("request_uri");
  r.final_status = narrow<std::uint16_t>(q.i("final_status"));
  r.final_reason = q.t("final_reason");
  r.auth_challenges = narrow<std::uint32_t>(q.i("auth_challenges"));
  r.challenged = q.b("challenged");
  r.first_time = q.time("first_time");
  r.last_time = q.time("last_time");
  r.sip_messages = narrow<std::uint32_t>(q.i("sip_messages"));
  r.retransmissions = narrow<std::uint32_t>(q.i("retransmissions"));
  r.user_agents = lines(q.t("user_agents"));
}

}  // namespace

struct reader::impl {
  sqlite3* db = nullptr;
  ~impl() { sqlite3_close(db); }
};

reader::~reader() = default;

bool is_sqlite_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char h[16];
  const bool ok = std::fread(h, 1, sizeof h, f) == sizeof h && std::memcmp(h, "SQLite format 3", 16) == 0;
  std::fclose(f);
  return ok;
}

std::unique_ptr<reader> reader::open(const std::string& path, error& e) {
  std::unique_ptr<reader> r(new reader);
  r->p_ = std::make_unique<impl>();
  if (!is_sqlite_file(path)) {
    e = {error_kind::connection, path + ": not an SQLite database"};
    return nullptr;
  }
  if (sqlite3_open_v2(path.c_str(), &r->p_->db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    e = {error_kind::connection, path + ": " + sqlite3_errmsg(r->p_->db)};
    return nullptr;
  }
  sqlite3_busy_timeout(r->p_->db, 5000);   // an export still writing: wait for its lock a while
  {
    query v(r->p_->db, "PRAGMA user_version");
    if (v.ok() && v.step() == SQLITE_ROW) r->version_ = static_cast<int>(v.i("user_version"));
  }
  for (const char* t : {"captures", "capture_files", "messages"}) {
    if (r->columns(t).empty()) {
      e = {error_kind::schema, path + ": not a sipscope export (no table '" + t + "')"};
      return nullptr;
    }
  }
  if (r->version_ > ::sipscope::store::schema_version + 1) {
    // Newer than this program knows: read what it can by name, but say so.
    e = {error_kind::none, path + ": schema version " + std::to_string(r->version_) + " is newer than this program's"};
  }
  // Schema 2 has messages.raw always; it holds text only from `export --with-messages`.
  for (const std::string& c : r->columns("messages")) r->raw_ |= c == "raw";
  if (r->raw_) {
    query any(r->p_->db, "SELECT 1 FROM messages WHERE raw IS NOT NULL LIMIT 1");
    r->raw_ = any.ok() && any.step() == SQLITE_ROW;
  }
  query caps(r->p_->db, "SELECT * FROM captures ORDER BY (status = 'complete') DESC, id");
  if (!caps.ok()) {
    e = {error_kind::schema, path + ": " + caps.error()};
    return nullptr;
  }
  while (caps.step() == SQLITE_ROW) {
    stored_capture c;
    c.id = caps.i("id");
    c.path = caps.t("path");
    c.status = caps.t("status");
    c.records = static_cast<std::uint64_t>(caps.i("records"));
    r->captures_.push_back(std::move(c));
  }
  query files(r->p_->db, "SELECT * FROM capture_files ORDER BY capture_id, file_index");
  if (!files.ok()) {
    e = {error_kind::schema, path + ": " + files.error()};
    return nullptr;
  }
  while (files.step() == SQLITE_ROW) {
    const std::int64_t id = files.i("capture_id");
    const std::int64_t fi = files.i("file_index");
    for (stored_capture& c : r->captures_) {
      if (c.id != id) continue;
      if (fi >= 0 && fi < 100000) {
        if (c.files.size() <= static_cast<std::size_t>(fi)) c.files.resize(static_cast<std::size_t>(fi) + 1);
        c.files[static_cast<std::size_t>(fi)] = files.t("path");
      }
    }
  }
  return r;
}

std::vector<std::string> reader::columns(const std::string& table) const {
  std::vector<std::string> out;
  if (!p_ || !p_->db) return out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(p_->db, "SELECT name FROM pragma_table_info(?1)", -1, &s, nullptr) != SQLITE_OK) return out;
  sqlite3_bind_text(s, 1, table.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(s) == SQLITE_ROW)
    if (const auto* n = sqlite3_column_text(s, 0)) out.emplace_back(reinterpret_cast<const char*>(n));
  sqlite3_finalize(s);
  return out;
}

bool reader::read(const std::function<bool(read_record&&)>& sink) {
  sqlite3* db = p_->db;
  auto fail = [this](const std::string& what, const query& q) {
    err_ = {error_kind::other, what + ": " + q.error()};
    return false;
  };
  const auto has_table = [this](const char* t) { return !columns(t).empty(); };
  for (const stored_capture& cap : captures_) {
    if (cap.status != "complete") continue;
    std::map<std::int64_t, read_record> recs;   // by record_index
    auto take = [&](const char* table, auto&& fill) -> bool {
      if (!has_table(table)) return true;   // a table a version does not have: nothing of that kind
      query q(db, std::string("SELECT * FROM ") + table + " WHERE capture_id = ?1 ORDER BY record_index");
      if (!q.ok()) return fail(table, q);
      q.bind(1, cap.id);
      int rc;
      while ((rc = q.step()) == SQLITE_ROW) {
        read_record& rr = recs[q.i("record_index")];
        rr.capture_id = cap.id;
        rr.rec.index = static_cast<std::uint64_t>(q.i("record_index"));
        common_fields(q, rr.rec);
        rr.verdict = q.t("verdict");
        rr.verdict_category = q.t("verdict_category");
        rr.verdict_text = q.t("verdict_text");
        rr.verdict_confidence = q.t("verdict_confidence");
        fill(q, rr);
      }
      return rc == SQLITE_DONE || fail(table, q);
    };
    const bool ok =
        take("calls",
             [](const query& q, read_record& rr) {
               cr::record& r = rr.rec;
               r.kind = cr::record_kind::call;
               r.first_method = q.t("first_method");
               r.caller.display = q.t("caller_display");
               r.caller.tag = q.t("caller_tag");
               r.callee.display = q.t("callee_display");
               r.callee.tag = q.t("callee_tag");
               r.asserted = q.t("asserted_identity");
               enum_from(q.t("state"), r.state, 10);
               r.reason_header = q.t("reason_header");
               enum_from(q.t("hangup"), r.hangup, 3);
               r.times.invite = q.opt_time("t_invite");
               r.times.first_18x = q.opt_time("t_first_18x");
               r.times.answer = q.opt_time("t_answer");
               r.times.ack = q.opt_time("t_ack");
               r.times.bye = q.opt_time("t_bye");
               r.times.cancel = q.opt_time("t_cancel");
               r.times.final = q.opt_time("t_final");
               r.times.end = q.opt_time("t_end");
               r.holds = narrow<std::uint32_t>(q.i("holds"));
               r.prack = q.b("prack");
               r.dropped_messages = narrow<std::uint32_t>(q.i("dropped_messages"));
             }) &&
        take("registrations",
             [](const query& q, read_record& rr) {
               cr::record& r = rr.rec;
               r.kind = cr::record_kind::registration;
               r.first_method = "REGISTER";
               r.aor = q.t("aor");
               r.contact = q.t("contact");
               r.expires = narrow<std::uint32_t>(q.i("expires"));
               enum_from(q.t("state"), r.outcome, 5);
             }) &&
        take("events", [](const query& q, read_record& rr) {
          cr::record& r = rr.rec;
          enum_from(q.t("kind"), r.kind, 7);
          r.first_method = q.t("first_method");
          enum_from(q.t("state"), r.outcome, 5);
          r.event = q.t("event");
          r.subscription_state = q.t("subscription_state");
        });
    if (!ok) return false;
    // The child tables, each in (record_index, seq) order: rows of records the parent tables
    // did not hold (a damaged file) are skipped.
    auto children = [&](const char* table, auto&& fill) -> bool {
      if (!has_table(table)) return true;
      query q(db, std::string("SELECT * FROM ") + table + " WHERE capture_id = ?1 ORDER BY record_index, seq");
      if (!q.ok()) return fail(table, q);
      q.bind(1, cap.id);
      int rc;
      while ((rc = q.step()) == SQLITE_ROW) {
        const auto it = recs.find(q.i("record_index"));
        if (it != recs.end()) fill(q, it->second);
      }
      return rc == SQLITE_DONE || fail(table, q);
    };
    const bool raw = raw_;
    const bool ok2 =
        children("dialogs",
                 [](const query& q, read_record& rr) {
                   cr::dialog d;
                   d.local_tag = q.t("local_tag");
                   d.remote_tag = q.t("remote_tag");
                   d.method = q.t("method");
                   enum_from(q.t("state"), d.state, 3);
                   d.first_status = narrow<std::uint16_t>(q.i("first_status"));
                   d.created = q.time("created");
                   d.confirmed = q.time("confirmed");
                   d.terminated = q.time("terminated");
                   rr.rec.dialogs.push_back(std::move(d));
                 }) &&
        children("legs", [](const query& q, read_record& rr) { rr.rec.legs.push_back(q.t("other_call_id")); }) &&
        children("messages",
                 [raw](const query& q, read_record& rr) {
                   cr::message_entry m;
                   m.frame.file = narrow<std::uint32_t>(q.i("file_index"));
                   m.frame.number = static_cast<std::uint64_t>(q.i("frame"));
                   m.frame.offset = static_cast<std::uint64_t>(q.i("file_offset"));
                   m.time = q.time("time");
                   m.src = endpoint_from(q.t("src"));
                   m.dst = endpoint_from(q.t("dst"));
                   transport_from(q.t("transport"), m.proto);
                   m.request = q.b("request");
                   m.method = q.t("method");
                   m.status = narrow<std::uint16_t>(q.i("status"));
                   m.cseq = narrow<std::uint32_t>(q.i("cseq"));
                   m.summary = q.t("summary");
                   m.reason = q.t("reason");
                   m.retransmission = q.b("retransmission");
                   m.has_sdp = q.b("has_sdp");
                   m.sdp = q.t("sdp_summary");
                   m.user_agent = q.t("user_agent");
                   m.dialog = narrow<std::int32_t>(q.i("dialog", -1));
                   m.errors = narrow<std::uint16_t>(q.i("errors"));
                   m.warnings = narrow<std::uint16_t>(q.i("warnings"));
                   rr.rec.messages.push_back(std::move(m));
                   if (raw) {
                     rr.raw.resize(rr.rec.messages.size());
                     rr.raw.back() = q.t("raw");
                   }
                 }) &&
        children("streams",
                 [](const query& q, read_record& rr) {
                   cr::stream_info s;
                   s.src = endpoint_from(q.t("src"));
                   s.dst = endpoint_from(q.t("dst"));
                   s.ssrc = narrow<std::uint32_t>(q.i("ssrc"));
                   s.payload_type = narrow<std::uint8_t>(q.i("payload_type"));
                   s.codec = q.t("codec");
                   s.clock_rate = narrow<std::uint32_t>(q.i("clock_rate"));
                   enum_from(q.t("from_side"), s.from, 3);
                   s.negotiated = q.b("negotiated");
                   s.origin = q.t("origin");
                   s.first_frame.number = static_cast<std::uint64_t>(q.i("first_frame"));
                   s.packets = static_cast<std::uint64_t>(q.i("packets"));
                   s.expected = static_cast<std::uint64_t>(q.i("expected"));
                   s.lost = q.i("lost");
                   s.lost_unique = q.i("lost_unique");
                   s.duplicates = static_cast<std::uint64_t>(q.i("duplicates"));
                   s.out_of_order = static_cast<std::uint64_t>(q.i("out_of_order"));
                   s.sequence_errors = static_cast<std::uint64_t>(q.i("sequence_errors"));
                   s.max_delta_ms = q.d("max_delta_ms");
                   s.mean_delta_ms = q.d("mean_delta_ms");
                   s.max_jitter_ms = q.d("max_jitter_ms");
                   s.mean_jitter_ms = q.d("mean_jitter_ms");
                   s.mos = q.d("mos");
                   s.r_factor = q.d("r_factor");
                   s.start = q.time("start_time");
                   s.end = q.time("end_time");
                   s.rtcp_reports = narrow<std::uint32_t>(q.i("rtcp_reports"));
                   s.rtcp_fraction_lost = q.d("rtcp_fraction_lost", -1);
                   s.rtcp_jitter_ms = q.d("rtcp_jitter_ms", -1);
                   s.rtt_ms = q.d("rtt_ms", -1);
                   // The digits only: the export keeps no event times (time 0: unknown).
                   for (char c : q.t("dtmf")) s.dtmf.push_back({c, 0, 0});
                   rr.rec.streams.push_back(std::move(s));
                 }) &&
        children("findings", [](const query& q, read_record& rr) {
          rr.rec.findings.push_back({q.t("kind"), q.t("text")});
        });
    if (!ok2) return false;
    for (auto& [idx, rr] : recs) {
      if (!rr.raw.empty()) rr.raw.resize(rr.rec.messages.size());
      if (!sink(std::move(rr))) return true;
    }
  }
  return true;
}

}  // namespace sipscope::store
