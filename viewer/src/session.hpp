// What the viewer shows, owned by a worker thread (Tracy's model, STYLE.md): the worker runs the
// capture pipeline into the correlator and appends each finished record under one mutex; the UI
// thread takes the mutex once a frame, copies what is new into its own view (snapshot) and draws
// without holding it. No ImGui here: the loader is tested headless (tests/viewer/).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sipscope/correlate/correlator.hpp"
#include "sipscope/correlate/model.hpp"
#include "sipscope/explain/explain.hpp"

namespace sipscope::viewer {

namespace cr = sipscope::correlate;

enum class load_state : std::uint8_t { idle, loading, done, cancelled, failed };

// What a record read from an export database has beyond the model (store/reader.hpp): the
// files of its capture (its messages' frame refs index them), the raw text of its messages
// when the database stores it, and the verdict the export wrote.
struct record_extra {
  std::shared_ptr<const std::vector<std::string>> files;
  std::vector<std::string> raw;        // parallel to record::messages, or empty
  std::string verdict, verdict_text, verdict_confidence, verdict_category;   // as exported ("" none)
};

// What the worker publishes; read under session::mutex().
struct shared_data {
  std::vector<std::unique_ptr<cr::record>> records;   // in the order the correlator finished them
  // A database load: one per record (same order); empty for a capture load.
  std::vector<std::unique_ptr<record_extra>> extras;
  bool database = false;                               // the load is an export database
  std::vector<std::string> call_columns;               // a database's `calls` columns
  std::uint64_t bytes_done = 0, bytes_total = 0;
  std::uint64_t sip_messages = 0, rtp_packets = 0;
  load_state state = load_state::idle;
  std::string error;                                   // when failed
  std::vector<std::string> diagnostics;                // capture problems worth showing ("not a capture")
  // What the capture lost (kernel drops, TCP gaps, fragments never completed, cut frames,
  // limits hit), for explain's context: as `sipscope calls`, a verdict built on what is not
  // seen says so when a loss falls within the call. Only `losses` and `kernel_drops` are set.
  explain::context losses;
  double first_record_s = -1;                          // seconds from start() to the first record
  double finished_s = -1;                              // to the end of the load
};

class session {
 public:
  session() = default;
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // Starts loading the files on the worker (a previous load is cancelled first). One file that
  // is an SQLite database is read as a `sipscope export` database (store/reader.hpp).
  void start(std::vector<std::string> files, cr::correlator_options o = {});
  // Asks the worker to stop after the current packet; records found so far stay.
  void cancel();
  // Waits for the worker (tests, --screenshot).
  void wait();

  std::mutex& mutex() noexcept { return m_; }
  const shared_data& data() const noexcept { return d_; }   // under mutex()
  const std::vector<std::string>& files() const noexcept { return files_; }

 private:
  void run(std::vector<std::string> files, cr::correlator_options o);
  void run_database(const std::string& path);

  std::mutex m_;
  shared_data d_;
  std::vector<std::string> files_;
  std::thread worker_;
  std::atomic<bool> stop_{false};
};

}  // namespace sipscope::viewer
