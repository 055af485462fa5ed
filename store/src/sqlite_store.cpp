// SQLite backend: WAL, one IMMEDIATE transaction per capture, prepared INSERTs.
//
// Why a killed export never leaves a partial capture: every row of a capture, its `captures`
// row and its `capture_files` rows are written in the one transaction that commit_capture()
// ends; SQLite's WAL rolls an uncommitted transaction back when the database is next opened.
// synchronous=NORMAL: in WAL mode a crash of the process loses nothing committed; a power cut
// may lose the last commits, never consistency.
#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>
#include <string>

#include "backends.hpp"
#include "schema.hpp"

namespace sipscope::store::detail {

namespace {

class sqlite_store final : public store, private row_sink {
 public:
  explicit sqlite_store(std::string path) : path_(std::move(path)) {
    for (pending& q : pending_) {
      q.arena.reserve(std::size_t{256} << 10);
      q.vals.reserve(std::size_t{batch_rows} * 48);
    }
  }
  ~sqlite_store() override {
    if (in_tx_) exec("ROLLBACK");
    for (auto& per_table : inserts_)
      for (sqlite3_stmt* s : per_table) sqlite3_finalize(s);
    for (sqlite3_stmt* s : {find_hash_, find_file_, insert_capture_, insert_file_, finish_capture_})
      sqlite3_finalize(s);
    sqlite3_close(db_);
  }

  bool open() {
    // Memory statistics off: with them on, every sqlite3_malloc takes a global mutex, and an
    // export binds tens of thousands of texts per capture. Effective only before SQLite
    // initialises, hence first thing, once per process (later calls return SQLITE_MISUSE).
    static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)memstatus_off;
    // NOMUTEX: a store is used by one thread at a time (store.hpp), so SQLite's own
    // per-call connection mutex is pure cost.
    int rc = sqlite3_open_v2(path_.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) return fail(rc, "cannot open");
    if (sqlite3_db_readonly(db_, "main") == 1) {
      err_ = {error_kind::read_only, describe() + ": the database file is read-only (check its permissions)"};
      return false;
    }
    sqlite3_busy_timeout(db_, 600'000);   // another export's capture transaction
    sqlite3_extended_result_codes(db_, 1);
    // 8 KiB pages for a new database (an existing one keeps its own): the writer thread,
    // the export's serial part, took 7% less CPU than with 4 KiB (fewer page splits and WAL
    // frames, 20 x 52 MB benchmark; the file is 0.6% larger; 16 KiB gained no more).
    if (!exec("PRAGMA page_size=8192")) return false;
    if (!exec("PRAGMA journal_mode=WAL") || !exec("PRAGMA synchronous=NORMAL")) return false;
    return migrate() && prepare();
  }

  std::string describe() const override { return "SQLite database '" + path_ + "'"; }

  lookup_result lookup(const capture_meta& m) override {
    lookup_result r;
    std::int64_t id;
    std::string path, status;
    if (find_by_hash(m.key, id, path, status) && status == "complete") {
      r.status = begin_status::present;
      r.detail = "imported already as capture " + std::to_string(id) + " ('" + path + "')";
      return r;
    }
    std::string other;
    for (const capture_file& f : m.files)
      if (find_by_file(f.hash, id, path, &other)) {
        if (other == m.key) {   // this very capture, committed by another export meanwhile
          r.status = begin_status::present;
          r.detail = "imported meanwhile as capture " + std::to_string(id);
          return r;
        }
        r.status = begin_status::conflict;
        r.detail = "'" + f.path + "' was imported already as part of capture " + std::to_string(id) + " ('" + path + "')";
        return r;
      }
    return r;
  }

  begin_status begin_capture(const capture_meta& m, bool replace, std::string& detail) override {
    if (!exec("BEGIN IMMEDIATE")) return begin_status::failed;
    in_tx_ = true;
    std::int64_t id;
    std::string path, status;
    if (find_by_hash(m.key, id, path, status)) {
      if (status == "complete" && !replace) {
        detail = "imported already as capture " + std::to_string(id) + " ('" + path + "')";
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
        detail = "'" + f.path + "' was imported already as part of capture " + std::to_string(id) + " ('" + path + "')";
        abort_capture();
        return begin_status::conflict;
      }
      if (!delete_capture(id)) return failed_begin();
    }
    sqlite3_stmt* s = insert_capture_;
    bind_text(s, 1, m.path);
    bind_text(s, 2, m.key);
    sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(m.size));
    sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(m.files.size()));
    bind_text(s, 5, "importing");
    bind_text(s, 6, now_iso());
    bind_text(s, 7, m.tool_version);
    bind_text(s, 8, std::string());
    if (!step_done(s, "recording the capture")) return failed_begin();
    capture_id_ = sqlite3_last_insert_rowid(db_);
    for (std::size_t i = 0; i < m.files.size(); ++i) {
      sqlite3_stmt* f = insert_file_;
      sqlite3_bind_int64(f, 1, capture_id_);
      sqlite3_bind_int64(f, 2, static_cast<sqlite3_int64>(i));
      bind_text(f, 3, m.files[i].path);
      bind_text(f, 4, m.files[i].hash);
      sqlite3_bind_int64(f, 5, static_cast<sqlite3_int64>(m.files[i].size));
      if (!step_done(f, "recording the capture's files")) return failed_begin();
    }
    counts_ = {};
    drop_pending();
    records_ = 0;
    return begin_status::started;
  }

  bool add(const correlate::record& r, const verdict_fields& v) override {
    if (!in_tx_) {
      err_ = {error_kind::other, "add() outside a capture"};
      return false;
    }
    emit_rows(r, capture_id_, v, *this, counts_);
    ++records_;
    return !row_failed_;
  }

  bool add(const row_batch& b) override {
    if (!in_tx_) {
      err_ = {error_kind::other, "add() outside a capture"};
      return false;
    }
    if (!replay_rows(b.bytes(), capture_id_, *this, counts_)) {
      err_ = {error_kind::other, "a row batch that is not one (internal error)"};
      return false;
    }
    records_ += b.records();
    return !row_failed_;
  }

  bool commit_capture(const capture_summary& s) override {
    if (!in_tx_ || row_failed_ || !flush_all()) {
      abort_capture();
      return false;
    }
    sqlite3_stmt* u = finish_capture_;
    int i = 0;
    bind_text(u, ++i, "complete");
    bind_text(u, ++i, s.link_types);
    bind_time(u, ++i, s.first_time);
    bind_time(u, ++i, s.last_time);
    for (std::uint64_t v : {s.packets, s.bytes, s.sip_messages, s.rtp_packets, records_,
                            counts_.per_table[t_calls], counts_.per_table[t_registrations],
                            counts_.per_table[t_events], counts_.per_table[t_messages], counts_.per_table[t_streams]})
      sqlite3_bind_int64(u, ++i, static_cast<sqlite3_int64>(v));
    bind_text(u, ++i, s.diagnostics);
    bind_text(u, ++i, now_iso());
    sqlite3_bind_int64(u, ++i, capture_id_);
    if (!step_done(u, "completing the capture")) {
      abort_capture();
      return false;
    }
    if (!exec("COMMIT")) {
      abort_capture();
      return false;
    }
    in_tx_ = false;
    return true;
  }

  void abort_capture() override {
    if (in_tx_) {
      const error keep = err_;   // the rollback must not hide why
      exec("ROLLBACK");
      err_ = keep;
    }
    in_tx_ = false;
    row_failed_ = false;
    drop_pending();
  }

  bool record_failure(const capture_meta& m, std::string_view why) override {
    if (!exec("BEGIN IMMEDIATE")) return false;
    in_tx_ = true;
    std::int64_t id;
    std::string path, status;
    if (find_by_hash(m.key, id, path, status)) {
      if (status == "complete") {   // imported meanwhile (another run): keep that
        abort_capture();
        return true;
      }
      if (!delete_capture(id)) {
        abort_capture();
        return false;
      }
    }
    sqlite3_stmt* s = insert_capture_;
    bind_text(s, 1, m.path);
    bind_text(s, 2, m.key);
    sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(m.size));
    sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(m.files.size()));
    bind_text(s, 5, "failed");
    bind_text(s, 6, now_iso());
    bind_text(s, 7, m.tool_version);
    bind_text(s, 8, why);
    if (!step_done(s, "recording the failed capture") || !exec("COMMIT")) {
      abort_capture();
      return false;
    }
    in_tx_ = false;
    return true;
  }

 private:
  // ---- row_sink: rows batched per table, several rows per INSERT ----
  // A row's values are kept (texts copied into the table's arena) until `batch_rows` rows of
  // its table are pending; they then go in one `INSERT ... VALUES (...), (...), ...`. Per row,
  // that saves SQLite's per-statement work (cursors opened and closed on the table and each
  // index, the statement's halt and reset), about a fifth of the writer's instructions, and
  // binding texts SQLITE_STATIC from the arena saves SQLite's copy of each one (it would
  // allocate, copy and free every text: a sixth). The rows still pending when the capture
  // ends go in by commit_capture(), before its `captures` row says "complete"; an aborted
  // capture drops them. emit_rows passes temporaries (endpoints formatted on the fly), so
  // the caller's bytes cannot be bound in place.
  //
  // INSERT OR FAIL, not the default ABORT: a statement that may abort half-way needs a
  // statement journal, to which SQLite copies every page the statement is about to change
  // (spilled to a temporary file past 64 KiB: 17 000 pwrite calls for 20 captures of the
  // benchmark, 2.7 times the WAL's own). FAIL keeps the rows the statement inserted before a
  // failing one; here any failure ends the capture's whole transaction with a ROLLBACK
  // (row_failed_), so nothing of that statement survives either way.
  static constexpr int batch_rows = 32;

  struct value {
    enum kind : std::uint8_t { null_v, int_v, real_v, text_v } k;
    std::int64_t i;
    double d;
    const char* p;
    int n;
  };
  struct pending {
    std::vector<value> vals;     // rows x columns, in order
    std::string arena;           // texts of the pending rows; never grows past its capacity
    std::deque<std::string> spill;   // texts that did not fit (stable addresses)
    int rows = 0;
    void clear() {
      vals.clear();
      arena.clear();
      spill.clear();
      rows = 0;
    }
  };

  void begin_row(table_id t) override { cur_ = &pending_[t]; cur_t_ = t; }
  void null() override { cur_->vals.push_back({value::null_v, 0, 0, nullptr, 0}); }
  void integer(std::int64_t v) override { cur_->vals.push_back({value::int_v, v, 0, nullptr, 0}); }
  void real(double v) override { cur_->vals.push_back({value::real_v, 0, v, nullptr, 0}); }
  void text(std::string_view v) override {
    std::string& a = cur_->arena;
    const char* p;
    if (a.size() + v.size() <= a.capacity()) {   // appending moves nothing
      p = a.data() + a.size();
      a.append(v);
    } else {
      p = cur_->spill.emplace_back(v).data();
    }
    cur_->vals.push_back({value::text_v, 0, 0, p, static_cast<int>(v.size())});
  }
  void end_row() override {
    if (++cur_->rows == batch_rows && !row_failed_ && !flush(cur_t_)) row_failed_ = true;
  }

  // The pending rows of table t: full batches in one statement each, a partial one (at the
  // end of a capture) in statements of 16, 8, 4, 2 and 1 rows, so that a table needs at most
  // six prepared INSERTs (a statement of 32 rows of `calls` takes ~0.5 M instructions to
  // prepare: once per run, not once per capture).
  bool flush(int t) {
    pending& q = pending_[t];
    const std::size_t cols = record_tables()[static_cast<std::size_t>(t)].columns.size();
    std::size_t at = 0;   // index in q.vals of the next row's first value
    bool ok = true;
    for (int left = q.rows; left > 0 && ok;) {
      int n = batch_rows;
      while (n > left) n /= 2;
      int slot = 0;   // inserts_[t][slot]: batch_rows >> slot rows per statement
      while ((batch_rows >> slot) != n) ++slot;
      sqlite3_stmt*& s = inserts_[t][slot];
      if (!s) {
        std::string sql = "INSERT OR FAIL INTO ";
        sql += record_tables()[static_cast<std::size_t>(t)].name;
        sql += " VALUES ";
        for (int r = 0; r < n; ++r) {
          sql += r ? ",(" : "(";
          for (std::size_t i = 0; i < cols; ++i) sql += i ? ",?" : "?";
          sql += ')';
        }
        if (!prep(sql, s)) {
          ok = false;
          break;
        }
      }
      const std::size_t end = at + static_cast<std::size_t>(n) * cols;
      for (int j = 1; at < end; ++at, ++j) {
        const value& v = q.vals[at];
        switch (v.k) {
          case value::null_v: sqlite3_bind_null(s, j); break;
          case value::int_v: sqlite3_bind_int64(s, j, v.i); break;
          case value::real_v: sqlite3_bind_double(s, j, v.d); break;
          case value::text_v: sqlite3_bind_text(s, j, v.p, v.n, SQLITE_STATIC); break;
        }
      }
      ok = step_done(s, "writing a record");
      left -= n;
    }
    q.clear();   // the statements' bindings point into q until their next use rebinds them all
    return ok;
  }
  bool flush_all() {
    for (int t = 0; t < t_count; ++t)
      if (!flush(t)) return false;
    return true;
  }
  void drop_pending() {
    for (pending& q : pending_) q.clear();
  }

  // ---- helpers ----
  bool fail(int rc, std::string_view what) {
    const int sys = db_ ? sqlite3_system_errno(db_) : 0;
    const int primary = rc & 0xFF;
    std::string msg = describe();
    msg += ": ";
    msg += what;
    msg += ": ";
    msg += db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    if (sys && primary != SQLITE_CONSTRAINT) {
      msg += " (";
      msg += std::strerror(sys);
      msg += ')';
    }
    error_kind k = error_kind::other;
    if (primary == SQLITE_READONLY || sys == EROFS || sys == EACCES || sys == EPERM) {
      k = error_kind::read_only;
      msg += "; check the permissions of the file and of its directory (SQLite writes '" + path_ + "-wal' beside it)";
    } else if (primary == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT) {
      k = error_kind::disk_full;
      msg += "; the disk is full: the capture being written was rolled back, those committed before are intact";
    } else if (primary == SQLITE_CANTOPEN) {
      k = error_kind::connection;
    } else if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
      k = error_kind::schema;
    }
    err_ = {k, msg};
    return false;
  }

  bool exec(const char* sql) {
    char* e = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &e);
    sqlite3_free(e);
    if (rc != SQLITE_OK) return fail(rc, sql);
    return true;
  }

  bool step_done(sqlite3_stmt* s, std::string_view what) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return fail(rc, what);
    return true;
  }

  begin_status failed_begin() {
    abort_capture();
    return begin_status::failed;
  }

  void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
    if (is_clean(v)) {
      sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    } else {
      std::string c;
      clean_text(v, c);
      sqlite3_bind_text(s, i, c.data(), static_cast<int>(c.size()), SQLITE_TRANSIENT);
    }
  }
  void bind_time(sqlite3_stmt* s, int i, correlate::timestamp_ns t) {
    if (t) sqlite3_bind_double(s, i, static_cast<double>(t / 1000) / 1e6);
    else sqlite3_bind_null(s, i);
  }

  bool prep(const std::string& sql, sqlite3_stmt*& s) {
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return fail(rc, "preparing " + sql.substr(0, 40));
    return true;
  }

  bool prepare() {
    return prep("SELECT id, path, status FROM captures WHERE hash = ?", find_hash_) &&
           prep("SELECT f.capture_id, c.path, c.hash FROM capture_files f JOIN captures c ON c.id = f.capture_id "
                "WHERE f.hash = ?",
                find_file_) &&
           prep("INSERT INTO captures (path, hash, size, files, status, import_started, tool_version, diagnostics) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                insert_capture_) &&
           prep("INSERT INTO capture_files (capture_id, file_index, path, hash, size) VALUES (?, ?, ?, ?, ?)",
                insert_file_) &&
           prep("UPDATE captures SET status = ?, link_types = ?, first_time = ?, last_time = ?, packets = ?, "
                "bytes = ?, sip_messages = ?, rtp_packets = ?, records = ?, calls = ?, registrations = ?, "
                "events = ?, messages = ?, streams = ?, diagnostics = ?, import_finished = ? WHERE id = ?",
                finish_capture_);
  }

  bool find_by_hash(const std::string& key, std::int64_t& id, std::string& path, std::string& status) {
    sqlite3_bind_text(find_hash_, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    const bool found = sqlite3_step(find_hash_) == SQLITE_ROW;
    if (found) {
      id = sqlite3_column_int64(find_hash_, 0);
      path = reinterpret_cast<const char*>(sqlite3_column_text(find_hash_, 1));
      status = reinterpret_cast<const char*>(sqlite3_column_text(find_hash_, 2));
    }
    sqlite3_reset(find_hash_);
    return found;
  }
  bool find_by_file(const std::string& hash, std::int64_t& id, std::string& path, std::string* key = nullptr) {
    sqlite3_bind_text(find_file_, 1, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
    const bool found = sqlite3_step(find_file_) == SQLITE_ROW;
    if (found) {
      id = sqlite3_column_int64(find_file_, 0);
      path = reinterpret_cast<const char*>(sqlite3_column_text(find_file_, 1));
      if (key) *key = reinterpret_cast<const char*>(sqlite3_column_text(find_file_, 2));
    }
    sqlite3_reset(find_file_);
    return found;
  }

  bool delete_capture(std::int64_t id) {
    std::string ids = std::to_string(id);
    for (const table& t : record_tables())
      if (!exec(("DELETE FROM " + std::string(t.name) + " WHERE capture_id = " + ids).c_str())) return false;
    return exec(("DELETE FROM capture_files WHERE capture_id = " + ids).c_str()) &&
           exec(("DELETE FROM captures WHERE id = " + ids).c_str());
  }

  int user_version() {
    sqlite3_stmt* s = nullptr;
    int v = -1;
    if (sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
      v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
  }

  bool migrate() {
    if (!exec("BEGIN IMMEDIATE")) return false;
    in_tx_ = true;
    const int v = user_version();
    if (v > schema_version) {
      err_ = {error_kind::schema, describe() + ": its schema is version " + std::to_string(v) +
                                      ", newer than this sipscope's (" + std::to_string(schema_version) +
                                      "): use a newer sipscope"};
      abort_capture();
      return false;
    }
    if (v == 0) {
      // A database that is not ours (tables but no user_version) is left alone.
      sqlite3_stmt* s = nullptr;
      int tables = 0;
      if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM sqlite_master WHERE name != 'schema_migrations'", -1, &s,
                             nullptr) == SQLITE_OK &&
          sqlite3_step(s) == SQLITE_ROW)
        tables = sqlite3_column_int(s, 0);
      sqlite3_finalize(s);
      if (tables > 0) {
        err_ = {error_kind::schema, describe() + ": holds tables but is not a sipscope database (user_version 0): "
                                                 "give a new file"};
        abort_capture();
        return false;
      }
      if (!exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT "
                "NULL, applied_at TEXT NOT NULL)")) {
        abort_capture();
        return false;
      }
    }
    for (const migration& m : migrations()) {
      if (m.version <= v) continue;
      const std::string sql = m.sql(dialect::sqlite);
      const std::string record = "INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", '" +
                                 std::string(m.description) + "', '" + now_iso() + "')";
      const std::string bump = "PRAGMA user_version = " + std::to_string(m.version);
      if (!exec(sql.c_str()) || !exec(record.c_str()) || !exec(bump.c_str())) {
        abort_capture();
        return false;
      }
    }
    if (!exec("COMMIT")) {
      abort_capture();
      return false;
    }
    in_tx_ = false;
    return true;
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  static constexpr int batch_sizes = 6;   // statements of 32, 16, 8, 4, 2 and 1 rows
  sqlite3_stmt* inserts_[t_count][batch_sizes] = {};   // prepared when first needed
  sqlite3_stmt* find_hash_ = nullptr;
  sqlite3_stmt* find_file_ = nullptr;
  sqlite3_stmt* insert_capture_ = nullptr;
  sqlite3_stmt* insert_file_ = nullptr;
  sqlite3_stmt* finish_capture_ = nullptr;
  pending pending_[t_count];
  pending* cur_ = nullptr;
  int cur_t_ = 0;
  bool in_tx_ = false;
  bool row_failed_ = false;
  std::int64_t capture_id_ = 0;
  row_counts counts_;
  std::uint64_t records_ = 0;
};

}  // namespace

std::unique_ptr<store> open_sqlite(const std::string& path, error& e) {
  auto s = std::make_unique<sqlite_store>(path);
  if (!s->open()) {
    e = s->last_error();
    return nullptr;
  }
  return s;
}

}  // namespace sipscope::store::detail
