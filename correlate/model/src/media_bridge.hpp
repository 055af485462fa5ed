// Between the call model and the media library (correlate/media/): SDP addresses become
// expected streams, UDP datagrams become RTP/RTCP statistics, and a finished record gets its
// streams and media findings. Private to correlate/model.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>
#include <memory>
#include <string>

#include "sipscope/capture/packet.hpp"
#include "sipscope/correlate/correlator.hpp"
#include "sipscope/correlate/model.hpp"

namespace sipscope::correlate::detail {

class media_bridge {
 public:
  virtual ~media_bridge() = default;
  // A side announced `m` (where it receives) for record `index` at `time`.
  virtual void expect(std::uint64_t index, const std::string& call_id, const sdp_media& m, timestamp_ns time) = 0;
  virtual void on_udp(const capture::udp_event& e, correlator_stats& stats) = 0;
  // Copies the record's streams and media findings into it (its media is over when the record
  // is finalised before the end of the input: `at_end` false).
  virtual void finish_record(record& r, bool at_end) = 0;
  // Streams that belong to no record (found by heuristics), handed over once.
  virtual void orphans(std::vector<stream_info>& out) = 0;
};

// `is_live(index)`: whether a record is still in progress (streams of records already handed
// over are dropped when they end, not kept for nobody).
// `opt`: max_streams and on_limit (a stream refused at the limit: stream_limit).
std::unique_ptr<media_bridge> make_media_bridge(std::function<bool(std::uint64_t)> is_live,
                                                const correlator_options& opt);

// Name and clock rate of a static RTP payload type (RFC 3551 table 4); false when unassigned.
bool static_payload(std::uint8_t pt, std::string& name, std::uint32_t& clock_rate);

}  // namespace sipscope::correlate::detail
