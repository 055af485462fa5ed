// The correlator (issue 5): SIP messages and UDP datagrams from capture ingestion, in capture
// order, in; records (model.hpp) out.
//
//   correlate::correlator c(opts);
//   c.set_sink([](correlate::record&& r) { ... });   // optional: finished records handed over
//   capture::pipeline p; p.add_file(...); p.run(c);   // the correlator is a capture::handler
//   c.finish();                                       // end of input: flush the rest
//
// Without a sink, records stay in records() (in creation order). With one, a record is handed
// over and dropped once it is over and idle for `linger` (capture time), or idle past
// `idle_timeout` whatever its state, so that a batch run over a capture of any length keeps
// only the records in progress.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sipscope/capture/packet.hpp"
#include "sipscope/correlate/model.hpp"
#include "sipscope/parser/message.hpp"

namespace sipscope::correlate {

struct correlator_options {
  // Headers that carry the Call-ID of the other leg through a B2BUA (case-insensitive names).
  std::vector<std::string> leg_headers = {"X-CID", "X-Call-ID", "X-Orig-Call-ID", "X-Leg-ID"};
  bool link_by_media = true;        // fallback: legs share an SDP media address
  bool keep_raw = false;            // message_entry::raw: each message's bytes (export --with-messages)
  // Fallback for B2BUAs that derive the B leg's Call-ID from the A leg's (a prefix or suffix
  // added): an ECMAScript regex whose first capture group is the part both legs share, e.g.
  // "^(.*)-b2b(-\\d+)?$" or "^b2b_\\d+_(.*)$"; empty = off. Calls whose Call-IDs give the
  // same group (the whole Call-ID when the regex does not match) are linked.
  std::string leg_call_id_pattern;
  // Searched in the raw text of every SIP message (start line, headers, body) as it was
  // received, like sngrep's match; record::text_matches counts the messages that matched.
  // ECMAScript regex; empty = off (the model keeps no raw text, so this is the only time).
  std::string text_match;
  timestamp_ns linger = 32'000'000'000;           // after a record is over (64*T1)
  timestamp_ns idle_timeout = 7200'000'000'000;   // of any record with no SIP nor RTP
  std::uint32_t max_messages_per_record = 10000;  // beyond: counted, not indexed
  // Records in progress at once, with a sink: beyond it the least recently active one is
  // handed over early (a flood of Call-IDs from a scanner must not grow memory without end).
  std::uint32_t max_records = 100'000;
  // Transactions remembered per record (retransmission and response matching): beyond it the
  // oldest is forgotten, so that a dialog with endless requests keeps a bounded state.
  std::uint32_t max_transactions_per_record = 4096;
  std::size_t max_streams = 100'000;   // RTP streams tracked at once (media::table_limits)
  parser::limits sip;                  // message size, headers, multipart depth (parser)
  bool media = true;                // track RTP/RTCP
  // Each time a limit above (or a parser limit) is hit: a diag_event of a *_limit kind
  // (packet.hpp) with the frame concerned, so that a front end can count and report it.
  std::function<void(const capture::diag_event&)> on_limit;
};

struct correlator_stats {
  std::uint64_t sip_messages = 0, sip_malformed = 0, sip_unusable = 0;  // unusable: no Call-ID/CSeq
  std::uint64_t retransmissions = 0;
  std::uint64_t records = 0;
  std::uint64_t udp_datagrams = 0, rtp_packets = 0, rtcp_packets = 0;
  std::uint64_t evicted_records = 0;   // handed over early: max_records were in progress
  timestamp_ns first_time = 0, last_time = 0;   // of the SIP and UDP events seen (0: none)
};

class correlator : public capture::handler {
 public:
  explicit correlator(correlator_options o = {});
  ~correlator() override;
  correlator(const correlator&) = delete;
  correlator& operator=(const correlator&) = delete;

  using sink = std::function<void(record&&)>;
  void set_sink(sink s);

  void on_sip(const capture::sip_event& e) override;
  void on_udp(const capture::udp_event& e) override;
  void on_icmp(const capture::icmp_event& e) override;   // tied to the request it quotes
  void on_tcp(const capture::tcp_event& e) override;     // failed connects, resets (tcp_failure)

  // End of input: media statistics are completed, links resolved, every record finalised
  // (handed to the sink when there is one).
  void finish();

  // Records not handed to a sink, in creation order (all of them without a sink).
  const std::vector<record>& records() const noexcept;
  const correlator_stats& stats() const noexcept;
  // Records in progress right now (what memory holds besides what was handed over).
  std::size_t in_progress() const noexcept;
  // RTP streams that belong to no record (no SIP/SDP named them: found by their sequence
  // numbers), available after finish().
  const std::vector<stream_info>& orphan_streams() const noexcept;

  struct impl;
 private:
  std::unique_ptr<impl> p_;
};

}  // namespace sipscope::correlate
