// SIP over WebSocket (RFC 7118) on one direction of a reassembled TCP stream (issue 4): the
// HTTP/1.1 Upgrade handshake is recognised and skipped, then RFC 6455 frames are unmasked and
// fragmented messages joined; each complete text/binary message is one SIP message.
//
// Use: feed() one in-order chunk, then call next() until it returns false, then feed the next
// chunk. The chunk must stay valid until next() has returned false (it is read in place; only a
// split frame header, the handshake and the message being assembled are copied).
// An event's payload/close reason point into buffers of the ws_stream, valid until the next
// call to next() or feed().
//
// Errors and resynchronisation. A frame header that is not valid (reserved bits without a
// negotiated extension, an unknown opcode, a control frame that is fragmented or longer than 125
// bytes, a 64-bit length with the top bit set, a length above ws_limits::max_frame) means we no
// longer know where frames start: WebSocket has no marker to search for, so the stream is
// *failed*: one fatal error event, and every later byte is counted in ignored_bytes() and not
// decoded. The same for a bad handshake and a message over ws_limits::max_message. Findings
// that do not lose the framing are non-fatal events and decoding goes on: an unmasked client
// frame or a masked server frame (decoded anyway), a continuation frame with no message to
// continue, a new data frame before the previous message's last fragment (the partial message
// is dropped). A close frame ends the stream: bytes after it are counted and ignored.
//
// Memory is bounded per stream: max_handshake + max_message + 125 + 14 bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sipscope/capture/packet.hpp"

namespace sipscope::capture {

// Which side sent the bytes of this stream: the client (sends the GET, masks its frames) or
// the server (answers 101, never masks).
enum class ws_role : std::uint8_t { client, server };

struct ws_limits {
  std::size_t max_handshake = 8 * 1024;   // request or response head, CRLFCRLF included
  std::size_t max_frame = 1024 * 1024;    // payload length of one frame
  std::size_t max_message = 1024 * 1024;  // a whole (possibly fragmented) message
  // Leniency, off by default: a stream that does not start with a handshake (the capture began
  // after the upgrade) is read as frames from its first byte. Risk: any TCP stream given to the
  // decoder is then "framed", garbage included, until its first bad header.
  bool lenient_no_handshake = false;
};

enum class ws_error : std::uint8_t {
  none = 0,
  // fatal: the stream is abandoned
  bad_handshake,           // not "GET ... HTTP/1.1" with Upgrade: websocket / not "HTTP/1.1 101"
  handshake_too_long,      // no CRLFCRLF within max_handshake
  reserved_bits,           // RSV1-3 set (no extension is negotiated for SIP)
  bad_opcode,              // opcode 3-7 or 11-15
  bad_control_frame,       // control frame not FIN, or payload over 125
  bad_length,              // 64-bit length with the most significant bit set
  frame_too_large,         // frame payload over max_frame
  message_too_large,       // joined fragments over max_message
  // non-fatal: decoding goes on
  unmasked_client_frame,   // RFC 6455 5.1: a client MUST mask (decoded anyway)
  masked_server_frame,     // a server MUST NOT mask (unmasked anyway)
  orphan_continuation,     // continuation frame with no message in progress (skipped)
  interrupted_message,     // a new text/binary frame while a message was unfinished (dropped)
  data_after_close,        // bytes after the close frame (ignored)
};
std::string_view to_string(ws_error e) noexcept;
bool is_fatal(ws_error e) noexcept;

enum class ws_event_kind : std::uint8_t { message, close, error };

struct ws_event {
  ws_event_kind kind = ws_event_kind::message;
  frame_ref frame;                  // the chunk that completed the message / held the error
  std::uint64_t stream_offset = 0;  // message: offset of its first frame header; error: where
  // message
  bool text = false;                // opcode 1 (text) or 2 (binary) of the first fragment
  std::uint32_t fragments = 0;      // data frames joined
  std::string_view payload;         // message payload, or the close reason (UTF-8)
  // close
  std::uint16_t close_code = 0;     // 0 when the close frame has no body
  // error
  ws_error error = ws_error::none;
  std::string_view what;            // static text: what was expected
};

class ws_stream {
 public:
  explicit ws_stream(ws_role role, ws_limits limits = {});

  // Hands over the next in-order chunk of the stream; `ref` is the frame it came in.
  void feed(std::string_view bytes, const frame_ref& ref) noexcept;
  // The next event from the chunks fed so far; false when more bytes are needed.
  bool next(ws_event& ev) noexcept;

  enum class state : std::uint8_t { handshake, frames, closed, failed };
  state current_state() const noexcept { return state_; }
  bool sip_subprotocol() const noexcept { return sip_subprotocol_; }  // Sec-WebSocket-Protocol: sip
  std::uint64_t messages() const noexcept { return messages_; }
  std::uint64_t control_frames() const noexcept { return control_frames_; }
  std::uint64_t ignored_bytes() const noexcept { return ignored_bytes_; }  // after fail/close
  std::uint64_t stream_offset() const noexcept { return offset_; }       // bytes consumed
  // Heap bytes held (capacity of the handshake and message buffers), for bound checks.
  std::size_t buffered() const noexcept { return head_.capacity() + msg_.capacity(); }

 private:
  bool handshake_step(ws_event& ev) noexcept;
  bool header_step(ws_event& ev) noexcept;
  void payload_step() noexcept;
  bool finish_frame(ws_event& ev) noexcept;
  void warn(ws_error e, std::uint64_t at, std::string_view what) noexcept;
  bool error(ws_event& ev, ws_error e, std::uint64_t at, std::string_view what) noexcept;

  ws_role role_;
  ws_limits limits_;
  state state_;
  // current chunk
  std::string_view in_;
  std::size_t pos_ = 0;
  frame_ref ref_;
  std::uint64_t offset_ = 0;         // stream offset of in_[pos_]
  // handshake
  std::string head_;
  bool sip_subprotocol_ = false;
  // frame header (2..14 bytes) being collected
  std::array<unsigned char, 14> hdr_{};
  std::size_t hdr_len_ = 0;
  std::uint64_t hdr_offset_ = 0;
  // frame being read
  bool in_payload_ = false;
  std::uint8_t opcode_ = 0;
  bool fin_ = false;
  bool masked_ = false;
  std::array<unsigned char, 4> key_{};
  std::uint64_t frame_len_ = 0;
  std::uint64_t frame_done_ = 0;
  bool skip_frame_ = false;          // payload read but not kept (orphan continuation)
  // message being assembled, and control payload
  std::string msg_;
  bool in_message_ = false;
  bool msg_text_ = false;
  std::uint32_t msg_fragments_ = 0;
  std::uint64_t msg_offset_ = 0;
  std::array<char, 125> ctl_{};
  std::size_t ctl_len_ = 0;
  bool release_msg_ = false;         // msg_ was handed out: clear it on the next call
  // non-fatal findings waiting to be returned (a header can raise two)
  struct pending { ws_error e; std::uint64_t at; std::string_view what; };
  std::array<pending, 2> pending_{};
  std::size_t npending_ = 0;
  bool warned_after_close_ = false;
  // counters
  std::uint64_t messages_ = 0;
  std::uint64_t control_frames_ = 0;
  std::uint64_t ignored_bytes_ = 0;
};

}  // namespace sipscope::capture
