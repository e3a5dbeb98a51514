// Serialises metric families in the Prometheus text format 0.0.4. Values use the shortest text
// that reads back to the same double, so a relayed value survives a round trip unchanged.
#pragma once

#include <string>
#include <string_view>

#include "exporter/core/metric.h"

namespace codebot::expfmt {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// "# HELP" (when the family has help) and "# TYPE" (when it has a type) lines.
void AppendHeader(std::string& out, const Family& family);
// One line per sample.
void AppendSamples(std::string& out, const Family& family);
// Header and samples.
void AppendFamily(std::string& out, const Family& family);

void AppendSample(std::string& out, const Sample& sample);
// Shortest round-trip decimal; "NaN", "+Inf", "-Inf" for the special values.
void AppendValue(std::string& out, double value);
std::string FormatValue(double value);
// Label values escape backslash, double quote and newline; HELP escapes backslash and newline.
void AppendEscapedLabelValue(std::string& out, std::string_view value);
void AppendEscapedHelp(std::string& out, std::string_view help);

}  // namespace codebot::expfmt
