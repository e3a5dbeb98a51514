#include "exporter/core/series.h"

#include <re2/re2.h>

#include <bit>
#include <cstring>
#include <stdexcept>

namespace codebot {

Matcher::Matcher(MatchType type, std::string name, std::string value)
    : type_(type), name_(std::move(name)), value_(std::move(value)) {
  if (type_ == MatchType::kRegexMatch || type_ == MatchType::kRegexNoMatch) {
    RE2::Options options;
    options.set_log_errors(false);
    // Anchored at both ends, as Prometheus does: "^(?:" + re + ")$".
    auto regex = std::make_shared<RE2>("^(?:" + value_ + ")$", options);
    if (!regex->ok()) {
      throw std::invalid_argument("invalid regular expression \"" + value_ +
                                  "\": " + regex->error());
    }
    regex_ = std::move(regex);
  }
}

bool Matcher::Matches(std::string_view value) const {
  switch (type_) {
    case MatchType::kEqual:
      return value == value_;
    case MatchType::kNotEqual:
      return value != value_;
    case MatchType::kRegexMatch:
      return RE2::FullMatch(re2::StringPiece(value.data(), value.size()),
                            *static_cast<const RE2*>(regex_.get()));
    case MatchType::kRegexNoMatch:
      return !RE2::FullMatch(re2::StringPiece(value.data(), value.size()),
                             *static_cast<const RE2*>(regex_.get()));
  }
  return false;
}

namespace {
constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;
}

double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }

bool IsStaleNaN(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaNBits; }

}  // namespace codebot
