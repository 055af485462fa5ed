// The call-record store (issue 7): the records of whole captures into one database, SQLite or
// PostgreSQL, through one small interface.
//
//   auto s = store::open("calls.sqlite", err);            // or "postgresql://host/db"
//   s->begin_capture(meta, replace);                       // one transaction per capture
//   s->add(record); ...                                    // rows of calls, messages, streams...
//   s->commit_capture(summary);                            // or abort_capture()
//
// A capture is an import unit: one file, or the files of one directory merged by time (a
// probe's rotated captures). It is identified by the content hash of its files (hash.hpp), a
// UNIQUE key in the database: importing it again adds nothing unless `replace`. Its rows become
// visible all at once, with `captures.status = 'complete'`, or not at all (docs/STORE.md).
//
// Not thread-safe: one store per thread. Errors never throw; each call that can fail returns
// false (or begin_status::failed) and last_error() says what and why.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipscope/correlate/model.hpp"

namespace sipscope::store {

inline constexpr int schema_version = 2;

struct capture_file {
  std::string path;
  std::uint64_t size = 0;
  std::string hash;        // content_hash() of the file
};

struct capture_meta {
  std::string path;                    // the file, or the directory whose files were merged
  std::vector<capture_file> files;     // in the order given to the pipeline
  std::string key;                     // unit_key(files): the UNIQUE content key
  std::uint64_t size = 0;              // bytes of all files
  std::string tool_version;
};

// What the run learnt about the capture, written when it commits.
struct capture_summary {
  std::string link_types;              // "1,113": link-layer types (pcap LINKTYPE_) seen
  correlate::timestamp_ns first_time = 0, last_time = 0;   // 0: no packet
  std::uint64_t packets = 0, bytes = 0, sip_messages = 0, rtp_packets = 0;
  std::string diagnostics;             // "3 truncated_file, ...", empty when none
};

enum class error_kind : std::uint8_t {
  none,
  read_only,     // the database (or its directory, for SQLite's WAL) cannot be written
  disk_full,
  connection,    // cannot open / connect / lost the server
  schema,        // a schema newer than this program, or not sipscope's
  conflict,      // a file of the capture belongs to another capture already imported
  other,
};

struct error {
  error_kind kind = error_kind::none;
  std::string text;
};

enum class begin_status : std::uint8_t {
  started,   // the transaction is open: add() the records
  present,   // already imported (complete): nothing to do; `detail` names the earlier import
  conflict,  // some file already belongs to another capture (without `replace`)
  failed,    // last_error()
};

struct lookup_result {
  begin_status status = begin_status::started;   // started: not imported yet
  std::string detail;
};

// The verdict of `sipscope explain` for a record, as `sipscope calls` prints it: the rule's id,
// its category, the sentence and the confidence.
struct verdict_fields {
  std::string_view rule, category, text, confidence;
};

// The rows of records, encoded where the records are made. An export has N workers and one
// writer: the writer is its serial part, so the workers turn their records into rows (texts
// cleaned, endpoints and times formatted, the records freed) and the writer only hands the
// values to the database. add() may run on any thread; the batch then goes to
// store::add(const row_batch&) on the store's thread. The capture id, which only the store
// knows, is filled in there.
class row_batch {
 public:
  // Every row of one record (calls/registrations/events, dialogs, legs, messages, streams,
  // findings), exactly as store::add(r, v) would write them.
  void add(const correlate::record& r, const verdict_fields& v = {});
  std::size_t records() const noexcept { return records_; }
  std::size_t calls() const noexcept { return calls_; }      // records of kind call
  bool empty() const noexcept { return records_ == 0; }
  void clear() noexcept;
  std::string_view bytes() const noexcept { return bytes_; }   // the encoding (schema.cpp)

 private:
  std::string bytes_;
  std::size_t records_ = 0, calls_ = 0;
};

class store {
 public:
  virtual ~store() = default;

  // Whether the capture is imported already (read-only, no transaction): workers ask before
  // reading a capture; begin_capture() decides again, in its transaction.
  virtual lookup_result lookup(const capture_meta& m) = 0;
  // Opens the capture's transaction. `replace`: an earlier import of the same content, or of
  // any of its files, is deleted in the same transaction. `detail` says why when not started.
  virtual begin_status begin_capture(const capture_meta& m, bool replace, std::string& detail) = 0;
  // `v`: the record's verdict (correlate/explain), which the store does not compute; empty
  // fields are stored as NULL.
  virtual bool add(const correlate::record& r, const verdict_fields& v) = 0;
  bool add(const correlate::record& r) { return add(r, verdict_fields{}); }
  // The rows of a batch, as if each of its records had been add()ed.
  virtual bool add(const row_batch& b) = 0;
  virtual bool commit_capture(const capture_summary& s) = 0;
  virtual void abort_capture() = 0;
  // A capture that could not be read: a row with status 'failed' and why, no records (a later
  // run tries it again).
  virtual bool record_failure(const capture_meta& m, std::string_view why) = 0;

  const error& last_error() const noexcept { return err_; }
  virtual std::string describe() const = 0;   // "SQLite calls.sqlite", for messages

 protected:
  error err_;
};

// "postgresql://..." or "postgres://..." (a libpq URI) opens PostgreSQL; anything else is the
// path of an SQLite file (created when missing). The schema is created or migrated on open.
// Null on failure, with `e` set.
std::unique_ptr<store> open(const std::string& target, error& e);

}  // namespace sipscope::store

namespace sipscope::store {

// Not a database: the same tables as CSV files in `dir` (one TABLE.csv each, RFC 4180, header
// row; created or truncated), for spreadsheets. No transactions: a capture that aborts may
// leave rows there.
std::unique_ptr<store> open_csv(const std::string& dir, error& e);

}  // namespace sipscope::store
