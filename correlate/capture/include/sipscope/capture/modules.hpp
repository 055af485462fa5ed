// The standard modules behind the pipeline's hook points (pipeline.hpp):
//   - IP fragments -> defragmenter (defrag.hpp), the datagram goes back through UDP/TCP;
//   - TCP segments -> tcp_reassembler (tcp_stream.hpp) -> per half-stream: SIP framing
//     (sip_framer.hpp), or WebSocket (websocket.hpp, RFC 7118) when the stream starts with an
//     HTTP Upgrade, or HEP3 over TCP;
//   - UDP datagrams that are HEP v1/v2/v3 (hep.hpp) -> their inner SIP message.
// `standard_modules` owns one of each and plugs them into a pipeline; the pipeline installs
// them by default (pipeline_options::standard_modules).
#pragma once

#include <cstdint>
#include <memory>

#include "sipscope/capture/defrag.hpp"
#include "sipscope/capture/pipeline.hpp"
#include "sipscope/capture/tcp_stream.hpp"
#include "sipscope/parser/message.hpp"

namespace sipscope::capture {

struct module_limits {
  defrag_limits defrag;
  tcp_limits tcp;
  parser::limits sip;   // of messages framed from streams (a larger one: sip_size_limit)
};

struct module_stats {
  std::uint64_t reassembled_datagrams = 0;
  std::uint64_t stream_messages = 0;     // SIP messages framed from TCP streams
  std::uint64_t websocket_messages = 0;  // SIP messages from WebSocket frames
  std::uint64_t hep_messages = 0;        // SIP messages from HEP packets
  std::uint64_t hep_other = 0;           // HEP packets with another payload (RTCP, logs...)
  std::uint64_t non_sip_streams = 0;     // TLS or other streams given up by the framer
};

class standard_modules {
 public:
  explicit standard_modules(const module_limits& limits = {});
  ~standard_modules();
  standard_modules(const standard_modules&) = delete;
  standard_modules& operator=(const standard_modules&) = delete;

  void install(pipeline& p);
  const module_stats& stats() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sipscope::capture
