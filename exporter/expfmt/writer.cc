#include "exporter/expfmt/writer.h"

#include <charconv>
#include <cmath>

namespace codebot::expfmt {
namespace {

// The text format escapes backslash and newline everywhere, the double quote only in label
// values. A template parameter, not a run-time flag: the loop measures as fast as the two
// hand-written copies it replaces.
template <bool kInLabelValue>
void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += kInLabelValue ? "\\\"" : "\"";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  AppendEscaped<true>(out, value);
}

void AppendEscapedHelp(std::string& out, std::string_view help) { AppendEscaped<false>(out, help); }

void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto result = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, result.ptr);
  }
}

std::string FormatValue(double value) {
  std::string out;
  AppendValue(out, value);
  return out;
}

void AppendSample(std::string& out, const Sample& sample) {
  out += sample.name;
  if (!sample.labels.empty()) {
    out += '{';
    bool first = true;
    for (const auto& label : sample.labels) {
      if (!first) out += ',';
      first = false;
      out += label.name;
      out += "=\"";
      AppendEscapedLabelValue(out, label.value);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  AppendValue(out, sample.value);
  if (sample.timestamp_ms) {
    out += ' ';
    char buf[24];
    auto result = std::to_chars(buf, buf + sizeof buf, *sample.timestamp_ms);
    out.append(buf, result.ptr);
  }
  out += '\n';
}

void AppendHeader(std::string& out, const Family& family) {
  if (family.has_help) {
    out += "# HELP ";
    out += family.name;
    out += ' ';
    AppendEscapedHelp(out, family.help);
    out += '\n';
  }
  if (family.has_type) {
    out += "# TYPE ";
    out += family.name;
    out += ' ';
    out += MetricTypeName(family.type);
    out += '\n';
  }
}

void AppendSamples(std::string& out, const Family& family) {
  for (const auto& sample : family.samples) AppendSample(out, sample);
}

void AppendFamily(std::string& out, const Family& family) {
  AppendHeader(out, family);
  AppendSamples(out, family);
}

}  // namespace codebot::expfmt
