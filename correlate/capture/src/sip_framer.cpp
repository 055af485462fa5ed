// SIP framing on a byte stream (sip_framer.hpp).
#include "sipscope/capture/sip_framer.hpp"

#include <algorithm>
#include <cstring>

namespace sipscope::capture {

namespace {

bool is_token_char(unsigned char c) noexcept {
  // RFC 3261 25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::memchr("-.!%*_+`'~", c, 10) != nullptr;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// TLS record header (RFC 8446 5.1): content type 20..23, legacy version 3.x
bool looks_like_tls(std::string_view v) noexcept {
  const auto t = static_cast<unsigned char>(v[0]);
  return t >= 0x14 && t <= 0x17 && v.size() >= 2 && v[1] == 0x03;
}

bool has_framing_error(const parser::message& m) noexcept {
  for (const parser::diagnostic& d : m.diagnostics)
    if (d.code == parser::diag_code::message_too_large || d.code == parser::diag_code::headers_not_terminated)
      return true;
  return false;
}

bool lacks_content_length(const parser::message& m) noexcept {
  for (const parser::diagnostic& d : m.diagnostics)
    if (d.code == parser::diag_code::missing_content_length || d.code == parser::diag_code::bad_content_length ||
        (d.code == parser::diag_code::multiple_content_length && d.level == parser::severity::error))
      return true;
  return false;
}

}  // namespace

bool looks_like_start_line(std::string_view line) noexcept {
  for (char c : line)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
  if (line.size() >= 11 && iequals(line.substr(0, 8), "SIP/2.0 ") && is_digit(line[8]) && is_digit(line[9]) &&
      is_digit(line[10]) && (line.size() == 11 || line[11] == ' '))
    return true;
  // Request-Line = Method SP Request-URI SP SIP-Version
  std::size_t t = 0;
  while (t < line.size() && is_token_char(static_cast<unsigned char>(line[t]))) ++t;
  if (t == 0 || t >= line.size() || line[t] != ' ') return false;
  constexpr std::string_view version = " SIP/2.0";
  if (line.size() < t + 2 + version.size()) return false;
  if (!iequals(line.substr(line.size() - version.size()), version)) return false;
  return line[t + 1] != ' ';
}

sip_framer::sip_framer(const framer_options& opt) : opt_(opt) {
  opt_.parse.framing = parser::transport::stream;
}

void sip_framer::reset() noexcept {
  base_ += buf_.size();
  buf_.clear();
  head_ = 0;
  marks_.clear();
  mark_head_ = 0;
  need_ = scan_ = 0;
  resyncing_ = skipped_ = seen_sip_ = not_sip_ = episode_ = false;
  probed_ = 0;
}

void sip_framer::diag(handler* diags, bool error, std::string_view what, diag_kind kind) noexcept {
  if (!diags) return;
  const std::uint64_t pos = base_ + head_;
  diag_event e{kind, error, mark_at(pos).frame, 0, what};
  diags->on_diag(e);
}

const sip_framer::mark& sip_framer::mark_at(std::uint64_t pos) const noexcept {
  static const mark none{0, {}, 0};
  auto it = std::upper_bound(marks_.begin() + static_cast<std::ptrdiff_t>(mark_head_), marks_.end(), pos,
                             [](std::uint64_t p, const mark& m) { return p < m.end; });
  if (it == marks_.end()) return marks_.empty() ? none : marks_.back();
  return *it;
}

void sip_framer::drop(std::size_t n) noexcept {
  head_ += n;
  need_ = scan_ = 0;
}

void sip_framer::skip(std::size_t n, handler* diags, std::string_view why, diag_kind kind) noexcept {
  if (n == 0) return;
  if (!episode_) {  // one diagnostic per stretch of skipped bytes
    episode_ = true;
    ++stats_.resyncs;
    diag(diags, true, why, kind);
  }
  stats_.skipped_bytes += n;
  if (!seen_sip_) probed_ += n;
  skipped_ = true;
  drop(n);
}

void sip_framer::give_up(handler* diags) noexcept {
  not_sip_ = true;
  diag(diags, false, "a SIP start line in the first bytes of the stream (not SIP, e.g. TLS: ignored)",
       diag_kind::not_sip_stream);
  stats_.ignored_bytes += buf_.size() - head_;
  drop(buf_.size() - head_);
}

void sip_framer::feed(std::string_view bytes, const frame_ref& frame, timestamp_ns time, bool gap_before,
                      handler* diags) noexcept {
  if (head_ > 0) {
    buf_.erase(0, head_);
    base_ += head_;
    head_ = 0;
  }
  while (mark_head_ < marks_.size() && marks_[mark_head_].end <= base_) ++mark_head_;
  if (mark_head_ > 32 && mark_head_ * 2 > marks_.size()) {
    marks_.erase(marks_.begin(), marks_.begin() + static_cast<std::ptrdiff_t>(mark_head_));
    mark_head_ = 0;
  }
  if (not_sip_) {
    stats_.ignored_bytes += bytes.size();
    base_ += bytes.size();
    return;
  }
  if (gap_before) {
    // A partial message before the hole cannot be completed: drop it and resynchronise.
    bool partial = false;
    for (char c : buf_) if (c != '\r' && c != '\n') { partial = true; break; }
    episode_ = false;
    if (partial) skip(buf_.size(), diags, "a complete SIP message before a TCP gap (the partial message is dropped)");
    else drop(buf_.size());
    buf_.clear();
    base_ += head_;
    head_ = 0;
    resyncing_ = skipped_ = true;
  }
  buf_.append(bytes);
  marks_.push_back(mark{base_ + buf_.size(), frame, time});
}

bool sip_framer::resync(handler* diags) noexcept {
  const std::size_t max_line = opt_.parse.limit.max_message_size;
  const std::string_view v(buf_.data() + head_, buf_.size() - head_);
  std::size_t p = 0;
  for (;;) {
    const std::size_t lf = v.find('\n', p);
    if (lf == std::string_view::npos) {
      // wait for the end of this line, unless it is too long to be a start line
      if (v.size() - p > max_line) p = v.size();
      skip(p, diags, "a SIP start line (bytes skipped to the next one)");
      if (!seen_sip_ && probed_ + (buf_.size() - head_) >= opt_.non_sip_probe) give_up(diags);
      return false;
    }
    std::string_view line = v.substr(p, lf - p);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (looks_like_start_line(line)) {
      skip(p, diags, "a SIP start line (bytes skipped to the next one)");
      resyncing_ = false;
      episode_ = false;
      return true;
    }
    p = lf + 1;
  }
}

bool sip_framer::next(framed_message& out, handler* diags) noexcept {
  const std::size_t max = opt_.parse.limit.max_message_size;
  for (;;) {
    if (not_sip_) {
      stats_.ignored_bytes += buf_.size() - head_;
      drop(buf_.size() - head_);
      return false;
    }
    std::string_view v(buf_.data() + head_, buf_.size() - head_);
    if (v.empty()) return false;
    // RFC 5626 keep-alives (CRLFCRLF ping, CRLF pong) and CRLFs before a start line (7.5)
    std::size_t k = 0;
    while (k < v.size() && (v[k] == '\r' || v[k] == '\n')) ++k;
    if (k) {
      stats_.keepalive_bytes += k;
      drop(k);
      continue;
    }
    if (!seen_sip_ && !resyncing_ && probed_ == 0 && looks_like_tls(v)) {
      give_up(diags);
      continue;
    }
    if (resyncing_) {
      if (!resync(diags)) return false;
      continue;
    }
    const std::size_t lf = v.find('\n');
    if (lf == std::string_view::npos) {
      if (v.size() > max || (!seen_sip_ && v.size() >= opt_.non_sip_probe)) resyncing_ = true;
      else return false;
      continue;
    }
    std::string_view line = v.substr(0, lf);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!looks_like_start_line(line)) {
      resyncing_ = true;
      continue;
    }
    // the end of the header section: an empty line (CRLF CRLF, or bare LFs)
    std::size_t end_of_headers = 0;
    for (std::size_t i = std::max<std::size_t>(scan_, lf); i < v.size(); ++i) {
      if (v[i] != '\n') continue;
      if (i + 1 < v.size() && v[i + 1] == '\n') { end_of_headers = i + 2; break; }
      if (i + 2 < v.size() && v[i + 1] == '\r' && v[i + 2] == '\n') { end_of_headers = i + 3; break; }
    }
    if (end_of_headers == 0) {
      scan_ = v.size() > 2 ? v.size() - 2 : 0;
      if (v.size() <= max) return false;
    }
    if (end_of_headers != 0 && need_ > v.size()) return false;
    const std::size_t lim = std::min(v.size(), max + 1);
    const parser::parse_result r =
        end_of_headers == 0 ? parser::parse_result{parser::status::malformed, lim}
                            : parser::parse_message(v.substr(0, lim), msg_, opt_.parse);
    if (r.state == parser::status::incomplete) {
      const long long cl = msg_.content_length();
      need_ = cl >= 0 ? end_of_headers + static_cast<std::size_t>(cl) : v.size() + 1;
      if (need_ <= v.size()) need_ = v.size() + 1;
      return false;
    }
    if (end_of_headers == 0 || r.consumed == 0 || r.consumed > v.size() || has_framing_error(msg_)) {
      // Too large to frame: drop its start line and look for the next message.
      ++stats_.too_large;
      episode_ = false;
      seen_sip_ = true;   // a SIP start line it had: the stream is SIP (the skip is not a probe)
      skip(lf + 1, diags, "a SIP message no larger than the message size limit (dropped)", diag_kind::sip_size_limit);
      resyncing_ = true;
      continue;
    }
    if (lacks_content_length(msg_)) ++stats_.no_content_length;
    const std::uint64_t pos = base_ + head_;
    const mark& first = mark_at(pos);
    const mark& last = mark_at(pos + r.consumed - 1);
    out = framed_message{};
    out.bytes = v.substr(0, r.consumed);
    out.first_frame = first.frame;
    out.first_time = first.time;
    out.frame = last.frame;
    out.time = last.time;
    if (&first != &last) {
      // Every chunk between the first and the last byte's (marks are in stream order).
      for (const mark* m = &first; m <= &last && m < marks_.data() + marks_.size(); ++m) out.pieces.add(m->frame);
    }
    out.offset = pos;
    out.after_resync = skipped_;
    out.parse_status = r.state;
    out.parsed = &msg_;
    skipped_ = false;
    seen_sip_ = true;
    ++stats_.messages;
    drop(r.consumed);
    return true;
  }
}

}  // namespace sipscope::capture
