#include "exporter/go/regexp.h"

#include <re2/re2.h>

#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "exporter/core/utf8.h"
#include "exporter/go/unicode.h"

namespace codebot::go {
namespace {

// Go's regexp/syntax ErrorCode texts for RE2's codes (the two parsers share their design, and
// RE2's error_arg is the fragment Go quotes).
const char* GoErrorCode(RE2::ErrorCode code) {
  switch (code) {
    case RE2::ErrorBadEscape:
      return "invalid escape sequence";
    case RE2::ErrorBadCharClass:
      return "invalid character class";
    case RE2::ErrorBadCharRange:
      return "invalid character class range";
    case RE2::ErrorMissingBracket:
      return "missing closing ]";
    case RE2::ErrorMissingParen:
      return "missing closing )";
    case RE2::ErrorUnexpectedParen:
      return "unexpected )";
    case RE2::ErrorTrailingBackslash:
      return "trailing backslash at end of expression";
    case RE2::ErrorRepeatArgument:
      return "missing argument to repetition operator";
    case RE2::ErrorRepeatSize:
      return "invalid repeat count";
    case RE2::ErrorRepeatOp:
      return "invalid nested repetition operator";
    case RE2::ErrorBadPerlOp:
      return "invalid or unsupported Perl syntax";
    case RE2::ErrorBadUTF8:
      return "invalid UTF-8";
    case RE2::ErrorBadNamedCapture:
      return "invalid named capture";
    case RE2::ErrorPatternTooLarge:
      return "expression too large";
    default:
      return "regexp/syntax: internal error";
  }
}

// regexp's extract(): a leading "name" or "{name}" after '$'. num is the group number when
// the name is a decimal without leading zeros, else -1.
bool ExtractName(std::string_view str, std::string_view* name, int* num, size_t* consumed) {
  if (str.empty()) return false;
  bool brace = false;
  size_t start = 0;
  if (str[0] == '{') {
    brace = true;
    start = 1;
  }
  size_t i = start;
  while (i < str.size()) {
    size_t width = 0;
    const char32_t r = utf8::DecodeRune(str, i, &width);
    if (!IsLetter(r) && !IsDigit(r) && r != '_') break;
    i += width;
  }
  if (i == start) return false;
  *name = str.substr(start, i - start);
  if (brace) {
    if (i >= str.size() || str[i] != '}') return false;
    ++i;
  }
  *num = 0;
  for (char c : *name) {
    if (c < '0' || c > '9' || *num >= 100000000) {
      *num = -1;
      break;
    }
    *num = *num * 10 + (c - '0');
  }
  if ((*name)[0] == '0' && name->size() > 1) *num = -1;
  *consumed = i;
  return true;
}

// regexp's expand(): `tmpl` with $1, ${1}, $name, ${name} replaced by the submatches (nothing
// for a group that did not take part or does not exist) and $$ by '$'.
void AppendExpanded(std::string* out, std::string_view tmpl, const re2::StringPiece* match,
                    int groups, const std::map<std::string, int>& named) {
  while (!tmpl.empty()) {
    const size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out->append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out->push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    std::string_view name;
    int num = -1;
    size_t consumed = 0;
    if (!ExtractName(tmpl, &name, &num, &consumed)) {
      out->push_back('$');  // malformed: the '$' is literal text
      continue;
    }
    tmpl.remove_prefix(consumed);
    int group = num;
    if (group < 0) {
      auto it = named.find(std::string(name));
      if (it != named.end()) group = it->second;
    }
    if (group >= 0 && group < groups && match[group].data() != nullptr) {
      out->append(match[group].data(), match[group].size());
    }
  }
  out->append(tmpl);
}

}  // namespace

struct Regexp::Impl {
  explicit Impl(std::string_view pattern, const RE2::Options& options)
      : re(re2::StringPiece(pattern.data(), pattern.size()), options) {}
  RE2 re;
};

Regexp::Regexp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Regexp::~Regexp() = default;

std::unique_ptr<Regexp> Regexp::Compile(std::string_view pattern, std::string* error) {
  RE2::Options options;
  options.set_log_errors(false);
  auto impl = std::make_unique<Impl>(pattern, options);
  if (!impl->re.ok()) {
    *error = std::string("error parsing regexp: ") + GoErrorCode(impl->re.error_code()) + ": `" +
             impl->re.error_arg() + "`";
    return nullptr;
  }
  return std::unique_ptr<Regexp>(new Regexp(std::move(impl)));
}

std::shared_ptr<const Regexp> Regexp::CompileCached(std::string_view pattern, std::string* error) {
  struct Entry {
    std::shared_ptr<const Regexp> re;
    std::string error;
  };
  static std::mutex mu;
  static std::unordered_map<std::string, Entry> cache;
  constexpr size_t kMaxEntries = 256;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(std::string(pattern)); it != cache.end()) {
      *error = it->second.error;
      return it->second.re;
    }
  }
  Entry entry;
  entry.re = Compile(pattern, &entry.error);
  *error = entry.error;
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() >= kMaxEntries) cache.clear();
  cache.emplace(std::string(pattern), entry);
  return entry.re;
}

bool Regexp::MatchString(std::string_view s) const {
  return RE2::PartialMatch(re2::StringPiece(s.data(), s.size()), impl_->re);
}

std::string Regexp::ReplaceAllString(std::string_view src, std::string_view repl) const {
  const RE2& re = impl_->re;
  const int groups = 1 + re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> match(static_cast<size_t>(groups));
  const re2::StringPiece text(src.data(), src.size());
  const auto& named = re.NamedCapturingGroups();

  std::string out;
  size_t last_match_end = 0;
  size_t search_pos = 0;
  while (search_pos <= src.size()) {
    if (!re.Match(text, search_pos, src.size(), RE2::UNANCHORED, match.data(), groups)) break;
    const size_t a0 = static_cast<size_t>(match[0].data() - src.data());
    const size_t a1 = a0 + match[0].size();
    out.append(src.substr(last_match_end, a0 - last_match_end));
    // No replacement for an empty match right after the previous match.
    if (a1 > last_match_end || a0 == 0) {
      AppendExpanded(&out, repl, match.data(), groups, named);
    }
    last_match_end = a1;
    // Advance past this match, always by at least one character.
    size_t width = 0;
    if (search_pos < src.size()) utf8::DecodeRune(src, search_pos, &width);
    if (search_pos + width > a1) {
      search_pos += width;
    } else if (search_pos + 1 > a1) {
      ++search_pos;
    } else {
      search_pos = a1;
    }
  }
  out.append(src.substr(last_match_end));
  return out;
}

bool Regexp::ExpandFirstMatch(std::string_view s, std::string_view tmpl, std::string* out) const {
  const RE2& re = impl_->re;
  const int groups = 1 + re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> match(static_cast<size_t>(groups));
  if (!re.Match(re2::StringPiece(s.data(), s.size()), 0, s.size(), RE2::UNANCHORED, match.data(),
                groups)) {
    return false;
  }
  AppendExpanded(out, tmpl, match.data(), groups, re.NamedCapturingGroups());
  return true;
}

}  // namespace codebot::go
