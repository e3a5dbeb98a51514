#include "exporter/expfmt/parser.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "exporter/core/utf8.h"

namespace codebot::expfmt {
namespace {

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
bool IsLabelStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsLabelChar(char c) { return IsLabelStart(c) || (c >= '0' && c <= '9'); }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Go's strconv.ParseFloat accepts what we accept here: decimal and exponent forms, and
// NaN/Inf in any case with an optional sign.
bool ParseFloat(std::string_view text, double* out) {
  if (text.empty()) return false;
  std::string_view body = text;
  bool negative = false;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  auto equals_no_case = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if ((a[i] | 0x20) != b[i]) return false;
    }
    return true;
  };
  if (equals_no_case(body, "inf") || equals_no_case(body, "infinity")) {
    *out = negative ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (equals_no_case(body, "nan")) {
    *out = std::nan("");
    return true;
  }
  for (char c : body) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      return false;
    }
  }
  const std::string copy(text);
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return false;
  if (errno == ERANGE && std::isinf(value)) return false;  // out of range, as Go says
  *out = value;
  return true;
}

bool ParseInt64(std::string_view text, int64_t* out) {
  if (text.empty()) return false;
  const std::string copy(text);
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(copy.c_str(), &end, 10);
  if (errno != 0 || end != copy.c_str() + copy.size()) return false;
  *out = value;
  return true;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  ParseResult Run() {
    ParseResult result;
    size_t line_start = 0;
    while (line_start <= text_.size()) {
      size_t line_end = text_.find('\n', line_start);
      if (line_end == std::string_view::npos) line_end = text_.size();
      std::string_view line = text_.substr(line_start, line_end - line_start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      ++line_number_;
      if (!ParseLine(line)) {
        result.ok = false;
        result.error = {line_number_, error_};
        return result;
      }
      if (line_end == text_.size()) break;
      line_start = line_end + 1;
    }
    for (auto& family : families_) {
      if (family.type == MetricType::kHistogram || family.type == MetricType::kSummary) {
        if (!CheckComposite(family)) {
          result.ok = false;
          result.error = {family_lines_[&family - families_.data()], error_};
          return result;
        }
      }
    }
    result.families = InSettledOrder();
    return result;
  }

 private:
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  bool ParseLine(std::string_view line) {
    size_t pos = 0;
    while (pos < line.size() && IsBlank(line[pos])) ++pos;
    if (pos == line.size()) return true;
    if (line[pos] == '#') return ParseComment(line.substr(pos + 1));
    return ParseSample(line.substr(pos));
  }

  static std::string_view NextToken(std::string_view& rest) {
    size_t start = 0;
    while (start < rest.size() && IsBlank(rest[start])) ++start;
    size_t end = start;
    while (end < rest.size() && !IsBlank(rest[end])) ++end;
    std::string_view token = rest.substr(start, end - start);
    rest = rest.substr(end);
    return token;
  }

  bool ParseComment(std::string_view rest) {
    std::string_view keyword = NextToken(rest);
    if (keyword != "HELP" && keyword != "TYPE") return true;  // an ordinary comment
    const std::string_view name = NextToken(rest);
    if (!IsValidMetricName(name)) {
      return Fail("invalid metric name \"" + std::string(name) + "\" in " + std::string(keyword) +
                  " line");
    }
    // The text starts after exactly the blanks that separate it from the name.
    while (!rest.empty() && IsBlank(rest.front())) rest.remove_prefix(1);
    Family& family = FamilyNamed(name);
    const size_t index = static_cast<size_t>(&family - families_.data());
    if (keyword == "HELP") {
      if (family.has_help) {
        return Fail("second HELP line for metric name \"" + std::string(name) + "\"");
      }
      std::string help;
      for (size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] != '\\') {
          help += rest[i];
          continue;
        }
        if (i + 1 < rest.size() && rest[i + 1] == '\\') {
          help += '\\';
        } else if (i + 1 < rest.size() && rest[i + 1] == 'n') {
          help += '\n';
        } else {
          return Fail("invalid escape sequence in HELP of \"" + std::string(name) +
                      "\": only \\\\ and \\n are allowed");
        }
        ++i;
      }
      family.help = std::move(help);
      family.has_help = true;
      return true;
    }
    const std::string_view type_name = NextToken(rest);
    if (type_name.empty()) return Fail("TYPE line for \"" + std::string(name) + "\" has no type");
    if (!NextToken(rest).empty()) {
      return Fail("unexpected text after the type in TYPE line of \"" + std::string(name) + "\"");
    }
    auto type = ParseMetricType(type_name);
    if (!type) {
      return Fail("unknown metric type \"" + std::string(type_name) +
                  "\": expected counter, gauge, histogram, summary or untyped");
    }
    if (family.has_type || !family.samples.empty()) {
      return Fail("second TYPE line for metric name \"" + std::string(name) +
                  "\", or TYPE reported after samples");
    }
    family.type = *type;
    family.has_type = true;
    family_lines_[index] = line_number_;
    Settle(index);
    return true;
  }

  // A family takes its place in the output at its TYPE line or its first sample, not at a HELP
  // line before them: `# HELP foo`, `foo_bucket 1`, `# TYPE foo histogram` holds an untyped
  // foo_bucket and then the histogram foo; written in the order of the HELP line, foo_bucket
  // would follow foo's TYPE and read back as a bucket without le.
  void Settle(size_t index) {
    if (settled_[index]) return;
    settled_[index] = true;
    places_[index] = line_number_;
  }

  std::vector<Family> InSettledOrder() {
    std::vector<size_t> order(families_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [this](size_t a, size_t b) { return places_[a] < places_[b]; });
    std::vector<Family> sorted;
    sorted.reserve(families_.size());
    for (size_t i : order) sorted.push_back(std::move(families_[i]));
    return sorted;
  }

  Family& FamilyNamed(std::string_view name) {
    auto it = by_name_.find(std::string(name));
    if (it != by_name_.end()) return families_[it->second];
    by_name_.emplace(std::string(name), families_.size());
    families_.emplace_back().name = std::string(name);
    family_lines_.push_back(line_number_);
    places_.push_back(line_number_);
    settled_.push_back(false);
    return families_.back();
  }

  // The family a sample belongs to: its own name, or the base name of a histogram or summary
  // when the suffix fits the declared type.
  Family& FamilyForSample(const std::string& name) {
    auto find = [this](std::string_view base) -> Family* {
      auto it = by_name_.find(std::string(base));
      return it == by_name_.end() ? nullptr : &families_[it->second];
    };
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
      Family* base = find(std::string_view(name).substr(0, name.size() - suffix.size()));
      if (base == nullptr) continue;
      if (base->type == MetricType::kHistogram ||
          (base->type == MetricType::kSummary && suffix != "_bucket")) {
        return *base;
      }
    }
    return FamilyNamed(name);
  }

  bool ParseSample(std::string_view line) {
    size_t pos = 0;
    while (pos < line.size() && IsNameChar(line[pos])) ++pos;
    const std::string name(line.substr(0, pos));
    if (!IsValidMetricName(name)) {
      return Fail("invalid metric name at the start of \"" +
                  std::string(line.substr(0, std::min<size_t>(line.size(), 40))) + "\"");
    }
    Sample sample;
    sample.name = name;
    const size_t name_end = pos;
    while (pos < line.size() && IsBlank(line[pos])) ++pos;
    bool separated = pos > name_end;
    if (pos < line.size() && line[pos] == '{') {
      ++pos;
      if (!ParseLabels(line, &pos, &sample.labels)) return false;
      separated = pos < line.size() && IsBlank(line[pos]);
    }
    std::string_view rest = line.substr(pos);
    if (rest.empty()) return Fail("missing value for \"" + name + "\"");
    if (!separated) {
      return Fail("expected a blank after the name and labels of \"" + name + "\"");
    }
    const std::string_view value_text = NextToken(rest);
    if (value_text.empty()) return Fail("missing value for \"" + name + "\"");
    if (!ParseFloat(value_text, &sample.value)) {
      return Fail("invalid value \"" + std::string(value_text) + "\" for \"" + name + "\"");
    }
    const std::string_view timestamp_text = NextToken(rest);
    if (!timestamp_text.empty()) {
      int64_t timestamp = 0;
      if (!ParseInt64(timestamp_text, &timestamp)) {
        return Fail("invalid timestamp \"" + std::string(timestamp_text) + "\" for \"" + name +
                    "\": expected integer milliseconds");
      }
      sample.timestamp_ms = timestamp;
    }
    if (!NextToken(rest).empty()) {
      return Fail("unexpected text after the timestamp of \"" + name + "\"");
    }
    Family& family = FamilyForSample(name);
    if (family.type == MetricType::kHistogram && name == family.name + "_bucket" &&
        !HasLabel(sample.labels, "le")) {
      return Fail("histogram bucket \"" + name + "\" has no le label");
    }
    if (family.type == MetricType::kSummary && name == family.name &&
        !HasLabel(sample.labels, "quantile")) {
      return Fail("summary sample \"" + name + "\" has no quantile label");
    }
    family.samples.push_back(std::move(sample));
    Settle(static_cast<size_t>(&family - families_.data()));
    return true;
  }

  static bool HasLabel(const Labels& labels, std::string_view label) {
    for (const auto& l : labels) {
      if (l.name == label) return true;
    }
    return false;
  }

  bool ParseLabels(std::string_view line, size_t* pos, Labels* labels) {
    size_t i = *pos;
    auto skip_blanks = [&] {
      while (i < line.size() && IsBlank(line[i])) ++i;
    };
    for (;;) {
      skip_blanks();
      if (i >= line.size()) return Fail("unterminated label set: missing '}'");
      if (line[i] == '}') {
        ++i;
        break;
      }
      const size_t name_start = i;
      if (!IsLabelStart(line[i])) {
        return Fail("invalid label name starting at \"" +
                    std::string(line.substr(i, std::min<size_t>(20, line.size() - i))) + "\"");
      }
      while (i < line.size() && IsLabelChar(line[i])) ++i;
      Label label;
      label.name = std::string(line.substr(name_start, i - name_start));
      skip_blanks();
      if (i >= line.size() || line[i] != '=') {
        return Fail("expected '=' after label name \"" + label.name + "\"");
      }
      ++i;
      skip_blanks();
      if (i >= line.size() || line[i] != '"') {
        return Fail("expected '\"' to start the value of label \"" + label.name + "\"");
      }
      ++i;
      bool closed = false;
      while (i < line.size()) {
        const char c = line[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c != '\\') {
          label.value += c;
          continue;
        }
        if (i >= line.size()) break;
        const char escaped = line[i++];
        if (escaped == '\\') {
          label.value += '\\';
        } else if (escaped == '"') {
          label.value += '"';
        } else if (escaped == 'n') {
          label.value += '\n';
        } else {
          return Fail("invalid escape sequence \\" + std::string(1, escaped) +
                      " in the value of label \"" + label.name + "\"");
        }
      }
      if (!closed) return Fail("unterminated value of label \"" + label.name + "\"");
      if (!utf8::Valid(label.value)) {
        return Fail("value of label \"" + label.name + "\" is not valid UTF-8");
      }
      if (HasLabel(*labels, label.name)) {
        return Fail("duplicate label name \"" + label.name + "\"");
      }
      labels->push_back(std::move(label));
      skip_blanks();
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      skip_blanks();
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      return Fail("expected ',' or '}' after the value of a label");
    }
    *pos = i;
    return true;
  }

  // A histogram needs buckets with parseable le values; a summary's quantiles must parse.
  bool CheckComposite(const Family& family) {
    for (const auto& sample : family.samples) {
      const bool bucket =
          family.type == MetricType::kHistogram && sample.name == family.name + "_bucket";
      const bool quantile = family.type == MetricType::kSummary && sample.name == family.name;
      if (!bucket && !quantile) continue;
      const std::string_view key = bucket ? "le" : "quantile";
      double bound = 0;
      if (!ParseFloat(LabelValue(sample.labels, key), &bound)) {
        return Fail("invalid " + std::string(key) + " value \"" +
                    std::string(LabelValue(sample.labels, key)) + "\" in \"" + family.name + "\"");
      }
    }
    return true;
  }

  std::string_view text_;
  size_t line_number_ = 0;
  std::string error_;
  std::vector<Family> families_;
  std::vector<size_t> family_lines_;  // line where each family was declared
  std::vector<size_t> places_;        // line that orders each family in the result
  std::vector<bool> settled_;         // whether that line is final (TYPE or a sample seen)
  std::unordered_map<std::string, size_t> by_name_;
};

}  // namespace

std::string ParseError::ToString() const { return "line " + std::to_string(line) + ": " + message; }

ParseResult Parse(std::string_view text) { return Parser(text).Run(); }

}  // namespace codebot::expfmt
