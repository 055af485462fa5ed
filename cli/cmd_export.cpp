// sipscope export: the records of many captures into one database (issue 7, docs/STORE.md).
// Wiring only: capture::pipeline -> correlator (one per worker) -> a bounded channel per capture
// -> one writer thread -> store (SQLite or PostgreSQL), plus optional JSONL and CSV copies.
//
// Why one channel per capture and not one queue: the store opens one transaction per capture,
// and a database connection has one transaction at a time, so the writer takes the captures in
// the order their workers started them and drains each to its end. A worker whose capture waits
// its turn fills its channel (bounded) and then waits too; small captures fit in the channel,
// so workers rarely wait.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "commands.hpp"
#include "common.hpp"
#include "sipscope/capture/handoff.hpp"
#include "sipscope/capture/relay.hpp"
#include "sipscope/correlate/json.hpp"
#include "sipscope/explain/explain.hpp"
#include "sipscope/json_writer.hpp"
#include "sipscope/store/hash.hpp"
#include "sipscope/store/store.hpp"

#ifndef SIPSCOPE_VERSION
#define SIPSCOPE_VERSION "0.0.0"
#endif

namespace sipscope::cli {
namespace {

namespace fs = std::filesystem;
namespace st = sipscope::store;

constexpr std::string_view export_usage =
    "usage: sipscope export [OPTIONS] --db TARGET PATH...\n"
    "\n"
    "Read packet captures and store every record the correlator finds (calls, registrations,\n"
    "other SIP traffic, their messages, dialogs, RTP streams and findings) in one database,\n"
    "for queries, charts and billing. The schema is in docs/STORE.md.\n"
    "\n"
    "Each capture is imported in one transaction: a killed export leaves whole captures only.\n"
    "A capture is identified by the content hash of its files: running the export again on\n"
    "the same captures adds nothing (a copy of a file under another name is the same capture).\n"
    "\n"
    "Input:\n"
    "  PATH...             a capture file (pcap, pcapng, gzip-compressed), imported as one\n"
    "                      capture; or a directory: all its capture files (recognised by their\n"
    "                      first bytes; others are skipped) are merged by packet time and\n"
    "                      imported as ONE capture, so that a call spanning a probe's rotated\n"
    "                      files is one record\n"
    "  -r, --recursive     also every subdirectory, each one its own capture\n"
    "  --per-file          every capture file is its own capture (its own row, content-hash\n"
    "                      key and correlator), even in a directory: files are read in\n"
    "                      parallel by --jobs, one capture per job; the trade-off: a call\n"
    "                      spanning two files is then split into two records (one per\n"
    "                      file), each missing part of its messages\n"
    "  --settle SECONDS    leave for a later run the files modified less than SECONDS ago\n"
    "                      (a probe still writing them), and a directory with such a file\n"
    "                      as a whole (its rotation is not complete); counted in the\n"
    "                      summary, exit status 0. Whatever --settle, a file that changes\n"
    "                      while it is read is not imported (status 'failed', exit 1)\n"
    "  -f, --filter BPF    capture filter in pcap-filter(7) syntax, applied to every frame\n"
    "  --limit NAME=VALUE  a resource limit of the capture reader and the correlator (each\n"
    "                      hit is a diagnostic, counted in captures.diagnostics); '--limit\n"
    "                      list' shows them with their defaults (docs/LIMITS.md)\n"
    "\n"
    "Output:\n"
    "  --db TARGET         the database: an SQLite file (created when missing), or a\n"
    "                      PostgreSQL URI postgresql://[user@]host[:port]/dbname (or\n"
    "                      postgresql:///dbname?host=/run/postgresql for a Unix socket)\n"
    "  --replace           re-import captures imported before (their rows are deleted first,\n"
    "                      in the same transaction)\n"
    "  --jsonl FILE        also write each record imported as one line of the model's JSON\n"
    "                      (as 'sipscope calls --format jsonl --all')\n"
    "  --csv DIR           also write the tables as CSV files DIR/TABLE.csv\n"
    "  --with-messages     also store each SIP message's text (messages.raw; bytes that are\n"
    "                      not UTF-8 as U+0080-U+00FF): the database then shows a message\n"
    "                      without its capture (about 1 KB more per message)\n"
    "  -j, --jobs N        captures read in parallel (default: the number of cores); one\n"
    "                      writer thread whatever N. With at least twice as many jobs as\n"
    "                      captures (a directory, --jobs 2), each capture is read on one\n"
    "                      thread and correlated on another (same records); a worker\n"
    "                      with no capture left does the correlating of one still read\n"
    "                      on one thread\n"
    "  -q, --quiet         no progress bar and no summary on stderr\n"
    "  -h, --help          this text\n"
    "\n"
    "Exit status: 0 every capture imported (or imported before), 1 some capture could not be\n"
    "read (it is recorded with status 'failed' and the run goes on) or overlaps a capture\n"
    "imported before, 2 usage error, or the database cannot be written (read-only, disk full,\n"
    "server gone): captures committed before that stay, the one in progress is rolled back.\n"
    "\n"
    "Examples:\n"
    "  sipscope export --db calls.sqlite trace.pcap\n"
    "  sipscope export --db calls.sqlite -r -j 4 /var/spool/probe/\n"
    "  sipscope export --db calls.sqlite --per-file -j 2 /var/spool/probe/eth0/\n"
    "  sipscope export -q --db calls.sqlite --per-file --settle 120 /var/spool/probe/live/\n"
    "  sipscope export --db postgresql://sipscope@db.example/voip /var/spool/probe/eth1/\n"
    "  sipscope export --db calls.sqlite --replace --csv out/ ring-00*.pcap.gz\n"
    "  sqlite3 calls.sqlite \"SELECT state, count(*) FROM calls GROUP BY state\"\n";

struct options {
  std::vector<std::string> paths;
  std::string db, jsonl, csv, bpf;
  std::vector<std::pair<std::string, std::uint64_t>> limits;   // --limit NAME=VALUE
  bool recursive = false, replace = false, quiet = false, per_file = false, with_messages = false;
  unsigned jobs = 0;
  double settle = 0;   // seconds; 0: every file
};

int usage(const std::string& msg) {
  std::fprintf(stderr, "sipscope export: %s\nTry 'sipscope export --help'.\n", msg.c_str());
  return exit_usage;
}

std::optional<int> parse_args(args a, options& o) {
  arg_cursor c(a);
  std::string v, err;
  while (!c.done()) {
    std::string_view s = c.current();
    if (c.flag("-h") || c.flag("--help")) {
      std::fwrite(export_usage.data(), 1, export_usage.size(), stdout);
      return exit_ok;
    }
    if (c.flag("-r") || c.flag("--recursive")) { o.recursive = true; continue; }
    if (c.flag("--replace")) { o.replace = true; continue; }
    if (c.flag("--per-file")) { o.per_file = true; continue; }
    if (c.flag("--with-messages")) { o.with_messages = true; continue; }
    if (c.flag("-q") || c.flag("--quiet")) { o.quiet = true; continue; }
    if (c.option("--db", v, err) || c.option("--jsonl", v, err) || c.option("--csv", v, err) ||
        c.option("-f", v, err) || c.option("--filter", v, err) || c.option("-j", v, err) ||
        c.option("--jobs", v, err)) {
      if (!err.empty()) return usage(err);
      if (s.starts_with("--db")) o.db = v;
      else if (s.starts_with("--jsonl")) o.jsonl = v;
      else if (s.starts_with("--csv")) o.csv = v;
      else if (s.starts_with("-f") || s.starts_with("--filter")) o.bpf = v;
      else {
        char* end = nullptr;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end || n < 1 || n > 256) return usage("--jobs takes a number from 1 to 256");
        o.jobs = static_cast<unsigned>(n);
      }
      continue;
    }
    if (c.option("--settle", v, err)) {
      if (!err.empty()) return usage(err);
      char* end = nullptr;
      const double n = std::strtod(v.c_str(), &end);
      if (v.empty() || *end || !(n >= 0) || n > 1e9) return usage("--settle takes seconds (0 or more)");
      o.settle = n;
      continue;
    }
    if (c.option("--limit", v, err)) {
      if (!err.empty()) return usage(err);
      if (v == "list") {
        print_known_limits();
        return exit_ok;
      }
      std::string name;
      std::uint64_t value = 0;
      if (!parse_limit(v, name, value, err)) return usage(err);
      o.limits.emplace_back(name, value);
      continue;
    }
    if (s == "--") {
      c.next();
      while (!c.done()) { o.paths.emplace_back(c.current()); c.next(); }
      break;
    }
    if (s.starts_with("-") && s != "-") return usage("unknown option '" + std::string(s) + "'");
    if (s == "-") return usage("export reads files, not stdin (a capture is identified by its content hash)");
    o.paths.emplace_back(s);
    c.next();
  }
  if (o.db.empty()) return usage("--db is required (an SQLite file such as calls.sqlite, or postgresql://...)");
  if (o.paths.empty()) return usage("no PATH given (capture files or directories of captures)");
  return std::nullopt;
}

// ---- what to import --------------------------------------------------------------------------

struct unit {
  std::string path;                   // file or directory
  std::vector<std::string> files;     // sorted by name
  std::vector<std::uint64_t> sizes;   // of each file (stat)
  std::uint64_t size = 0;             // bytes (stat)
};

// What says that a file changed: another file under its name, another size, another mtime.
struct file_stamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = -1;
  std::int64_t mtime_ns = 0;
  bool operator==(const file_stamp&) const = default;
};
std::optional<file_stamp> stamp_of(const std::string& path) {
  struct stat sb{};
  if (::stat(path.c_str(), &sb) != 0) return std::nullopt;
  return file_stamp{sb.st_dev, sb.st_ino, sb.st_size,
                    static_cast<std::int64_t>(sb.st_mtim.tv_sec) * 1'000'000'000 + sb.st_mtim.tv_nsec};
}

// --settle: the files modified less than `settle` seconds before the run started.
struct settling {
  double settle = 0;
  std::int64_t now_ns = 0;
  std::uint64_t files = 0, units = 0;   // left for a later run
  bool recent(const std::string& path) const {
    if (settle <= 0) return false;
    const auto st = stamp_of(path);
    return st && static_cast<double>(now_ns - st->mtime_ns) < settle * 1e9;
  }
};

// pcap (both byte orders, µs and ns), pcapng, gzip.
bool looks_like_capture(const fs::path& p) {
  unsigned char b[4] = {};
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) return false;
  const std::size_t n = std::fread(b, 1, 4, f);
  std::fclose(f);
  if (n < 4) return false;
  const std::uint32_t le = b[0] | b[1] << 8 | b[2] << 16 | static_cast<std::uint32_t>(b[3]) << 24;
  if (b[0] == 0x1f && b[1] == 0x8b) return true;
  return le == 0xa1b2c3d4 || le == 0xd4c3b2a1 || le == 0xa1b23c4d || le == 0x4d3cb2a1 || le == 0x0a0d0d0a;
}

// Adds the directory's capture files as one unit (and its subdirectories as others).
// With per_file, each capture file is a unit of its own.
void add_directory(const fs::path& dir, bool recursive, bool per_file, std::vector<unit>& out,
                   std::uint64_t& skipped, std::uint64_t& subdirs, bool& bad, settling& settle) {
  std::error_code ec;
  std::vector<fs::path> files, dirs;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.filename().string().starts_with(".")) continue;
    std::error_code e2;
    if (it->is_directory(e2)) dirs.push_back(p);
    else if (it->is_regular_file(e2)) files.push_back(p);
  }
  if (ec) {
    std::fprintf(stderr, "sipscope export: cannot read directory '%s': %s\n", dir.c_str(), ec.message().c_str());
    bad = true;
    return;
  }
  std::sort(files.begin(), files.end());
  std::sort(dirs.begin(), dirs.end());
  unit u;
  u.path = dir.string();
  std::uint64_t recent = 0;   // files of the directory still being written (--settle)
  for (const fs::path& f : files) {
    if (!looks_like_capture(f)) {
      ++skipped;
      continue;
    }
    std::error_code e2;
    const std::uint64_t size = fs::file_size(f, e2);
    if (settle.recent(f.string())) {
      ++recent;
      ++settle.files;
      if (per_file) ++settle.units;
      continue;
    }
    if (per_file) {
      unit one;
      one.path = f.string();
      one.files.push_back(f.string());
      one.sizes.push_back(size);
      one.size = size;
      out.push_back(std::move(one));
      continue;
    }
    u.files.push_back(f.string());
    u.sizes.push_back(size);
    u.size += size;
  }
  // One capture of a probe's rotated files is imported once all of them are complete: with a
  // file still being written, the directory waits as a whole (a later run would find its
  // files imported as part of a smaller capture: an overlap).
  if (!per_file && recent) {
    ++settle.units;
    settle.files += u.files.size();
    u.files.clear();
    u.sizes.clear();
  }
  if (!u.files.empty()) out.push_back(std::move(u));
  if (recursive)
    for (const fs::path& d : dirs) add_directory(d, true, per_file, out, skipped, subdirs, bad, settle);
  else
    subdirs += dirs.size();
}

// ---- worker -> writer ------------------------------------------------------------------------

struct begin_msg {
  st::capture_meta meta;
};
// Records leave their worker as rows (store::row_batch) and, with --jsonl, as their JSON
// lines: the writer, the one serial thread of an export, only hands them on.
struct records_msg {
  st::row_batch rows;
  std::string jsonl;
};
struct end_msg {
  st::capture_summary summary;
};
struct fail_msg {
  std::string why;
};
using message = std::variant<begin_msg, records_msg, end_msg, fail_msg>;

// One capture's messages, bounded: push() waits while `max` are queued.
class channel {
 public:
  static constexpr std::size_t max = 64;   // batches of up to `batch` records
  static constexpr std::size_t batch = 256;

  // False when the writer does not want more (capture present already, or the run stopped).
  bool push(message m) {
    std::unique_lock l(mu_);
    space_.wait(l, [&] { return q_.size() < max || dropped_; });
    if (dropped_) return false;
    q_.push_back(std::move(m));
    ready_.notify_one();
    return true;
  }
  message pop() {
    std::unique_lock l(mu_);
    ready_.wait(l, [&] { return !q_.empty(); });
    message m = std::move(q_.front());
    q_.pop_front();
    space_.notify_one();
    return m;
  }
  // The writer will not read more: pending and later messages are dropped.
  void drop() {
    std::lock_guard l(mu_);
    dropped_ = true;
    q_.clear();
    space_.notify_all();
  }
  bool dropped() {
    std::lock_guard l(mu_);
    return dropped_;
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<message> q_;
  bool dropped_ = false;
};

// The captures in the order workers started them; the writer takes them one by one.
class order_queue {
 public:
  void push(std::shared_ptr<channel> c) {
    std::lock_guard l(mu_);
    q_.push_back(std::move(c));
    cv_.notify_one();
  }
  void close() {
    std::lock_guard l(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  std::shared_ptr<channel> pop() {   // null once closed and empty
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return nullptr;
    auto c = std::move(q_.front());
    q_.pop_front();
    return c;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<channel>> q_;
  bool closed_ = false;
};

struct shared_state {
  const options* o = nullptr;
  std::vector<unit> units;
  std::atomic<std::size_t> next_unit{0};
  order_queue order;
  std::mutex lookup_mu;
  st::store* lookup = nullptr;
  // The database is opened (for a new one: created, which syncs the disk several times) while
  // the workers hash their first files; a lookup waits for it. 0 opening, 1 open, 2 failed.
  std::mutex db_mu;
  std::condition_variable db_cv;
  int db_state = 0;
  std::atomic<bool> fatal{false};
  // Fewer captures than half the jobs (one probe's directory, say): each capture is read on
  // two threads, one reading and decoding the files, the other correlating (capture::relay).
  bool two_stage = false;
  // A capture read on one thread (capture::handoff) that a worker with no capture left can
  // take over half-way: it then correlates while the owner only reads and decodes. Without
  // it, the last captures of a run, or one big capture among small ones, kept one CPU busy
  // while the others waited.
  struct help_offer {
    capture::handoff* h;
    const unit* u;
    std::size_t worker;
  };
  std::mutex help_mu;
  std::condition_variable help_cv;
  std::vector<help_offer> helpable;   // under help_mu
  std::size_t running = 0;          // captures started and not finished, under help_mu
  std::mutex msg_mu;   // stderr lines from several threads
  bool bar = false;    // a progress bar on stderr (a terminal, not --quiet)
  // Progress and summary.
  std::atomic<std::uint64_t> bytes_done{0}, units_done{0}, files_done{0};
  std::atomic<std::uint64_t> imported{0}, present{0}, failed{0}, conflicts{0};
  std::atomic<std::uint64_t> calls{0}, others{0};
  std::vector<std::atomic<std::uint64_t>> in_progress;   // per worker: bytes of its capture so far
  std::vector<std::atomic<std::uint64_t>> files_in_progress;   // per worker: its capture's files read
  std::atomic<std::uint64_t> records_made{0};   // by the correlators (the writer may hold them back)
  std::mutex pipelines_mu;
  std::vector<capture::pipeline*> pipelines;           // per worker, to stop on a fatal error
  st::error fatal_error;
};

// The connection for "is this capture imported already?", once the database is open; nullptr
// when it could not be opened (the run then stops: cmd_export says why).
st::store* lookup_store(shared_state& s) {
  std::unique_lock l(s.db_mu);
  s.db_cv.wait(l, [&] { return s.db_state != 0; });
  return s.db_state == 1 ? s.lookup : nullptr;
}

void say(shared_state& s, const std::string& line) {
  std::lock_guard l(s.msg_mu);
  if (s.bar) std::fprintf(stderr, "\r\033[K");   // over the progress bar; not in a log file
  std::fprintf(stderr, "sipscope export: %s\n", line.c_str());
}

// Forwards the pipeline's events to the correlator; counts bytes for the progress bar.
class worker_handler : public capture::handler {
 public:
  worker_handler(cr::correlator& c, std::atomic<std::uint64_t>& progress, std::atomic<std::uint64_t>& files,
                 const std::vector<std::uint64_t>& sizes, explain::context& ctx)
      : c_(c), progress_(progress), files_(files), sizes_(sizes), ctx_(ctx) {}
  void on_sip(const capture::sip_event& e) override { c_.on_sip(e); }
  void on_udp(const capture::udp_event& e) override { c_.on_udp(e); }
  // ICMP unreachables and TCP SYN/RST: evidence of explain's verdicts, as in `sipscope calls`
  void on_icmp(const capture::icmp_event& e) override { c_.on_icmp(e); }
  void on_tcp(const capture::tcp_event& e) override { c_.on_tcp(e); }
  void on_diag(const capture::diag_event& e) override {
    if (e.kind == capture::diag_kind::cannot_open || e.kind == capture::diag_kind::not_a_capture) {
      if (file_error.empty()) file_error = std::string(e.what);
    }
    explain::add_loss(ctx_, e);
    c_.on_diag(e);
  }
  void on_progress(std::uint64_t done, std::uint64_t) override {
    progress_ = done;
    // the files read through: the capture's bytes so far past the end of each
    while (file_ < sizes_.size() && done >= file_end_ + sizes_[file_]) {
      file_end_ += sizes_[file_++];
      files_ = file_;
    }
  }
  std::string file_error;

 private:
  cr::correlator& c_;
  std::atomic<std::uint64_t>& progress_;
  std::atomic<std::uint64_t>& files_;
  const std::vector<std::uint64_t>& sizes_;
  std::size_t file_ = 0;
  std::uint64_t file_end_ = 0;
  explain::context& ctx_;
};

std::string diag_text(const capture::statistics& ps) {
  std::string s;
  for (const auto& [kind, n] : ps.diags) {
    if (!s.empty()) s += ", ";
    s += std::to_string(n);
    s += ' ';
    s += capture::to_string(kind);
  }
  return s;
}

void run_unit(shared_state& s, std::size_t worker, const unit& u) {
  st::capture_meta meta;
  meta.path = u.path;
  meta.tool_version = "sipscope " SIPSCOPE_VERSION;
  // The content hash of each file, which identifies the capture (a re-run skips it).
  std::vector<st::capture_file> files(u.files.size());
  std::vector<std::string> errors(u.files.size());
  // Each file as it was before its hash was taken: if it is not the same once read (a probe
  // still writing it, a file replaced), what was read is not what was hashed, and a later
  // run would import its complete content as another capture.
  std::vector<std::optional<file_stamp>> stamps;
  stamps.reserve(u.files.size());
  for (const std::string& f : u.files) stamps.push_back(stamp_of(f));
  std::vector<char> ok(u.files.size(), 0);
  auto hash = [&](std::size_t first, std::size_t step) {
    for (std::size_t i = first; i < files.size(); i += step) {
      files[i].path = u.files[i];
      ok[i] = st::content_hash(u.files[i], files[i].hash, files[i].size, errors[i]);
    }
  };
  // In the two-stage mode, a capture of several files whose first file the database does not
  // know (not a re-run) is read while its other files are hashed, on a thread of its own at a
  // low priority in the correlating thread's spare time. Its records wait in the worker until
  // the hashes say whether it is imported already. Otherwise every file is hashed first (on
  // two threads in the two-stage mode).
  bool speculate = false;
  std::jthread hasher;
  std::atomic<bool> hashed{false};
  if (s.two_stage && files.size() > 1) {
    hash(0, files.size());   // the first file only (a step past the last)
    if (ok[0]) {
      st::capture_meta first;
      first.path = u.path;
      first.files.push_back(files[0]);
      first.key = st::unit_key(first.files);
      st::store* lk = lookup_store(s);
      if (!lk) return;
      std::lock_guard l(s.lookup_mu);
      speculate = lk->lookup(first).status == st::begin_status::started;
    }
    if (speculate) {
      hasher = std::jthread([&] {
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
        hash(1, 1);
        hashed = true;
      });
    } else {
      std::thread other(hash, 1, 2);   // (the first file is hashed already)
      hash(2, 2);
      other.join();
    }
  } else {
    hash(0, 1);
  }

  // The capture goes to the writer (its place in the writer's order, then begin_msg) once its
  // key is known and the database does not have it; false when it is skipped.
  auto ch = std::make_shared<channel>();
  bool opened = false, skipped = false;
  std::vector<message> waiting;   // records made before the hashes were done
  auto open_capture = [&]() -> bool {
    if (opened) return true;
    if (skipped) return false;
    skipped = true;
    if (hasher.joinable()) hasher.join();
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (!ok[i]) {
        say(s, "cannot read '" + u.files[i] + "': " + errors[i] + " (skipped: check its permissions)");
        ++s.failed;
        return false;
      }
      meta.size += files[i].size;
      meta.files.push_back(files[i]);
    }
    meta.key = st::unit_key(meta.files);
    {
      st::store* lk = lookup_store(s);
      if (!lk) return false;
      std::lock_guard l(s.lookup_mu);
      const st::lookup_result r = lk->lookup(meta);
      if (r.status == st::begin_status::present && !s.o->replace) {
        ++s.present;
        return false;
      }
      if (r.status == st::begin_status::conflict && !s.o->replace) {
        say(s, "'" + u.path + "' not imported: " + r.detail + " (--replace re-imports it as one capture)");
        ++s.conflicts;
        return false;
      }
    }
    s.order.push(ch);
    if (!ch->push(begin_msg{meta})) return false;
    for (message& m : waiting)
      if (!ch->push(std::move(m))) return false;
    waiting.clear();
    skipped = false;
    opened = true;
    return true;
  };
  // Every message of the capture to the writer goes through here.
  auto deliver = [&](message m) -> bool {
    if (!opened && speculate && !hashed && std::holds_alternative<records_msg>(m) && waiting.size() < channel::max) {
      waiting.push_back(std::move(m));
      return true;
    }
    return open_capture() && ch->push(std::move(m));
  };
  if (!speculate && !open_capture()) return;

  // --limit values (docs/LIMITS.md), as every other command applies them.
  capture::module_limits mlim;
  cr::correlator_options copts;
  copts.keep_raw = s.o->with_messages;
  {
    common_options co;
    co.limits = s.o->limits;
    apply_limits(co, mlim, copts);
  }
  capture::pipeline_options po;
  po.filter = s.o->bpf;
  po.standard_modules = false;   // installed below, with the --limit values
  capture::pipeline p(po);
  capture::standard_modules mods(mlim);
  mods.install(p);
  for (const std::string& f : u.files) p.add_file(f);
  std::string err;
  if (!p.ready(err)) {   // the filter was checked before the run: an input problem
    deliver(fail_msg{err});
    return;
  }
  // Each record gets the verdict `sipscope calls` gives it (explain, with the capture as its
  // context: its losses, its end, its RTP). A record leaves the correlator before the capture
  // ends, so its verdict is taken with the capture so far, and taken again as if the capture
  // went on for a day with more RTP: when the two differ (a call cut by the capture's end, no
  // RTP seen yet anywhere), the record waits for the end of the capture and its final context.
  explain::context ctx;
  // Limits hit in the correlator are diagnostics of the capture, as in `sipscope calls`.
  std::map<capture::diag_kind, std::uint64_t> limit_hits;
  copts.on_limit = [&](const capture::diag_event& e) {
    ++limit_hits[e.kind];
    explain::add_loss(ctx, e);
  };
  cr::correlator c(copts);
  records_msg batch;
  std::vector<cr::record> held;
  bool stopped = false, finishing = false;
  const bool jsonl = !s.o->jsonl.empty();
  auto add = [&](const cr::record& r, const explain::verdict& v) {
    batch.rows.add(r, st::verdict_fields{v.rule, explain::to_string(v.cat), v.text, explain::to_string(v.conf)});
    if (jsonl) {
      json_writer w(false);
      cr::json_options jo;
      jo.messages = false;
      jo.extra = [&](json_writer& jw, const cr::record&) {   // as `sipscope calls` writes it
        jw.key("verdict");
        explain::write_json(jw, v, false);
      };
      cr::write_json(w, r, jo);
      batch.jsonl += w.str();
      batch.jsonl += '\n';
    }
  };
  auto send = [&] {
    if (!deliver(std::move(batch))) {
      stopped = true;
      p.stop();
    }
    batch = {};
  };
  c.set_sink([&](cr::record&& r) {
    if (stopped) return;
    s.records_made.fetch_add(1, std::memory_order_relaxed);
    ctx.capture_end = c.stats().last_time;
    ctx.rtp_packets = c.stats().rtp_packets;
    explain::verdict v = explain::explain(r, ctx);
    if (!finishing) {
      const cr::timestamp_ns end = ctx.capture_end;
      const std::uint64_t rtp = ctx.rtp_packets;
      ctx.capture_end = capture::later(end, 86'400'000'000'000);
      ctx.rtp_packets = rtp + 1;
      const explain::verdict later = explain::explain(r, ctx);
      ctx.capture_end = end;
      ctx.rtp_packets = rtp;
      if (later.rule != v.rule || later.text != v.text || later.conf != v.conf) {
        held.push_back(std::move(r));
        return;
      }
    }
    add(r, v);
    if (batch.rows.records() >= channel::batch) send();
  });
  worker_handler h(c, s.in_progress[worker], s.files_in_progress[worker], u.sizes, ctx);
  {
    std::lock_guard l(s.pipelines_mu);
    s.pipelines[worker] = &p;
  }
  if (s.two_stage) {
    // This thread correlates; another reads and decodes, a bounded queue between them. A
    // stop (fatal error, the writer dropping the capture) stops the pipeline, whose thread
    // then closes the relay.
    capture::relay r;
    std::thread reader([&] {
      p.run(r);
      r.close();
    });
    r.drain(h);
    reader.join();
  } else if (s.in_progress.size() > 1) {
    capture::handoff ho(h);
    {
      std::lock_guard l(s.help_mu);
      s.helpable.push_back({&ho, &u, worker});
    }
    s.help_cv.notify_all();
    p.run(ho);
    {
      std::lock_guard l(s.help_mu);   // a helper claims under this lock: after it, none can
      std::erase_if(s.helpable, [&](const shared_state::help_offer& x) { return x.h == &ho; });
    }
    ho.finish();   // a helper's last records are made
  } else {
    p.run(h);
  }
  {
    std::lock_guard l(s.pipelines_mu);
    s.pipelines[worker] = nullptr;
  }
  if (stopped || s.fatal) return;
  if (hasher.joinable()) hasher.join();   // (its sizes, below)
  for (std::size_t i = 0; i < u.files.size(); ++i) {
    const std::optional<file_stamp> now = stamp_of(u.files[i]);
    if (!stamps[i] || !now) continue;   // not readable: the read has said so (file_error)
    if (*now != *stamps[i] || (ok[i] && static_cast<std::uint64_t>(now->size) != files[i].size)) {
      deliver(fail_msg{"'" + u.files[i] + "' changed while it was read (" + std::to_string(stamps[i]->size) +
                       " bytes, then " + std::to_string(now->size) +
                       "): a probe still writing it? Not imported: run again once it is complete (--settle "
                       "leaves recent files for a later run)"});
      return;
    }
  }
  finishing = true;
  c.finish();
  ctx.capture_end = c.stats().last_time;
  ctx.rtp_packets = c.stats().rtp_packets;
  for (const cr::record& r : held) {
    add(r, explain::explain(r, ctx));
    if (batch.rows.records() >= channel::batch) send();
    if (stopped) return;
  }
  held.clear();
  if (!batch.rows.empty() && !deliver(std::move(batch))) return;
  if (!h.file_error.empty()) {
    deliver(fail_msg{h.file_error});
    return;
  }
  const capture::statistics& ps = p.stats();
  st::capture_summary sum;
  for (const auto& [lt, n] : ps.per_link_type) {
    if (!sum.link_types.empty()) sum.link_types += ',';
    sum.link_types += std::to_string(lt);
  }
  sum.first_time = c.stats().first_time;
  sum.last_time = c.stats().last_time;
  sum.packets = ps.frames;
  sum.bytes = ps.bytes;
  sum.sip_messages = c.stats().sip_messages;
  sum.rtp_packets = c.stats().rtp_packets;
  sum.diagnostics = diag_text(ps);
  for (const auto& [kind, n] : limit_hits) {
    if (!sum.diagnostics.empty()) sum.diagnostics += ", ";
    sum.diagnostics += std::to_string(n);
    sum.diagnostics += ' ';
    sum.diagnostics += capture::to_string(kind);
  }
  deliver(end_msg{std::move(sum)});
}

void worker_main(shared_state& s, std::size_t worker) {
  for (;;) {
    if (s.fatal) break;
    std::size_t i;
    {
      std::lock_guard l(s.help_mu);
      i = s.next_unit++;
      if (i < s.units.size()) ++s.running;
    }
    if (i >= s.units.size()) break;
    run_unit(s, worker, s.units[i]);
    s.in_progress[worker] = 0;
    s.files_in_progress[worker] = 0;
    s.bytes_done += s.units[i].size;
    s.files_done += s.units[i].files.size();
    ++s.units_done;
    {
      std::lock_guard l(s.help_mu);
      --s.running;
    }
    s.help_cv.notify_all();
  }
  // No capture left to start: correlate one that another worker is still reading alone (the
  // one with the most bytes left), until every capture is done.
  for (;;) {
    capture::handoff* h = nullptr;
    {
      std::unique_lock l(s.help_mu);
      s.help_cv.wait(l, [&] { return s.fatal || !s.helpable.empty() || s.running == 0; });
      if (s.fatal || s.helpable.empty()) return;
      auto left = [&](const shared_state::help_offer& x) {
        const std::uint64_t done = s.in_progress[x.worker];
        return x.u->size > done ? x.u->size - done : 0;
      };
      auto best = std::max_element(s.helpable.begin(), s.helpable.end(),
                                   [&](const auto& a, const auto& b) { return left(a) < left(b); });
      h = best->h;
      s.helpable.erase(best);
      if (!h->claim()) continue;
    }
    h->help();
  }
}

void stop_all(shared_state& s, const st::error& e) {
  if (!s.fatal.exchange(true)) s.fatal_error = e;
  std::lock_guard l(s.pipelines_mu);
  for (capture::pipeline* p : s.pipelines)
    if (p) p->stop();
}

// Takes the captures in order; each one is a transaction of the database (and a run of rows
// in the CSV files and the JSONL).
void writer_main(shared_state& s, st::store& db, st::store* csv, std::FILE* jsonl) {
  // Two stages: the reading thread is the slower one, and the correlating thread leaves ~40%
  // of its CPU unused. The writer, niced, runs in that gap instead of taking time from the
  // reader (20 x 52 MB as one capture, --jobs 2, 4 runs each: 1.05-1.09 s at nice 0,
  // 0.99-1.02 s at 10). Not with --per-file-like loads, where every CPU is busy to the end:
  // there a niced writer only finishes later (0.84-0.85 s -> 0.88-0.90 s). Linux nices threads.
  if (s.two_stage) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  for (;;) {
    std::shared_ptr<channel> ch = s.order.pop();
    if (!ch) return;
    if (s.fatal) {
      ch->drop();
      continue;
    }
    st::capture_meta meta;
    bool open = false;
    for (bool done = false; !done;) {
      message m = ch->pop();
      if (auto* b = std::get_if<begin_msg>(&m)) {
        meta = std::move(b->meta);
        std::string detail;
        const st::begin_status bs = db.begin_capture(meta, s.o->replace, detail);
        if (bs == st::begin_status::started) {
          open = true;
          if (csv) csv->begin_capture(meta, false, detail);
          continue;
        }
        ch->drop();
        done = true;
        if (bs == st::begin_status::present) ++s.present;
        else if (bs == st::begin_status::conflict) {
          say(s, "'" + meta.path + "' not imported: " + detail + " (--replace re-imports it as one capture)");
          ++s.conflicts;
        } else {
          stop_all(s, db.last_error());
        }
      } else if (auto* r = std::get_if<records_msg>(&m)) {
        if (!db.add(r->rows) || (csv && !csv->add(r->rows))) {
          stop_all(s, csv && csv->last_error().kind != st::error_kind::none ? csv->last_error() : db.last_error());
          db.abort_capture();
          ch->drop();
          done = true;
          continue;
        }
        s.calls += r->rows.calls();
        s.others += r->rows.records() - r->rows.calls();
        if (jsonl) std::fwrite(r->jsonl.data(), 1, r->jsonl.size(), jsonl);
      } else if (auto* e = std::get_if<end_msg>(&m)) {
        done = true;
        if (!open) continue;
        if (csv) csv->commit_capture(e->summary);
        if (!db.commit_capture(e->summary)) {
          stop_all(s, db.last_error());
          ch->drop();
        } else {
          ++s.imported;
        }
      } else if (auto* f = std::get_if<fail_msg>(&m)) {
        done = true;
        db.abort_capture();
        say(s, "'" + meta.path + "' could not be read: " + f->why + " (recorded with status 'failed')");
        ++s.failed;
        if (!db.record_failure(meta, f->why)) stop_all(s, db.last_error());
      }
    }
  }
}

std::string mb(std::uint64_t bytes) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return b;
}

}  // namespace

int cmd_export(args a) {
  options o;
  if (auto rc = parse_args(a, o)) return *rc;

  // What to import: every PATH checked first, so that a typo fails at once.
  shared_state s;
  s.o = &o;
  s.bar = !o.quiet && ::isatty(STDERR_FILENO);
  bool bad = false;
  std::uint64_t skipped_files = 0, subdirs = 0;
  settling settle;
  settle.settle = o.settle;
  {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    settle.now_ns = static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }
  for (const std::string& p : o.paths) {
    struct stat sb{};
    if (::stat(p.c_str(), &sb) != 0) {
      std::fprintf(stderr, "sipscope export: cannot open '%s': %s\n", p.c_str(), std::strerror(errno));
      bad = true;
    } else if (S_ISDIR(sb.st_mode)) {
      const std::size_t before = s.units.size();
      const std::uint64_t settling_before = settle.units;
      add_directory(p, o.recursive, o.per_file, s.units, skipped_files, subdirs, bad, settle);
      if (s.units.size() == before && !bad && settle.units == settling_before)
        std::fprintf(stderr, "sipscope export: no capture files in '%s'%s\n", p.c_str(),
                     o.recursive ? "" : " (--recursive reads its subdirectories)");
    } else if (settle.recent(p)) {
      ++settle.files;
      ++settle.units;
    } else {
      unit u;
      u.path = p;
      u.files.push_back(p);
      u.sizes.push_back(static_cast<std::uint64_t>(sb.st_size));
      u.size = static_cast<std::uint64_t>(sb.st_size);
      s.units.push_back(std::move(u));
    }
  }
  if (bad) return exit_usage;
  if (!o.bpf.empty()) {
    capture::pipeline_options po;
    po.filter = o.bpf;
    capture::pipeline p(po);
    p.add_file("/dev/null");
    std::string err;
    if (!p.ready(err)) return usage("bad capture filter '" + o.bpf + "': " + err);
  }

  std::uint64_t total_bytes = 0, total_files = 0;
  for (const unit& u : s.units) {
    total_bytes += u.size;
    total_files += u.files.size();
  }
  unsigned jobs = o.jobs ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  s.two_stage = jobs >= 2 * s.units.size();
  jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(1, s.units.size())));
  s.in_progress = std::vector<std::atomic<std::uint64_t>>(jobs);
  s.files_in_progress = std::vector<std::atomic<std::uint64_t>>(jobs);
  s.pipelines.assign(jobs, nullptr);

  const auto t0 = std::chrono::steady_clock::now();
  // The workers start hashing their first captures while the database is opened here: a new
  // SQLite database syncs the disk about six times as it is created, 10-40 ms on this kind of
  // machine, which was the run's serial start. They wait for it before their first lookup.
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < jobs; ++w) workers.emplace_back(worker_main, std::ref(s), w);
  auto opened = [&](bool ok) {
    {
      std::lock_guard l(s.db_mu);
      s.db_state = ok ? 1 : 2;
      if (!ok) s.fatal = true;
    }
    s.db_cv.notify_all();
    if (!ok)
      for (std::thread& w : workers) w.join();
  };
  st::error e;
  std::unique_ptr<st::store> db = st::open(o.db, e);
  std::unique_ptr<st::store> lookup = db ? st::open(o.db, e) : nullptr;
  if (!db || !lookup) {
    opened(false);
    std::fprintf(stderr, "sipscope export: %s\n", e.text.c_str());
    return exit_usage;
  }
  std::unique_ptr<st::store> csv;
  if (!o.csv.empty() && !(csv = st::open_csv(o.csv, e))) {
    opened(false);
    std::fprintf(stderr, "sipscope export: %s\n", e.text.c_str());
    return exit_usage;
  }
  std::FILE* jsonl = nullptr;
  if (!o.jsonl.empty() && !(jsonl = std::fopen(o.jsonl.c_str(), "wb"))) {
    opened(false);
    std::fprintf(stderr, "sipscope export: cannot write '%s': %s\n", o.jsonl.c_str(), std::strerror(errno));
    return exit_usage;
  }
  s.lookup = lookup.get();
  opened(true);

  std::thread writer(writer_main, std::ref(s), std::ref(*db), csv.get(), jsonl);

  // Progress: files done/total, bytes, records/s, ETA; redrawn 5 times a second on a terminal.
  const bool bar = s.bar;
  // (It waits on a condition variable, not a sleep: the end of the run wakes it at once
  // rather than up to 200 ms later.)
  std::atomic<bool> workers_done{false};
  std::mutex progress_mu;
  std::condition_variable progress_cv;
  std::thread progress([&] {
    while (!workers_done) {
      {
        std::unique_lock l(progress_mu);
        progress_cv.wait_for(l, std::chrono::milliseconds(200), [&] { return workers_done.load(); });
      }
      if (!bar || workers_done) continue;
      std::uint64_t done = s.bytes_done, files = s.files_done;
      for (auto& b : s.in_progress) done += b;
      for (auto& f : s.files_in_progress) files += f;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
      // records as the correlators make them: the writer may hold a capture's records back
      // until its files' hashes are known (docs/STORE.md)
      const double recs = secs > 0 ? static_cast<double>(s.records_made) / secs : 0;
      std::string eta = "--:--";
      if (rate > 0 && done > 0 && total_bytes >= done) {
        const auto left = static_cast<long long>(static_cast<double>(total_bytes - done) / rate);
        char b[32];
        std::snprintf(b, sizeof b, "%lld:%02lld", left / 60, left % 60);
        eta = b;
      }
      const double frac = total_bytes ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_bytes)) : 0;
      const int fill = static_cast<int>(frac * 20);
      std::string line = "\r[";
      line.append(static_cast<std::size_t>(fill), '#');
      line.append(static_cast<std::size_t>(20 - fill), ' ');
      char b[200];
      std::snprintf(b, sizeof b, "] files %llu/%llu  %.1f/%.1f MB  %.1f MB/s  %.0f records/s  ETA %s\033[K",
                    static_cast<unsigned long long>(std::min(files, total_files)),
                    static_cast<unsigned long long>(total_files), static_cast<double>(done) / 1e6,
                    static_cast<double>(total_bytes) / 1e6, rate / 1e6, recs, eta.c_str());
      line += b;
      std::lock_guard l(s.msg_mu);
      std::fputs(line.c_str(), stderr);
      std::fflush(stderr);
    }
  });
  for (std::thread& w : workers) w.join();
  s.order.close();
  writer.join();
  {
    std::lock_guard l(progress_mu);
    workers_done = true;
  }
  progress_cv.notify_all();
  progress.join();
  if (bar) std::fputs("\r\033[K", stderr);
  if (jsonl && std::fclose(jsonl) != 0 && !s.fatal)
    std::fprintf(stderr, "sipscope export: error writing '%s': %s\n", o.jsonl.c_str(), std::strerror(errno));

  if (s.fatal) {
    std::fprintf(stderr, "sipscope export: %s\n", s.fatal_error.text.c_str());
    std::fprintf(stderr, "sipscope export: stopped: %llu captures imported before the error are complete\n",
                 static_cast<unsigned long long>(s.imported.load()));
    return exit_usage;
  }
  if (!o.quiet) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::string line = std::to_string(s.units.size()) + (s.units.size() == 1 ? " capture (" : " captures (") +
                       std::to_string(total_files) + (total_files == 1 ? " file, " : " files, ") + mb(total_bytes) +
                       "): " + std::to_string(s.imported) + " imported, " + std::to_string(s.present) +
                       " imported before";
    if (s.failed) line += ", " + std::to_string(s.failed) + " failed";
    if (s.conflicts) line += ", " + std::to_string(s.conflicts) + " overlapping an earlier import";
    char b[160];
    std::snprintf(b, sizeof b, "; %llu calls and %llu other records in %.2f s (%.1f MB/s) into ",
                  static_cast<unsigned long long>(s.calls.load()), static_cast<unsigned long long>(s.others.load()),
                  secs, secs > 0 ? static_cast<double>(total_bytes) / 1e6 / secs : 0.0);
    line += b;
    line += db->describe();
    std::fprintf(stderr, "sipscope export: %s\n", line.c_str());
    if (skipped_files)
      std::fprintf(stderr, "sipscope export: %llu files in the directories are not captures (skipped)\n",
                   static_cast<unsigned long long>(skipped_files));
    if (subdirs)
      std::fprintf(stderr, "sipscope export: %llu subdirectories not read (--recursive reads them)\n",
                   static_cast<unsigned long long>(subdirs));
    if (settle.units)
      std::fprintf(stderr,
                   "sipscope export: %llu %s (%llu %s) left for a later run: modified less than %g s ago "
                   "(--settle)\n",
                   static_cast<unsigned long long>(settle.units), settle.units == 1 ? "capture" : "captures",
                   static_cast<unsigned long long>(settle.files), settle.files == 1 ? "file" : "files", o.settle);
  }
  return s.failed || s.conflicts ? exit_findings : exit_ok;
}

}  // namespace sipscope::cli
