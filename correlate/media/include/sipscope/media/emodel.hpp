// An estimated listening-quality MOS from the ITU-T G.107 E-model (06/2015), for a stream seen
// passively. What a capture cannot know is replaced by G.107's default values.
//
//   R = Ro - Is - Id - Ie_eff + A                                   (G.107 clause 7.1)
//
// With every parameter at its default (Table 3) Ro - Is - Id(0) gives R = 93.2, so:
//
//   R = 93.2 - (Id(Ta) - Id(0)) - Ie_eff
//
// where Ta is the mean one-way delay (T = Ta, Tr = 2 Ta, as G.107 assumes for a 4-wire path)
// and Id = Idte + Idle + Idd (7.3):
//   Idd  = 0 for Ta <= 100 ms, else 25 {(1 + X^6)^(1/6) - 3 (1 + (X/3)^6)^(1/6) + 2},
//          X = log2(Ta / 100)
//   Idte = [(Roe - Re)/2 + sqrt((Roe - Re)^2/4 + 100) - 1] (1 - e^-T),
//          Roe = -1.5 (No + 2), Re = 80 + 2.5 (TERV - 14),
//          TERV = TELR - 40 log10((1 + T/10) / (1 + T/150)) + 6 e^(-0.3 T^2)
//   Idle = (Ro - Rle)/2 + sqrt((Ro - Rle)^2/4 + 169), Rle = 10.5 (WEPL + 7) (Tr + 1)^-0.25
//   with defaults TELR = 65 dB, WEPL = 110 dB, No = -61.18 dBm0p, Ro = 94.77.
// Equipment impairment with packet loss (clause 7.4):
//   Ie_eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)
// Ppl = loss in percent, BurstR = 1 for random loss (> 1 bursty), Ie and Bpl per codec from
// ITU-T G.113 Appendix I (codec_impairment below).
// MOS from R (G.107 Annex B):
//   R < 0: 1;  0 <= R <= 100: 1 + 0.035 R + R (R - 60)(100 - R) 7e-6;  R > 100: 4.5
// (the formula dips below 1 for R < 6.5; G.107 keeps it, so do we).
#pragma once

#include "sipscope/media/payload.hpp"

namespace sipscope::media {

struct codec_impairment {
  double ie = 0;         // equipment impairment factor
  double bpl = 4.3;      // packet-loss robustness factor
  double delay_ms = 0;   // algorithmic delay beyond the frame (look-ahead)
  bool known = false;    // false: a guess (G.711's values) for a codec G.113 does not list
};
// G.113 Appendix I (11/2007), tables I.1 and I.3: G.711 with PLC Ie 0, Bpl 25.1 (random
// loss); G.729 Ie 10 (G.729A + VAD: Ie 11, Bpl 19.0, the Bpl used here for G.729); G.723.1
// 6.3 kbit/s Ie 15, Bpl 16.1; GSM-FR Ie 20; G.728 Ie 7. iLBC, and the wideband codecs (G.722,
// opus, AMR-WB: G.107.1's domain, not G.107's) get G.711's values, marked known = false.
codec_impairment codec_impairment_for(codec_id c) noexcept;

struct emodel_input {
  double one_way_delay_ms = 0;   // Ta
  double loss_percent = 0;       // Ppl
  double burst_ratio = 1;        // BurstR
  double ie = 0;
  double bpl = 4.3;
};

double delay_impairment(double ta_ms) noexcept;          // Id(Ta) with default parameters
double equipment_impairment(double ie, double bpl, double ppl, double burst_r) noexcept;
double emodel_r(const emodel_input& in) noexcept;         // clamped to 0..100
double mos_from_r(double r) noexcept;

}  // namespace sipscope::media
