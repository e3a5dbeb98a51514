#include "exporter/template/parse/lex.h"

#include <algorithm>
#include <array>

#include "exporter/core/utf8.h"
#include "exporter/go/strconv.h"
#include "exporter/go/unicode.h"

namespace codebot::tmpl::parse {
namespace {

constexpr std::string_view kLeftDelimText = "{{";
constexpr std::string_view kRightDelimText = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";
constexpr char32_t kEofRune = 0xFFFFFFFF;

bool IsSpace(char32_t r) { return r == ' ' || r == '\t' || r == '\r' || r == '\n'; }

bool IsAlphaNumeric(char32_t r) { return r == '_' || go::IsLetter(r) || go::IsDigit(r); }

bool HasLeftTrimMarker(std::string_view s) {
  return s.size() >= 2 && s[0] == '-' && IsSpace(static_cast<unsigned char>(s[1]));
}

bool HasRightTrimMarker(std::string_view s) {
  return s.size() >= 2 && IsSpace(static_cast<unsigned char>(s[0])) && s[1] == '-';
}

size_t RightTrimLength(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsSpace(static_cast<unsigned char>(s[s.size() - 1 - n]))) ++n;
  return n;
}

size_t LeftTrimLength(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsSpace(static_cast<unsigned char>(s[n]))) ++n;
  return n;
}

std::optional<ItemType> Keyword(std::string_view word) {
  static const std::array<std::pair<std::string_view, ItemType>, 12> kKeywords = {{
      {".", ItemType::kDot},
      {"block", ItemType::kBlock},
      {"break", ItemType::kBreak},
      {"continue", ItemType::kContinue},
      {"define", ItemType::kDefine},
      {"else", ItemType::kElse},
      {"end", ItemType::kEnd},
      {"if", ItemType::kIf},
      {"range", ItemType::kRange},
      {"nil", ItemType::kNil},
      {"template", ItemType::kTemplate},
      {"with", ItemType::kWith},
  }};
  for (const auto& [name, type] : kKeywords) {
    if (name == word) return type;
  }
  return std::nullopt;
}

}  // namespace

std::string Item::String() const {
  if (type == ItemType::kEof) return "EOF";
  if (type == ItemType::kError) return std::string(val);
  if (type > ItemType::kKeyword) return "<" + std::string(val) + ">";
  if (utf8::RuneCount(val) > 10) {
    size_t pos_10 = 0;
    for (int n = 0; n < 10; ++n) {
      size_t width = 0;
      utf8::DecodeRune(val, pos_10, &width);
      pos_10 += width;
    }
    return go::Quote(val.substr(0, pos_10)) + "...";
  }
  return go::Quote(val);
}

Lexer::Lexer(std::string_view input) : input_(input) {
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '\n') newlines_.push_back(i);
  }
}

Item Lexer::Next() {
  if (pending_) {
    Item item = *pending_;
    pending_.reset();
    return item;
  }
  if (done_) return MakeItem(ItemType::kEof, pos_, "");
  for (;;) {
    std::optional<Item> item = inside_action_ ? LexInsideAction() : LexText();
    if (item) return *item;
  }
}

int Lexer::LineAt(size_t pos) const {
  return 1 + static_cast<int>(std::lower_bound(newlines_.begin(), newlines_.end(), pos) -
                              newlines_.begin());
}

Item Lexer::MakeItem(ItemType type, size_t pos, std::string_view val) const {
  return Item{type, pos, val, LineAt(pos)};
}

Item Lexer::Emit(ItemType type) {
  Item item = MakeItem(type, start_, input_.substr(start_, pos_ - start_));
  start_ = pos_;
  return item;
}

Item Lexer::Error(std::string message) {
  error_message_ = std::move(message);
  Item item = MakeItem(ItemType::kError, start_, error_message_);
  done_ = true;
  return item;
}

char32_t Lexer::NextRune() {
  if (pos_ >= input_.size()) {
    width_ = 0;
    return kEofRune;
  }
  const char32_t r = utf8::DecodeRune(input_, pos_, &width_);
  pos_ += width_;
  return r;
}

char32_t Lexer::Peek() {
  const char32_t r = NextRune();
  Backup();
  return r;
}

bool Lexer::Accept(std::string_view valid) {
  const char32_t r = NextRune();
  if (r != kEofRune && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) {
    return true;
  }
  Backup();
  return false;
}

void Lexer::AcceptRun(std::string_view valid) {
  while (Accept(valid)) {
  }
}

std::optional<Item> Lexer::LexText() {
  const size_t x = input_.find(kLeftDelimText, pos_);
  if (x != std::string_view::npos) {
    if (x > pos_) {
      pos_ = x;
      size_t trim = 0;
      if (HasLeftTrimMarker(input_.substr(pos_ + kLeftDelimText.size()))) {
        trim = RightTrimLength(input_.substr(start_, pos_ - start_));
      }
      Item item = MakeItem(ItemType::kText, start_, input_.substr(start_, pos_ - trim - start_));
      start_ = pos_;
      if (!item.val.empty()) return item;
    }
    return LexLeftDelim();
  }
  pos_ = input_.size();
  if (pos_ > start_) return Emit(ItemType::kText);
  done_ = true;
  return Emit(ItemType::kEof);
}

std::optional<Item> Lexer::LexLeftDelim() {
  pos_ += kLeftDelimText.size();
  const bool trim = HasLeftTrimMarker(input_.substr(pos_));
  const size_t after_marker = trim ? 2 : 0;
  if (input_.substr(pos_ + after_marker).starts_with(kLeftComment)) {
    pos_ += after_marker;
    start_ = pos_;
    return LexComment();
  }
  Item item = Emit(ItemType::kLeftDelim);
  inside_action_ = true;
  pos_ += after_marker;
  start_ = pos_;
  paren_depth_ = 0;
  return item;
}

std::pair<bool, bool> Lexer::AtRightDelim() const {
  const std::string_view rest = input_.substr(pos_);
  if (HasRightTrimMarker(rest) && rest.substr(2).starts_with(kRightDelimText)) return {true, true};
  if (rest.starts_with(kRightDelimText)) return {true, false};
  return {false, false};
}

std::optional<Item> Lexer::LexComment() {
  pos_ += kLeftComment.size();
  const size_t x = input_.find(kRightComment, pos_);
  if (x == std::string_view::npos) return Error("unclosed comment");
  pos_ = x + kRightComment.size();
  const auto [delim, trim] = AtRightDelim();
  if (!delim) return Error("comment ends before closing delimiter");
  if (trim) pos_ += 2;
  pos_ += kRightDelimText.size();
  if (trim) pos_ += LeftTrimLength(input_.substr(pos_));
  start_ = pos_;
  return std::nullopt;  // comments are not emitted; continue with text
}

std::optional<Item> Lexer::LexRightDelim() {
  const bool trim = AtRightDelim().second;
  if (trim) {
    pos_ += 2;
    start_ = pos_;
  }
  pos_ += kRightDelimText.size();
  Item item = Emit(ItemType::kRightDelim);
  if (trim) {
    pos_ += LeftTrimLength(input_.substr(pos_));
    start_ = pos_;
  }
  inside_action_ = false;
  return item;
}

std::optional<Item> Lexer::LexInsideAction() {
  if (AtRightDelim().first) {
    if (paren_depth_ == 0) return LexRightDelim();
    return Error("unclosed left paren");
  }
  const char32_t r = NextRune();
  if (r == kEofRune) return Error("unclosed action");
  if (IsSpace(r)) {
    Backup();
    return LexSpace();
  }
  switch (r) {
    case '=':
      return Emit(ItemType::kAssign);
    case ':':
      if (NextRune() != '=') return Error("expected :=");
      return Emit(ItemType::kDeclare);
    case '|':
      return Emit(ItemType::kPipe);
    case '"':
      return LexQuoted('"', ItemType::kString, "unterminated quoted string");
    case '`':
      return LexRawQuote();
    case '$':
      return LexVariable();
    case '\'':
      return LexQuoted('\'', ItemType::kCharConstant, "unterminated character constant");
    case '.':
      if (pos_ < input_.size() && (input_[pos_] < '0' || input_[pos_] > '9')) {
        return LexFieldOrVariable(ItemType::kField);
      }
      Backup();
      return LexNumber();
    case '(':
      ++paren_depth_;
      return Emit(ItemType::kLeftParen);
    case ')': {
      // Go 1.19 emits the paren before it notices the imbalance.
      Item item = Emit(ItemType::kRightParen);
      if (--paren_depth_ < 0) pending_ = Error("unexpected right paren " + go::FormatRuneU(r));
      return item;
    }
    default:
      break;
  }
  if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
    Backup();
    return LexNumber();
  }
  if (IsAlphaNumeric(r)) {
    Backup();
    return LexIdentifier();
  }
  if (r < 0x80 && go::IsPrint(r)) return Emit(ItemType::kChar);
  return Error("unrecognized character in action: " + go::FormatRuneU(r));
}

std::optional<Item> Lexer::LexSpace() {
  int spaces = 0;
  while (pos_ < input_.size() && IsSpace(static_cast<unsigned char>(input_[pos_]))) {
    ++pos_;
    ++spaces;
  }
  // A trim-marked right delimiter starts with a space: leave that space to it.
  const std::string_view from_last = input_.substr(pos_ - 1);
  if (HasRightTrimMarker(from_last) && from_last.substr(2).starts_with(kRightDelimText)) {
    --pos_;
    if (spaces == 1) return LexRightDelim();
  }
  return Emit(ItemType::kSpace);
}

bool Lexer::AtTerminator() {
  const char32_t r = Peek();
  if (IsSpace(r)) return true;
  switch (r) {
    case kEofRune:
    case '.':
    case ',':
    case '|':
    case ':':
    case ')':
    case '(':
      return true;
    default:
      return input_.substr(pos_).starts_with(kRightDelimText);
  }
}

std::optional<Item> Lexer::LexIdentifier() {
  char32_t r;
  for (;;) {
    r = NextRune();
    if (!IsAlphaNumeric(r)) {
      Backup();
      break;
    }
  }
  if (!AtTerminator()) return Error("bad character " + go::FormatRuneU(r));
  const std::string_view word = input_.substr(start_, pos_ - start_);
  if (auto keyword = Keyword(word)) return Emit(*keyword);
  if (word == "true" || word == "false") return Emit(ItemType::kBool);
  return Emit(ItemType::kIdentifier);
}

std::optional<Item> Lexer::LexVariable() {
  if (AtTerminator()) return Emit(ItemType::kVariable);
  return LexFieldOrVariable(ItemType::kVariable);
}

std::optional<Item> Lexer::LexFieldOrVariable(ItemType type) {
  if (AtTerminator()) {
    return Emit(type == ItemType::kVariable ? ItemType::kVariable : ItemType::kDot);
  }
  char32_t r;
  for (;;) {
    r = NextRune();
    if (!IsAlphaNumeric(r)) {
      Backup();
      break;
    }
  }
  if (!AtTerminator()) return Error("bad character " + go::FormatRuneU(r));
  return Emit(type);
}

bool Lexer::ScanNumber() {
  Accept("+-");
  std::string_view digits = "0123456789_";
  if (Accept("0")) {
    if (Accept("xX")) {
      digits = "0123456789abcdefABCDEF_";
    } else if (Accept("oO")) {
      digits = "01234567_";
    } else if (Accept("bB")) {
      digits = "01_";
    }
  }
  AcceptRun(digits);
  if (Accept(".")) AcceptRun(digits);
  if (digits.size() == 11 && Accept("eE")) {
    Accept("+-");
    AcceptRun("0123456789_");
  }
  if (digits.size() == 23 && Accept("pP")) {
    Accept("+-");
    AcceptRun("0123456789_");
  }
  Accept("i");
  if (IsAlphaNumeric(Peek())) {
    NextRune();
    return false;
  }
  return true;
}

std::optional<Item> Lexer::LexNumber() {
  if (!ScanNumber()) {
    return Error("bad number syntax: " + go::Quote(input_.substr(start_, pos_ - start_)));
  }
  const char32_t sign = Peek();
  if (sign == '+' || sign == '-') {
    if (!ScanNumber() || input_[pos_ - 1] != 'i') {
      return Error("bad number syntax: " + go::Quote(input_.substr(start_, pos_ - start_)));
    }
    return Emit(ItemType::kComplex);
  }
  return Emit(ItemType::kNumber);
}

std::optional<Item> Lexer::LexQuoted(char32_t close, ItemType type, const char* unterminated) {
  for (;;) {
    const char32_t r = NextRune();
    if (r == '\\') {
      const char32_t escaped = NextRune();
      if (escaped != kEofRune && escaped != '\n') continue;
      return Error(unterminated);
    }
    if (r == kEofRune || r == '\n') return Error(unterminated);
    if (r == close) break;
  }
  return Emit(type);
}

std::optional<Item> Lexer::LexRawQuote() {
  for (;;) {
    const char32_t r = NextRune();
    if (r == kEofRune) return Error("unterminated raw quoted string");
    if (r == '`') break;
  }
  return Emit(ItemType::kRawString);
}

}  // namespace codebot::tmpl::parse
