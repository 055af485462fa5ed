// E-model (emodel.hpp) against G.107/G.113 reference points, and the per-stream estimate.
#include "sipscope/media/emodel.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sipscope::media {
namespace {

TEST(Emodel, DefaultsGiveR93_2AndMos4_41) {
  // G.107: all default values -> R = 93.2; Annex B maps it to MOS 4.41
  EXPECT_NEAR(emodel_r({}), 93.2, 1e-9);
  EXPECT_NEAR(mos_from_r(93.2), 4.41, 0.005);
  EXPECT_NEAR(delay_impairment(0), 0.149, 0.001);   // Idle at Tr = 0: the only Id at defaults
}

TEST(Emodel, MosFromRAnnexB) {
  EXPECT_EQ(mos_from_r(-5), 1);
  EXPECT_EQ(mos_from_r(0), 1);
  // The polynomial would give 0.99 at R 3 and cross 1 again at 6.515: the scale's floor holds.
  EXPECT_EQ(mos_from_r(3), 1);
  EXPECT_EQ(mos_from_r(6.5), 1);
  EXPECT_GT(mos_from_r(6.52), 1);
  EXPECT_LT(mos_from_r(6.52), 1.0001);
  EXPECT_EQ(mos_from_r(120), 4.5);
  EXPECT_NEAR(mos_from_r(100), 4.5, 1e-12);
  EXPECT_NEAR(mos_from_r(50), 1 + 1.75 - 50 * 10 * 50 * 7e-6, 1e-12);   // 2.575
  EXPECT_NEAR(mos_from_r(80), 4.02, 0.005);     // the usual "R 80 ~ MOS 4.0" landmark
  EXPECT_NEAR(mos_from_r(70), 3.60, 0.005);
  EXPECT_NEAR(mos_from_r(60), 3.10, 0.005);
}

TEST(Emodel, CodecsWithoutLoss) {
  // G.711: Ie 0 -> R 93.2; G.729: Ie 10 (G.113 App. I) -> R 83.2, MOS 4.14
  codec_impairment g711 = codec_impairment_for(codec_id::pcmu);
  EXPECT_TRUE(g711.known);
  EXPECT_EQ(g711.ie, 0);
  EXPECT_NEAR(emodel_r({.ie = g711.ie, .bpl = g711.bpl}), 93.2, 1e-9);
  codec_impairment g729 = codec_impairment_for(codec_id::g729);
  EXPECT_EQ(g729.ie, 10);
  EXPECT_EQ(g729.bpl, 19.0);
  double r = emodel_r({.ie = g729.ie, .bpl = g729.bpl});
  EXPECT_NEAR(r, 83.2, 1e-9);
  EXPECT_NEAR(mos_from_r(r), 4.14, 0.005);
  EXPECT_EQ(codec_impairment_for(codec_id::g723).ie, 15);
  EXPECT_FALSE(codec_impairment_for(codec_id::opus).known);
}

TEST(Emodel, PacketLoss) {
  // Ie_eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)
  // G.711 + PLC (Bpl 25.1), 2 % random: 95 * 2 / 27.1 = 7.011
  EXPECT_NEAR(equipment_impairment(0, 25.1, 2, 1), 7.011, 0.001);
  EXPECT_NEAR(emodel_r({.loss_percent = 2, .ie = 0, .bpl = 25.1}), 93.2 - 7.011, 0.001);
  // G.729 1 %: 10 + 85 / 20 = 14.25
  EXPECT_NEAR(equipment_impairment(10, 19, 1, 1), 14.25, 1e-9);
  // bursty loss hurts more: BurstR 2 at 2 % -> 95 * 2 / 26.1
  EXPECT_NEAR(equipment_impairment(0, 25.1, 2, 2), 95.0 * 2 / 26.1, 1e-9);
  // no loss: Ie itself; total loss tends to 95
  EXPECT_EQ(equipment_impairment(10, 19, 0, 1), 10);
  EXPECT_GT(equipment_impairment(0, 25.1, 100, 1), 75);
  EXPECT_EQ(emodel_r({.loss_percent = 100, .ie = 30, .bpl = 1}), 0);   // clamped
}

TEST(Emodel, Delay) {
  // Idd is 0 up to 100 ms; X = log2(Ta/100) = 1 at 200 ms:
  // 25 ((1 + 1)^(1/6) - 3 (1 + 3^-6)^(1/6) + 2) = 3.044
  const double idd200 = 25 * (std::pow(2.0, 1.0 / 6) - 3 * std::pow(1 + std::pow(1.0 / 3, 6), 1.0 / 6) + 2);
  EXPECT_NEAR(idd200, 3.044, 0.001);
  // R with delay only, default echo parameters; the curve of G.114 figure 1, which the
  // linear fit of Cole & Rosenbluth (0.024 Ta + 0.11 (Ta - 177.3) H(Ta - 177.3)) follows
  // within ~2 R up to 300 ms
  double prev = 100;
  for (double ta : {0.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 400.0}) {
    double r = emodel_r({.one_way_delay_ms = ta});
    double fit = 93.2 - 0.024 * ta - (ta > 177.3 ? 0.11 * (ta - 177.3) : 0);
    EXPECT_LT(r, prev + 1e-9) << ta;
    if (ta <= 300) {
      EXPECT_NEAR(r, fit, 2.0) << ta;
    }
    prev = r;
  }
  EXPECT_NEAR(emodel_r({.one_way_delay_ms = 150}), 90.2, 0.1);   // still "users satisfied"
  EXPECT_NEAR(emodel_r({.one_way_delay_ms = 200}), 86.7, 0.1);
}

}  // namespace
}  // namespace sipscope::media
