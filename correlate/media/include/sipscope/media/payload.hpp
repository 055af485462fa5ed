// Payload types: RTP clock rates and what the payload is (RFC 3551 static table, SDP rtpmap
// for the rest). The caller builds a payload_map from the SDP that negotiated a stream
// (`a=rtpmap:111 opus/48000/2` -> set(111, "opus", 48000)); payload types it does not name
// fall back to RFC 3551's static assignments, and unknown dynamic types have clock rate 0
// (no jitter is computed for them, as Wireshark does).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sipscope::media {

enum class media_kind : std::uint8_t {
  unknown,
  audio,
  video,
  telephone_event,   // RFC 4733: counted, decoded into DTMF, never used for jitter
  comfort_noise,     // RFC 3389 CN (PT 13, old 19): not a "regular" packet for jitter/delta
};

// The codecs the E-model knows an equipment impairment for (emodel.hpp), and a few more.
enum class codec_id : std::uint8_t {
  unknown, pcmu, pcma, gsm, g723, g722, g728, g729, ilbc, opus, amr, amr_wb, speex, l16, other,
};
std::string_view to_string(codec_id c) noexcept;

struct payload_format {
  std::uint32_t clock_rate = 0;    // Hz; 0 = unknown
  media_kind kind = media_kind::unknown;
  codec_id codec = codec_id::unknown;
  bool operator==(const payload_format&) const = default;
};

// RFC 3551 tables 4 and 5 (PT 0..34; 19 is the pre-RFC 3389 CN). Unassigned: all zero.
payload_format static_payload_format(std::uint8_t pt) noexcept;

// From an rtpmap encoding name (case-insensitive: "PCMU", "telephone-event", "opus", "CN"...)
// and its clock rate.
payload_format payload_format_for(std::string_view encoding, std::uint32_t clock_rate) noexcept;

// A small fixed-size PT -> format map (no heap: streams keep a copy).
class payload_map {
 public:
  static constexpr std::size_t capacity = 16;
  // False when the map is full (the type then falls back to the static table).
  bool set(std::uint8_t pt, payload_format f) noexcept;
  bool set(std::uint8_t pt, std::string_view encoding, std::uint32_t clock_rate) noexcept {
    return set(pt, payload_format_for(encoding, clock_rate));
  }
  // The caller's entry, else the static table.
  payload_format find(std::uint8_t pt) const noexcept;
  std::size_t size() const noexcept { return size_; }

 private:
  struct entry {
    std::uint8_t pt = 0;
    payload_format f;
  };
  std::array<entry, capacity> entries_{};
  std::uint8_t size_ = 0;
};

}  // namespace sipscope::media
