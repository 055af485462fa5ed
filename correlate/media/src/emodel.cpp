// ITU-T G.107 E-model (emodel.hpp has the formulas and where they come from).
#include "sipscope/media/emodel.hpp"

#include <algorithm>
#include <cmath>

namespace sipscope::media {
namespace {

// G.107 Table 3 defaults and the values derived from them.
constexpr double telr = 65;      // talker echo loudness rating, dB
constexpr double wepl = 110;     // weighted echo path loss, dB
constexpr double no = -61.18;    // total noise power No, dBm0p, from the default noises
constexpr double ro = 94.77;     // Ro = 15 - 1.5 (SLR + No), SLR = 8
constexpr double r_default = 93.2;

double idte(double t) {
  const double roe = -1.5 * (no + 2);
  const double terv = telr - 40 * std::log10((1 + t / 10) / (1 + t / 150)) + 6 * std::exp(-0.3 * t * t);
  const double re = 80 + 2.5 * (terv - 14);
  const double d = roe - re;
  return (d / 2 + std::sqrt(d * d / 4 + 100) - 1) * (1 - std::exp(-t));
}

double idle(double tr) {
  const double rle = 10.5 * (wepl + 7) * std::pow(tr + 1, -0.25);
  const double d = ro - rle;
  return d / 2 + std::sqrt(d * d / 4 + 169);
}

double idd(double ta) {
  if (ta <= 100) return 0;
  const double x = std::log2(ta / 100);
  return 25 * (std::pow(1 + std::pow(x, 6), 1.0 / 6) - 3 * std::pow(1 + std::pow(x / 3, 6), 1.0 / 6) + 2);
}

}  // namespace

codec_impairment codec_impairment_for(codec_id c) noexcept {
  switch (c) {
    case codec_id::pcmu:
    case codec_id::pcma: return {0, 25.1, 0, true};
    case codec_id::g729: return {10, 19.0, 5, true};     // 5 ms look-ahead
    case codec_id::g723: return {15, 16.1, 7.5, true};   // 7.5 ms look-ahead
    case codec_id::gsm: return {20, 4.3, 0, true};       // G.113 gives no Bpl: G.107's default
    case codec_id::g728: return {7, 4.3, 0, true};
    default: return {0, 25.1, 0, false};
  }
}

double delay_impairment(double ta) noexcept {
  if (!(ta > 0)) ta = 0;
  return idte(ta) + idle(2 * ta) + idd(ta);
}

double equipment_impairment(double ie, double bpl, double ppl, double burst_r) noexcept {
  if (!(ppl > 0)) return ie;
  if (!(burst_r >= 1)) burst_r = 1;
  return ie + (95 - ie) * ppl / (ppl / burst_r + bpl);
}

double emodel_r(const emodel_input& in) noexcept {
  const double id = delay_impairment(in.one_way_delay_ms) - delay_impairment(0);
  const double r = r_default - id - equipment_impairment(in.ie, in.bpl, in.loss_percent, in.burst_ratio);
  return std::clamp(r, 0.0, 100.0);
}

double mos_from_r(double r) noexcept {
  if (!(r > 0)) return 1;
  if (r > 100) return 4.5;
  // The polynomial dips below 1 between R = 0 and R = 6.5 (its root, 80 - sqrt(5400)): the
  // scale's floor is 1 there too (G.107 Figure B.1 starts at MOS 1).
  return std::max(1.0, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6);
}

}  // namespace sipscope::media
