// sipscope-view, issue 8's second part, without a display: opening an export database (the
// session's database load and the message pane's "stored / re-read / not stored"), the parsed
// tree of a message with the byte ranges of its nodes, the ladder's marks (findings at their
// time, the explain verdict's evidence rows), colour per transaction, the call list's time
// range and the file dialog's listing. Corpus captures; exports made through the store API.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "marks.hpp"
#include "msg_tree.hpp"
#include "reread.hpp"
#include "session.hpp"
#include "sipscope/store/hash.hpp"
#include "sipscope/store/store.hpp"

namespace {

using namespace sipscope;
using namespace sipscope::viewer;
namespace fs = std::filesystem;

std::string corpus(const std::string& dir, const std::string& name) {
  return (fs::path(SIPSCOPE_CORPUS_DIR) / dir / (name + ".pcap")).string();
}

fs::path temp_dir() {
  // Removed when the test program exits.
  static struct dir {
    fs::path p = fs::temp_directory_path() / ("sipscope-view2-test-" + std::to_string(::getpid()));
    ~dir() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } d;
  fs::create_directories(d.p);
  return d.p;
}

std::vector<std::unique_ptr<correlate::record>> load(session& s, const std::string& file) {
  s.start({file});
  s.wait();
  std::lock_guard<std::mutex> g(s.mutex());
  std::vector<std::unique_ptr<correlate::record>> out;
  for (const auto& r : s.data().records) out.push_back(std::make_unique<correlate::record>(*r));
  return out;
}

// `capture` exported into a new SQLite database `db` through the store API (as `sipscope
// export` does), from the records the viewer's own loader makes.
void export_capture(const std::string& capture, const std::string& db) {
  session s;
  auto recs = load(s, capture);
  ASSERT_FALSE(recs.empty());
  store::error e;
  auto st = store::open(db, e);
  ASSERT_TRUE(st) << e.text;
  store::capture_meta m;
  m.path = capture;
  store::capture_file f;
  f.path = capture;
  std::string err;
  ASSERT_TRUE(store::content_hash(capture, f.hash, f.size, err)) << err;
  m.files.push_back(f);
  m.key = store::unit_key(m.files);
  std::string detail;
  ASSERT_EQ(st->begin_capture(m, false, detail), store::begin_status::started) << detail;
  // Each record's explain verdict, as `sipscope export` stores it (schema 2).
  for (const auto& r : recs) {
    const explain::verdict v = explain::explain(*r, {});
    ASSERT_TRUE(st->add(*r, {v.rule, explain::to_string(v.cat), v.text, explain::to_string(v.conf)}));
  }
  ASSERT_TRUE(st->commit_capture({}));
}

TEST(ViewerDatabase, OpensAnExportAndRereadsItsCapture) {
  const fs::path dir = temp_dir();
  const std::string db = (dir / "b2bua.sqlite").string();
  fs::remove(db);
  export_capture(corpus("calls", "b2bua"), db);
  session live, stored;
  auto want = load(live, corpus("calls", "b2bua"));
  auto got = load(stored, db);
  ASSERT_EQ(got.size(), want.size());
  std::lock_guard<std::mutex> g(stored.mutex());
  const shared_data& d = stored.data();
  EXPECT_EQ(d.state, load_state::done);
  EXPECT_TRUE(d.database);
  EXPECT_EQ(d.sip_messages, 14u);
  EXPECT_EQ(d.rtp_packets, 480u);
  ASSERT_EQ(d.extras.size(), d.records.size());
  EXPECT_NE(std::find(d.call_columns.begin(), d.call_columns.end(), "call_id"), d.call_columns.end());
  for (std::size_t i = 0; i < d.records.size(); ++i) {
    const correlate::record& r = *d.records[i];
    const correlate::record* w = nullptr;
    for (const auto& x : want)
      if (x->call_id == r.call_id) w = x.get();
    ASSERT_NE(w, nullptr) << r.call_id;
    EXPECT_EQ(r.messages.size(), w->messages.size());
    EXPECT_EQ(r.streams.size(), w->streams.size());
    EXPECT_EQ(r.legs, w->legs);
    ASSERT_TRUE(d.extras[i]->files);
    ASSERT_EQ(d.extras[i]->files->size(), 1u);
    EXPECT_EQ((*d.extras[i]->files)[0], corpus("calls", "b2bua"));
    EXPECT_TRUE(d.extras[i]->raw.empty());   // exported without message text
    // The stored verdict comes back with the record (what the title line and the list show).
    EXPECT_EQ(d.extras[i]->verdict, std::string(explain::explain(*w, {}).rule));
    EXPECT_EQ(d.extras[i]->verdict_text, explain::explain(*w, {}).text);
    // Without stored text the message comes back from the capture, as the live load's does.
    for (std::size_t m = 0; m < r.messages.size(); ++m) {
      const raw_message a = read_stored_message(*d.extras[i], r.messages[m], m);
      const raw_message b = read_message({corpus("calls", "b2bua")}, w->messages[m]);
      ASSERT_TRUE(a.found) << a.error;
      EXPECT_EQ(a.bytes, b.bytes);
      const std::string head = r.messages[m].request ? r.messages[m].method + " " : "SIP/2.0 " + std::to_string(r.messages[m].status);
      EXPECT_EQ(a.bytes.compare(0, head.size(), head), 0) << a.bytes.substr(0, 40);
    }
  }
}

TEST(ViewerDatabase, StoredTextElseCaptureElseNotStored) {
  const fs::path dir = temp_dir();
  const std::string cap = (dir / "moved.pcap").string();
  fs::copy_file(corpus("calls", "basic-call"), cap, fs::copy_options::overwrite_existing);
  const std::string db = (dir / "moved.sqlite").string();
  fs::remove(db);
  export_capture(cap, db);
  fs::remove(cap);   // the capture is gone since the export
  session s;
  auto recs = load(s, db);
  ASSERT_EQ(recs.size(), 1u);
  std::lock_guard<std::mutex> g(s.mutex());
  const record_extra& x = *s.data().extras[0];
  const raw_message gone = read_stored_message(x, recs[0]->messages[0], 0);
  EXPECT_FALSE(gone.found);
  EXPECT_NE(gone.error.find("not stored"), std::string::npos) << gone.error;
  EXPECT_NE(gone.error.find("moved.pcap"), std::string::npos) << gone.error;
  // With the text in the database (a `raw` column, export --with-messages) it is shown as is.
  record_extra with = x;
  with.raw = {"INVITE sip:bob@b.example SIP/2.0\r\nCall-ID: x\r\n\r\n"};
  const raw_message stored = read_stored_message(with, recs[0]->messages[0], 0);
  ASSERT_TRUE(stored.found);
  EXPECT_EQ(stored.bytes, with.raw[0]);
}

TEST(ViewerDatabase, NotAnExportFailsWithAReason) {
  const fs::path dir = temp_dir();
  const std::string db = (dir / "other.sqlite").string();
  fs::remove(db);
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  sqlite3_exec(h, "CREATE TABLE x (a INTEGER);", nullptr, nullptr, nullptr);
  sqlite3_close(h);
  session s;
  s.start({db});
  s.wait();
  std::lock_guard<std::mutex> g(s.mutex());
  EXPECT_EQ(s.data().state, load_state::failed);
  EXPECT_NE(s.data().error.find("not a sipscope export"), std::string::npos) << s.data().error;
}

// The node whose label is `label` among the children of `parent` (or the roots).
const tree_node* child(const message_tree& t, const tree_node* parent, const std::string& label) {
  for (std::size_t i : parent ? parent->children : t.roots)
    if (t.nodes[i].label == label) return &t.nodes[i];
  return nullptr;
}

TEST(ViewerTree, InviteWithSdpHasTypedFieldsAtTheirBytes) {
  session s;
  auto recs = load(s, corpus("calls", "basic-call"));
  ASSERT_FALSE(recs.empty());
  const raw_message m = read_message({corpus("calls", "basic-call")}, recs[0]->messages[0]);
  ASSERT_TRUE(m.found);
  const message_tree t = build_message_tree(m.bytes);
  EXPECT_TRUE(t.parsed);
  // Every node's bytes are inside the message.
  for (const tree_node& n : t.nodes) EXPECT_LE(n.offset + n.length, m.bytes.size()) << n.label;
  auto at = [&](const tree_node* n) { return m.bytes.substr(n->offset, n->length); };
  const tree_node* rl = child(t, nullptr, "Request-Line");
  ASSERT_NE(rl, nullptr);
  EXPECT_EQ(rl->offset, 0u);
  const tree_node* method = child(t, rl, "method");
  ASSERT_NE(method, nullptr);
  EXPECT_EQ(at(method), "INVITE");
  const tree_node* ruri = child(t, rl, "Request-URI");
  ASSERT_NE(ruri, nullptr);
  ASSERT_NE(child(t, ruri, "host"), nullptr);
  EXPECT_EQ(at(child(t, ruri, "user")), child(t, ruri, "user")->value);
  // Via: sent-by and branch, the branch node on the bytes "branch=z9hG4bK...".
  const tree_node* headers = child(t, nullptr, "headers");
  ASSERT_NE(headers, nullptr);
  const tree_node* via = child(t, headers, "Via");
  ASSERT_NE(via, nullptr);
  EXPECT_EQ(at(via).substr(0, 4), "Via:");
  const tree_node* branch = child(t, via, "branch");
  ASSERT_NE(branch, nullptr);
  EXPECT_EQ(at(branch).substr(0, 7), "branch=");
  EXPECT_EQ(branch->value.substr(0, 7), "z9hG4bK");
  ASSERT_NE(child(t, via, "sent-by host"), nullptr);
  // From: the URI's parts and the tag parameter.
  const tree_node* from = child(t, headers, "From");
  ASSERT_NE(from, nullptr);
  const tree_node* tag = child(t, from, "tag");
  ASSERT_NE(tag, nullptr);
  EXPECT_EQ(at(tag), "tag=" + tag->value);
  ASSERT_NE(child(t, from, "URI"), nullptr);
  const tree_node* cseq = child(t, headers, "CSeq");
  ASSERT_NE(cseq, nullptr);
  ASSERT_NE(child(t, cseq, "method"), nullptr);
  EXPECT_EQ(child(t, cseq, "method")->value, "INVITE");
  // The SDP by section: the session, then m=audio with its lines.
  const tree_node* body = child(t, nullptr, "body");
  ASSERT_NE(body, nullptr);
  const tree_node* audio = child(t, body, "m=audio");
  ASSERT_NE(audio, nullptr);
  EXPECT_EQ(at(audio).substr(0, 8), "m=audio ");
  ASSERT_NE(child(t, child(t, body, "session"), "v"), nullptr);
  EXPECT_EQ(at(child(t, child(t, body, "session"), "v")), "v=0");
}

TEST(ViewerTree, InvalidHeaderFlaggedAndGarbageHarmless) {
  const std::string bad = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP\r\nCSeq: x INVITE\r\nContent-Length: 0\r\n\r\n";
  const message_tree t = build_message_tree(bad);
  const tree_node* headers = child(t, nullptr, "headers");
  ASSERT_NE(headers, nullptr);
  ASSERT_NE(child(t, headers, "CSeq"), nullptr);
  EXPECT_TRUE(child(t, headers, "CSeq")->error);
  const tree_node* sl = child(t, nullptr, "Status-Line");
  ASSERT_NE(sl, nullptr);
  EXPECT_EQ(child(t, sl, "status code")->value, "200");
  for (const std::string& g : {std::string(), std::string("\r\n\r\n"), std::string("\xff\x00garbage", 9)}) {
    const message_tree x = build_message_tree(g);
    for (const tree_node& n : x.nodes) EXPECT_LE(n.offset + n.length, g.size());
  }
}

// The finding `kind` of a corpus capture's call, placed.
struct placed {
  std::unique_ptr<correlate::record> rec;
  ladder::layout l;
  finding_mark mark;
};
placed place_finding(const std::string& name, const std::string& kind) {
  session s;
  auto recs = load(s, corpus("explain", name));
  placed p;
  for (auto& r : recs)
    if (r->kind == correlate::record_kind::call) p.rec = std::move(r);   // the capture's one call
  if (!p.rec) {
    ADD_FAILURE() << name << ": no call";
    return p;
  }
  p.l = ladder::build({p.rec.get()}, {});
  const std::vector<finding_mark> marks = finding_marks(p.l);
  EXPECT_EQ(marks.size(), p.rec->findings.size());
  for (const finding_mark& m : marks)
    if (p.rec->findings[m.finding].kind == kind) p.mark = m;
  EXPECT_EQ(p.rec->findings.at(p.mark.finding).kind, kind) << name;
  return p;
}

TEST(ViewerMarks, FindingsAtTheirTimeAndColumn) {
  {
    // About one stream: where it starts, on its sender's column.
    placed p = place_finding("codec-mismatch", "codec_mismatch");
    const correlate::finding& f = p.rec->findings[p.mark.finding];
    const correlate::stream_info* st = nullptr;
    for (const auto& x : p.rec->streams)
      if (f.text.find(x.src.to_string() + " -> " + x.dst.to_string()) != std::string::npos) st = &x;
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(p.mark.time, st->start);
    ASSERT_NE(p.mark.column, ladder::npos);
    EXPECT_EQ(p.l.columns[p.mark.column].host.ip, st->src.ip);
  }
  {
    // About the talk: at the answer; no column of its own.
    placed p = place_finding("one-way-audio", "one_way_audio");
    ASSERT_TRUE(p.rec->times.answer);
    EXPECT_EQ(p.mark.time, *p.rec->times.answer);
    EXPECT_EQ(p.mark.column, ladder::npos);
  }
  {
    // No response: at the last INVITE (its retransmissions included).
    placed p = place_finding("no-response", "no_response");
    correlate::timestamp_ns last = 0;
    for (const auto& m : p.rec->messages)
      if (m.request && m.method == "INVITE") last = m.time;
    ASSERT_NE(last, 0);
    EXPECT_EQ(p.mark.time, last);
    EXPECT_GT(p.mark.time, p.rec->first_time);
  }
}

TEST(ViewerMarks, EvidenceRowsAreTheVerdictsFrames) {
  // corpus/explain/nat-one-way.expect.json: rule nat_one_way, evidence frames 1, 5, 6.
  session s;
  auto recs = load(s, corpus("explain", "nat-one-way"));
  ASSERT_EQ(recs.size(), 1u);
  const ladder::layout l = ladder::build({recs[0].get()}, {});
  const explain::verdict v = explain::explain(*recs[0], {});
  EXPECT_EQ(v.rule, "nat_one_way");
  std::set<std::uint64_t> frames;
  for (std::size_t row : evidence_rows(l, 0, v)) frames.insert(l.rows[row].message->frame.number);
  // The SIP frames among 1, 5, 6 (the others are RTP: no row).
  std::set<std::uint64_t> sip_frames;
  for (const auto& row : l.rows)
    if (row.message->frame.number == 1 || row.message->frame.number == 5 || row.message->frame.number == 6)
      sip_frames.insert(row.message->frame.number);
  EXPECT_FALSE(sip_frames.empty());
  EXPECT_EQ(frames, sip_frames);
  EXPECT_TRUE(evidence_rows(l, 1, v).empty());   // no such record: nothing
  // All records at once: the same rows.
  const std::vector<char> flags = evidence_flags(l, {v});
  std::vector<std::size_t> flagged;
  for (std::size_t i = 0; i < flags.size(); ++i)
    if (flags[i]) flagged.push_back(i);
  EXPECT_EQ(flagged, evidence_rows(l, 0, v));
  EXPECT_EQ(flags.size(), l.rows.size());
}

// The verdicts the viewer shows take the capture's losses into account, as `sipscope calls`:
// corpus/explain/ack-fragment-lost.expect.json and no-response-fragments.expect.json say the
// verdict must mention what the capture itself lost (fragments never completed).
TEST(ViewerMarks, VerdictsKnowWhatTheCaptureLost) {
  for (const char* name : {"ack-fragment-lost", "no-response-fragments"}) {
    session s;
    auto recs = load(s, corpus("explain", name));
    // the call of the expect.json (the capture may hold other records: stray responses)
    std::erase_if(recs, [](const auto& r) { return r->kind != correlate::record_kind::call; });
    ASSERT_EQ(recs.size(), 1u) << name;
    explain::context ctx;
    {
      std::lock_guard<std::mutex> g(s.mutex());
      ctx = s.data().losses;
      ctx.rtp_packets = s.data().rtp_packets;
    }
    ctx.capture_end = recs[0]->last_time;
    EXPECT_FALSE(ctx.losses.empty()) << name;
    const explain::verdict v = explain::explain(*recs[0], ctx);
    EXPECT_NE(v.text.find("the capture itself lost"), std::string::npos) << name << ": " << v.text;
    // without them the same record reads as if the capture had missed nothing
    explain::context none;
    none.capture_end = ctx.capture_end;
    none.rtp_packets = ctx.rtp_packets;
    EXPECT_EQ(explain::explain(*recs[0], none).text.find("the capture itself lost"), std::string::npos) << name;
  }
}

TEST(ViewerMarks, TransactionKeyPairsRequestsWithTheirResponses) {
  session s;
  auto recs = load(s, corpus("calls", "basic-call"));
  ASSERT_EQ(recs.size(), 1u);
  const auto& ms = recs[0]->messages;
  std::map<std::string, std::set<std::uint64_t>> keys;   // "CSeq method" -> keys seen
  std::set<std::uint64_t> all;
  for (const auto& m : ms) {
    keys[std::to_string(m.cseq) + m.method].insert(transaction_key(0, m));
    all.insert(transaction_key(0, m));
  }
  for (const auto& [k, v] : keys) EXPECT_EQ(v.size(), 1u) << k;   // a request and its responses: one key
  EXPECT_EQ(all.size(), keys.size());                              // INVITE, ACK, BYE apart
  EXPECT_NE(transaction_key(0, ms[0]), transaction_key(1, ms[0])); // another record of a merge
}

TEST(ViewerMarks, TimeBounds) {
  std::string e;
  const correlate::timestamp_ns day = 1'700'000'000'000'000'000;   // 2023-11-14 22:13:20 UTC
  const correlate::timestamp_ns midnight = 1'699'920'000'000'000'000;
  EXPECT_FALSE(parse_time_bound("", day, e));
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(parse_time_bound("+1.5", day, e), day + 1'500'000'000);
  EXPECT_EQ(parse_time_bound("22:13", day, e), midnight + (22 * 3600 + 13 * 60) * 1'000'000'000LL);
  EXPECT_EQ(parse_time_bound(" 22:13:20.250 ", day, e), day + 250'000'000);
  for (const char* bad : {"22", "25:00", "12:61", "+x", "ab:cd", "1:2:3:4", "12.5:00"}) {
    EXPECT_FALSE(parse_time_bound(bad, day, e)) << bad;
    EXPECT_FALSE(e.empty()) << bad;
  }
}

TEST(ViewerFiles, DirectoryListingFiltersByExtension) {
  const fs::path d = temp_dir() / "listing";
  fs::remove_all(d);
  fs::create_directories(d / "sub");
  fs::create_directories(d / ".hidden");
  for (const char* f : {"b.pcap", "a.PCAPNG", "c.sqlite", "notes.txt", ".x.pcap"}) std::ofstream(d / f) << "x";
  std::string err;
  std::vector<dir_entry> l = list_directory(d.string(), {".pcap", ".pcapng", ".sqlite"}, err);
  EXPECT_TRUE(err.empty());
  std::vector<std::string> names;
  for (const dir_entry& e : l) names.push_back(e.name + (e.dir ? "/" : ""));
  EXPECT_EQ(names, (std::vector<std::string>{"sub/", "a.PCAPNG", "b.pcap", "c.sqlite"}));
  EXPECT_EQ(list_directory(d.string(), {}, err).size(), 5u);   // all files: notes.txt too
  EXPECT_TRUE(list_directory((d / "missing").string(), {}, err).empty());
  EXPECT_FALSE(err.empty());
  fs::remove_all(d);
}

}  // namespace
