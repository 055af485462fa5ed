// libFuzzer harness for the WebSocket stream decoder (websocket.hpp). Input layout:
//   byte 0: bit 0 role (client/server), bit 1 lenient_no_handshake, bit 2 small limits
//   byte 1: number of cut points k (0..15)
//   k bytes: gaps between cut points (so chunks of 0..255 bytes, empty chunks included)
//   the rest: the byte stream, fed in chunks at those cuts (the last chunk takes what remains)
// Checks: views stay inside the decoder's buffers (never the fed chunk, which is freed right
// after draining), sizes within the limits, memory held bounded, every byte accounted for
// (stream_offset equals bytes fed), and no event after a fatal error or a close.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "sipscope/capture/websocket.hpp"

using namespace sipscope::capture;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::uint8_t flags = data[0];
  std::size_t k = data[1] & 15;
  if (size < 2 + k) return 0;
  ws_limits lim;
  lim.lenient_no_handshake = (flags & 2) != 0;
  if (flags & 4) {
    lim.max_handshake = 64;
    lim.max_frame = 300;
    lim.max_message = 500;
  }
  ws_stream s((flags & 1) ? ws_role::server : ws_role::client, lim);
  const std::uint8_t* cuts = data + 2;
  std::string_view stream(reinterpret_cast<const char*>(data + 2 + k), size - 2 - k);

  std::size_t at = 0;
  std::uint64_t fed = 0, message_bytes = 0;
  bool finished = false;   // failed or closed: no message may follow
  for (std::size_t i = 0; i <= k; ++i) {
    std::size_t len = i < k ? std::min<std::size_t>(cuts[i], stream.size() - at) : stream.size() - at;
    // each chunk in its own exactly sized allocation, freed after draining
    std::vector<char> chunk(stream.begin() + at, stream.begin() + at + len);
    std::string_view cv(chunk.data(), chunk.size());
    s.feed(cv, frame_ref{0, at, i + 1});
    fed += len;
    at += len;
    ws_event ev;
    while (s.next(ev)) {
      if (ev.frame.number != i + 1) std::abort();
      if (!ev.payload.empty() && ev.payload.data() < cv.data() + cv.size() && ev.payload.data() + ev.payload.size() > cv.data())
        std::abort();   // must be the decoder's copy, not a view of the chunk
      switch (ev.kind) {
        case ws_event_kind::message:
          if (finished) std::abort();
          if (ev.payload.size() > lim.max_message || ev.fragments == 0) std::abort();
          message_bytes += ev.payload.size();
          if (message_bytes > fed) std::abort();
          if (ev.payload.size() > 0) {   // touch every byte: ASan checks the buffer is live
            volatile char c = 0;
            for (char x : ev.payload) c = static_cast<char>(c ^ x);
            (void)c;
          }
          break;
        case ws_event_kind::close:
          if (finished || ev.payload.size() > 123) std::abort();
          finished = true;
          break;
        case ws_event_kind::error:
          if (ev.error == ws_error::none || ev.what.empty() || ev.stream_offset > fed) std::abort();
          if (is_fatal(ev.error)) {
            if (finished) std::abort();
            finished = true;
          }
          break;
      }
    }
    if (s.stream_offset() != fed) std::abort();
    if (s.buffered() > 2 * (lim.max_handshake + lim.max_message) + 64) std::abort();
  }
  if (s.current_state() == ws_stream::state::failed || s.current_state() == ws_stream::state::closed) {
    if (!finished) std::abort();
  }
  return 0;
}
