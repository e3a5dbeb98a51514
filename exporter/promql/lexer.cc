#include "exporter/promql/lexer.h"

#include <array>
#include <cstdint>
#include <utility>

#include "exporter/core/utf8.h"
#include "exporter/go/strconv.h"

namespace codebot::promql {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlphaNumeric(char c) { return IsAlpha(c) || IsDigit(c); }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

struct Keyword {
  std::string_view word;
  TokenType type;
};

// Prometheus also reserves start/end for the @ modifier; without @ they stay identifiers.
constexpr std::array<Keyword, 26> kKeywords = {{
    {"and", TokenType::kLand},
    {"or", TokenType::kLor},
    {"unless", TokenType::kLunless},
    {"atan2", TokenType::kAtan2},
    {"sum", TokenType::kSum},
    {"avg", TokenType::kAvg},
    {"count", TokenType::kCount},
    {"min", TokenType::kMin},
    {"max", TokenType::kMax},
    {"group", TokenType::kGroup},
    {"stddev", TokenType::kStddev},
    {"stdvar", TokenType::kStdvar},
    {"topk", TokenType::kTopk},
    {"bottomk", TokenType::kBottomk},
    {"count_values", TokenType::kCountValues},
    {"quantile", TokenType::kQuantile},
    {"offset", TokenType::kOffset},
    {"by", TokenType::kBy},
    {"without", TokenType::kWithout},
    {"on", TokenType::kOn},
    {"ignoring", TokenType::kIgnoring},
    {"group_left", TokenType::kGroupLeft},
    {"group_right", TokenType::kGroupRight},
    {"bool", TokenType::kBool},
    {"inf", TokenType::kNumber},
    {"nan", TokenType::kNumber},
}};

bool KeywordFor(std::string_view word, TokenType* type) {
  for (const auto& kw : kKeywords) {
    if (kw.word.size() != word.size()) continue;
    bool same = true;
    for (size_t i = 0; i < word.size() && same; ++i) same = Lower(word[i]) == kw.word[i];
    if (same) {
      *type = kw.type;
      return true;
    }
  }
  return false;
}

// Go's %q of a rune: single-quoted, escaping the single quote but not the double one. The lexer
// hands over single bytes, so a byte >= 0x80 prints as \xNN where Prometheus prints the rune.
std::string QuoteChar(char c) { return go::Quote(std::string_view(&c, 1), '\''); }

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 16;
}

class Lexer {
 public:
  explicit Lexer(std::string_view input) : in_(input) {}

  std::vector<Token> Run() {
    while (true) {
      if (!tokens_.empty()) {
        TokenType last = tokens_.back().type;
        if (last == TokenType::kEOF || last == TokenType::kError) break;
      }
      if (brace_open_) {
        InsideBraces();
      } else {
        Statements();
      }
    }
    return std::move(tokens_);
  }

 private:
  char Peek(size_t ahead = 0) const { return pos_ + ahead < in_.size() ? in_[pos_ + ahead] : '\0'; }
  bool AtEnd() const { return pos_ >= in_.size(); }

  void Emit(TokenType type) {
    tokens_.push_back(Token{type, start_, in_.substr(start_, pos_ - start_), {}});
    start_ = pos_;
  }
  void Error(std::string message) {
    tokens_.push_back(Token{TokenType::kError, start_, {}, std::move(message)});
  }

  bool Accept(std::string_view valid) {
    if (!AtEnd() && valid.find(in_[pos_]) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (Accept(valid)) {
    }
  }

  void SkipSpacesAndComments() {
    while (!AtEnd()) {
      if (IsSpace(in_[pos_])) {
        ++pos_;
      } else if (in_[pos_] == '#') {
        while (!AtEnd() && in_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
    start_ = pos_;
  }

  // Prometheus' scanNumber: true when a number ends here (not followed by an alphanumeric).
  bool ScanNumber() {
    std::string_view digits = "0123456789";
    if (Accept("0") && Accept("xX")) digits = "0123456789abcdefABCDEF";
    AcceptRun(digits);
    if (Accept(".")) AcceptRun(digits);
    if (Accept("eE")) {
      Accept("+-");
      AcceptRun("0123456789");
    }
    return !IsAlphaNumeric(Peek());
  }

  // The unit part of a duration, possibly followed by more number-unit pairs ("1h30m").
  bool AcceptRemainingDuration() {
    if (!Accept("smhdwy")) return false;
    Accept("s");  // "ms"; bad units like "hs" are caught when the duration is parsed
    while (Accept("0123456789")) {
      AcceptRun("0123456789");
      if (!Accept("smhdw")) return false;
      Accept("s");
    }
    // Like Prometheus, a trailing alphanumeric is consumed, and then shows in the error.
    if (IsAlphaNumeric(Peek())) {
      ++pos_;
      return false;
    }
    return true;
  }

  void NumberOrDuration() {
    if (ScanNumber()) {
      Emit(TokenType::kNumber);
      return;
    }
    if (AcceptRemainingDuration()) {
      Emit(TokenType::kDuration);
      return;
    }
    Error("bad number or duration syntax: " + go::Quote(in_.substr(start_, pos_ - start_)));
  }

  void Duration() {
    if (ScanNumber()) {
      Error("missing unit character in duration");
      return;
    }
    if (!AcceptRemainingDuration()) {
      Error("bad duration syntax: " + go::Quote(in_.substr(start_, pos_ - start_)));
      return;
    }
    Emit(TokenType::kDuration);
  }

  void String(char quote) {
    // pos_ is just past the opening quote.
    while (true) {
      if (AtEnd() || in_[pos_] == '\n') {
        Error("unterminated quoted string");
        return;
      }
      char c = in_[pos_++];
      if (c == '\\' && !Escape(quote)) return;
      if (c == quote) break;
    }
    Emit(TokenType::kString);
  }

  // Validates an escape sequence (pos_ just past the backslash) as Prometheus' lexer does.
  bool Escape(char quote) {
    if (AtEnd()) {
      Error("escape sequence not terminated");
      return false;
    }
    char c = in_[pos_++];
    int digits = 0;
    int base = 16;
    uint32_t max = 0x10ffff;
    switch (c) {
      case 'a':
      case 'b':
      case 'f':
      case 'n':
      case 'r':
      case 't':
      case 'v':
      case '\\':
        return true;
      case 'x':
        digits = 2, max = 255;
        break;
      case 'u':
        digits = 4;
        break;
      case 'U':
        digits = 8;
        break;
      default:
        if (c == quote) return true;
        if (c >= '0' && c <= '7') {
          digits = 3, base = 8, max = 255;
          --pos_;  // the first digit is part of the value
          break;
        }
        {
          // Name the whole (possibly multi-byte) character, as Go does.
          size_t width = 0;
          Error("unknown escape sequence " +
                go::FormatRuneU(utf8::DecodeRune(in_, pos_ - 1, &width)));
          return false;
        }
    }
    uint32_t value = 0;
    for (int i = 0; i < digits; ++i) {
      if (AtEnd()) {
        Error("escape sequence not terminated");
        return false;
      }
      char d = in_[pos_];
      if (DigitValue(d) >= base) {
        size_t width = 0;
        Error("illegal character " + go::FormatRuneU(utf8::DecodeRune(in_, pos_, &width)) +
              " in escape sequence");
        return false;
      }
      value = value * static_cast<uint32_t>(base) + static_cast<uint32_t>(DigitValue(d));
      ++pos_;
    }
    if (value > max || (value >= 0xd800 && value < 0xe000)) {
      Error("escape sequence is an invalid Unicode code point");
      return false;
    }
    return true;
  }

  void RawString() {
    while (true) {
      if (AtEnd()) {
        Error("unterminated raw string");
        return;
      }
      if (in_[pos_++] == '`') break;
    }
    Emit(TokenType::kString);
  }

  void KeywordOrIdentifier() {
    while (!AtEnd() && (IsAlphaNumeric(in_[pos_]) || in_[pos_] == ':')) ++pos_;
    std::string_view word = in_.substr(start_, pos_ - start_);
    TokenType type;
    if (KeywordFor(word, &type)) {
      Emit(type);
    } else if (word.find(':') == std::string_view::npos) {
      Emit(TokenType::kIdentifier);
    } else {
      Emit(TokenType::kMetricIdentifier);
    }
  }

  void Statements() {
    SkipSpacesAndComments();
    if (AtEnd()) {
      if (paren_depth_ != 0) {
        Error("unclosed left parenthesis");
      } else if (bracket_open_) {
        Error("unclosed left bracket");
      } else {
        Emit(TokenType::kEOF);
      }
      return;
    }
    char c = in_[pos_++];
    switch (c) {
      case ',':
        Emit(TokenType::kComma);
        return;
      case '*':
        Emit(TokenType::kMul);
        return;
      case '/':
        Emit(TokenType::kDiv);
        return;
      case '%':
        Emit(TokenType::kMod);
        return;
      case '+':
        Emit(TokenType::kAdd);
        return;
      case '-':
        Emit(TokenType::kSub);
        return;
      case '^':
        Emit(TokenType::kPow);
        return;
      case '=':
        if (Peek() == '=') {
          ++pos_;
          Emit(TokenType::kEqlc);
        } else if (Peek() == '~') {
          Error("unexpected character after '=': " + QuoteChar('~'));
        } else {
          Emit(TokenType::kEql);
        }
        return;
      case '!':
        if (Peek() == '=') {
          ++pos_;
          Emit(TokenType::kNeq);
        } else {
          Error("unexpected character after '!': " + QuoteChar(Peek()));
        }
        return;
      case '<':
        if (Peek() == '=') ++pos_;
        Emit(in_[pos_ - 1] == '=' ? TokenType::kLte : TokenType::kLss);
        return;
      case '>':
        if (Peek() == '=') ++pos_;
        Emit(in_[pos_ - 1] == '=' ? TokenType::kGte : TokenType::kGtr);
        return;
      case '"':
      case '\'':
        String(c);
        return;
      case '`':
        RawString();
        return;
      case '(':
        Emit(TokenType::kLeftParen);
        ++paren_depth_;
        return;
      case ')':
        if (paren_depth_ == 0) {
          start_ = pos_;  // Prometheus reports this just after the parenthesis
          Error("unexpected right parenthesis " + QuoteChar(')'));
          return;
        }
        --paren_depth_;
        Emit(TokenType::kRightParen);
        return;
      case '{':
        Emit(TokenType::kLeftBrace);
        brace_open_ = true;
        return;
      case '[':
        if (bracket_open_) {
          Error("unexpected left bracket " + QuoteChar('['));
          return;
        }
        got_colon_ = false;
        Emit(TokenType::kLeftBracket);
        bracket_open_ = true;
        SkipSpacesAndComments();
        Duration();
        return;
      case ']':
        if (!bracket_open_) {
          Error("unexpected right bracket " + QuoteChar(']'));
          return;
        }
        bracket_open_ = false;
        Emit(TokenType::kRightBracket);
        return;
      case '@':
        Emit(TokenType::kAt);
        return;
      default:
        break;
    }
    if (IsDigit(c) || (c == '.' && IsDigit(Peek()))) {
      --pos_;
      NumberOrDuration();
      return;
    }
    if (IsAlpha(c) || c == ':') {
      if (!bracket_open_) {
        --pos_;
        KeywordOrIdentifier();
        return;
      }
      // Inside brackets Prometheus takes any letter for the colon of a subquery.
      if (got_colon_) {
        Error("unexpected colon " + QuoteChar(c));
        return;
      }
      got_colon_ = true;
      Emit(TokenType::kColon);
      return;
    }
    Error("unexpected character: " + QuoteChar(c));
  }

  void InsideBraces() {
    SkipSpacesAndComments();
    if (AtEnd()) {
      Error("unexpected end of input inside braces");
      return;
    }
    char c = in_[pos_++];
    if (IsAlpha(c)) {
      while (!AtEnd() && IsAlphaNumeric(in_[pos_])) ++pos_;
      Emit(TokenType::kIdentifier);
      return;
    }
    switch (c) {
      case ',':
        Emit(TokenType::kComma);
        return;
      case '"':
      case '\'':
        String(c);
        return;
      case '`':
        RawString();
        return;
      case '=':
        if (Peek() == '~') {
          ++pos_;
          Emit(TokenType::kEqlRegex);
        } else {
          Emit(TokenType::kEql);
        }
        return;
      case '!':
        if (Peek() == '~') {
          ++pos_;
          Emit(TokenType::kNeqRegex);
        } else if (Peek() == '=') {
          ++pos_;
          Emit(TokenType::kNeq);
        } else {
          Error("unexpected character after '!' inside braces: " + QuoteChar(Peek()));
        }
        return;
      case '{':
        Error("unexpected left brace " + QuoteChar('{'));
        return;
      case '}':
        brace_open_ = false;
        Emit(TokenType::kRightBrace);
        return;
      default:
        Error("unexpected character inside braces: " + QuoteChar(c));
        return;
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  int paren_depth_ = 0;
  bool brace_open_ = false;
  bool bracket_open_ = false;
  bool got_colon_ = false;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> Lex(std::string_view input) { return Lexer(input).Run(); }

bool IsOperatorToken(TokenType t) { return t >= TokenType::kAdd && t <= TokenType::kAtan2; }
bool IsAggregatorToken(TokenType t) { return t >= TokenType::kSum && t <= TokenType::kQuantile; }
bool IsKeywordToken(TokenType t) { return t >= TokenType::kBool && t <= TokenType::kOffset; }

std::string DescribeToken(const Token& token) {
  switch (token.type) {
    case TokenType::kEOF:
      return "end of input";
    case TokenType::kError:
      return token.error;
    case TokenType::kIdentifier:
      return "identifier " + go::Quote(token.text);
    case TokenType::kMetricIdentifier:
      return "metric identifier " + go::Quote(token.text);
    case TokenType::kNumber:
      return "number " + go::Quote(token.text);
    case TokenType::kDuration:
      return "duration " + go::Quote(token.text);
    case TokenType::kString: {
      std::string q = go::Quote(token.text);
      if (token.text.size() > 10) q = go::Quote(token.text.substr(0, 10)) + "...";
      return "string " + q;
    }
    default:
      break;
  }
  std::string text(token.text);
  if (IsOperatorToken(token.type)) return "<op:" + text + ">";
  if (IsAggregatorToken(token.type)) return "<aggr:" + text + ">";
  if (IsKeywordToken(token.type)) return "<" + text + ">";
  return go::Quote(token.text);
}

std::optional<double> ParseNumberLiteral(std::string_view s) {
  int64_t i = 0;
  if (go::ParseInt(s, &i)) return static_cast<double>(i);
  double v = 0;
  if (go::ParseFloat(s, &v)) return v;
  return std::nullopt;
}

}  // namespace codebot::promql
