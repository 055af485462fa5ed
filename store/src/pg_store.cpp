// PostgreSQL backend: libpq, one transaction per capture, rows by COPY (text format) in batches.
//
// Why two exports never import a capture twice: captures.hash and capture_files.hash are UNIQUE
// in the database. The capture row is inserted first, with ON CONFLICT DO NOTHING: when another
// session is importing the same content, PostgreSQL makes this insert wait for that transaction
// and then returns no row if it committed (we roll back: "imported before") or inserts ours if
// it rolled back. A file shared by two different units makes the second one's capture_files
// insert wait the same way, then fail with unique_violation (a conflict, rolled back).
#include <libpq-fe.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "backends.hpp"
#include "schema.hpp"

namespace sipscope::store::detail {

namespace {

constexpr std::size_t flush_bytes = 8u << 20;   // COPY every 8 MB of rows

class pg_store final : public store, private row_sink {
 public:
  explicit pg_store(std::string uri) : uri_(std::move(uri)) {}
  ~pg_store() override {
    if (conn_) {
      if (in_tx_) PQclear(PQexec(conn_, "ROLLBACK"));
      PQfinish(conn_);
    }
  }

  bool open() {
    conn_ = PQconnectdb(uri_.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      err_ = {error_kind::connection, describe() + ": cannot connect: " + trim(PQerrorMessage(conn_))};
      return false;
    }
    PQclear(PQexec(conn_, "SET client_min_messages = warning"));
    return migrate();
  }

  std::string describe() const override {
    // The URI without a password.
    std::string u = uri_;
    if (auto at = u.find('@'); at != std::string::npos)
      if (auto colon = u.find(':', u.find("//") + 2); colon != std::string::npos && colon < at)
        u.replace(colon, at - colon, ":***");
    return "PostgreSQL database '" + u + "'";
  }

  lookup_result lookup(const capture_meta& m) override {
    lookup_result r;
    std::string id, path, status;
    if (find_by_hash(m.key, id, path, status) && status == "complete") {
      r.status = begin_status::present;
      r.detail = "imported already as capture " + id + " ('" + path + "')";
      return r;
    }
    std::string other;
    for (const capture_file& f : m.files)
      if (find_by_file(f.hash, id, path, &other)) {
        if (other == m.key) {   // this very capture, committed by another export meanwhile
          r.status = begin_status::present;
          r.detail = "imported meanwhile as capture " + id;
          return r;
        }
        r.status = begin_status::conflict;
        r.detail = "'" + f.path + "' was imported already as part of capture " + id + " ('" + path + "')";
        return r;
      }
    return r;
  }

  begin_status begin_capture(const capture_meta& m, bool replace, std::string& detail) override {
    if (!exec("BEGIN")) return begin_status::failed;
    in_tx_ = true;
    std::string id, path, status;
    if (find_by_hash(m.key, id, path, status)) {
      if (status == "complete" && !replace) {
        detail = "imported already as capture " + id + " ('" + path + "')";
        abort_capture();
        return begin_status::present;
      }
      if (!delete_capture(id)) return failed_begin();
    }
    std::string other;
    for (const capture_file& f : m.files) {
      if (!find_by_file(f.hash, id, path, &other)) continue;
      if (!replace && other == m.key) {   // committed by another export since the check above
        detail = "imported meanwhile by another export";
        abort_capture();
        return begin_status::present;
      }
      if (!replace) {
        detail = "'" + f.path + "' was imported already as part of capture " + id + " ('" + path + "')";
        abort_capture();
        return begin_status::conflict;
      }
      if (!delete_capture(id)) return failed_begin();
    }
    const std::string size = std::to_string(m.size), files = std::to_string(m.files.size()), now = now_iso();
    PGresult* r = params("INSERT INTO captures (path, hash, size, files, status, import_started, tool_version) "
                         "VALUES ($1, $2, $3, $4, 'importing', $5, $6) ON CONFLICT (hash) DO NOTHING RETURNING id",
                         {clean(m.path), m.key, size, files, now, m.tool_version});
    if (!r) return failed_begin();
    if (PQntuples(r) == 0) {   // another export committed the same content meanwhile
      PQclear(r);
      detail = "imported meanwhile by another export";
      abort_capture();
      return begin_status::present;
    }
    capture_id_ = PQgetvalue(r, 0, 0);
    PQclear(r);
    for (std::size_t i = 0; i < m.files.size(); ++i) {
      PGresult* f = params("INSERT INTO capture_files (capture_id, file_index, path, hash, size) "
                           "VALUES ($1, $2, $3, $4, $5)",
                           {capture_id_, std::to_string(i), clean(m.files[i].path), m.files[i].hash,
                            std::to_string(m.files[i].size)});
      if (!f) {
        if (err_.kind == error_kind::conflict) {
          detail = "'" + m.files[i].path + "' was imported meanwhile by another export";
          abort_capture();
          return begin_status::conflict;
        }
        return failed_begin();
      }
      PQclear(f);
    }
    counts_ = {};
    records_ = 0;
    for (std::string& b : buf_) b.clear();
    buffered_ = 0;
    id_num_ = std::stoll(capture_id_);
    return begin_status::started;
  }

  bool add(const correlate::record& r, const verdict_fields& v) override {
    if (!in_tx_) {
      err_ = {error_kind::other, "add() outside a capture"};
      return false;
    }
    emit_rows(r, id_num_, v, *this, counts_);
    ++records_;
    if (buffered_ >= flush_bytes) return flush();
    return true;
  }

  bool add(const row_batch& b) override {
    if (!in_tx_) {
      err_ = {error_kind::other, "add() outside a capture"};
      return false;
    }
    if (!replay_rows(b.bytes(), id_num_, *this, counts_)) {
      err_ = {error_kind::other, "a row batch that is not one (internal error)"};
      return false;
    }
    records_ += b.records();
    if (buffered_ >= flush_bytes) return flush();
    return true;
  }

  bool commit_capture(const capture_summary& s) override {
    if (!in_tx_ || !flush()) {
      abort_capture();
      return false;
    }
    auto t = [](correlate::timestamp_ns v) {
      if (!v) return std::string();
      char b[40];
      std::snprintf(b, sizeof b, "%.6f", static_cast<double>(v / 1000) / 1e6);
      return std::string(b);
    };
    PGresult* r = params(
        "UPDATE captures SET status = 'complete', link_types = $1, first_time = NULLIF($2, '')::double precision, "
        "last_time = NULLIF($3, '')::double precision, packets = $4, bytes = $5, sip_messages = $6, "
        "rtp_packets = $7, records = $8, calls = $9, registrations = $10, events = $11, messages = $12, "
        "streams = $13, diagnostics = $14, import_finished = $15 WHERE id = $16",
        {s.link_types, t(s.first_time), t(s.last_time), std::to_string(s.packets), std::to_string(s.bytes),
         std::to_string(s.sip_messages), std::to_string(s.rtp_packets), std::to_string(records_),
         std::to_string(counts_.per_table[t_calls]), std::to_string(counts_.per_table[t_registrations]),
         std::to_string(counts_.per_table[t_events]), std::to_string(counts_.per_table[t_messages]),
         std::to_string(counts_.per_table[t_streams]), s.diagnostics, now_iso(), capture_id_});
    if (!r) {
      abort_capture();
      return false;
    }
    PQclear(r);
    if (!exec("COMMIT")) {
      abort_capture();
      return false;
    }
    in_tx_ = false;
    return true;
  }

  void abort_capture() override {
    if (in_tx_) PQclear(PQexec(conn_, "ROLLBACK"));
    in_tx_ = false;
    for (std::string& b : buf_) b.clear();
    buffered_ = 0;
  }

  bool record_failure(const capture_meta& m, std::string_view why) override {
    if (!exec("BEGIN")) return false;
    in_tx_ = true;
    std::string id, path, status;
    if (find_by_hash(m.key, id, path, status)) {
      if (status == "complete") {
        abort_capture();
        return true;
      }
      if (!delete_capture(id)) {
        abort_capture();
        return false;
      }
    }
    PGresult* r = params("INSERT INTO captures (path, hash, size, files, status, import_started, tool_version, "
                         "diagnostics) VALUES ($1, $2, $3, $4, 'failed', $5, $6, $7) ON CONFLICT (hash) DO NOTHING",
                         {clean(m.path), m.key, std::to_string(m.size), std::to_string(m.files.size()), now_iso(),
                          m.tool_version, clean(why)});
    if (!r || !exec("COMMIT")) {
      if (r) PQclear(r);
      abort_capture();
      return false;
    }
    PQclear(r);
    in_tx_ = false;
    return true;
  }

 private:
  // ---- row_sink: COPY text format ----
  void begin_row(table_id t) override {
    cur_ = &buf_[t];
    first_ = true;
  }
  void sep() {
    if (!first_) cur_->push_back('\t');
    first_ = false;
  }
  void null() override {
    sep();
    *cur_ += "\\N";
  }
  void integer(std::int64_t v) override {
    sep();
    *cur_ += std::to_string(v);
  }
  void real(double v) override {
    sep();
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    *cur_ += b;
  }
  void text(std::string_view v) override {
    sep();
    for (char c : v) {
      switch (c) {
        case '\\': *cur_ += "\\\\"; break;
        case '\t': *cur_ += "\\t"; break;
        case '\n': *cur_ += "\\n"; break;
        case '\r': *cur_ += "\\r"; break;
        default: cur_->push_back(c);
      }
    }
  }
  void end_row() override {
    cur_->push_back('\n');
    buffered_ += 1;   // rows; sizes are summed at flush time below
    if ((buffered_ & 1023) == 0) {
      std::size_t total = 0;
      for (const std::string& b : buf_) total += b.size();
      if (total >= flush_bytes) buffered_ = flush_bytes;
    }
  }

  bool flush() {
    auto tables = record_tables();
    for (std::size_t t = 0; t < tables.size(); ++t) {
      std::string& b = buf_[t];
      if (b.empty()) continue;
      const std::string sql = "COPY " + std::string(tables[t].name) + " FROM STDIN";
      PGresult* r = PQexec(conn_, sql.c_str());
      if (PQresultStatus(r) != PGRES_COPY_IN) return fail(r, "COPY");
      PQclear(r);
      if (PQputCopyData(conn_, b.data(), static_cast<int>(b.size())) != 1 || PQputCopyEnd(conn_, nullptr) != 1)
        return fail(nullptr, "COPY");
      r = PQgetResult(conn_);
      const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      if (!ok) return fail(r, "COPY " + std::string(tables[t].name));
      PQclear(r);
      while ((r = PQgetResult(conn_))) PQclear(r);
      b.clear();
    }
    buffered_ = 0;
    return true;
  }

  // ---- helpers ----
  static std::string trim(const char* s) {
    std::string t = s ? s : "";
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
    return t;
  }
  static std::string clean(std::string_view v) {
    std::string out;
    clean_text(v, out);
    return out;
  }

  // Takes ownership of r (may be null).
  bool fail(PGresult* r, const std::string& what) {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string msg = describe() + ": " + what + ": " + trim(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
    const std::string code = state ? state : "";
    error_kind k = error_kind::other;
    if (code == "25006" || code == "42501") {
      k = error_kind::read_only;
      msg += "; the database or this user may not write (grant INSERT/UPDATE/DELETE, or use another database)";
    } else if (code == "53100") {
      k = error_kind::disk_full;
      msg += "; the server's disk is full: the capture being written was rolled back, those committed before are "
             "intact";
    } else if (code.starts_with("08") || PQstatus(conn_) != CONNECTION_OK) {
      k = error_kind::connection;
    } else if (code == "23505") {
      k = error_kind::conflict;
    }
    if (r) PQclear(r);
    err_ = {k, msg};
    return false;
  }

  bool exec(const char* sql) {
    PGresult* r = PQexec(conn_, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) return fail(r, sql);
    PQclear(r);
    return true;
  }

  PGresult* params(const char* sql, const std::vector<std::string>& v) {
    std::vector<const char*> p;
    for (const std::string& s : v) p.push_back(s.c_str());
    PGresult* r = PQexecParams(conn_, sql, static_cast<int>(p.size()), nullptr, p.data(), nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
      fail(r, std::string(sql).substr(0, 40));
      return nullptr;
    }
    return r;
  }

  begin_status failed_begin() {
    const error keep = err_;
    abort_capture();
    err_ = keep;
    return begin_status::failed;
  }

  bool find_by_hash(const std::string& key, std::string& id, std::string& path, std::string& status) {
    PGresult* r = params("SELECT id, path, status FROM captures WHERE hash = $1", {key});
    if (!r) return false;
    const bool found = PQntuples(r) > 0;
    if (found) {
      id = PQgetvalue(r, 0, 0);
      path = PQgetvalue(r, 0, 1);
      status = PQgetvalue(r, 0, 2);
    }
    PQclear(r);
    return found;
  }
  bool find_by_file(const std::string& hash, std::string& id, std::string& path, std::string* key = nullptr) {
    PGresult* r = params("SELECT f.capture_id, c.path, c.hash FROM capture_files f JOIN captures c ON c.id = f.capture_id "
                         "WHERE f.hash = $1",
                         {hash});
    if (!r) return false;
    const bool found = PQntuples(r) > 0;
    if (found) {
      id = PQgetvalue(r, 0, 0);
      path = PQgetvalue(r, 0, 1);
      if (key) *key = PQgetvalue(r, 0, 2);
    }
    PQclear(r);
    return found;
  }

  bool delete_capture(const std::string& id) {
    for (const table& t : record_tables())
      if (!exec(("DELETE FROM " + std::string(t.name) + " WHERE capture_id = " + id).c_str())) return false;
    return exec(("DELETE FROM capture_files WHERE capture_id = " + id).c_str()) &&
           exec(("DELETE FROM captures WHERE id = " + id).c_str());
  }

  bool migrate() {
    // One migrating session at a time (two exports starting together on a new database).
    if (!exec("BEGIN") || !exec("SELECT pg_advisory_xact_lock(7307001)")) return false;
    in_tx_ = true;
    if (!exec("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, description text NOT "
              "NULL, applied_at text NOT NULL)")) {
      abort_capture();
      return false;
    }
    PGresult* r = PQexec(conn_, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      fail(r, "reading the schema version");
      abort_capture();
      return false;
    }
    const int v = std::atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (v > schema_version) {
      err_ = {error_kind::schema, describe() + ": its schema is version " + std::to_string(v) +
                                      ", newer than this sipscope's (" + std::to_string(schema_version) +
                                      "): use a newer sipscope"};
      abort_capture();
      return false;
    }
    for (const migration& m : migrations()) {
      if (m.version <= v) continue;
      const std::string sql = m.sql(dialect::postgres);
      PGresult* a = params("INSERT INTO schema_migrations VALUES ($1, $2, $3)",
                           {std::to_string(m.version), std::string(m.description), now_iso()});
      if (!a || !exec(sql.c_str())) {
        if (a) PQclear(a);
        abort_capture();
        return false;
      }
      PQclear(a);
    }
    if (!exec("COMMIT")) return false;
    in_tx_ = false;
    return true;
  }

  std::string uri_;
  PGconn* conn_ = nullptr;
  bool in_tx_ = false;
  std::string capture_id_;
  std::int64_t id_num_ = 0;
  row_counts counts_;
  std::uint64_t records_ = 0;
  std::string buf_[t_count];
  std::string* cur_ = nullptr;
  bool first_ = true;
  std::size_t buffered_ = 0;
};

}  // namespace

std::unique_ptr<store> open_postgres(const std::string& uri, error& e) {
  auto s = std::make_unique<pg_store>(uri);
  if (!s->open()) {
    e = s->last_error();
    return nullptr;
  }
  return s;
}

}  // namespace sipscope::store::detail
