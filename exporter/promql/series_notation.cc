#include "exporter/promql/series_notation.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>

#include "exporter/core/labels.h"
#include "exporter/core/series.h"
#include "exporter/go/strconv.h"
#include "exporter/promql/lexer.h"

namespace codebot::promql {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

class Scanner {
 public:
  Scanner(std::string_view text, size_t max_values) : text_(text), max_values_(max_values) {}

  bool Fail(size_t pos, std::string message, ParseError* error) {
    if (error) {
      error->position = pos;
      error->message = std::move(message);
      error->line = 1;
      size_t line_start = 0;
      for (size_t i = 0; i < pos && i < text_.size(); ++i) {
        if (text_[i] == '\n') {
          ++error->line;
          line_start = i + 1;
        }
      }
      error->column = pos - line_start + 1;
    }
    return false;
  }

  void SkipSpaces() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  std::string Describe(size_t pos) const {
    if (pos >= text_.size()) return "end of input";
    return go::Quote(text_.substr(pos, 1));
  }

  bool ParseLabels(Labels* out, ParseError* error) {
    out->clear();
    SkipSpaces();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (IsAlpha(text_[pos_]) || text_[pos_] == ':' || (pos_ > start && IsDigit(text_[pos_])))) {
      ++pos_;
    }
    std::string name(text_.substr(start, pos_ - start));
    bool has_name = !name.empty();
    bool has_braces = Peek() == '{';
    if (!has_name && !has_braces) {
      return Fail(pos_, "unexpected " + Describe(pos_) + ", expected a metric name or \"{\"",
                  error);
    }
    if (has_name) out->push_back(Label{"__name__", name});
    if (has_braces && !ParseLabelSet(out, error)) return false;
    Labels cleaned;
    for (auto& l : *out) {
      if (!l.value.empty()) cleaned.push_back(std::move(l));
    }
    std::sort(cleaned.begin(), cleaned.end());
    for (size_t i = 1; i < cleaned.size(); ++i) {
      if (cleaned[i].name == cleaned[i - 1].name) {
        return Fail(start, "label " + go::Quote(cleaned[i].name) + " is set twice", error);
      }
    }
    *out = std::move(cleaned);
    return true;
  }

  bool ParseLabelSet(Labels* out, ParseError* error) {
    ++pos_;  // '{'
    while (true) {
      SkipSpaces();
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      size_t name_start = pos_;
      while (pos_ < text_.size() &&
             (IsAlpha(text_[pos_]) || (pos_ > name_start && IsDigit(text_[pos_])))) {
        ++pos_;
      }
      if (pos_ == name_start) {
        return Fail(pos_,
                    "unexpected " + Describe(pos_) + " in label set, expected identifier or \"}\"",
                    error);
      }
      std::string name(text_.substr(name_start, pos_ - name_start));
      SkipSpaces();
      if (Peek() != '=' ||
          (pos_ + 1 < text_.size() && (text_[pos_ + 1] == '~' || text_[pos_ + 1] == '='))) {
        return Fail(pos_, "unexpected " + Describe(pos_) + " in label set, expected \"=\"", error);
      }
      ++pos_;
      SkipSpaces();
      std::string value;
      if (!ParseString(&value, error)) return false;
      out->push_back(Label{std::move(name), std::move(value)});
      SkipSpaces();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() != '}') {
        return Fail(pos_, "unexpected " + Describe(pos_) + " in label set, expected \",\" or \"}\"",
                    error);
      }
    }
  }

  bool ParseString(std::string* out, ParseError* error) {
    size_t start = pos_;
    char quote = Peek();
    if (quote != '"' && quote != '\'' && quote != '`') {
      return Fail(pos_, "unexpected " + Describe(pos_) + " in label set, expected string", error);
    }
    ++pos_;
    while (true) {
      if (AtEnd() || (quote != '`' && text_[pos_] == '\n')) {
        return Fail(start, "unterminated quoted string", error);
      }
      char c = text_[pos_++];
      if (c == '\\' && quote != '`') {
        if (!AtEnd()) ++pos_;
        continue;
      }
      if (c == quote) break;
    }
    const std::string_view literal = text_.substr(start, pos_ - start);
    if (!go::Unquote(literal, out, go::Literal::kPromQL)) {
      return Fail(start, "error unquoting string " + go::Quote(literal) + ": invalid syntax",
                  error);
    }
    return true;
  }

  // An unsigned number as Prometheus' lexer takes it in series values (no hex), or inf/nan.
  bool ScanNumber(double* v) {
    size_t start = pos_;
    if (IsAlpha(Peek())) {
      size_t end = pos_;
      while (end < text_.size() && (IsAlpha(text_[end]) || IsDigit(text_[end]))) ++end;
      std::string word;
      for (size_t i = pos_; i < end; ++i) word.push_back(Lower(text_[i]));
      if (word != "inf" && word != "nan") return false;
      pos_ = end;
      *v = word == "inf" ? std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    while (IsDigit(Peek())) ++pos_;
    if (Peek() == '.') {
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
    }
    if (pos_ > start && (Peek() == 'e' || Peek() == 'E')) {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      while (IsDigit(Peek())) ++pos_;
    }
    if (pos_ == start) return false;
    auto parsed = ParseNumberLiteral(text_.substr(start, pos_ - start));
    if (!parsed) {
      pos_ = start;
      return false;
    }
    *v = *parsed;
    return true;
  }

  bool ScanRepeat(uint64_t* k, ParseError* error) {
    // pos_ is just past the 'x'.
    size_t start = pos_;
    while (IsDigit(Peek())) ++pos_;
    std::string_view digits = text_.substr(start, pos_ - start);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *k);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
      return Fail(start, "invalid repetition in series values: " + go::Quote(digits), error);
    }
    return true;
  }

  bool ItemEnds() const { return AtEnd() || IsSpace(Peek()); }

  bool ParseValues(std::vector<SequenceValue>* out, ParseError* error) {
    out->clear();
    while (true) {
      SkipSpaces();
      if (AtEnd()) return true;
      size_t item_start = pos_;
      if (Peek() == '_') {
        ++pos_;
        uint64_t k = 1;
        if (Peek() == 'x') {
          ++pos_;
          if (!ScanRepeat(&k, error)) return false;
        }
        if (!ItemEnds()) return Unexpected(error);
        if (!Add(out, SequenceValue{0, true}, k, item_start, error)) return false;
        continue;
      }
      if (text_.substr(pos_, 5) == "stale" &&
          (pos_ + 5 == text_.size() || IsSpace(text_[pos_ + 5]))) {
        pos_ += 5;
        if (!Add(out, SequenceValue{StaleNaN(), false}, 1, item_start, error)) return false;
        continue;
      }
      double sign = 1;
      if (Peek() == '+' || Peek() == '-') {
        sign = Peek() == '-' ? -1 : 1;
        ++pos_;
      }
      double base = 0;
      if (!ScanNumber(&base)) {
        return Fail(item_start,
                    "unexpected " + Describe(item_start) +
                        " in series values, expected number or \"stale\"",
                    error);
      }
      base *= sign;
      if (ItemEnds()) {
        if (!Add(out, SequenceValue{base, false}, 1, item_start, error)) return false;
        continue;
      }
      if (Peek() == 'x') {
        ++pos_;
        uint64_t k = 0;
        if (!ScanRepeat(&k, error)) return false;
        if (!ItemEnds()) return Unexpected(error);
        // k + 1 must not wrap around to 0 for k = 2^64-1.
        if (k >= max_values_) return Fail(item_start, "too many values in series", error);
        if (!Add(out, SequenceValue{base, false}, k + 1, item_start, error)) return false;
        continue;
      }
      if (Peek() != '+' && Peek() != '-') return Unexpected(error);
      double delta_sign = Peek() == '-' ? -1 : 1;
      ++pos_;
      double delta = 0;
      if (!ScanNumber(&delta)) return Unexpected(error);
      delta *= delta_sign;
      if (Peek() != 'x') return Unexpected(error);
      ++pos_;
      uint64_t k = 0;
      if (!ScanRepeat(&k, error)) return false;
      if (!ItemEnds()) return Unexpected(error);
      if (k >= max_values_ || out->size() + k + 1 > max_values_) {
        return Fail(item_start, "too many values in series", error);
      }
      // Repeated addition, not base + i*delta: the float results differ and must match.
      double v = base;
      for (uint64_t i = 0; i <= k; ++i) {
        out->push_back(SequenceValue{v, false});
        v += delta;
      }
    }
  }

  bool Unexpected(ParseError* error) {
    return Fail(pos_, "unexpected " + Describe(pos_) + " in series values", error);
  }

  bool Add(std::vector<SequenceValue>* out, SequenceValue v, uint64_t count, size_t pos,
           ParseError* error) {
    if (count > max_values_ || out->size() + count > max_values_) {
      return Fail(pos, "too many values in series", error);
    }
    out->insert(out->end(), count, v);
    return true;
  }

  size_t pos() const { return pos_; }

 private:
  std::string_view text_;
  size_t max_values_;
  size_t pos_ = 0;
};

}  // namespace

bool ParseSeriesDescription(std::string_view text, SeriesDescription* out, ParseError* error,
                            size_t max_values) {
  Scanner s(text, max_values);
  if (!s.ParseLabels(&out->labels, error)) return false;
  if (!s.AtEnd() && !IsSpace(s.Peek())) {
    return s.Fail(s.pos(), "unexpected " + s.Describe(s.pos()) + " after the series", error);
  }
  return s.ParseValues(&out->values, error);
}

bool ParseSeriesValues(std::string_view text, std::vector<SequenceValue>* out, ParseError* error,
                       size_t max_values) {
  Scanner s(text, max_values);
  return s.ParseValues(out, error);
}

bool ParseSeriesLabels(std::string_view text, Labels* out, ParseError* error) {
  Scanner s(text, 0);
  if (!s.ParseLabels(out, error)) return false;
  s.SkipSpaces();
  if (!s.AtEnd()) {
    return s.Fail(s.pos(), "unexpected " + s.Describe(s.pos()) + " after the series", error);
  }
  return true;
}

}  // namespace codebot::promql
