// libFuzzer harness for the export (issue 9): a fuzzed capture through the pipeline and the
// correlator, and every record it makes into an SQLite store, as `sipscope export` does. The
// store is in memory and opened once (creating the schema per input made 27 inputs/s); each
// input is imported as the same capture with `replace` (export --replace), so the previous
// input's rows are deleted in the same transaction and the database stays small.
//
// Input: a capture file (seeds: corpus/calls, corpus/pcap); the first byte also picks small
// correlator limits or the defaults, so that records evicted early (record_limit) and records
// with dropped messages reach the store too.
// Contracts beyond ASan/UBSan: the capture's transaction opens, every record is added, the
// commit succeeds (text of any bytes, numbers at their limits, empty records: nothing may make
// the store refuse a record), the earlier import is replaced, and the capture is then present.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "sipscope/capture/pipeline.hpp"
#include "sipscope/correlate/correlator.hpp"
#include "sipscope/store/hash.hpp"
#include "sipscope/store/store.hpp"

using namespace sipscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 24) return 0;
  correlate::correlator_options o;
  if (data[size - 1] & 1) {   // small limits: records evicted early, messages dropped
    o.max_records = 2;
    o.max_messages_per_record = 8;
    o.max_transactions_per_record = 4;
    o.max_streams = 2;
  }
  o.linger = 2'000'000'000;
  std::vector<correlate::record> recs;
  correlate::correlator c(o);
  c.set_sink([&](correlate::record&& r) { recs.push_back(std::move(r)); });
  std::FILE* f = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
  if (!f) return 0;
  capture::pipeline p;
  p.add_stream(f, size);
  p.run(c);
  c.finish();
  if (c.stats().records != recs.size()) std::abort();

  static std::unique_ptr<store::store> s = [] {
    store::error e;
    auto db = store::open(":memory:", e);
    if (!db) {
      std::fprintf(stderr, "cannot open an in-memory SQLite store: %s\n", e.text.c_str());
      std::abort();
    }
    return db;
  }();
  store::capture_meta m;
  m.path = "fuzz.pcap";
  m.files.push_back({"fuzz.pcap", size, "fuzz-capture"});
  m.key = store::unit_key(m.files);
  m.size = size;
  m.tool_version = "fuzz";
  std::string detail;
  if (s->begin_capture(m, true, detail) != store::begin_status::started) {
    std::fprintf(stderr, "begin_capture: %s %s\n", detail.c_str(), s->last_error().text.c_str());
    std::abort();
  }
  for (const correlate::record& r : recs)
    if (!s->add(r)) {
      std::fprintf(stderr, "add refused record %llu: %s\n", static_cast<unsigned long long>(r.index),
                   s->last_error().text.c_str());
      std::abort();
    }
  store::capture_summary sum;
  sum.first_time = c.stats().first_time;
  sum.last_time = c.stats().last_time;
  sum.packets = p.stats().frames;
  sum.bytes = p.stats().bytes;
  sum.sip_messages = c.stats().sip_messages;
  sum.rtp_packets = c.stats().rtp_packets;
  if (!s->commit_capture(sum)) {
    std::fprintf(stderr, "commit failed: %s\n", s->last_error().text.c_str());
    std::abort();
  }
  if (s->lookup(m).status != store::begin_status::present) std::abort();
  return 0;
}
