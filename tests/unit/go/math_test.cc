// Go's math functions as Prometheus (amd64) computes them. The expected values are Prometheus
// 2.42's answers (taken from the differential test against it), each one glibc gets different
// in the last bits; the special cases are Go's documented ones.
#include "exporter/go/math.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace codebot::go {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kTiny = std::numeric_limits<double>::denorm_min();

// Same bits, so -0 differs from 0.
::testing::AssertionResult Bits(double got, double want) {
  if (std::bit_cast<uint64_t>(got) == std::bit_cast<uint64_t>(want)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got " << std::hexfloat << got << ", want " << want;
}

TEST(GoMath, ValuesPrometheusReturns) {
  EXPECT_TRUE(Bits(Sin(-1e300), 0.8178819121159087));
  EXPECT_TRUE(Bits(Tan(-1e300), -1.4214488238747243));
  EXPECT_TRUE(Bits(Asin(0.999999), 1.5693821131146442));
  EXPECT_TRUE(Bits(Acos(0.999999), 0.0014142136802524075));
  EXPECT_TRUE(Bits(Atan2(-1, 0.999999), -0.7853986633976983));
  EXPECT_TRUE(Bits(Sinh(-1.5), -2.1292794550948178));
  EXPECT_TRUE(Bits(Cosh(-1.5), 2.3524096152432477));
  EXPECT_TRUE(Bits(Pow(0.5, -1.5), 2.82842712474619));
  EXPECT_TRUE(Bits(Pow(1e-5, -1.5), 31622776.601683795));
  EXPECT_TRUE(Bits(Pow(0.999999, 3), 0.9999970000029998));
}

TEST(GoMath, SubnormalsAsAmd64Does) {
  // Go's assembly Log reads a subnormal's bits as if it were normal.
  EXPECT_TRUE(Bits(Log(kTiny), -709.0895657128241));
  EXPECT_TRUE(Bits(Log10(kTiny), -307.9536855642528));
  EXPECT_TRUE(Bits(Log2(kTiny), -1074));  // frexp first: exact
  EXPECT_TRUE(Bits(Exp(-745.1), kTiny));
  EXPECT_TRUE(Bits(Exp(-746), 0));
  EXPECT_TRUE(Bits(Exp(709.79), kInf));
}

TEST(GoMath, SpecialCases) {
  const double pi = 3.141592653589793;
  EXPECT_TRUE(std::isnan(Log(-1)));
  EXPECT_TRUE(Bits(Log(0), -kInf));
  EXPECT_TRUE(Bits(Log1p(-1), -kInf));
  EXPECT_TRUE(Bits(Log1p(-0.0), -0.0));
  EXPECT_TRUE(Bits(Atan2(0.0, -0.0), pi));
  EXPECT_TRUE(Bits(Atan2(-0.0, -0.0), -pi));
  EXPECT_TRUE(Bits(Atan2(-kInf, -kInf), -2.356194490192345));
  EXPECT_TRUE(Bits(Atan(-0.0), -0.0));
  EXPECT_TRUE(Bits(Asin(-0.0), -0.0));
  EXPECT_TRUE(std::isnan(Asin(1.0000000000000002)));
  EXPECT_TRUE(Bits(Sin(-0.0), -0.0));
  EXPECT_TRUE(std::isnan(Cos(kInf)));
  EXPECT_TRUE(std::isnan(Tan(-kInf)));
  EXPECT_TRUE(Bits(Tanh(-kInf), -1));
  EXPECT_TRUE(Bits(Sinh(-0.0), -0.0));
  EXPECT_TRUE(Bits(Acosh(1), 0));
  EXPECT_TRUE(Bits(Atanh(-1), -kInf));
  EXPECT_TRUE(Bits(Asinh(-0.0), -0.0));
  EXPECT_TRUE(Bits(Pow(-0.0, -3), -kInf));
  EXPECT_TRUE(Bits(Pow(-0.0, 3), -0.0));
  EXPECT_TRUE(Bits(Pow(-0.0, 2), 0));
  EXPECT_TRUE(Bits(Pow(-1, kInf), 1));
  EXPECT_TRUE(Bits(Pow(-kInf, -3), -0.0));
  EXPECT_TRUE(Bits(Pow(-2, 0x1p63), kInf));
  EXPECT_TRUE(std::isnan(Pow(-8, 1.0 / 3)));
  EXPECT_TRUE(Bits(Pow(std::nan(""), 0), 1));
}

}  // namespace
}  // namespace codebot::go
