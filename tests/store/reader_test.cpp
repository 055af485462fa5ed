// store::reader (issue 8, the viewer opening an export database): corpus captures are run through
// the capture pipeline and the correlator, exported through the store API (what `sipscope
// export` does), read back, and every field the tables hold is compared with the model the
// correlator made. Also: a database of the previous schema shape (columns read by name), a file
// that is not a database, a database that is not sipscope's.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"
#include "sipscope/store/hash.hpp"
#include "sipscope/store/reader.hpp"
#include "sipscope/store/store.hpp"

namespace st = sipscope::store;
namespace cr = sipscope::correlate;
namespace cap = sipscope::capture;

namespace {

const std::string corpus = SIPSCOPE_CORPUS_DIR;

struct temp_db {
  std::string path;
  temp_db() {
    path = (std::filesystem::temp_directory_path() /
            ("reader_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".sqlite"))
               .string();
    cleanup();
  }
  ~temp_db() { cleanup(); }
  void cleanup() const {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  static inline int counter = 0;
};

class feed : public cap::handler {
 public:
  explicit feed(cr::correlator& c) : c_(c) {}
  void on_sip(const cap::sip_event& e) override { c_.on_sip(e); }
  void on_udp(const cap::udp_event& e) override { c_.on_udp(e); }

 private:
  cr::correlator& c_;
};

// The records of one capture, as the correlator makes them.
std::vector<cr::record> correlate_file(const std::string& file) {
  std::vector<cr::record> out;
  cap::pipeline p;
  p.add_file(file);
  std::string err;
  EXPECT_TRUE(p.ready(err)) << err;
  cr::correlator c;
  c.set_sink([&](cr::record&& r) { out.push_back(std::move(r)); });
  feed h(c);
  p.run(h);
  c.finish();
  return out;
}

// One capture into the database through the store interface (cmd_export.cpp's sequence).
void export_file(st::store& s, const std::string& file, const std::vector<cr::record>& recs) {
  st::capture_meta m;
  m.path = file;
  st::capture_file cf;
  cf.path = file;
  std::string err;
  ASSERT_TRUE(st::content_hash(file, cf.hash, cf.size, err)) << err;
  m.files.push_back(cf);
  m.size = cf.size;
  m.key = st::unit_key(m.files);
  m.tool_version = "test";
  std::string detail;
  ASSERT_EQ(s.begin_capture(m, false, detail), st::begin_status::started) << detail;
  // A verdict per record (the store does not compute them; the CLI passes explain's).
  for (const cr::record& r : recs) {
    const std::string rule = "rule" + std::to_string(r.index), text = "sentence of " + r.call_id;
    ASSERT_TRUE(s.add(r, {rule, "signalling", text, "high"})) << s.last_error().text;
  }
  st::capture_summary sum;
  ASSERT_TRUE(s.commit_capture(sum)) << s.last_error().text;
}

// Times go through the database as epoch seconds at µs.
cr::timestamp_ns us(cr::timestamp_ns t) { return t / 1000 * 1000; }
std::optional<cr::timestamp_ns> us(const std::optional<cr::timestamp_ns>& t) {
  if (!t) return t;
  return us(*t);
}

void compare(const cr::record& a, const cr::record& b) {
  SCOPED_TRACE("record " + std::to_string(a.index) + " " + a.call_id);
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.call_id, b.call_id);
  EXPECT_EQ(a.caller.uri, b.caller.uri);
  EXPECT_EQ(a.caller.user, b.caller.user);
  EXPECT_EQ(a.callee.uri, b.callee.uri);
  EXPECT_EQ(a.callee.user, b.callee.user);
  EXPECT_EQ(a.request_uri, b.request_uri);
  EXPECT_EQ(a.final_status, b.final_status);
  EXPECT_EQ(a.final_reason, b.final_reason);
  EXPECT_EQ(a.sip_messages, b.sip_messages);
  EXPECT_EQ(a.retransmissions, b.retransmissions);
  EXPECT_EQ(us(a.first_time), b.first_time);
  EXPECT_EQ(us(a.last_time), b.last_time);
  EXPECT_EQ(a.user_agents, b.user_agents);
  EXPECT_EQ(a.auth_challenges, b.auth_challenges);
  if (a.kind == cr::record_kind::call) {
    EXPECT_EQ(a.first_method, b.first_method);
    EXPECT_EQ(a.caller.tag, b.caller.tag);
    EXPECT_EQ(a.callee.tag, b.callee.tag);
    EXPECT_EQ(a.caller.display, b.caller.display);
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.hangup, b.hangup);
    EXPECT_EQ(a.reason_header, b.reason_header);
    EXPECT_EQ(us(a.times.invite), b.times.invite);
    EXPECT_EQ(us(a.times.answer), b.times.answer);
    EXPECT_EQ(us(a.times.bye), b.times.bye);
    EXPECT_EQ(us(a.times.final), b.times.final);
    EXPECT_EQ(a.post_dial_delay_ms(), b.post_dial_delay_ms());
    EXPECT_EQ(a.prack, b.prack);
    EXPECT_EQ(a.holds, b.holds);
  } else {
    EXPECT_EQ(a.outcome, b.outcome);
    if (a.kind != cr::record_kind::registration) {
      EXPECT_EQ(a.first_method, b.first_method);
    }
    EXPECT_EQ(a.aor, b.aor);
    EXPECT_EQ(a.contact, b.contact);
    EXPECT_EQ(a.expires, b.expires);
    EXPECT_EQ(a.event, b.event);
  }
  EXPECT_EQ(a.legs, b.legs);
  ASSERT_EQ(a.dialogs.size(), b.dialogs.size());
  for (std::size_t i = 0; i < a.dialogs.size(); ++i) {
    EXPECT_EQ(a.dialogs[i].local_tag, b.dialogs[i].local_tag);
    EXPECT_EQ(a.dialogs[i].remote_tag, b.dialogs[i].remote_tag);
    EXPECT_EQ(a.dialogs[i].state, b.dialogs[i].state);
    EXPECT_EQ(us(a.dialogs[i].confirmed), b.dialogs[i].confirmed);
  }
  ASSERT_EQ(a.messages.size(), b.messages.size());
  for (std::size_t i = 0; i < a.messages.size(); ++i) {
    const cr::message_entry &x = a.messages[i], &y = b.messages[i];
    SCOPED_TRACE("message " + std::to_string(i));
    EXPECT_EQ(x.frame.file, y.frame.file);
    EXPECT_EQ(x.frame.number, y.frame.number);
    EXPECT_EQ(x.frame.offset, y.frame.offset);
    EXPECT_EQ(us(x.time), y.time);
    EXPECT_EQ(x.src, y.src);
    EXPECT_EQ(x.dst, y.dst);
    EXPECT_EQ(x.proto, y.proto);
    EXPECT_EQ(x.request, y.request);
    EXPECT_EQ(x.method, y.method);
    EXPECT_EQ(x.status, y.status);
    EXPECT_EQ(x.cseq, y.cseq);
    EXPECT_EQ(x.summary, y.summary);
    if (!x.request) {
      EXPECT_EQ(x.reason, y.reason);
    }
    EXPECT_EQ(x.retransmission, y.retransmission);
    EXPECT_EQ(x.has_sdp, y.has_sdp);
    EXPECT_EQ(x.sdp, y.sdp);
    EXPECT_EQ(x.user_agent, y.user_agent);
    EXPECT_EQ(x.dialog, y.dialog);
    EXPECT_EQ(x.errors, y.errors);
    EXPECT_EQ(x.warnings, y.warnings);
  }
  ASSERT_EQ(a.streams.size(), b.streams.size());
  for (std::size_t i = 0; i < a.streams.size(); ++i) {
    const cr::stream_info &x = a.streams[i], &y = b.streams[i];
    EXPECT_EQ(x.src, y.src);
    EXPECT_EQ(x.dst, y.dst);
    EXPECT_EQ(x.ssrc, y.ssrc);
    EXPECT_EQ(x.codec, y.codec);
    EXPECT_EQ(x.from, y.from);
    EXPECT_EQ(x.origin, y.origin);
    EXPECT_EQ(x.packets, y.packets);
    EXPECT_EQ(x.lost_unique, y.lost_unique);
    EXPECT_DOUBLE_EQ(x.max_jitter_ms, y.max_jitter_ms);
    EXPECT_DOUBLE_EQ(x.mos, y.mos);
    EXPECT_EQ(us(x.start), y.start);
    EXPECT_EQ(x.dtmf.size(), y.dtmf.size());
  }
  ASSERT_EQ(a.findings.size(), b.findings.size());
  for (std::size_t i = 0; i < a.findings.size(); ++i) {
    EXPECT_EQ(a.findings[i].kind, b.findings[i].kind);
    EXPECT_EQ(a.findings[i].text, b.findings[i].text);
  }
}

}  // namespace

TEST(StoreReader, CorpusCapturesReadBackAsTheModel) {
  // Calls with B2BUA legs, forks, RTP with a one-way finding, DTMF, registrations and events.
  const std::vector<std::string> files = {
      corpus + "/calls/b2bua.pcap",        corpus + "/calls/forking.pcap",
      corpus + "/explain/one-way-audio.pcap", corpus + "/explain/nat-one-way.pcap",
      corpus + "/calls/register-auth.pcap", corpus + "/calls/subscribe-presence.pcap",
      corpus + "/calls/options-ping.pcap",  corpus + "/calls/retransmissions.pcap"};
  temp_db db;
  std::map<std::string, std::vector<cr::record>> want;
  {
    st::error e;
    auto s = st::open(db.path, e);
    ASSERT_TRUE(s) << e.text;
    for (const std::string& f : files) {
      if (!std::filesystem::exists(f)) continue;
      want[f] = correlate_file(f);
      export_file(*s, f, want[f]);
    }
  }
  ASSERT_GE(want.size(), 6u);
  st::error e;
  auto r = st::reader::open(db.path, e);
  ASSERT_TRUE(r) << e.text;
  EXPECT_EQ(r->schema_version(), st::schema_version);
  EXPECT_FALSE(r->has_raw_messages());
  ASSERT_EQ(r->captures().size(), want.size());
  std::map<std::int64_t, std::string> file_of;
  for (const st::stored_capture& c : r->captures()) {
    EXPECT_EQ(c.status, "complete");
    ASSERT_EQ(c.files.size(), 1u);
    file_of[c.id] = c.files[0];
  }
  std::map<std::string, std::vector<cr::record>> got;
  std::size_t verdicts = 0;
  ASSERT_TRUE(r->read([&](st::read_record&& rr) {
    if (r->schema_version() >= 2) {
      EXPECT_EQ(rr.verdict, "rule" + std::to_string(rr.rec.index));
      EXPECT_EQ(rr.verdict_text, "sentence of " + rr.rec.call_id);
      EXPECT_EQ(rr.verdict_category, "signalling");
      EXPECT_EQ(rr.verdict_confidence, "high");
      ++verdicts;
    }
    got[file_of[rr.capture_id]].push_back(std::move(rr.rec));
    return true;
  })) << r->last_error().text;
  EXPECT_GT(verdicts, 0u);
  std::size_t streams = 0, findings = 0, legs = 0, regs = 0, events = 0;
  for (const auto& [file, recs] : want) {
    SCOPED_TRACE(file);
    ASSERT_EQ(got[file].size(), recs.size());
    for (std::size_t i = 0; i < recs.size(); ++i) {
      // The store writes records by index; the correlator finishes them in another order.
      const cr::record* match = nullptr;
      for (const cr::record& g : got[file])
        if (g.index == recs[i].index) match = &g;
      ASSERT_NE(match, nullptr);
      compare(recs[i], *match);
      streams += recs[i].streams.size();
      findings += recs[i].findings.size();
      legs += recs[i].legs.size();
      regs += recs[i].kind == cr::record_kind::registration;
      events += recs[i].kind != cr::record_kind::registration && recs[i].kind != cr::record_kind::call;
    }
  }
  // The corpus files above do exercise each table.
  EXPECT_GT(streams, 0u);
  EXPECT_GT(findings, 0u);
  EXPECT_GT(legs, 0u);
  EXPECT_GT(regs, 0u);
  EXPECT_GT(events, 0u);
}

TEST(StoreReader, ColumnsByNameAndRawText) {
  // A database shaped like a later schema: WITHOUT ROWID tables, calls.verdict, messages.raw,
  // columns in another order, a column this reader does not know. Only the columns it reads
  // matter.
  temp_db db;
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.path.c_str(), &h), SQLITE_OK);
  const char* ddl = R"(
PRAGMA user_version = 2;
CREATE TABLE captures (id INTEGER PRIMARY KEY, path TEXT, hash TEXT, size INTEGER, files INTEGER, status TEXT, records INTEGER);
CREATE TABLE capture_files (capture_id INTEGER, file_index INTEGER, path TEXT, hash TEXT, size INTEGER, PRIMARY KEY (capture_id, file_index)) WITHOUT ROWID;
CREATE TABLE calls (verdict TEXT, record_index INTEGER, capture_id INTEGER, call_id TEXT, state TEXT, final_status INTEGER,
  first_time REAL, t_invite REAL, future_column BLOB, PRIMARY KEY (capture_id, record_index)) WITHOUT ROWID;
CREATE TABLE messages (capture_id INTEGER, record_index INTEGER, seq INTEGER, raw TEXT, time REAL, src TEXT, dst TEXT,
  transport TEXT, request INTEGER, method TEXT, summary TEXT, frame INTEGER, file_index INTEGER, file_offset INTEGER,
  PRIMARY KEY (capture_id, record_index, seq)) WITHOUT ROWID;
INSERT INTO captures VALUES (1, '/x/a.pcap', 'h', 10, 1, 'complete', 1), (2, '/x/b.pcap', 'h2', 10, 1, 'failed', 0);
INSERT INTO capture_files VALUES (1, 0, '/x/a.pcap', 'h', 10);
INSERT INTO calls VALUES ('busy: the callee is busy', 3, 1, 'c1@x', 'busy', 486, 1700000000.5, 1700000000.5, x'00');
INSERT INTO messages VALUES (1, 3, 1, 'SIP/2.0 486 Busy Here' || char(13, 10, 13, 10), 1700000000.75, '[2001:db8::2]:5060', '192.0.2.1:5062', 'TCP', 0, 'INVITE', '486 Busy Here', 5, 0, 900),
                            (1, 3, 0, 'INVITE sip:b@x SIP/2.0' || char(13, 10, 13, 10), 1700000000.5, '192.0.2.1:5062', '[2001:db8::2]:5060', 'TCP', 1, 'INVITE', 'INVITE sip:b@x', 4, 0, 400);
)";
  char* msg = nullptr;
  ASSERT_EQ(sqlite3_exec(h, ddl, nullptr, nullptr, &msg), SQLITE_OK) << (msg ? msg : "");
  sqlite3_close(h);
  st::error e;
  auto r = st::reader::open(db.path, e);
  ASSERT_TRUE(r) << e.text;
  EXPECT_EQ(r->schema_version(), 2);
  EXPECT_TRUE(r->has_raw_messages());
  ASSERT_EQ(r->captures().size(), 2u);
  EXPECT_EQ(r->captures()[0].status, "complete");   // complete first
  std::vector<st::read_record> got;
  ASSERT_TRUE(r->read([&](st::read_record&& rr) {
    got.push_back(std::move(rr));
    return true;
  }));
  ASSERT_EQ(got.size(), 1u);   // the failed capture's records are not read
  const cr::record& c = got[0].rec;
  EXPECT_EQ(c.index, 3u);
  EXPECT_EQ(c.kind, cr::record_kind::call);
  EXPECT_EQ(c.state, cr::call_state::busy);
  EXPECT_EQ(c.final_status, 486);
  EXPECT_EQ(got[0].verdict, "busy: the callee is busy");
  EXPECT_EQ(c.first_time, 1'700'000'000'500'000'000);
  ASSERT_EQ(c.messages.size(), 2u);
  EXPECT_EQ(c.messages[0].summary, "INVITE sip:b@x");   // by seq, not by insertion
  EXPECT_EQ(c.messages[0].frame.number, 4u);
  EXPECT_EQ(c.messages[0].frame.offset, 400u);
  EXPECT_EQ(c.messages[0].proto, sipscope::capture::transport::tcp);
  EXPECT_EQ(c.messages[0].src.to_string(), "192.0.2.1:5062");
  EXPECT_EQ(c.messages[1].src.to_string(), "[2001:db8::2]:5060");
  EXPECT_EQ(c.messages[1].dialog, -1);   // no column: the model's default
  ASSERT_EQ(got[0].raw.size(), 2u);
  EXPECT_EQ(got[0].raw[1], "SIP/2.0 486 Busy Here\r\n\r\n");
}

TEST(StoreReader, NotADatabaseOrNotOurs) {
  st::error e;
  EXPECT_FALSE(st::reader::open(corpus + "/calls/basic-call.pcap", e));
  EXPECT_NE(e.text.find("not an SQLite database"), std::string::npos) << e.text;
  EXPECT_FALSE(st::reader::open("/nonexistent/x.sqlite", e));
  temp_db db;
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.path.c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, "CREATE TABLE t (a INTEGER);", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(h);
  EXPECT_FALSE(st::reader::open(db.path, e));
  EXPECT_NE(e.text.find("not a sipscope export"), std::string::npos) << e.text;
  EXPECT_TRUE(st::is_sqlite_file(db.path));
  EXPECT_FALSE(st::is_sqlite_file(corpus + "/calls/basic-call.pcap"));
}
