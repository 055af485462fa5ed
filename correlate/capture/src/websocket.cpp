// RFC 6455 framing for SIP over WebSocket (websocket.hpp). The stream is a small state machine:
// handshake -> frames (header bytes collected into hdr_, then payload) -> closed | failed.
#include "sipscope/capture/websocket.hpp"

#include <algorithm>
#include <cstring>

namespace sipscope::capture {

namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True if the comma-separated token list `value` holds `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string_view to_string(ws_error e) noexcept {
  switch (e) {
    case ws_error::none: return "none";
    case ws_error::bad_handshake: return "bad_handshake";
    case ws_error::handshake_too_long: return "handshake_too_long";
    case ws_error::reserved_bits: return "reserved_bits";
    case ws_error::bad_opcode: return "bad_opcode";
    case ws_error::bad_control_frame: return "bad_control_frame";
    case ws_error::bad_length: return "bad_length";
    case ws_error::frame_too_large: return "frame_too_large";
    case ws_error::message_too_large: return "message_too_large";
    case ws_error::unmasked_client_frame: return "unmasked_client_frame";
    case ws_error::masked_server_frame: return "masked_server_frame";
    case ws_error::orphan_continuation: return "orphan_continuation";
    case ws_error::interrupted_message: return "interrupted_message";
    case ws_error::data_after_close: return "data_after_close";
  }
  return "?";
}

bool is_fatal(ws_error e) noexcept {
  return e != ws_error::none && e < ws_error::unmasked_client_frame;
}

ws_stream::ws_stream(ws_role role, ws_limits limits)
    : role_(role), limits_(limits), state_(state::handshake) {}

void ws_stream::feed(std::string_view bytes, const frame_ref& ref) noexcept {
  in_ = bytes;
  pos_ = 0;
  ref_ = ref;
  if (release_msg_) {
    msg_.clear();
    release_msg_ = false;
  }
}

bool ws_stream::error(ws_event& ev, ws_error e, std::uint64_t at, std::string_view what) noexcept {
  ev = ws_event{};
  ev.kind = ws_event_kind::error;
  ev.frame = ref_;
  ev.stream_offset = at;
  ev.error = e;
  ev.what = what;
  if (is_fatal(e)) {
    state_ = state::failed;
    in_payload_ = false;
    in_message_ = false;
    npending_ = 0;
    std::string().swap(msg_);   // a failed stream keeps no memory
    std::string().swap(head_);
  }
  return true;
}

void ws_stream::warn(ws_error e, std::uint64_t at, std::string_view what) noexcept {
  if (npending_ < pending_.size()) pending_[npending_++] = {e, at, what};
}

bool ws_stream::next(ws_event& ev) noexcept {
  if (release_msg_) {
    msg_.clear();
    release_msg_ = false;
  }
  for (;;) {
    if (npending_ != 0) {
      pending p = pending_[0];
      pending_[0] = pending_[1];
      --npending_;
      return error(ev, p.e, p.at, p.what);
    }
    if (state_ == state::frames && in_payload_ && frame_done_ == frame_len_) {
      if (finish_frame(ev)) return true;
      continue;
    }
    if (pos_ >= in_.size()) return false;
    std::size_t rest = in_.size() - pos_;
    switch (state_) {
      case state::failed:
        ignored_bytes_ += rest;
        offset_ += rest;
        pos_ = in_.size();
        return false;
      case state::closed: {
        std::uint64_t at = offset_;
        ignored_bytes_ += rest;
        offset_ += rest;
        pos_ = in_.size();
        if (warned_after_close_) return false;
        warned_after_close_ = true;
        return error(ev, ws_error::data_after_close, at, "nothing after the close frame");
      }
      case state::handshake:
        if (handshake_step(ev)) return true;
        break;
      case state::frames:
        if (!in_payload_) {
          if (header_step(ev)) return true;
        } else {
          payload_step();
        }
        break;
    }
  }
}

// Collects the HTTP head up to CRLFCRLF (bounded), then checks it: RFC 6455 4.1 (client GET
// with Upgrade: websocket) or 4.2.2 (server 101 with Upgrade: websocket); RFC 7118 section 4
// says the subprotocol is "sip", which we note but do not demand.
bool ws_stream::handshake_step(ws_event& ev) noexcept {
  std::string_view rest = in_.substr(pos_);
  std::string_view expect = role_ == ws_role::client ? "GET " : "HTTP/1.";
  if (head_.empty() && limits_.lenient_no_handshake && rest[0] != expect[0]) {
    state_ = state::frames;   // capture started after the upgrade: frames from here
    return false;
  }
  std::size_t old = head_.size();
  std::size_t room = limits_.max_handshake - std::min(old, limits_.max_handshake);
  std::size_t take = std::min(room, rest.size());
  head_.append(rest.data(), take);
  std::size_t cmp = std::min(head_.size(), expect.size());
  if (std::string_view(head_).substr(0, cmp) != expect.substr(0, cmp))
    return error(ev, ws_error::bad_handshake, offset_ - old,
                 role_ == ws_role::client ? "HTTP request \"GET ... HTTP/1.1\" (WebSocket upgrade)"
                                          : "HTTP response \"HTTP/1.1 101\" (WebSocket upgrade)");
  std::size_t from = old >= 3 ? old - 3 : 0;
  std::size_t end = head_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    pos_ += take;
    offset_ += take;
    if (head_.size() >= limits_.max_handshake)
      return error(ev, ws_error::handshake_too_long, offset_ - head_.size(), "end of the HTTP head (CRLFCRLF) within the limit");
    return false;
  }
  end += 4;
  std::size_t used = end - old;   // bytes of this chunk that belong to the head
  pos_ += used;
  offset_ += used;
  head_.resize(end);
  std::uint64_t head_offset = offset_ - end;

  std::string_view h(head_);
  std::size_t eol = h.find("\r\n");
  std::string_view start = h.substr(0, eol);
  bool start_ok = role_ == ws_role::client
                      ? (starts_with(start, "GET ") && start.size() > 13 && start.substr(start.size() - 9) == " HTTP/1.1")
                      : (starts_with(start, "HTTP/1.1 101") && (start.size() == 12 || start[12] == ' '));
  if (!start_ok)
    return error(ev, ws_error::bad_handshake, head_offset,
                 role_ == ws_role::client ? "request line \"GET <path> HTTP/1.1\""
                                          : "status line \"HTTP/1.1 101 Switching Protocols\"");
  bool upgrade = false;
  h.remove_prefix(eol + 2);
  while (!h.empty()) {
    std::size_t e = h.find("\r\n");
    std::string_view line = h.substr(0, e);
    h.remove_prefix(e + 2);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = trim(line.substr(0, colon)), value = line.substr(colon + 1);
    if (iequals(name, "upgrade")) upgrade = upgrade || has_token(value, "websocket");
    else if (iequals(name, "sec-websocket-protocol")) sip_subprotocol_ = sip_subprotocol_ || has_token(value, "sip");
  }
  if (!upgrade) return error(ev, ws_error::bad_handshake, head_offset, "header \"Upgrade: websocket\"");
  head_.clear();
  state_ = state::frames;
  return false;
}

bool ws_stream::header_step(ws_event& ev) noexcept {
  if (hdr_len_ == 0) hdr_offset_ = offset_;
  std::size_t need = 2;
  if (hdr_len_ >= 2) {
    unsigned len7 = hdr_[1] & 0x7f;
    need += len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    need += (hdr_[1] & 0x80) ? 4 : 0;
  }
  std::size_t take = std::min(need - hdr_len_, in_.size() - pos_);
  std::memcpy(hdr_.data() + hdr_len_, in_.data() + pos_, take);
  hdr_len_ += take;
  pos_ += take;
  offset_ += take;
  if (hdr_len_ < need) return false;
  if (need == 2) {  // first two bytes in: an extended length or a key may follow
    unsigned len7 = hdr_[1] & 0x7f;
    if (len7 >= 126 || (hdr_[1] & 0x80)) return false;
  }

  // Whole header: RFC 6455 section 5.2.
  std::uint8_t b0 = hdr_[0], b1 = hdr_[1];
  std::uint64_t at = hdr_offset_;
  hdr_len_ = 0;
  fin_ = (b0 & 0x80) != 0;
  opcode_ = b0 & 0x0f;
  masked_ = (b1 & 0x80) != 0;
  if (b0 & 0x70) return error(ev, ws_error::reserved_bits, at, "RSV1-3 clear (no extension negotiated)");
  bool control = opcode_ >= 8;
  if ((opcode_ > 2 && opcode_ < 8) || opcode_ > 10)
    return error(ev, ws_error::bad_opcode, at, "opcode 0, 1, 2, 8, 9 or 10");
  std::size_t p = 2;
  std::uint64_t len = b1 & 0x7f;
  if (len == 126) {
    len = (std::uint64_t{hdr_[2]} << 8) | hdr_[3];
    p = 4;
  } else if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | hdr_[2 + i];
    p = 10;
    if (len >> 63) return error(ev, ws_error::bad_length, at, "64-bit payload length with the top bit clear");
  }
  if (control && (!fin_ || len > 125))
    return error(ev, ws_error::bad_control_frame, at, "control frame with FIN and at most 125 bytes");
  if (len > limits_.max_frame) return error(ev, ws_error::frame_too_large, at, "frame payload within the size limit");
  if (masked_) std::memcpy(key_.data(), hdr_.data() + p, 4);
  frame_len_ = len;
  frame_done_ = 0;
  skip_frame_ = false;
  ctl_len_ = 0;

  if (!control) {
    if (opcode_ == 0) {
      if (!in_message_) {
        skip_frame_ = true;
        warn(ws_error::orphan_continuation, at, "a text or binary frame before a continuation");
      }
    } else {
      if (in_message_) warn(ws_error::interrupted_message, msg_offset_, "the last fragment (FIN) of the previous message");
      in_message_ = true;
      msg_.clear();
      msg_text_ = opcode_ == 1;
      msg_fragments_ = 0;
      msg_offset_ = at;
    }
    if (!skip_frame_ && len > limits_.max_message - std::min(msg_.size(), limits_.max_message))
      return error(ev, ws_error::message_too_large, msg_offset_, "message within the size limit");
  }
  if (role_ == ws_role::client && !masked_) warn(ws_error::unmasked_client_frame, at, "a masked frame from the client (RFC 6455 5.1)");
  if (role_ == ws_role::server && masked_) warn(ws_error::masked_server_frame, at, "an unmasked frame from the server (RFC 6455 5.1)");
  in_payload_ = true;
  return false;
}

void ws_stream::payload_step() noexcept {
  std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(frame_len_ - frame_done_, in_.size() - pos_));
  const char* src = in_.data() + pos_;
  if (!skip_frame_) {
    char* dst;
    if (opcode_ >= 8) {
      dst = ctl_.data() + ctl_len_;   // len <= 125 was checked
      ctl_len_ += n;
    } else {
      std::size_t old = msg_.size();
      msg_.resize(old + n);           // bounded by max_message (checked at the header)
      dst = msg_.data() + old;
    }
    if (masked_) {
      std::size_t k = static_cast<std::size_t>(frame_done_ & 3);
      for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<char>(src[i] ^ key_[(k + i) & 3]);
    } else {
      std::memcpy(dst, src, n);
    }
  }
  frame_done_ += n;
  pos_ += n;
  offset_ += n;
}

bool ws_stream::finish_frame(ws_event& ev) noexcept {
  in_payload_ = false;
  if (skip_frame_) {
    skip_frame_ = false;
    return false;
  }
  if (opcode_ < 8) {
    ++msg_fragments_;
    if (!fin_) return false;
    in_message_ = false;
    ++messages_;
    ev = ws_event{};
    ev.kind = ws_event_kind::message;
    ev.frame = ref_;
    ev.stream_offset = msg_offset_;
    ev.text = msg_text_;
    ev.fragments = msg_fragments_;
    ev.payload = msg_;
    release_msg_ = true;
    return true;
  }
  ++control_frames_;
  if (opcode_ != 8) return false;   // ping, pong: nothing for SIP
  state_ = state::closed;
  ev = ws_event{};
  ev.kind = ws_event_kind::close;
  ev.frame = ref_;
  ev.stream_offset = hdr_offset_;
  if (ctl_len_ >= 2) {
    ev.close_code = static_cast<std::uint16_t>((static_cast<unsigned char>(ctl_[0]) << 8) | static_cast<unsigned char>(ctl_[1]));
    ev.payload = std::string_view(ctl_.data() + 2, ctl_len_ - 2);
  }
  return true;
}

}  // namespace sipscope::capture
