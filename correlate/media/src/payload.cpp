// Payload type tables (payload.hpp).
#include "sipscope/media/payload.hpp"

namespace sipscope::media {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(codec_id c) noexcept {
  switch (c) {
    case codec_id::unknown: return "unknown";
    case codec_id::pcmu: return "PCMU";
    case codec_id::pcma: return "PCMA";
    case codec_id::gsm: return "GSM";
    case codec_id::g723: return "G723";
    case codec_id::g722: return "G722";
    case codec_id::g728: return "G728";
    case codec_id::g729: return "G729";
    case codec_id::ilbc: return "iLBC";
    case codec_id::opus: return "opus";
    case codec_id::amr: return "AMR";
    case codec_id::amr_wb: return "AMR-WB";
    case codec_id::speex: return "speex";
    case codec_id::l16: return "L16";
    case codec_id::other: return "other";
  }
  return "unknown";
}

payload_format static_payload_format(std::uint8_t pt) noexcept {
  using k = media_kind;
  using c = codec_id;
  switch (pt) {
    case 0: return {8000, k::audio, c::pcmu};
    case 3: return {8000, k::audio, c::gsm};
    case 4: return {8000, k::audio, c::g723};
    case 5: return {8000, k::audio, c::other};     // DVI4
    case 6: return {16000, k::audio, c::other};    // DVI4
    case 7: return {8000, k::audio, c::other};     // LPC
    case 8: return {8000, k::audio, c::pcma};
    case 9: return {8000, k::audio, c::g722};      // 8000 by RFC 3551's historical error
    case 10: return {44100, k::audio, c::l16};
    case 11: return {44100, k::audio, c::l16};
    case 12: return {8000, k::audio, c::other};    // QCELP
    case 13: return {8000, k::comfort_noise, c::other};
    case 14: return {90000, k::audio, c::other};   // MPA
    case 15: return {8000, k::audio, c::g728};
    case 16: return {11025, k::audio, c::other};   // DVI4
    case 17: return {22050, k::audio, c::other};   // DVI4
    case 18: return {8000, k::audio, c::g729};
    case 19: return {8000, k::comfort_noise, c::other};
    case 25: case 26: case 28: case 31: case 32: case 33: case 34:
      return {90000, k::video, c::other};          // CelB, JPEG, nv, H261, MPV, MP2T, H263
    default: return {};
  }
}

payload_format payload_format_for(std::string_view enc, std::uint32_t clock) noexcept {
  using k = media_kind;
  using c = codec_id;
  struct row {
    std::string_view name;
    k kind;
    c codec;
  };
  static constexpr row rows[] = {
      {"PCMU", k::audio, c::pcmu},   {"PCMA", k::audio, c::pcma},
      {"GSM", k::audio, c::gsm},     {"G723", k::audio, c::g723},
      {"G722", k::audio, c::g722},   {"G728", k::audio, c::g728},
      {"G729", k::audio, c::g729},   {"G729A", k::audio, c::g729},
      {"iLBC", k::audio, c::ilbc},   {"opus", k::audio, c::opus},
      {"AMR", k::audio, c::amr},     {"AMR-WB", k::audio, c::amr_wb},
      {"speex", k::audio, c::speex}, {"L16", k::audio, c::l16},
      {"CN", k::comfort_noise, c::other},
      {"telephone-event", k::telephone_event, c::other},
      {"H261", k::video, c::other},  {"H263", k::video, c::other},
      {"H263-1998", k::video, c::other}, {"H264", k::video, c::other},
      {"H265", k::video, c::other},  {"VP8", k::video, c::other},
      {"VP9", k::video, c::other},   {"AV1", k::video, c::other},
  };
  for (const row& r : rows)
    if (iequals(r.name, enc)) return {clock, r.kind, r.codec};
  return {clock, k::unknown, c::other};
}

bool payload_map::set(std::uint8_t pt, payload_format f) noexcept {
  for (std::size_t i = 0; i < size_; ++i) {
    if (entries_[i].pt == pt) {
      entries_[i].f = f;
      return true;
    }
  }
  if (size_ == capacity) return false;
  entries_[size_++] = {pt, f};
  return true;
}

payload_format payload_map::find(std::uint8_t pt) const noexcept {
  for (std::size_t i = 0; i < size_; ++i)
    if (entries_[i].pt == pt) return entries_[i].f;
  return static_payload_format(pt);
}

}  // namespace sipscope::media
