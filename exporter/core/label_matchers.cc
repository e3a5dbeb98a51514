#include "exporter/core/label_matchers.h"

#include <stdexcept>

namespace codebot {
namespace {

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// A double-quoted value with Go's common escapes; nullopt when unterminated or badly escaped.
std::optional<std::string> Unquote(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < quoted.size(); ++i) {
    const char c = quoted[i];
    if (c == '"') return std::nullopt;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 2 >= quoted.size()) return std::nullopt;
    const char e = quoted[++i];
    switch (e) {
      case '"':
      case '\\':
        out += e;
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::optional<Matcher> ParseLabelMatcher(std::string_view text, std::string* error) {
  const std::string_view t = Trim(text);
  size_t pos = 0;
  if (t.empty() || !IsNameStart(t[0])) {
    *error = "bad matcher \"" + std::string(t) + "\": expected a label name first";
    return std::nullopt;
  }
  while (pos < t.size() && IsNameChar(t[pos])) ++pos;
  const std::string name(t.substr(0, pos));
  while (pos < t.size() && IsSpace(t[pos])) ++pos;
  MatchType type;
  if (t.substr(pos, 2) == "=~") {
    type = MatchType::kRegexMatch;
    pos += 2;
  } else if (t.substr(pos, 2) == "!~") {
    type = MatchType::kRegexNoMatch;
    pos += 2;
  } else if (t.substr(pos, 2) == "!=") {
    type = MatchType::kNotEqual;
    pos += 2;
  } else if (t.substr(pos, 1) == "=") {
    type = MatchType::kEqual;
    pos += 1;
  } else {
    *error =
        "bad matcher \"" + std::string(t) + "\": expected =, !=, =~ or !~ after \"" + name + "\"";
    return std::nullopt;
  }
  const std::string_view raw = Trim(t.substr(pos));
  std::string value;
  if (!raw.empty() && raw.front() == '"') {
    auto unquoted = Unquote(raw);
    if (!unquoted) {
      *error = "bad matcher \"" + std::string(t) + "\": unterminated or badly escaped quoted value";
      return std::nullopt;
    }
    value = std::move(*unquoted);
  } else {
    if (raw.find('"') != std::string_view::npos) {
      *error = "bad matcher \"" + std::string(t) + "\": a value with quotes must be quoted whole";
      return std::nullopt;
    }
    value = std::string(raw);
  }
  try {
    return Matcher(type, name, std::move(value));
  } catch (const std::invalid_argument& e) {
    *error = "bad matcher \"" + std::string(t) + "\": " + e.what();
    return std::nullopt;
  }
}

std::optional<std::vector<Matcher>> ParseLabelMatchers(std::string_view text, std::string* error) {
  std::string_view t = Trim(text);
  if (!t.empty() && t.front() == '{') {
    if (t.back() != '}') {
      *error = "bad matchers \"" + std::string(text) + "\": missing closing '}'";
      return std::nullopt;
    }
    t = Trim(t.substr(1, t.size() - 2));
  }
  std::vector<Matcher> out;
  if (t.empty()) return out;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= t.size(); ++i) {
    if (i < t.size()) {
      if (t[i] == '\\' && quoted) {
        ++i;
        continue;
      }
      if (t[i] == '"') quoted = !quoted;
      if (t[i] != ',' || quoted) continue;
    }
    const std::string_view piece = Trim(t.substr(start, i - start));
    start = i + 1;
    if (piece.empty()) {
      if (i == t.size()) break;  // a trailing comma, as Alertmanager allows
      *error = "bad matchers \"" + std::string(text) + "\": empty matcher";
      return std::nullopt;
    }
    auto matcher = ParseLabelMatcher(piece, error);
    if (!matcher) return std::nullopt;
    out.push_back(std::move(*matcher));
  }
  return out;
}

bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels) {
  for (const auto& matcher : matchers) {
    if (!matcher.Matches(LabelValue(labels, matcher.name()))) return false;
  }
  return true;
}

std::string MatcherString(const Matcher& matcher) {
  static constexpr const char* kOps[] = {"=", "!=", "=~", "!~"};
  return matcher.name() + kOps[static_cast<int>(matcher.type())] + Quote(matcher.value());
}

}  // namespace codebot
