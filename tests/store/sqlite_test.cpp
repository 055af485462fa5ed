// The SQLite backend through the store interface: schema and migrations, a record's rows read
// back (round trip), re-import and --replace, rollback, text that is not UTF-8.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "sipscope/store/hash.hpp"
#include "sipscope/store/store.hpp"

namespace st = sipscope::store;
namespace cr = sipscope::correlate;

namespace {

struct temp_db {
  std::string path;
  temp_db() {
    path = (std::filesystem::temp_directory_path() / ("store_test_" + std::to_string(::getpid()) + "_" +
                                                       std::to_string(counter++) + ".sqlite")).string();
    cleanup();
  }
  ~temp_db() { cleanup(); }
  void cleanup() const {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  static inline int counter = 0;
};

// One text value from a query.
std::string q(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_stmt* s = nullptr;
  std::string out = "<error>";
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK) {
    out = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)
              ? reinterpret_cast<const char*>(sqlite3_column_text(s, 0))
              : "";
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

cr::record sample_call() {
  cr::record r;
  r.index = 7;
  r.kind = cr::record_kind::call;
  r.call_id = "abc@host";
  r.caller.uri = "sip:alice@a.example";
  r.caller.user = "alice";
  r.callee.uri = "sip:bob@b.example";
  r.callee.user = "bob";
  r.callee.display = std::string("B\xff" "b", 3);   // not UTF-8
  r.state = cr::call_state::completed;
  r.final_status = 200;
  r.final_reason = "OK";
  r.times.invite = 1'700'000'000'123'456'000;
  r.times.answer = 1'700'000'002'000'000'000;
  r.times.bye = 1'700'000'010'000'000'000;
  r.first_time = *r.times.invite;
  r.last_time = *r.times.bye;
  r.sip_messages = 2;
  cr::message_entry m;
  m.time = r.first_time;
  m.request = true;
  m.method = "INVITE";
  m.summary = "INVITE sip:bob@b.example SIP/2.0";
  r.messages.push_back(m);
  m.request = false;
  m.status = 200;
  m.reason = "OK";
  r.messages.push_back(m);
  cr::stream_info s;
  s.packets = 100;
  s.expected = 100;
  s.mos = 4.2;
  s.codec = "PCMU";
  r.streams.push_back(s);
  r.findings.push_back({"no_rtp", "text"});
  r.dialogs.push_back({});
  r.legs.push_back("other@host");
  return r;
}

st::capture_meta meta(const std::string& name, const std::string& hash) {
  st::capture_meta m;
  m.path = name;
  m.files.push_back({name, 100, hash});
  m.key = st::unit_key(m.files);
  m.size = 100;
  m.tool_version = "test";
  return m;
}

}  // namespace

TEST(store_sqlite, schema_version_and_migrations) {
  temp_db d;
  st::error e;
  auto s = st::open(d.path, e);
  ASSERT_TRUE(s) << e.text;
  EXPECT_EQ(q(d.path, "PRAGMA user_version"), std::to_string(st::schema_version));
  EXPECT_EQ(q(d.path, "SELECT count(*) FROM schema_migrations WHERE version = 1"), "1");
  EXPECT_EQ(q(d.path, "SELECT count(*) FROM schema_migrations WHERE version = 2"), "1");
  EXPECT_EQ(q(d.path, "PRAGMA journal_mode"), "wal");
  s.reset();
  s = st::open(d.path, e);   // opening again migrates nothing
  ASSERT_TRUE(s) << e.text;
  EXPECT_EQ(q(d.path, "SELECT count(*) FROM schema_migrations"), "2");
  s.reset();
  q(d.path, "PRAGMA user_version = 9");
  s = st::open(d.path, e);
  EXPECT_FALSE(s);
  EXPECT_EQ(e.kind, st::error_kind::schema);
  EXPECT_NE(e.text.find("newer"), std::string::npos) << e.text;
}

TEST(store_sqlite, refuses_a_database_that_is_not_sipscope) {
  temp_db d;
  q(d.path, "CREATE TABLE mine (x)");
  st::error e;
  EXPECT_FALSE(st::open(d.path, e));
  EXPECT_EQ(e.kind, st::error_kind::schema);
}

TEST(store_sqlite, round_trip_of_a_record) {
  temp_db d;
  st::error e;
  auto s = st::open(d.path, e);
  ASSERT_TRUE(s) << e.text;
  std::string detail;
  ASSERT_EQ(s->begin_capture(meta("a.pcap", "h1"), false, detail), st::begin_status::started);
  ASSERT_TRUE(s->add(sample_call()));
  st::capture_summary sum;
  sum.packets = 5;
  sum.link_types = "1";
  ASSERT_TRUE(s->commit_capture(sum)) << s->last_error().text;
  EXPECT_EQ(q(d.path, "SELECT status || records || calls || messages || streams || packets FROM captures"),
            "complete11215");
  EXPECT_EQ(q(d.path, "SELECT call_id || '|' || state || '|' || final_status || '|' || caller_user FROM calls "
                      "WHERE record_index = 7"),
            "abc@host|completed|200|alice");
  EXPECT_EQ(q(d.path, "SELECT printf('%.6f', t_invite) FROM calls"), "1700000000.123456");
  EXPECT_EQ(q(d.path, "SELECT talk_ms FROM calls"), "8000");
  EXPECT_EQ(q(d.path, "SELECT setup_ms IS NOT NULL AND t_cancel IS NULL FROM calls"), "1");
  EXPECT_EQ(q(d.path, "SELECT callee_display FROM calls"), "B\xc3\xbf" "b");   // byte 0xFF as U+00FF
  EXPECT_EQ(q(d.path, "SELECT group_concat(method || status || request, ',') FROM messages"), "INVITE01,INVITE2000");
  EXPECT_EQ(q(d.path, "SELECT mos || codec FROM streams"), "4.2PCMU");
  EXPECT_EQ(q(d.path, "SELECT kind FROM findings"), "no_rtp");
  EXPECT_EQ(q(d.path, "SELECT other_call_id FROM legs"), "other@host");
  EXPECT_EQ(q(d.path, "SELECT count(*) FROM dialogs"), "1");
  EXPECT_EQ(q(d.path, "SELECT count(*) FROM capture_files"), "1");
}

TEST(store_sqlite, reimport_present_conflict_and_replace) {
  temp_db d;
  st::error e;
  auto s = st::open(d.path, e);
  ASSERT_TRUE(s) << e.text;
  std::string detail;
  ASSERT_EQ(s->begin_capture(meta("a.pcap", "h1"), false, detail), st::begin_status::started);
  ASSERT_TRUE(s->add(sample_call()));
  ASSERT_TRUE(s->commit_capture({}));
  EXPECT_EQ(s->lookup(meta("copy.pcap", "h1")).status, st::begin_status::present);
  EXPECT_EQ(s->begin_capture(meta("copy.pcap", "h1"), false, detail), st::begin_status::present);
  EXPECT_NE(detail.find("a.pcap"), std::string::npos) << detail;
  // A unit that holds the imported file among others overlaps it.
  st::capture_meta dir = meta("dir", "h1");
  dir.files.push_back({"dir/b.pcap", 50, "h2"});
  dir.key = st::unit_key(dir.files);
  EXPECT_EQ(s->lookup(dir).status, st::begin_status::conflict);
  EXPECT_EQ(s->begin_capture(dir, false, detail), st::begin_status::conflict);
  ASSERT_EQ(s->begin_capture(dir, true, detail), st::begin_status::started);
  ASSERT_TRUE(s->add(sample_call()));
  ASSERT_TRUE(s->commit_capture({}));
  EXPECT_EQ(q(d.path, "SELECT count(*) || path FROM captures"), "1dir");
  EXPECT_EQ(q(d.path, "SELECT count(*) FROM calls"), "1");
  EXPECT_EQ(q(d.path, "SELECT count(*) FROM messages"), "2");
}

TEST(store_sqlite, abort_leaves_nothing_and_failure_is_recorded) {
  temp_db d;
  st::error e;
  auto s = st::open(d.path, e);
  ASSERT_TRUE(s) << e.text;
  std::string detail;
  ASSERT_EQ(s->begin_capture(meta("a.pcap", "h1"), false, detail), st::begin_status::started);
  ASSERT_TRUE(s->add(sample_call()));
  s->abort_capture();
  EXPECT_EQ(q(d.path, "SELECT (SELECT count(*) FROM captures) + (SELECT count(*) FROM calls)"), "0");
  ASSERT_TRUE(s->record_failure(meta("a.pcap", "h1"), "not a capture"));
  EXPECT_EQ(q(d.path, "SELECT status || ':' || diagnostics FROM captures"), "failed:not a capture");
  // A failed capture is tried again.
  EXPECT_EQ(s->lookup(meta("a.pcap", "h1")).status, st::begin_status::started);
  ASSERT_EQ(s->begin_capture(meta("a.pcap", "h1"), false, detail), st::begin_status::started);
  ASSERT_TRUE(s->commit_capture({}));
  EXPECT_EQ(q(d.path, "SELECT group_concat(status) FROM captures"), "complete");
}

TEST(store_hash, content_and_unit_keys) {
  temp_db d;
  {
    std::FILE* f = std::fopen(d.path.c_str(), "wb");
    std::fputs("some bytes", f);
    std::fclose(f);
  }
  std::string h, err;
  std::uint64_t size = 0;
  ASSERT_TRUE(st::content_hash(d.path, h, size, err)) << err;
  EXPECT_EQ(size, 10u);
  EXPECT_EQ(h.size(), 32u);
  EXPECT_FALSE(st::content_hash(d.path + ".missing", h, size, err));
  std::vector<st::capture_file> a = {{"x", 1, "aa"}, {"y", 2, "bb"}};
  std::vector<st::capture_file> b = {{"y2", 2, "bb"}, {"x2", 1, "aa"}};
  EXPECT_EQ(st::unit_key(a), st::unit_key(b));   // names and order do not matter, content does
  b[0].size = 3;
  EXPECT_NE(st::unit_key(a), st::unit_key(b));
}

// Rows go to SQLite 32 to a statement, the rest of a capture in statements of 16, 8, 4, 2 and
// 1 rows (sqlite_store.cpp): every row arrives, with its own values, whatever the count.
TEST(store_sqlite, rows_batched_per_statement_all_arrive) {
  temp_db d;
  st::error e;
  auto s = st::open(d.path, e);
  ASSERT_TRUE(s) << e.text;
  std::string detail;
  for (int capture : {0, 1}) {
    const int records = capture ? 1 : 103;   // 3 full statements + 4 + 2 + 1 rows; then a lone row
    ASSERT_EQ(s->begin_capture(meta("b" + std::to_string(capture) + ".pcap", "hb" + std::to_string(capture)), false,
                               detail),
              st::begin_status::started);
    for (int i = 0; i < records; ++i) {
      cr::record r = sample_call();
      r.index = static_cast<std::size_t>(i);
      r.call_id = "call-" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 7) * 40, 'x');
      r.messages.push_back(r.messages.front());   // three messages per call
      ASSERT_TRUE(s->add(r)) << s->last_error().text;
    }
    ASSERT_TRUE(s->commit_capture({})) << s->last_error().text;
  }
  EXPECT_EQ(q(d.path, "SELECT count(*) || '/' || count(DISTINCT call_id) FROM calls"), "104/103");
  EXPECT_EQ(q(d.path, "SELECT count(*) FROM messages"), "312");
  EXPECT_EQ(q(d.path, "SELECT count(*) FROM calls c JOIN captures p ON p.id = c.capture_id "
                      "WHERE c.call_id = 'call-' || c.record_index || substr('" + std::string(240, 'x') +
                          "', 1, (c.record_index % 7) * 40)"),
            "104");
  EXPECT_EQ(q(d.path, "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM messages GROUP BY capture_id, "
                      "record_index HAVING n != 3 OR max(seq) != 2)"),
            "");
  EXPECT_EQ(q(d.path, "SELECT messages || '/' || calls FROM captures WHERE path = 'b0.pcap'"), "309/103");
}

// A database made by a sipscope of schema 1 opens, gains the verdict columns (NULL for the
// rows it had) and takes new rows with their verdict.
TEST(store_sqlite, migrates_a_version_1_database) {
  temp_db d;
  st::error e;
  auto s = st::open(d.path, e);
  ASSERT_TRUE(s) << e.text;
  std::string detail;
  ASSERT_EQ(s->begin_capture(meta("old.pcap", "h-old"), false, detail), st::begin_status::started);
  ASSERT_TRUE(s->add(sample_call()));
  ASSERT_TRUE(s->commit_capture({})) << s->last_error().text;
  s.reset();
  // Back to what schema 1 made: no verdict columns, no index on them, user_version 1.
  q(d.path, "DROP INDEX calls_by_verdict");
  for (const char* t : {"calls", "registrations", "events"})
    for (const char* c : {"verdict", "verdict_category", "verdict_text", "verdict_confidence"})
      q(d.path, std::string("ALTER TABLE ") + t + " DROP COLUMN " + c);
  q(d.path, "ALTER TABLE messages DROP COLUMN raw");
  q(d.path, "DELETE FROM schema_migrations WHERE version = 2");
  q(d.path, "PRAGMA user_version = 1");
  ASSERT_EQ(q(d.path, "SELECT count(*) FROM pragma_table_info('calls') WHERE name = 'verdict'"), "0");

  s = st::open(d.path, e);
  ASSERT_TRUE(s) << e.text;
  EXPECT_EQ(q(d.path, "PRAGMA user_version"), "2");
  EXPECT_EQ(q(d.path, "SELECT count(*) FROM schema_migrations"), "2");
  EXPECT_EQ(q(d.path, "SELECT call_id || ':' || (verdict IS NULL) FROM calls"), "abc@host:1");
  EXPECT_EQ(q(d.path, "SELECT count(*) FROM messages WHERE raw IS NULL"), "2");
  ASSERT_EQ(s->begin_capture(meta("new.pcap", "h-new"), false, detail), st::begin_status::started);
  cr::record r = sample_call();
  r.call_id = "new@host";
  ASSERT_TRUE(s->add(r, {"busy", "signalling", "The callee was busy (486).", "high"}));
  ASSERT_TRUE(s->commit_capture({})) << s->last_error().text;
  EXPECT_EQ(q(d.path, "SELECT verdict || '|' || verdict_category || '|' || verdict_text || '|' || verdict_confidence "
                      "FROM calls WHERE call_id = 'new@host'"),
            "busy|signalling|The callee was busy (486).|high");
  EXPECT_EQ(q(d.path, "PRAGMA integrity_check"), "ok");
}

namespace {

// Every row of a table, each value with its SQL type, in rowid order.
std::string dump(const std::string& db, const std::string& table, const std::string& columns = "*") {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  sqlite3_stmt* s = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(h, ("SELECT " + columns + " FROM " + table + " ORDER BY rowid").c_str(), -1, &s, nullptr) ==
      SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const unsigned char* t = sqlite3_column_text(s, c);
        out += std::to_string(sqlite3_column_type(s, c)) + ":" + (t ? reinterpret_cast<const char*>(t) : "") + "|";
      }
      out += "\n";
    }
  } else {
    out = "<error " + std::string(sqlite3_errmsg(h)) + ">";
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

// Records of every kind and shape the tables have: a call with every child row, a
// registration, an event, a call with NULL times and no children, texts that are not UTF-8.
std::vector<std::pair<cr::record, st::verdict_fields>> varied_records() {
  std::vector<std::pair<cr::record, st::verdict_fields>> v;
  cr::record c = sample_call();
  c.messages[1].src.ip.family = 4;
  c.messages[1].src.ip.bytes[0] = 192;
  c.messages[1].src.port = 5060;
  c.messages[1].raw = "SIP/2.0 200 OK\r\n\r\n";
  c.user_agents = {"UA one", std::string("UA \x80two", 8)};
  v.push_back({c, {"busy", "signalling", "The callee was busy (486).", "high"}});
  cr::record reg;
  reg.index = 8;
  reg.kind = cr::record_kind::registration;
  reg.call_id = "reg@host";
  reg.aor = "sip:alice@a.example";
  reg.expires = 3600;
  reg.first_time = 1'700'000'000'000'000'000;
  v.push_back({reg, {}});
  cr::record ev;
  ev.index = 9;
  ev.kind = cr::record_kind::options;
  ev.call_id = std::string("ev\0il", 5);   // a NUL
  ev.first_method = "OPTIONS";
  v.push_back({ev, {"no_response", "network", "No answer.", "medium"}});
  cr::record bare;
  bare.index = 10;
  bare.kind = cr::record_kind::call;
  bare.call_id = "bare@host";
  v.push_back({bare, {}});
  return v;
}

}  // namespace

// The export's workers hand the writer rows (row_batch), not records: both ways must write the
// same rows, values and types, and the same capture counts.
TEST(store_sqlite, row_batch_writes_what_add_writes) {
  temp_db by_record, by_batch;
  st::error e;
  auto a = st::open(by_record.path, e);
  ASSERT_TRUE(a) << e.text;
  auto b = st::open(by_batch.path, e);
  ASSERT_TRUE(b) << e.text;
  std::string detail;
  const auto recs = varied_records();
  for (int capture : {0, 1}) {
    const auto m = meta("c" + std::to_string(capture) + ".pcap", "hc" + std::to_string(capture));
    ASSERT_EQ(a->begin_capture(m, false, detail), st::begin_status::started);
    ASSERT_EQ(b->begin_capture(m, false, detail), st::begin_status::started);
    st::row_batch batch;
    for (int rep = 0; rep < 20; ++rep)   // past one statement's 32 rows
      for (auto [r, v] : recs) {
        r.index += static_cast<std::size_t>(rep) * 100;   // (capture, record_index) is a key
        ASSERT_TRUE(a->add(r, v)) << a->last_error().text;
        batch.add(r, v);
      }
    EXPECT_EQ(batch.records(), 20 * recs.size());
    EXPECT_EQ(batch.calls(), 40u);
    ASSERT_TRUE(b->add(batch)) << b->last_error().text;
    ASSERT_TRUE(a->commit_capture({})) << a->last_error().text;
    ASSERT_TRUE(b->commit_capture({})) << b->last_error().text;
  }
  a.reset();
  b.reset();
  for (const char* t : {"calls", "registrations", "events", "dialogs", "legs", "messages", "streams", "findings"}) {
    const std::string x = dump(by_record.path, t);
    EXPECT_FALSE(x.empty()) << t;
    EXPECT_EQ(x, dump(by_batch.path, t)) << t;
  }
  const std::string counts = "id, path, status, records, calls, registrations, events, messages, streams";
  EXPECT_EQ(dump(by_record.path, "captures", counts), dump(by_batch.path, "captures", counts));
  EXPECT_EQ(q(by_batch.path, "SELECT records || '/' || calls || '/' || messages FROM captures WHERE id = 2"),
            "80/40/40");
}

// The same for the CSV files, byte for byte.
TEST(store_csv, row_batch_writes_what_add_writes) {
  const auto base = std::filesystem::temp_directory_path() / ("store_csv_" + std::to_string(::getpid()));
  std::filesystem::remove_all(base);
  st::error e;
  auto a = st::open_csv((base / "a").string(), e);
  ASSERT_TRUE(a) << e.text;
  auto b = st::open_csv((base / "b").string(), e);
  ASSERT_TRUE(b) << e.text;
  std::string detail;
  const auto m = meta("c.pcap", "hc");
  ASSERT_EQ(a->begin_capture(m, false, detail), st::begin_status::started);
  ASSERT_EQ(b->begin_capture(m, false, detail), st::begin_status::started);
  st::row_batch batch;
  for (const auto& [r, v] : varied_records()) {
    ASSERT_TRUE(a->add(r, v));
    batch.add(r, v);
  }
  ASSERT_TRUE(b->add(batch));
  ASSERT_TRUE(a->commit_capture({}));
  ASSERT_TRUE(b->commit_capture({}));
  a.reset();
  b.reset();
  auto read = [](const std::filesystem::path& p) {
    std::FILE* f = std::fopen(p.c_str(), "rb");
    std::string s;
    if (!f) return std::string("<missing>");
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
    std::fclose(f);
    return s;
  };
  int files = 0;
  for (const auto& ent : std::filesystem::directory_iterator(base / "a")) {
    ++files;
    EXPECT_EQ(read(ent.path()), read(base / "b" / ent.path().filename())) << ent.path();
  }
  EXPECT_EQ(files, 9);
  EXPECT_NE(read(base / "b" / "messages.csv").find("192.0.0.0:5060"), std::string::npos);
  std::filesystem::remove_all(base);
}

// A row that fails inside a multi-row INSERT (INSERT OR FAIL keeps the statement's earlier
// rows until the transaction ends): the capture cannot commit, and once aborted nothing of it
// is left, not even the rows before the failing one in that statement; the next capture goes in.
TEST(store_sqlite, a_failing_row_leaves_nothing_of_its_capture) {
  temp_db d;
  st::error e;
  auto s = st::open(d.path, e);
  ASSERT_TRUE(s) << e.text;
  std::string detail;
  ASSERT_EQ(s->begin_capture(meta("dup.pcap", "hd"), false, detail), st::begin_status::started);
  st::row_batch batch;
  for (int i = 0; i < 40; ++i) {   // rows 0..39, then row 5 again: the second statement fails
    cr::record r = sample_call();
    r.index = static_cast<std::size_t>(i);
    batch.add(r);
  }
  cr::record again = sample_call();
  again.index = 5;
  batch.add(again);
  bool ok = s->add(batch);
  if (ok) ok = s->commit_capture({});   // the last rows go in at commit
  EXPECT_FALSE(ok);
  EXPECT_NE(s->last_error().text.find("UNIQUE"), std::string::npos) << s->last_error().text;
  s->abort_capture();
  EXPECT_EQ(q(d.path, "SELECT (SELECT count(*) FROM captures) || '/' || (SELECT count(*) FROM calls) || '/' || "
                      "(SELECT count(*) FROM messages)"),
            "0/0/0");
  ASSERT_EQ(s->begin_capture(meta("good.pcap", "hg"), false, detail), st::begin_status::started);
  ASSERT_TRUE(s->add(sample_call()));
  ASSERT_TRUE(s->commit_capture({})) << s->last_error().text;
  EXPECT_EQ(q(d.path, "SELECT count(*) || '/' || max(path) FROM captures c JOIN calls k ON k.capture_id = c.id"),
            "1/good.pcap");
}
