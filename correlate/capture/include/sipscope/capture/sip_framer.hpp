// SIP message framing on one half-stream (RFC 3261 18.3: Content-Length frames messages on
// stream transports). Feed the in-order chunks of tcp_reassembler, then call next() until it
// answers false; each message is a byte range in the framer's buffer, valid until the next
// call to feed() or next().
//
// - The end of a message is found with parser::parse_message (transport::stream): header
//   section, then Content-Length body bytes. The parse is only run once the empty line closing
//   the header section is buffered, and again only once the announced body is all there.
// - CR/LF between messages (RFC 5626 keep-alives: CRLFCRLF ping, CRLF pong) are skipped.
// - Bytes that do not start like a SIP start line (garbage, the middle of a message after a
//   capture started mid-stream, what follows a TCP gap) are dropped up to the next line that
//   looks like a start line: "SIP/2.0 " 3DIGIT, or token SP something SP "SIP/2.0" at the end of
//   the line (stream_resync). A partial message before a gap is dropped the same way.
// - A message without Content-Length (the parser's missing_content_length) is taken to end at
//   the end of its header section (no body): it is returned with parse_status malformed, and
//   whatever followed is framed as the next message (resynchronising if it is a body).
// - A message larger than limits.max_message_size is dropped (stream_resync) and framing
//   resynchronises after its start line: the buffer never holds much more than that.
// - A stream whose first bytes are a TLS record (5061), or where no start line shows up in the
//   first non_sip_probe bytes, is declared not SIP: counted, diagnosed once (not an error) and
//   all its further bytes ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sipscope/capture/packet.hpp"
#include "sipscope/parser/message.hpp"

namespace sipscope::capture {

struct framer_options {
  parser::parse_options parse{parser::transport::stream};  // framing is forced to stream
  std::size_t non_sip_probe = 16 * 1024;  // bytes without a start line at stream start: not SIP
};

struct framed_message {
  std::string_view bytes;          // start line to end of body (leading CRLFs excluded)
  frame_ref first_frame;           // the segment holding the first byte
  frame_ref frame;                 // the segment holding the last byte (completed it)
  frame_list pieces;               // every segment holding its bytes, when more than one
  timestamp_ns first_time = 0, time = 0;
  std::uint64_t offset = 0;        // position of bytes[0] in the half-stream
  bool after_resync = false;       // bytes (or a gap) were skipped just before this message
  parser::status parse_status = parser::status::ok;
  const parser::message* parsed = nullptr;  // the framer's parse of `bytes`, valid as `bytes`
};

struct framer_stats {
  std::uint64_t messages = 0;
  std::uint64_t keepalive_bytes = 0;
  std::uint64_t resyncs = 0, skipped_bytes = 0;  // stream_resync
  std::uint64_t no_content_length = 0;
  std::uint64_t too_large = 0;
  std::uint64_t ignored_bytes = 0;               // after the stream was found not to be SIP
};

class sip_framer {
 public:
  explicit sip_framer(const framer_options& opt = {});

  // Appends in-order stream bytes; `gap_before`: bytes were lost just before them.
  // `diags` (may be null) receives stream_resync diagnostics.
  void feed(std::string_view bytes, const frame_ref& frame, timestamp_ns time, bool gap_before,
            handler* diags = nullptr) noexcept;
  // The next complete message, if any.
  bool next(framed_message& out, handler* diags = nullptr) noexcept;
  // Forget everything (a new connection).
  void reset() noexcept;

  bool not_sip() const noexcept { return not_sip_; }
  std::size_t buffered() const noexcept { return buf_.size() - head_; }
  const framer_stats& stats() const noexcept { return stats_; }

 private:
  struct mark {                    // where each fed chunk ends in the stream
    std::uint64_t end;
    frame_ref frame;
    timestamp_ns time;
  };
  void drop(std::size_t n) noexcept;
  void skip(std::size_t n, handler* diags, std::string_view why, diag_kind kind = diag_kind::stream_resync) noexcept;
  void give_up(handler* diags) noexcept;
  bool resync(handler* diags) noexcept;
  const mark& mark_at(std::uint64_t pos) const noexcept;
  void diag(handler* diags, bool error, std::string_view what,
            diag_kind kind = diag_kind::stream_resync) noexcept;

  framer_options opt_;
  std::string buf_;                // bytes buf_[head_..] are not consumed yet
  std::size_t head_ = 0;
  std::uint64_t base_ = 0;         // stream position of buf_[0]
  std::vector<mark> marks_;
  std::size_t mark_head_ = 0;
  parser::message msg_;
  std::size_t need_ = 0;           // bytes (from head_) before a parse can succeed
  std::size_t scan_ = 0;           // bytes (from head_) searched for the end of headers
  bool resyncing_ = false;         // looking for a start line
  bool skipped_ = false;           // something was skipped before the next message
  bool seen_sip_ = false;          // a message was framed on this stream
  bool not_sip_ = false;
  bool episode_ = false;           // the current stretch of skipped bytes was diagnosed
  std::uint64_t probed_ = 0;       // bytes skipped before the first message
  framer_stats stats_;
};

// Shape of a SIP start line (no CRLF): "SIP/2.0 " 3DIGIT ..., or token SP ... SP "SIP/2.0".
bool looks_like_start_line(std::string_view line) noexcept;

}  // namespace sipscope::capture
