// Reading back what the model only points at (model.hpp keeps frame references, not packets):
// the raw text of one SIP message, and the per-packet series of one RTP stream for the plots.
// Both run the capture pipeline again, so that reassembly (IP fragments, TCP) is the same as at
// load time. No ImGui here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sipscope/correlate/model.hpp"

namespace sipscope::viewer {

namespace cr = sipscope::correlate;

struct raw_message {
  bool found = false;
  std::string bytes;      // the message as the parser received it
  std::string error;      // why not found
  bool fast_path = false; // read from the frame's offset (pcap), not by scanning the capture
};

// The message `m` of the capture `files` (files[m.frame.file]). A plain pcap file is read at
// the frame's offsets (every piece of a reassembled message); pcapng, gzip and anything the
// fast path cannot decode are scanned from the start up to that frame.
raw_message read_message(const std::vector<std::string>& files, const cr::message_entry& m);

// A message of a record read from an export database: the raw text the database stores
// (export --with-messages), else the capture re-read as above when its file is still where the
// export found it, else a "not stored" error that says both.
// `raw_index`: the message's index into x.raw.
struct record_extra;
raw_message read_stored_message(const record_extra& x, const cr::message_entry& m, std::size_t raw_index);

// One point per RTP packet of a stream, in arrival order.
struct rtp_point {
  double t_s = 0;           // seconds from the stream's first packet
  double jitter_ms = 0;     // running jitter (RFC 3550 A.8, Wireshark's) after this packet
  double delta_ms = 0;      // interval from the previous packet
  std::int64_t lost = 0;    // packets lost so far (RFC 3550 A.3)
};
struct rtp_series {
  std::vector<rtp_point> points;
  std::string error;
};
// Packets from s.src to s.dst with s.ssrc, through the media library's analyser; at most
// `max_points` (a long stream is decimated evenly).
rtp_series read_rtp_series(const std::vector<std::string>& files, const cr::stream_info& s,
                           std::size_t max_points = 4000);

}  // namespace sipscope::viewer
