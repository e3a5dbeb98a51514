// Go's math package as Prometheus (amd64 builds) computes it, where that differs from the C
// library's: math.Max/Min (NaN and signed-zero rules PromQL's clamp functions inherit), and every
// PromQL function and operator beyond + - * / and sqrt: Go computes them in its own code
// (FreeBSD's log and log1p, Cephes' trigonometry, SLEEF's exp in amd64 assembly, its own pow),
// whose last bit often differs from glibc's. Pure functions; the differential test against a
// real Prometheus (tests/unit/promql/prometheus_diff_test.cc) keeps them bit-identical.
#pragma once

namespace codebot::go {

double Max(double x, double y);
double Min(double x, double y);

// math.Log, Log2 (Frexp plus Log of the fraction) and Log10 (Log times 1/ln 10).
double Log(double x);
double Log2(double x);
double Log10(double x);

// math.Atan, Asin, Acos and Atan2: all reduce to the same arctangent series.
double Atan(double x);
double Asin(double x);
double Acos(double x);
double Atan2(double y, double x);

// math.Sin, Cos and Tan: Cephes' polynomials after reduction by pi/4 (Payne-Hanek from 2^29).
double Sin(double x);
double Cos(double x);
double Tan(double x);

// math.Exp as amd64's assembly computes it (Prometheus' builds are amd64 ones).
double Exp(double x);
// math.Sinh, Cosh and Tanh: Go's own, on top of Exp.
double Sinh(double x);
double Cosh(double x);
double Tanh(double x);

// math.Pow: Go's own (squaring for the integer part of y, Exp(f*Log(x)) for the rest).
double Pow(double x, double y);

// math.Log1p (FreeBSD's s_log1p.c method) and the inverse hyperbolic functions built on it.
double Log1p(double x);
double Asinh(double x);
double Acosh(double x);
double Atanh(double x);

}  // namespace codebot::go
