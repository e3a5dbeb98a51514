#include "exporter/go/math.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

namespace codebot::go {

double Max(double x, double y) {
  if ((std::isinf(x) && x > 0) || (std::isinf(y) && y > 0)) {
    return std::numeric_limits<double>::infinity();
  }
  if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0 && x == y) return std::signbit(x) ? y : x;
  return x > y ? x : y;
}

double Min(double x, double y) {
  if ((std::isinf(x) && x < 0) || (std::isinf(y) && y < 0)) {
    return -std::numeric_limits<double>::infinity();
  }
  if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0 && x == y) return std::signbit(x) ? x : y;
  return x < y ? x : y;
}

namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// ln(1+f) for sqrt(2)/2 <= 1+f < sqrt(2), as the SunPro/FreeBSD e_log.c method: with
// s = f/(2+f), ln(1+f) = 2s + s*R(s^2), R a degree-14 minimax polynomial in s evaluated as
// two interleaved halves; the k*ln2 term is added split into an exact high and a low part.
double LogReduced(double f, double k) {
  constexpr double kLn2High = 6.93147180369123816490e-01;
  constexpr double kLn2Low = 1.90821492927058770002e-10;
  constexpr double kC[] = {6.666666666666735130e-01, 3.999999999940941908e-01,
                           2.857142874366239149e-01, 2.222219843214978396e-01,
                           1.818357216161805012e-01, 1.531383769920937332e-01,
                           1.479819860511658591e-01};
  const double s = f / (2 + f);
  const double z = s * s;
  const double w = z * z;
  const double odd = z * (kC[0] + w * (kC[2] + w * (kC[4] + w * kC[6])));
  const double even = w * (kC[1] + w * (kC[3] + w * kC[5]));
  const double r = odd + even;
  const double half_f2 = 0.5 * f * f;
  return k * kLn2High - ((half_f2 - (s * (half_f2 + r) + k * kLn2Low)) - f);
}

// arctan on [0, 0.66]: Cephes' rational approximation x + x^3 P(x^2)/Q(x^2).
double AtanKernel(double x) {
  constexpr double kP[] = {-8.750608600031904122785e-01, -1.615753718733365076637e+01,
                           -7.500855792314704667340e+01, -1.228866684490136173410e+02,
                           -6.485021904942025371773e+01};
  constexpr double kQ[] = {+2.485846490142306297962e+01, +1.650270098316988542046e+02,
                           +4.328810604912902668951e+02, +4.853903996359136964868e+02,
                           +1.945506571482613964425e+02};
  const double z = x * x;
  const double p = (((kP[0] * z + kP[1]) * z + kP[2]) * z + kP[3]) * z + kP[4];
  const double q = ((((z + kQ[0]) * z + kQ[1]) * z + kQ[2]) * z + kQ[3]) * z + kQ[4];
  return x * (z * p / q) + x;
}

// arctan of x >= 0: three intervals mapped onto [0, 0.66]; pi/2 is carried with the bits
// lost in rounding it (kPiOver2Rest) so the large-argument branch stays accurate.
double AtanPositive(double x) {
  constexpr double kPiOver2Rest = 6.123233995736765886130e-17;
  constexpr double kTan3PiOver8 = 2.41421356237309504880;
  if (x <= 0.66) return AtanKernel(x);
  if (x > kTan3PiOver8) return kPi / 2 - AtanKernel(1 / x) + kPiOver2Rest;
  return kPi / 4 + AtanKernel((x - 1) / (x + 1)) + 0.5 * kPiOver2Rest;
}

// Arguments of sin, cos and tan below 2^29 are reduced by pi/4 given in three parts (the first
// two with enough trailing zero bits that y*part is exact); larger ones by Payne-Hanek.
constexpr double kTrigExactBelow = 1 << 29;
constexpr double kPiOver4Parts[] = {7.85398125648498535156e-1, 3.77489470793079817668e-8,
                                    2.69515142907905952645e-15};

// 4/pi in base 2^64: the integer part, then 19 fractional digits (1217 bits, enough for the
// largest exponent); computed from Machin's formula.
constexpr uint64_t kFourOverPi[] = {
    0x0000000000000001, 0x45f306dc9c882a53, 0xf84eafa3ea69bb81, 0xb6c52b3278872083,
    0xfca2c757bd778ac3, 0x6e48dc74849ba5c0, 0x0c925dd413a32439, 0xfc3bd63962534e7d,
    0xd1046bea5d768909, 0xd338e04d68befc82, 0x7323ac7306a673e9, 0x3908bf177bf25076,
    0x3ff12fffbc0b301f, 0xde5e2316b414da3e, 0xda6cfd9e4f96136e, 0x9e8c7ecd3cbfd45a,
    0xea4f758fd7cbe2f6, 0x7a0e73ef14a525d4, 0xd7f6bf623f1aba10, 0xac06608df8f6d757};

// Payne-Hanek reduction of x >= 2^29 (K. C. Ng, "Argument reduction for huge arguments"):
// the 53-bit mantissa times the 192 bits of 4/pi that matter for its exponent gives the octant
// (mod 8) and the fraction of x/(pi/4), which is returned as a multiple of pi/4, with odd
// octants moved to the next even one as the small-argument path does.
void TrigReduceLarge(double x, uint64_t* octant, double* z) {
  const uint64_t bits = std::bit_cast<uint64_t>(x);
  const int exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023 - 52;
  const uint64_t mantissa = (bits & ((uint64_t{1} << 52) - 1)) | (uint64_t{1} << 52);
  const unsigned digit = static_cast<unsigned>(exponent + 61) / 64;
  const unsigned shift = static_cast<unsigned>(exponent + 61) % 64;
  auto window = [&](unsigned i) {
    if (shift == 0) return kFourOverPi[i];
    return (kFourOverPi[i] << shift) | (kFourOverPi[i + 1] >> (64 - shift));
  };
  const uint64_t w0 = window(digit), w1 = window(digit + 1), w2 = window(digit + 2);
  __extension__ using u128 = unsigned __int128;
  const u128 p2 = static_cast<u128>(w2) * mantissa;
  const u128 p1 = static_cast<u128>(w1) * mantissa;
  const uint64_t p0_low = w0 * mantissa;
  const uint64_t p1_low = static_cast<uint64_t>(p1);
  const uint64_t lo = p1_low + static_cast<uint64_t>(p2 >> 64);
  const uint64_t carry = lo < p1_low ? 1 : 0;
  uint64_t hi = p0_low + static_cast<uint64_t>(p1 >> 64) + carry;
  *octant = hi >> 61;
  hi = hi << 3 | lo >> 61;
  // Shifts by 64 give 0 in Go; in C++ they are undefined (hi == 0 would need one).
  auto shl = [](uint64_t v, unsigned n) { return n >= 64 ? uint64_t{0} : v << n; };
  auto shr = [](uint64_t v, unsigned n) { return n >= 64 ? uint64_t{0} : v >> n; };
  const unsigned leading = static_cast<unsigned>(std::countl_zero(hi));
  const uint64_t biased = 1023 - (leading + 1);
  hi = shl(hi, leading + 1) | shr(lo, 64 - (leading + 1));
  hi >>= 64 - 52;
  double fraction = std::bit_cast<double>(hi | biased << 52);
  if (*octant & 1) {
    *octant = (*octant + 1) & 7;
    fraction -= 1;
  }
  *z = fraction * (kPi / 4);
}

// x >= 0 as octant j (even) and the remainder z in [-pi/4, pi/4].
void TrigReduce(double x, uint64_t* octant, double* z) {
  if (x >= kTrigExactBelow) {
    TrigReduceLarge(x, octant, z);
    return;
  }
  uint64_t j = static_cast<uint64_t>(x * (4 / kPi));
  double y = static_cast<double>(j);
  if (j & 1) {
    ++j;
    ++y;
  }
  *octant = j;
  *z = ((x - y * kPiOver4Parts[0]) - y * kPiOver4Parts[1]) - y * kPiOver4Parts[2];
}

// Cephes' sine and cosine polynomials on [-pi/4, pi/4].
double SinKernel(double z) {
  constexpr double kS[] = {1.58962301576546568060e-10, -2.50507477628578072866e-8,
                           2.75573136213857245213e-6,  -1.98412698295895385996e-4,
                           8.33333333332211858878e-3,  -1.66666666666666307295e-1};
  const double zz = z * z;
  return z +
         z * zz * (((((kS[0] * zz + kS[1]) * zz + kS[2]) * zz + kS[3]) * zz + kS[4]) * zz + kS[5]);
}

double CosKernel(double z) {
  constexpr double kC[] = {-1.13585365213876817300e-11, 2.08757008419747316778e-9,
                           -2.75573141792967388112e-7,  2.48015872888517045348e-5,
                           -1.38888888888730564116e-3,  4.16666666666665929218e-2};
  const double zz = z * z;
  return 1.0 - 0.5 * zz +
         zz * zz * (((((kC[0] * zz + kC[1]) * zz + kC[2]) * zz + kC[3]) * zz + kC[4]) * zz + kC[5]);
}

}  // namespace

double Log(double x) {
  if (std::isnan(x) || x == kInf) return x;
  if (x < 0) return kNaN;
  if (x == 0) return -kInf;
  int exponent = 0;
  double fraction = 0;  // [0.5, 1)
  if (x < std::numeric_limits<double>::min()) {
    // Go's Log on amd64 (assembly, which Prometheus' builds use) reads the fraction and the
    // exponent straight from the bits without normalising subnormals first: the mantissa bits
    // become the fraction of 2^-1022, e.g. Log(5e-324) = -1023*ln 2 rather than -744.44.
    constexpr uint64_t kMantissa = (uint64_t{1} << 52) - 1;
    constexpr uint64_t kHalfExponent = uint64_t{1022} << 52;
    fraction = std::bit_cast<double>((std::bit_cast<uint64_t>(x) & kMantissa) | kHalfExponent);
    exponent = -1022;
  } else {
    fraction = std::frexp(x, &exponent);
  }
  if (fraction < std::numbers::sqrt2 / 2) {
    fraction *= 2;
    --exponent;
  }
  return LogReduced(fraction - 1, exponent);
}

double Log2(double x) {
  int exponent = 0;
  const double fraction = std::frexp(x, &exponent);
  // frexp leaves 0, Inf and NaN as they are with exponent 0, as Go's Frexp does.
  return Log(fraction) * std::numbers::log2e + static_cast<double>(exponent);
}

double Log10(double x) { return Log(x) * std::numbers::log10e; }

double Atan(double x) {
  if (x == 0) return x;
  return x > 0 ? AtanPositive(x) : -AtanPositive(-x);
}

double Asin(double x) {
  if (x == 0) return x;
  const bool negative = x < 0;
  if (negative) x = -x;
  if (x > 1) return kNaN;
  const double cosine = std::sqrt(1 - x * x);
  const double angle = x > 0.7 ? kPi / 2 - AtanPositive(cosine / x) : AtanPositive(x / cosine);
  return negative ? -angle : angle;
}

double Acos(double x) { return kPi / 2 - Asin(x); }

double Atan2(double y, double x) {
  // 3*pi/4 rounded once, as Go's exact constant arithmetic gives it.
  constexpr double k3PiOver4 = 2.356194490192344928846982537459627163;
  if (std::isnan(y) || std::isnan(x)) return kNaN;
  if (y == 0) return std::copysign(x >= 0 && !std::signbit(x) ? 0.0 : kPi, y);
  if (x == 0) return std::copysign(kPi / 2, y);
  if (std::isinf(x)) {
    if (x > 0) return std::copysign(std::isinf(y) ? kPi / 4 : 0.0, y);
    return std::copysign(std::isinf(y) ? k3PiOver4 : kPi, y);
  }
  if (std::isinf(y)) return std::copysign(kPi / 2, y);
  const double q = Atan(y / x);
  if (x < 0) return q <= 0 ? q + kPi : q - kPi;
  return q;
}

double Sin(double x) {
  if (x == 0 || std::isnan(x)) return x;
  if (std::isinf(x)) return kNaN;
  bool negative = x < 0;
  uint64_t j = 0;
  double z = 0;
  TrigReduce(std::fabs(x), &j, &z);
  j &= 7;
  if (j > 3) {
    negative = !negative;
    j -= 4;
  }
  const double y = (j == 1 || j == 2) ? CosKernel(z) : SinKernel(z);
  return negative ? -y : y;
}

double Cos(double x) {
  if (std::isnan(x) || std::isinf(x)) return kNaN;
  bool negative = false;
  uint64_t j = 0;
  double z = 0;
  TrigReduce(std::fabs(x), &j, &z);
  j &= 7;
  if (j > 3) {
    negative = !negative;
    j -= 4;
  }
  if (j > 1) negative = !negative;
  const double y = (j == 1 || j == 2) ? SinKernel(z) : CosKernel(z);
  return negative ? -y : y;
}

double Tan(double x) {
  constexpr double kP[] = {-1.30936939181383777646e4, 1.15351664838587416140e6,
                           -1.79565251976484877988e7};
  constexpr double kQ[] = {1.36812963470692954678e4, -1.32089234440210967447e6,
                           2.50083801823357915839e7, -5.38695755929454629881e7};
  if (x == 0 || std::isnan(x)) return x;
  if (std::isinf(x)) return kNaN;
  uint64_t j = 0;
  double z = 0;
  TrigReduce(std::fabs(x), &j, &z);
  const double zz = z * z;
  double y = z;
  if (zz > 1e-14) {
    y = z + z * (zz * ((kP[0] * zz + kP[1]) * zz + kP[2]) /
                 ((((zz + kQ[0]) * zz + kQ[1]) * zz + kQ[2]) * zz + kQ[3]));
  }
  if (j & 2) y = -1 / y;
  return x < 0 ? -y : y;
}

double Log1p(double x) {
  constexpr double kSqrt2Minus1 = 4.142135623730950488017e-01;
  constexpr double kHalfSqrt2Minus1 = -2.928932188134524755992e-01;
  constexpr double kLn2High = 6.93147180369123816490e-01;
  constexpr double kLn2Low = 1.90821492927058770002e-10;
  constexpr double kC[] = {6.666666666666735130e-01, 3.999999999940941908e-01,
                           2.857142874366239149e-01, 2.222219843214978396e-01,
                           1.818357216161805012e-01, 1.531383769920937332e-01,
                           1.479819860511658591e-01};
  if (x < -1 || std::isnan(x)) return kNaN;
  if (x == -1) return -kInf;
  if (x == kInf) return kInf;
  const double magnitude = std::fabs(x);
  // 1+x = 2^k * (1+f) with sqrt(2)/2 < 1+f < sqrt(2); c corrects for the rounding of 1+x.
  int k = 1;
  double f = 0;
  double c = 0;
  uint64_t mantissa = 0;  // of 1+x; 0 means f is tiny and a short series suffices
  if (magnitude < kSqrt2Minus1) {
    if (magnitude < 0x1p-29) return magnitude < 0x1p-54 ? x : x - x * x * 0.5;
    if (x > kHalfSqrt2Minus1) {
      k = 0;
      f = x;
      mantissa = 1;
    }
  }
  if (k != 0) {
    double u = x;
    if (magnitude < 0x1p53) {
      u = 1.0 + x;
      k = static_cast<int>(std::bit_cast<uint64_t>(u) >> 52) - 1023;
      c = (k > 0 ? 1.0 - (u - x) : x - (u - 1.0)) / u;
    } else {
      k = static_cast<int>(std::bit_cast<uint64_t>(u) >> 52) - 1023;
    }
    mantissa = std::bit_cast<uint64_t>(u) & ((uint64_t{1} << 52) - 1);
    if (mantissa < 0x0006a09e667f3bcd) {  // below sqrt(2)'s mantissa: u in [1, sqrt(2))
      u = std::bit_cast<double>(mantissa | 0x3ff0000000000000);
    } else {  // u/2 in [sqrt(2)/2, 1)
      ++k;
      u = std::bit_cast<double>(mantissa | 0x3fe0000000000000);
      mantissa = (0x0010000000000000 - mantissa) >> 2;
    }
    f = u - 1.0;
  }
  const double half_f2 = 0.5 * f * f;
  const double dk = static_cast<double>(k);
  if (mantissa == 0) {
    if (f == 0) return k == 0 ? 0 : dk * kLn2High + (c + dk * kLn2Low);
    const double r = half_f2 * (1.0 - 0.66666666666666666 * f);
    if (k == 0) return f - r;
    return dk * kLn2High - ((r - (dk * kLn2Low + c)) - f);
  }
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double r =
      z * (kC[0] + z * (kC[1] + z * (kC[2] + z * (kC[3] + z * (kC[4] + z * (kC[5] + z * kC[6]))))));
  if (k == 0) return f - (half_f2 - s * (half_f2 + r));
  return dk * kLn2High - ((half_f2 - (s * (half_f2 + r) + (dk * kLn2Low + c))) - f);
}

double Asinh(double x) {
  constexpr double kLn2 = 6.93147180559945286227e-01;
  if (std::isnan(x) || std::isinf(x)) return x;
  const bool negative = x < 0;
  if (negative) x = -x;
  double y = 0;
  if (x > 0x1p28) {
    y = Log(x) + kLn2;
  } else if (x > 2) {
    y = Log(2 * x + 1 / (std::sqrt(x * x + 1) + x));
  } else if (x < 0x1p-28) {
    y = x;
  } else {
    y = Log1p(x + x * x / (1 + std::sqrt(1 + x * x)));
  }
  return negative ? -y : y;
}

double Acosh(double x) {
  constexpr double kLn2 = 6.93147180559945286227e-01;
  if (x < 1 || std::isnan(x)) return kNaN;
  if (x == 1) return 0;
  if (x >= 0x1p28) return Log(x) + kLn2;
  if (x > 2) return Log(2 * x - 1 / (x + std::sqrt(x * x - 1)));
  const double t = x - 1;
  return Log1p(t + std::sqrt(2 * t + t * t));
}

double Atanh(double x) {
  if (x < -1 || x > 1 || std::isnan(x)) return kNaN;
  if (x == 1) return kInf;
  if (x == -1) return -kInf;
  const bool negative = x < 0;
  if (negative) x = -x;
  double y = x;
  if (x >= 0x1p-28) {
    y = x < 0.5 ? 0.5 * Log1p(2 * x + 2 * x * x / (1 - x)) : 0.5 * Log1p((x + x) / (1 - x));
  }
  return negative ? -y : y;
}

double Exp(double x) {
  // Go's math.Exp on amd64 is assembly after Shibata's SLEEF method: x = k*ln2 + r with k
  // rounded to nearest, exp(r/16) by a degree-8 Taylor polynomial, squared four times as
  // e -> e*(e+2) on e = exp(.)-1, then scaled by 2^k (in two steps for subnormals). It uses
  // fused multiply-adds when the CPU has AVX2 and FMA, which changes the last bit, so we do
  // the same on the same CPUs.
  constexpr double kLn2Upper = 0.69314718055966295651160180568695068359375;
  constexpr double kLn2Lower = 0.28235290563031577122588448175013436025525412068e-12;
  constexpr double kOverflow = 7.09782712893384e+02;
  constexpr double kTaylor[] = {2.4801587301587301587e-5,
                                1.9841269841269841270e-4,
                                1.3888888888888888889e-3,
                                8.3333333333333333333e-3,
                                4.1666666666666666667e-2,
                                1.6666666666666666667e-1,
                                0.5,
                                1.0};
  static const bool kFused = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (std::isnan(x) || x == kInf) return x;
  if (x == -kInf) return 0;
  if (x > kOverflow) return kInf;
  const double scaled = x * std::numbers::log2e;
  // cvtsd2si: round to nearest even, and INT_MIN when out of range.
  const int k = scaled < -2147483648.0 ? std::numeric_limits<int>::min()
                                       : static_cast<int>(std::nearbyint(scaled));
  const double dk = static_cast<double>(k);
  double r = 0;
  double p = kTaylor[0];
  if (kFused) {
    r = std::fma(-dk, kLn2Upper, x);
    r = std::fma(-dk, kLn2Lower, r) * 0.0625;
    for (int i = 1; i < 8; ++i) p = std::fma(p, r, kTaylor[i]);
    r *= p;
    for (int i = 0; i < 3; ++i) r *= r + 2.0;
    r = std::fma(r, r + 2.0, 1.0);
  } else {
    r = x - dk * kLn2Upper;
    r = (r - dk * kLn2Lower) * 0.0625;
    for (int i = 1; i < 8; ++i) p = p * r + kTaylor[i];
    r *= p;
    for (int i = 0; i < 4; ++i) r *= r + 2.0;
    r += 1.0;
  }
  auto power_of_two = [](int biased) {
    return std::bit_cast<double>(static_cast<uint64_t>(biased) << 52);
  };
  const int biased = k + 1023;
  if (biased >= 0x7ff) return kInf;
  if (biased > 0) return r * power_of_two(biased);
  // Subnormal results in two steps, 2^(k+1022) then 2^-1022, each rounded.
  if (biased < -52) return 0;
  return r * power_of_two(biased + 1022) * power_of_two(1);
}

double Sinh(double x) {
  // Hart & Cheney's rational approximation #2029 below 0.5, Exp above.
  constexpr double kP[] = {-0.2630563213397497062819489e+2, -0.2894211355989563807284660366e+4,
                           -0.8991272022039509355398013511e+5, -0.6307673640497716991184787251e+6};
  constexpr double kQ[] = {-0.173678953558233699533450911e+3, 0.1521517378790019070696485176e+5,
                           -0.6307673640497716991212077277e+6};
  const bool negative = x < 0;
  if (negative) x = -x;
  double y = 0;
  if (x > 21) {
    y = Exp(x) * 0.5;
  } else if (x > 0.5) {
    const double e = Exp(x);
    y = (e - 1 / e) * 0.5;
  } else {
    const double xx = x * x;
    y = (((kP[0] * xx + kP[1]) * xx + kP[2]) * xx + kP[3]) * x;
    y = y / (((xx + kQ[0]) * xx + kQ[1]) * xx + kQ[2]);
  }
  return negative ? -y : y;
}

double Cosh(double x) {
  // e^-x as 1/e^x, as Go's (as of Prometheus 2.42) does.
  x = std::fabs(x);
  const double e = Exp(x);
  if (x > 21) return e * 0.5;
  return (e + 1 / e) * 0.5;
}

double Tanh(double x) {
  // Cephes: a rational approximation below 0.625, 1 - 2/(e^2x + 1) above, +-1 from
  // ln(2^127)/2 on.
  constexpr double kMaxLog = 8.8029691931113054295988e+01;
  constexpr double kP[] = {-9.64399179425052238628E-1, -9.92877231001918586564E1,
                           -1.61468768441708447952E3};
  constexpr double kQ[] = {1.12811678491632931402E2, 2.23548839060100448583E3,
                           4.84406305325125486048E3};
  const double z = std::fabs(x);
  if (z > 0.5 * kMaxLog) return x < 0 ? -1 : 1;
  if (z >= 0.625) {
    const double y = 1 - 2 / (Exp(2 * z) + 1);
    return x < 0 ? -y : y;
  }
  if (x == 0) return x;
  const double xx = x * x;
  return x +
         x * xx * ((kP[0] * xx + kP[1]) * xx + kP[2]) / (((xx + kQ[0]) * xx + kQ[1]) * xx + kQ[2]);
}

namespace {

bool IsOddInteger(double x) {
  double whole = 0;
  if (std::modf(x, &whole) != 0 || std::fabs(whole) >= 0x1p53) return false;
  return (static_cast<int64_t>(whole) & 1) == 1;
}

}  // namespace

double Pow(double x, double y) {
  if (y == 0 || x == 1) return 1;
  if (std::isnan(x) || std::isnan(y)) return kNaN;
  if (x == 0) {
    if (y < 0) return IsOddInteger(y) ? std::copysign(kInf, x) : kInf;
    return IsOddInteger(y) ? x : 0;
  }
  if (std::isinf(y)) {
    if (x == -1) return 1;
    return (std::fabs(x) < 1) == (y > 0) ? 0 : kInf;
  }
  if (std::isinf(x)) {
    if (x < 0) return Pow(1 / x, -y);  // as Pow(-0, -y)
    return y < 0 ? 0 : kInf;
  }
  if (y == 0.5) return std::sqrt(x);
  if (y == -0.5) return 1 / std::sqrt(x);
  double whole = 0;
  double fraction = std::modf(std::fabs(y), &whole);
  if (fraction != 0 && x < 0) return kNaN;
  if (whole >= 0x1p63) {
    // An even integer this large overflows or underflows for every x but -1.
    if (x == -1) return 1;
    return (std::fabs(x) < 1) == (y > 0) ? 0 : kInf;
  }
  // x^|y| = x^fraction (through Exp and Log, with the fraction in (-0.5, 0.5]) times x^whole
  // by repeated squaring of frexp's fraction, the powers of two kept apart in an int.
  double result = 1;
  int result_exponent = 0;
  if (fraction != 0) {
    if (fraction > 0.5) {
      fraction -= 1;
      whole += 1;
    }
    result = Exp(fraction * Log(x));
  }
  int base_exponent = 0;
  double base = std::frexp(x, &base_exponent);
  for (auto i = static_cast<int64_t>(whole); i != 0; i >>= 1) {
    if (base_exponent < -(1 << 12) || (1 << 12) < base_exponent) {
      // Past any double's range: the remaining bits can only push further out.
      result_exponent += base_exponent;
      break;
    }
    if (i & 1) {
      result *= base;
      result_exponent += base_exponent;
    }
    base *= base;
    base_exponent *= 2;
    if (base < 0.5) {
      base += base;
      --base_exponent;
    }
  }
  if (y < 0) {
    result = 1 / result;
    result_exponent = -result_exponent;
  }
  return std::ldexp(result, result_exponent);
}

}  // namespace codebot::go
