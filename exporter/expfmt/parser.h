// Parser for the Prometheus text exposition format 0.0.4: HELP and TYPE lines, every metric
// type, escapes in label values and HELP, NaN/±Inf, optional timestamps. Invalid input is
// rejected with the 1-based line number and what was wrong; nothing is guessed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/metric.h"

namespace codebot::expfmt {

struct ParseError {
  size_t line = 0;  // 1-based
  std::string message;
  std::string ToString() const;  // "line 12: <message>"
};

struct ParseResult {
  std::vector<Family> families;  // in order of first appearance
  bool ok = true;
  ParseError error;
};

ParseResult Parse(std::string_view text);

}  // namespace codebot::expfmt
