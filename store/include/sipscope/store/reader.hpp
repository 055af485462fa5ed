// Reading an export database back into the call model (issue 8: `sipscope-view calls.sqlite`).
// The SQLite file `sipscope export` wrote (docs/STORE.md) becomes the records the correlator
// would have made, as far as the tables hold them: calls, registrations and events with their
// messages (the ladder rows, frame references included), dialogs, legs, RTP streams (statistics
// and DTMF digits, not the per-packet series) and findings.
//
//   store::error e;
//   auto db = store::reader::open("calls.sqlite", e);   // null on failure, `e` says why
//   db->read([&](store::read_record&& r) { ...; return true; });
//
// Columns are read by name, so that schema 1 and 2 (the verdict columns) and
// later versions that only add columns read alike; a column that is missing leaves its field at
// the model's default. Read-only: the file is opened with SQLITE_OPEN_READONLY and never
// migrated. No ImGui, no threads: the viewer calls it from its loading worker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sipscope/correlate/model.hpp"
#include "sipscope/store/store.hpp"

namespace sipscope::store {

// One row of `captures` and its files (capture_files, in file_index order).
struct stored_capture {
  std::int64_t id = 0;
  std::string path, status;            // status: importing, complete, failed
  std::vector<std::string> files;      // message frame refs' `file` indexes this list
  std::uint64_t records = 0;           // as counted at commit (0 when not complete)
};

struct read_record {
  correlate::record rec;               // rec.index: the record_index of its capture
  std::int64_t capture_id = 0;
  // The explain verdict the export stored (schema 2: verdict, verdict_category, verdict_text,
  // verdict_confidence of calls, registrations and events); "" when absent.
  std::string verdict, verdict_category, verdict_text, verdict_confidence;
  // The raw text of each message, parallel to rec.messages, when the database stores it (a
  // `raw` column of `messages`, export --with-messages); empty otherwise.
  std::vector<std::string> raw;
};

class reader {
 public:
  ~reader();
  reader(const reader&) = delete;
  reader& operator=(const reader&) = delete;

  // Opens `path` read-only. Null (with `e`) when it is not a readable SQLite file or not a
  // sipscope export (no `captures` and `messages` tables).
  static std::unique_ptr<reader> open(const std::string& path, error& e);

  int schema_version() const noexcept { return version_; }
  // Complete captures first, in id order; failed/importing ones too (their records are not
  // read: they were rolled back or never committed).
  const std::vector<stored_capture>& captures() const noexcept { return captures_; }
  // Columns of a table as the file has them ("" table: none).
  std::vector<std::string> columns(const std::string& table) const;
  bool has_raw_messages() const noexcept { return raw_; }

  // Every record of the complete captures, by capture then record_index (calls, registrations
  // and events merged in that order). `sink` returns false to stop early (a cancelled load).
  // False (with last_error()) on an SQL error; records already given stay given.
  bool read(const std::function<bool(read_record&&)>& sink);
  const error& last_error() const noexcept { return err_; }

 private:
  reader() = default;
  struct impl;
  std::unique_ptr<impl> p_;
  int version_ = 0;
  bool raw_ = false;
  std::vector<stored_capture> captures_;
  error err_;
};

// Whether the file starts with the SQLite header ("SQLite format 3\0"): how the viewer tells a
// database from a capture without trusting the file name.
bool is_sqlite_file(const std::string& path);

}  // namespace sipscope::store
