#include "exporter/expfmt/writer.h"

#include <charconv>
#include <cmath>

namespace codebot::expfmt {

void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void AppendEscapedHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

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
