#include "media_bridge.hpp"

namespace sipscope::correlate::detail {

bool static_payload(std::uint8_t pt, std::string& name, std::uint32_t& clock_rate) {
  struct entry { std::uint8_t pt; const char* name; std::uint32_t rate; };
  // RFC 3551 section 6, table 4 (audio) and 5 (video).
  static constexpr entry table[] = {
      {0, "PCMU", 8000}, {3, "GSM", 8000},  {4, "G723", 8000},   {5, "DVI4", 8000},
      {6, "DVI4", 16000}, {7, "LPC", 8000}, {8, "PCMA", 8000},   {9, "G722", 8000},
      {10, "L16", 44100}, {11, "L16", 44100}, {12, "QCELP", 8000}, {13, "CN", 8000},
      {14, "MPA", 90000}, {15, "G728", 8000}, {16, "DVI4", 11025}, {17, "DVI4", 22050},
      {18, "G729", 8000}, {25, "CelB", 90000}, {26, "JPEG", 90000}, {28, "nv", 90000},
      {31, "H261", 90000}, {32, "MPV", 90000}, {33, "MP2T", 90000}, {34, "H263", 90000},
  };
  for (const entry& e : table)
    if (e.pt == pt) {
      name = e.name;
      clock_rate = e.rate;
      return true;
    }
  return false;
}

// Until the media library is wired in, the correlator runs without media tracking.
std::unique_ptr<media_bridge> make_media_bridge() { return nullptr; }

}  // namespace sipscope::correlate::detail
