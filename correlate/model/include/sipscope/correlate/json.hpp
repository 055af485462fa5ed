// The model as JSON: the one serialisation that the CLI (`calls --format json|jsonl`), the
// exports and the tests share. Field names are snake_case and stable; times are epoch seconds
// with 6 decimals (µs) in `times`, the same instants as ISO 8601 UTC strings in `times_iso`;
// durations are integer milliseconds (-1 when they do not apply).
#pragma once

#include <functional>
#include <string>

#include "sipscope/correlate/model.hpp"
#include "sipscope/json_writer.hpp"

namespace sipscope::correlate {

struct json_options {
  bool messages = true;   // the message index (ladder rows)
  bool sdp = true;        // every m= line of every SDP
  // Members a front end adds at the end of the record's object (`calls` adds the verdict of
  // explain, which the model does not depend on).
  std::function<void(json_writer&, const record&)> extra;
};

void write_json(json_writer& w, const record& r, const json_options& o = {});
// The members of one RTP stream object (the caller opens and closes the object, so that it can
// add its own members first, as `sipscope rtp` adds the call a stream belongs to).
void write_stream_members(json_writer& w, const stream_info& s);

// "2025-01-01T12:00:00.123456Z"
std::string iso8601(timestamp_ns t);
// Epoch seconds as a double (µs precision is kept: doubles hold 2^53).
inline double epoch_seconds(timestamp_ns t) { return static_cast<double>(t / 1000) / 1e6; }

}  // namespace sipscope::correlate
