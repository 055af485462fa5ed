// A small streaming JSON writer: the CLI's output and the call model's JSON (correlate/).
//
// Why our own: the output must be valid JSON whatever bytes a capture holds. SIP text is mostly
// UTF-8 but a hostile or broken peer can send anything, so strings are checked: valid UTF-8
// passes through unchanged, control characters are escaped, and each byte that is not part of a
// well-formed UTF-8 sequence is written as \u00XX (the byte's value as a code point: lossy, but
// the document stays valid and the byte stays visible). No allocation per value beyond the
// output buffer; the caller flushes it.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sipscope {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0 when the byte there does not start one.
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
    if (c == 0xED && b(1) > 0x9F) return 0;  // UTF-16 surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xF4 && b(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;  // continuation byte, C0/C1, F5..FF
}

// Appends `s` as a JSON string literal (with its quotes).
inline void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      std::size_t n = utf8_sequence_length(s, i);
      if (n == 0) {
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

// Streaming writer: begin/end objects and arrays, key() before each member's value. Commas and
// (when pretty) newlines and indentation are inserted by the writer.
class json_writer {
 public:
  explicit json_writer(bool pretty = true) : pretty_(pretty) {}

  json_writer& begin_object() { open('{'); return *this; }
  json_writer& end_object() { close('}'); return *this; }
  json_writer& begin_array() { open('['); return *this; }
  json_writer& end_array() { close(']'); return *this; }

  json_writer& key(std::string_view k) {
    separate();
    append_json_string(out_, k);
    out_ += pretty_ ? ": " : ":";
    after_key_ = true;
    return *this;
  }

  json_writer& value(std::string_view s) { separate(); append_json_string(out_, s); return *this; }
  json_writer& value(const char* s) { return value(std::string_view(s)); }
  json_writer& value(bool b) { separate(); out_ += b ? "true" : "false"; return *this; }
  template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>)
  json_writer& value(T n) {
    separate();
    if constexpr (std::is_signed_v<T>) out_ += std::to_string(static_cast<long long>(n));
    else out_ += std::to_string(static_cast<unsigned long long>(n));
    return *this;
  }
  json_writer& null() { separate(); out_ += "null"; return *this; }
  // A number with a fixed number of decimals (times in seconds with 6, ratios...); null when
  // the value is not finite (JSON has no NaN).
  json_writer& value_fixed(double d, int decimals) {
    if (!std::isfinite(d)) return null();
    separate();
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%.*f", decimals, d);
    if (n > 0) out_.append(buf, static_cast<std::size_t>(n) < sizeof buf ? static_cast<std::size_t>(n) : sizeof buf - 1);
    return *this;
  }

  // key + value in one call.
  template <typename T>
  json_writer& member(std::string_view k, const T& v) { key(k); return value(v); }
  json_writer& member_null(std::string_view k) { key(k); return null(); }

  const std::string& str() const noexcept { return out_; }
  std::string take() { std::string s = std::move(out_); out_.clear(); return s; }
  // True when every opened object/array was closed.
  bool complete() const noexcept { return stack_.empty(); }

 private:
  struct level { bool first = true; };

  void separate() {
    if (after_key_) { after_key_ = false; return; }
    if (stack_.empty()) return;
    if (!stack_.back().first) out_.push_back(',');
    stack_.back().first = false;
    newline();
  }
  void open(char c) {
    separate();
    out_.push_back(c);
    stack_.push_back({});
  }
  void close(char c) {
    bool empty = stack_.empty() || stack_.back().first;
    if (!stack_.empty()) stack_.pop_back();
    if (!empty) newline();
    out_.push_back(c);
  }
  void newline() {
    if (!pretty_) return;
    out_.push_back('\n');
    out_.append(stack_.size() * 2, ' ');
  }

  std::string out_;
  std::vector<level> stack_;
  bool pretty_;
  bool after_key_ = false;
};

}  // namespace sipscope
