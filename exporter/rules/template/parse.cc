#include "exporter/rules/template/parse.h"

#include <algorithm>
#include <array>
#include <optional>

#include "exporter/core/utf8.h"
#include "exporter/rules/go/strconv.h"
#include "exporter/rules/go/unicode.h"
#include "exporter/rules/template/format.h"

namespace codebot::rules::tmpl::parse {
namespace {

constexpr std::string_view kLeftDelimText = "{{";
constexpr std::string_view kRightDelimText = "}}";
constexpr std::string_view kLeftComment = "/*";
constexpr std::string_view kRightComment = "*/";
constexpr char32_t kEofRune = 0xFFFFFFFF;

enum class ItemType {
  kError,
  kBool,
  kChar,
  kCharConstant,
  kComplex,
  kAssign,
  kDeclare,
  kEof,
  kField,
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,
  kKeyword,  // keywords follow
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

// Items view the template text (or the lexer's error message), which outlive the parse: no
// allocation per token.
struct Item {
  ItemType type = ItemType::kEof;
  size_t pos = 0;
  std::string_view val;
  int line = 1;

  // Go's item.String(), used in "unexpected %s in %s".
  std::string String() const {
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
};

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

// The scanner: the state machine of Go's lexer, pulled one item at a time by the parser.
class Lexer {
 public:
  explicit Lexer(std::string_view input) : input_(input) {
    for (size_t i = 0; i < input.size(); ++i) {
      if (input[i] == '\n') newlines_.push_back(i);
    }
  }

  Item Next() {
    if (pending_) {
      Item item = std::move(*pending_);
      pending_.reset();
      return item;
    }
    if (done_) return MakeItem(ItemType::kEof, pos_, "");
    for (;;) {
      std::optional<Item> item = inside_action_ ? LexInsideAction() : LexText();
      if (item) return std::move(*item);
    }
  }

 private:
  int LineAt(size_t pos) const {
    return 1 + static_cast<int>(std::lower_bound(newlines_.begin(), newlines_.end(), pos) -
                                newlines_.begin());
  }

  Item MakeItem(ItemType type, size_t pos, std::string_view val) const {
    return Item{type, pos, val, LineAt(pos)};
  }

  Item Emit(ItemType type) {
    Item item = MakeItem(type, start_, input_.substr(start_, pos_ - start_));
    start_ = pos_;
    return item;
  }

  Item Error(std::string message) {
    error_message_ = std::move(message);
    Item item = MakeItem(ItemType::kError, start_, error_message_);
    done_ = true;
    return item;
  }

  char32_t NextRune() {
    if (pos_ >= input_.size()) {
      width_ = 0;
      return kEofRune;
    }
    const char32_t r = utf8::DecodeRune(input_, pos_, &width_);
    pos_ += width_;
    return r;
  }
  void Backup() { pos_ -= width_; }
  char32_t Peek() {
    const char32_t r = NextRune();
    Backup();
    return r;
  }
  bool Accept(std::string_view valid) {
    const char32_t r = NextRune();
    if (r != kEofRune && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) {
      return true;
    }
    Backup();
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (Accept(valid)) {
    }
  }

  std::optional<Item> LexText() {
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

  std::optional<Item> LexLeftDelim() {
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

  // (is at right delimiter, with trim marker)
  std::pair<bool, bool> AtRightDelim() const {
    const std::string_view rest = input_.substr(pos_);
    if (HasRightTrimMarker(rest) && rest.substr(2).starts_with(kRightDelimText))
      return {true, true};
    if (rest.starts_with(kRightDelimText)) return {true, false};
    return {false, false};
  }

  std::optional<Item> LexComment() {
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

  std::optional<Item> LexRightDelim() {
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

  std::optional<Item> LexInsideAction() {
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

  std::optional<Item> LexSpace() {
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

  bool AtTerminator() {
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

  std::optional<Item> LexIdentifier() {
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

  std::optional<Item> LexVariable() {
    if (AtTerminator()) return Emit(ItemType::kVariable);
    return LexFieldOrVariable(ItemType::kVariable);
  }

  std::optional<Item> LexFieldOrVariable(ItemType type) {
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

  bool ScanNumber() {
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

  std::optional<Item> LexNumber() {
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

  // A character constant ('x') or an interpreted string ("x"): runs to the closing quote,
  // skipping escaped characters; a newline or the end of input first is an error.
  std::optional<Item> LexQuoted(char32_t close, ItemType type, const char* unterminated) {
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

  std::optional<Item> LexRawQuote() {
    for (;;) {
      const char32_t r = NextRune();
      if (r == kEofRune) return Error("unterminated raw quoted string");
      if (r == '`') break;
    }
    return Emit(ItemType::kRawString);
  }

  std::string_view input_;
  std::vector<size_t> newlines_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t width_ = 0;
  int paren_depth_ = 0;
  bool inside_action_ = false;
  bool done_ = false;
  std::optional<Item> pending_;
  std::string error_message_;  // what an error item's val views
};

// strconv.UnquoteChar(s, '\''): the first character or escape of a rune literal.
bool UnquoteChar(std::string_view s, char32_t* r, size_t* used) {
  if (s.empty() || s[0] == '\'') return false;
  if (static_cast<unsigned char>(s[0]) >= 0x80) {
    *r = utf8::DecodeRune(s, 0, used);
    return true;
  }
  if (s[0] != '\\') {
    *r = static_cast<unsigned char>(s[0]);
    *used = 1;
    return true;
  }
  if (s.size() < 2) return false;
  const char c = s[1];
  *used = 2;
  switch (c) {
    case 'a':
      *r = '\a';
      return true;
    case 'b':
      *r = '\b';
      return true;
    case 'f':
      *r = '\f';
      return true;
    case 'n':
      *r = '\n';
      return true;
    case 'r':
      *r = '\r';
      return true;
    case 't':
      *r = '\t';
      return true;
    case 'v':
      *r = '\v';
      return true;
    case '\\':
      *r = '\\';
      return true;
    case '\'':
      *r = '\'';
      return true;
    case 'x':
    case 'u':
    case 'U': {
      const size_t digits = c == 'x' ? 2 : (c == 'u' ? 4 : 8);
      if (s.size() < 2 + digits) return false;
      char32_t value = 0;
      for (size_t i = 0; i < digits; ++i) {
        const char h = s[2 + i];
        int d = -1;
        if (h >= '0' && h <= '9') d = h - '0';
        if (h >= 'a' && h <= 'f') d = h - 'a' + 10;
        if (h >= 'A' && h <= 'F') d = h - 'A' + 10;
        if (d < 0) return false;
        value = value * 16 + static_cast<char32_t>(d);
      }
      if (c != 'x' && (value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))) return false;
      *r = value;
      *used = 2 + digits;
      return true;
    }
    default:
      if (c >= '0' && c <= '7') {
        if (s.size() < 4) return false;
        char32_t value = 0;
        for (size_t i = 1; i < 4; ++i) {
          if (s[i] < '0' || s[i] > '7') return false;
          value = value * 8 + static_cast<char32_t>(s[i] - '0');
        }
        if (value > 255) return false;
        *r = value;
        *used = 4;
        return true;
      }
      return false;
  }
}

// Shared by the top-level tree and the {{define}}/{{block}} trees parsed from the same text.
struct ParseState {
  std::string parse_name;
  std::shared_ptr<const std::string> text;
  Lexer* lexer = nullptr;
  TreeSet* trees = nullptr;
  const std::function<bool(std::string_view)>* has_function = nullptr;
  std::string error;  // first error; parsing stops at it
};

// The parser for one tree, after Go's parse.Tree. Every method returns early (null) once
// state_->error is set.
class Parser {
 public:
  Parser(ParseState* state, std::string name) : state_(state), name_(std::move(name)) {
    vars_.push_back("$");
  }

  // parse(): the top level, which may also hold {{define}}s.
  void ParseTop() {
    root_ = std::make_unique<ListNode>(Peek().pos);
    while (Peek().type != ItemType::kEof) {
      if (failed()) return;
      if (Peek().type == ItemType::kLeftDelim) {
        Item delim = NextToken();
        if (NextNonSpace().type == ItemType::kDefine) {
          Parser definition(state_, "definition");
          definition.ParseDefinition();
          if (failed()) return;
          continue;
        }
        Backup2(std::move(delim));
      }
      NodePtr n = TextOrAction();
      if (failed()) return;
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
        Errorf("unexpected " + n->String());
        return;
      }
      root_->nodes.push_back(std::move(n));
    }
    Add();
  }

 private:
  bool failed() const { return !state_->error.empty(); }

  void Errorf(const std::string& message) {
    if (failed()) return;
    state_->error =
        "template: " + state_->parse_name + ":" + std::to_string(token_[0].line) + ": " + message;
  }

  Item NextToken() {
    if (peek_count_ > 0) {
      --peek_count_;
    } else {
      token_[0] = state_->lexer->Next();
    }
    return token_[static_cast<size_t>(peek_count_)];
  }
  void Backup() { ++peek_count_; }
  void Backup2(Item t1) {
    token_[1] = std::move(t1);
    peek_count_ = 2;
  }
  void Backup3(Item t2, Item t1) {
    token_[1] = std::move(t1);
    token_[2] = std::move(t2);
    peek_count_ = 3;
  }
  const Item& Peek() {
    if (peek_count_ > 0) return token_[static_cast<size_t>(peek_count_ - 1)];
    peek_count_ = 1;
    token_[0] = state_->lexer->Next();
    return token_[0];
  }
  Item NextNonSpace() {
    Item token;
    do {
      token = NextToken();
    } while (token.type == ItemType::kSpace);
    return token;
  }
  Item PeekNonSpace() {
    Item token = NextNonSpace();
    Backup();
    return token;
  }

  void Unexpected(const Item& token, std::string_view context) {
    if (token.type == ItemType::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != token.line) {
        extra = " in action started at " + state_->parse_name + ":" + std::to_string(action_line_);
        if (token.val.ends_with(" action"))
          extra = extra.substr(std::string_view(" in action").size());
      }
      Errorf(token.String() + extra);
      return;
    }
    Errorf("unexpected " + token.String() + " in " + std::string(context));
  }

  Item Expect(ItemType expected, std::string_view context) {
    Item token = NextNonSpace();
    if (token.type != expected) Unexpected(token, context);
    return token;
  }

  // add(): installs the tree unless a non-empty one of that name exists.
  void Add() {
    if (failed()) return;
    auto& slot = (*state_->trees)[name_];
    if (slot == nullptr || IsEmptyTree(slot->root.get())) {
      auto tree = std::make_shared<Tree>();
      tree->name = name_;
      tree->parse_name = state_->parse_name;
      tree->text = state_->text;
      tree->root = std::move(root_);
      slot = std::move(tree);
      return;
    }
    if (!IsEmptyTree(root_.get())) {
      Errorf("template: multiple definition of template " + go::Quote(name_));
    }
  }

  void ParseDefinition() {
    constexpr std::string_view kContext = "define clause";
    Item name = NextNonSpace();
    if (name.type != ItemType::kString && name.type != ItemType::kRawString) {
      Unexpected(name, kContext);
      return;
    }
    if (!go::Unquote(name.val, &name_)) {
      Errorf("invalid syntax");
      return;
    }
    Expect(ItemType::kRightDelim, kContext);
    if (failed()) return;
    auto [list, end] = ItemList();
    if (failed()) return;
    root_ = std::move(list);
    if (end->type != NodeType::kEnd) {
      Errorf("unexpected " + end->String() + " in " + std::string(kContext));
      return;
    }
    Add();
  }

  // itemList: textOrAction* up to {{end}} or {{else}}, which is returned separately.
  std::pair<std::unique_ptr<ListNode>, NodePtr> ItemList() {
    auto list = std::make_unique<ListNode>(PeekNonSpace().pos);
    while (PeekNonSpace().type != ItemType::kEof) {
      NodePtr n = TextOrAction();
      if (failed()) return {};
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse)
        return {std::move(list), std::move(n)};
      list->nodes.push_back(std::move(n));
    }
    Errorf("unexpected EOF");
    return {};
  }

  NodePtr TextOrAction() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kText:
        return std::make_unique<TextNode>(token.pos, std::string(token.val));
      case ItemType::kLeftDelim: {
        action_line_ = token.line;
        NodePtr n = Action();
        action_line_ = 0;
        return n;
      }
      default:
        Unexpected(token, "input");
        return nullptr;
    }
  }

  NodePtr Action() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kBlock:
        return BlockControl();
      case ItemType::kBreak:
      case ItemType::kContinue: {
        const bool is_break = token.type == ItemType::kBreak;
        const std::string word = is_break ? "{{break}}" : "{{continue}}";
        Item next = NextNonSpace();
        if (next.type != ItemType::kRightDelim) {
          Unexpected(next, word);
          return nullptr;
        }
        if (range_depth_ == 0) {
          Errorf(word + " outside {{range}}");
          return nullptr;
        }
        return std::make_unique<KeywordNode>(is_break ? NodeType::kBreak : NodeType::kContinue,
                                             token.pos);
      }
      case ItemType::kElse:
        return ElseControl();
      case ItemType::kEnd:
        Expect(ItemType::kRightDelim, "end");
        if (failed()) return nullptr;
        return std::make_unique<KeywordNode>(NodeType::kEnd, token.pos);
      case ItemType::kIf:
        return Control(NodeType::kIf, true, "if");
      case ItemType::kRange:
        return Control(NodeType::kRange, false, "range");
      case ItemType::kTemplate:
        return TemplateControl();
      case ItemType::kWith:
        return Control(NodeType::kWith, false, "with");
      default:
        break;
    }
    Backup();
    const Item& first = Peek();
    const size_t pos = first.pos;
    const int line = first.line;
    auto pipe = Pipeline("command", ItemType::kRightDelim);
    if (failed()) return nullptr;
    return std::make_unique<ActionNode>(pos, line, std::move(pipe));
  }

  NodePtr ElseControl() {
    Item peek = PeekNonSpace();
    if (peek.type == ItemType::kIf) {
      // "{{else if ...": leave the "if" pending for Control().
      return std::make_unique<KeywordNode>(NodeType::kElse, peek.pos);
    }
    Item token = Expect(ItemType::kRightDelim, "else");
    if (failed()) return nullptr;
    return std::make_unique<KeywordNode>(NodeType::kElse, token.pos);
  }

  std::unique_ptr<PipeNode> Pipeline(std::string_view context, ItemType end) {
    Item first = PeekNonSpace();
    auto pipe = std::make_unique<PipeNode>(first.pos, first.line);
    for (;;) {  // declarations
      Item v = PeekNonSpace();
      if (v.type != ItemType::kVariable) break;
      NextToken();
      // "$x foo" needs the token after the variable to tell an argument from a declaration.
      Item token_after_variable = Peek();
      Item next = PeekNonSpace();
      if (next.type == ItemType::kAssign || next.type == ItemType::kDeclare) {
        pipe->is_assign = next.type == ItemType::kAssign;
        NextNonSpace();
        pipe->decl.push_back(
            std::make_unique<VariableNode>(v.pos, std::vector<std::string>{std::string(v.val)}));
        vars_.emplace_back(v.val);
        break;
      }
      if (next.type == ItemType::kChar && next.val == ",") {
        NextNonSpace();
        pipe->decl.push_back(
            std::make_unique<VariableNode>(v.pos, std::vector<std::string>{std::string(v.val)}));
        vars_.emplace_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          const ItemType t = PeekNonSpace().type;
          if (t == ItemType::kVariable || t == ItemType::kRightDelim ||
              t == ItemType::kRightParen) {
            continue;  // the second variable of a range
          }
          Errorf("range can only initialize variables");
          return nullptr;
        }
        Errorf("too many declarations in " + std::string(context));
        return nullptr;
      }
      if (token_after_variable.type == ItemType::kSpace) {
        Backup3(std::move(v), std::move(token_after_variable));
      } else {
        Backup2(std::move(v));
      }
      break;
    }
    for (;;) {
      Item token = NextNonSpace();
      if (failed()) return nullptr;
      if (token.type == end) {
        CheckPipeline(*pipe, context);
        if (failed()) return nullptr;
        return pipe;
      }
      switch (token.type) {
        case ItemType::kBool:
        case ItemType::kCharConstant:
        case ItemType::kComplex:
        case ItemType::kDot:
        case ItemType::kField:
        case ItemType::kIdentifier:
        case ItemType::kNumber:
        case ItemType::kNil:
        case ItemType::kRawString:
        case ItemType::kString:
        case ItemType::kVariable:
        case ItemType::kLeftParen: {
          Backup();
          auto cmd = Command();
          if (failed()) return nullptr;
          pipe->cmds.push_back(std::move(cmd));
          break;
        }
        default:
          Unexpected(token, context);
          return nullptr;
      }
    }
  }

  void CheckPipeline(const PipeNode& pipe, std::string_view context) {
    if (pipe.cmds.empty()) {
      Errorf("missing value for " + std::string(context));
      return;
    }
    for (size_t i = 1; i < pipe.cmds.size(); ++i) {
      switch (pipe.cmds[i]->args[0]->type) {
        case NodeType::kBool:
        case NodeType::kDot:
        case NodeType::kNil:
        case NodeType::kNumber:
        case NodeType::kString:
          Errorf("non executable command in pipeline stage " + std::to_string(i + 1));
          return;
        default:
          break;
      }
    }
  }

  // if / range / with: {{kw pipeline}} list [{{else}} list] {{end}}
  NodePtr Control(NodeType type, bool allow_else_if, std::string_view context) {
    const size_t saved_vars = vars_.size();
    auto node = std::make_unique<BranchNode>(type, 0, 0);
    node->pipe = Pipeline(context, ItemType::kRightDelim);
    if (failed()) return nullptr;
    node->pos = node->pipe->pos;
    node->line = node->pipe->line;
    if (type == NodeType::kRange) ++range_depth_;
    auto [list, next] = ItemList();
    if (type == NodeType::kRange) --range_depth_;
    if (failed()) return nullptr;
    node->list = std::move(list);
    if (next->type == NodeType::kElse) {
      if (allow_else_if && Peek().type == ItemType::kIf) {
        // {{if a}}_{{else if b}}_{{end}} is {{if a}}_{{else}}{{if b}}_{{end}}{{end}}.
        Item if_item = NextToken();
        node->else_list = std::make_unique<ListNode>(if_item.pos);
        NodePtr nested = Control(NodeType::kIf, true, "if");
        if (failed()) return nullptr;
        node->else_list->nodes.push_back(std::move(nested));
      } else {
        auto [else_list, else_next] = ItemList();
        if (failed()) return nullptr;
        if (else_next->type != NodeType::kEnd) {
          Errorf("expected end; found " + else_next->String());
          return nullptr;
        }
        node->else_list = std::move(else_list);
      }
    }
    vars_.resize(saved_vars);
    return node;
  }

  NodePtr BlockControl() {
    constexpr std::string_view kContext = "block clause";
    Item token = NextNonSpace();
    std::string name;
    if (!ParseTemplateName(token, kContext, &name)) return nullptr;
    auto pipe = Pipeline(kContext, ItemType::kRightDelim);
    if (failed()) return nullptr;
    Parser block(state_, name);
    auto [list, end] = block.ItemList();
    if (failed()) return nullptr;
    if (end->type != NodeType::kEnd) {
      Errorf("unexpected " + end->String() + " in " + std::string(kContext));
      return nullptr;
    }
    block.root_ = std::move(list);
    block.Add();
    if (failed()) return nullptr;
    auto node = std::make_unique<TemplateNode>(token.pos, token.line, name);
    node->pipe = std::move(pipe);
    return node;
  }

  NodePtr TemplateControl() {
    constexpr std::string_view kContext = "template clause";
    Item token = NextNonSpace();
    std::string name;
    if (!ParseTemplateName(token, kContext, &name)) return nullptr;
    auto node = std::make_unique<TemplateNode>(token.pos, token.line, name);
    if (NextNonSpace().type != ItemType::kRightDelim) {
      Backup();
      node->pipe = Pipeline(kContext, ItemType::kRightDelim);
      if (failed()) return nullptr;
    }
    return node;
  }

  bool ParseTemplateName(const Item& token, std::string_view context, std::string* name) {
    if (token.type != ItemType::kString && token.type != ItemType::kRawString) {
      Unexpected(token, context);
      return false;
    }
    if (!go::Unquote(token.val, name)) {
      Errorf("invalid syntax");
      return false;
    }
    return true;
  }

  std::unique_ptr<CommandNode> Command() {
    auto cmd = std::make_unique<CommandNode>(PeekNonSpace().pos);
    for (;;) {
      PeekNonSpace();  // skip leading spaces
      NodePtr operand = Operand();
      if (failed()) return nullptr;
      if (operand) cmd->args.push_back(std::move(operand));
      Item token = NextToken();
      if (token.type == ItemType::kSpace) continue;
      if (token.type == ItemType::kRightDelim || token.type == ItemType::kRightParen) {
        Backup();
      } else if (token.type != ItemType::kPipe) {
        Unexpected(token, "operand");
        return nullptr;
      }
      break;
    }
    if (cmd->args.empty()) {
      Errorf("empty command");
      return nullptr;
    }
    return cmd;
  }

  NodePtr Operand() {
    NodePtr node = Term();
    if (!node || failed()) return nullptr;
    if (Peek().type == ItemType::kField) {
      auto chain = std::make_unique<ChainNode>(Peek().pos, std::move(node));
      while (Peek().type == ItemType::kField) {
        Item field = NextToken();
        chain->field.emplace_back(field.val.substr(1));
      }
      // Fields after a field or variable extend it (positioned at the first added field, as
      // in Go); after a literal they are an error; otherwise the chain stays.
      switch (chain->node->type) {
        case NodeType::kField: {
          auto* base = static_cast<FieldNode*>(chain->node.get());
          std::vector<std::string> ident = std::move(base->ident);
          ident.insert(ident.end(), chain->field.begin(), chain->field.end());
          return std::make_unique<FieldNode>(chain->pos, std::move(ident));
        }
        case NodeType::kVariable: {
          auto* base = static_cast<VariableNode*>(chain->node.get());
          std::vector<std::string> ident = std::move(base->ident);
          ident.insert(ident.end(), chain->field.begin(), chain->field.end());
          return std::make_unique<VariableNode>(chain->pos, std::move(ident));
        }
        case NodeType::kBool:
        case NodeType::kString:
        case NodeType::kNumber:
        case NodeType::kNil:
        case NodeType::kDot:
          Errorf("unexpected . after term " + go::Quote(chain->node->String()));
          return nullptr;
        default:
          return chain;
      }
    }
    return node;
  }

  NodePtr Term() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kIdentifier:
        if (!(*state_->has_function)(token.val)) {
          Errorf("function " + go::Quote(token.val) + " not defined");
          return nullptr;
        }
        return std::make_unique<IdentifierNode>(token.pos, std::string(token.val));
      case ItemType::kDot:
        return std::make_unique<DotNode>(token.pos);
      case ItemType::kNil:
        return std::make_unique<NilNode>(token.pos);
      case ItemType::kVariable:
        if (std::find(vars_.begin(), vars_.end(), token.val) == vars_.end()) {
          Errorf("undefined variable " + go::Quote(token.val));
          return nullptr;
        }
        return std::make_unique<VariableNode>(token.pos,
                                              std::vector<std::string>{std::string(token.val)});
      case ItemType::kField:
        return std::make_unique<FieldNode>(
            token.pos, std::vector<std::string>{std::string(token.val.substr(1))});
      case ItemType::kBool:
        return std::make_unique<BoolNode>(token.pos, token.val == "true");
      case ItemType::kCharConstant:
      case ItemType::kComplex:
      case ItemType::kNumber:
        return NewNumber(token);
      case ItemType::kLeftParen:
        return Pipeline("parenthesized pipeline", ItemType::kRightParen);
      case ItemType::kString:
      case ItemType::kRawString: {
        std::string unquoted;
        if (!go::Unquote(token.val, &unquoted)) {
          Errorf("invalid syntax");
          return nullptr;
        }
        return std::make_unique<StringNode>(token.pos, std::string(token.val), std::move(unquoted));
      }
      default:
        Backup();
        return nullptr;
    }
  }

  NodePtr NewNumber(const Item& token) {
    auto n = std::make_unique<NumberNode>(token.pos, std::string(token.val));
    const std::string& t = n->text;
    if (token.type == ItemType::kCharConstant) {
      char32_t r = 0;
      size_t used = 0;
      const std::string_view body = std::string_view(t).substr(1);
      if (!UnquoteChar(body, &r, &used)) {
        Errorf("invalid syntax");
        return nullptr;
      }
      if (body.substr(used) != "'") {
        Errorf("malformed character constant: " + t);
        return nullptr;
      }
      n->is_int = n->is_uint = n->is_float = true;
      n->int64 = r;
      n->uint64 = r;
      n->float64 = r;
      return n;
    }
    if (token.type == ItemType::kComplex) {
      // "1+2i": split at the sign that starts the imaginary part (not an exponent's sign).
      size_t split = std::string::npos;
      for (size_t k = t.size() - 1; k > 0; --k) {
        const char prev = static_cast<char>(t[k - 1] | 0x20);
        if ((t[k] == '+' || t[k] == '-') && prev != 'e' && prev != 'p') {
          split = k;
          break;
        }
      }
      std::string error;
      if (split == std::string::npos || !go::ParseFloat(t.substr(0, split), &n->real, &error) ||
          !go::ParseFloat(t.substr(split, t.size() - split - 1), &n->imag, &error)) {
        Errorf("illegal number syntax: " + go::Quote(t));
        return nullptr;
      }
      n->is_complex = true;
      return n;
    }
    if (!t.empty() && t.back() == 'i') {
      std::string error;
      if (go::ParseFloat(std::string_view(t).substr(0, t.size() - 1), &n->imag, &error)) {
        n->is_complex = true;
        return n;
      }
    }
    uint64_t u = 0;
    if (go::ParseUint(t, &u)) {
      n->is_uint = true;
      n->uint64 = u;
    }
    int64_t i = 0;
    if (go::ParseInt(t, &i)) {
      n->is_int = true;
      n->int64 = i;
      if (i == 0) {
        n->is_uint = true;
        n->uint64 = u;
      }
    }
    if (n->is_int) {
      n->is_float = true;
      n->float64 = static_cast<double>(n->int64);
    } else if (n->is_uint) {
      n->is_float = true;
      n->float64 = static_cast<double>(n->uint64);
    } else {
      double f = 0;
      std::string error;
      if (go::ParseFloat(t, &f, &error)) {
        if (t.find_first_of(".eEpP") == std::string::npos) {
          Errorf("integer overflow: " + go::Quote(t));
          return nullptr;
        }
        n->is_float = true;
        n->float64 = f;
        if (f >= -9.2233720368547758e18 && f < 9.2233720368547758e18 &&
            static_cast<double>(static_cast<int64_t>(f)) == f) {
          n->is_int = true;
          n->int64 = static_cast<int64_t>(f);
        }
        if (f >= 0 && f < 1.8446744073709552e19 &&
            static_cast<double>(static_cast<uint64_t>(f)) == f) {
          n->is_uint = true;
          n->uint64 = static_cast<uint64_t>(f);
        }
      }
    }
    if (!n->is_int && !n->is_uint && !n->is_float) {
      Errorf("illegal number syntax: " + go::Quote(t));
      return nullptr;
    }
    return n;
  }

  ParseState* state_;
  std::string name_;
  std::unique_ptr<ListNode> root_;
  std::array<Item, 3> token_;
  int peek_count_ = 0;
  std::vector<std::string> vars_;
  int action_line_ = 0;
  int range_depth_ = 0;
};

void WriteQuotedTemplateName(std::string* out, const std::string& name) { *out += go::Quote(name); }

}  // namespace

std::string Node::String() const {
  std::string out;
  WriteTo(&out);
  return out;
}

void ListNode::WriteTo(std::string* out) const {
  for (const auto& n : nodes) n->WriteTo(out);
}

void TextNode::WriteTo(std::string* out) const { *out += text; }

void VariableNode::WriteTo(std::string* out) const {
  for (size_t i = 0; i < ident.size(); ++i) {
    if (i > 0) out->push_back('.');
    *out += ident[i];
  }
}

void PipeNode::WriteTo(std::string* out) const {
  if (!decl.empty()) {
    for (size_t i = 0; i < decl.size(); ++i) {
      if (i > 0) *out += ", ";
      decl[i]->WriteTo(out);
    }
    *out += " := ";
  }
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (i > 0) *out += " | ";
    cmds[i]->WriteTo(out);
  }
}

void ActionNode::WriteTo(std::string* out) const {
  *out += "{{";
  pipe->WriteTo(out);
  *out += "}}";
}

void CommandNode::WriteTo(std::string* out) const {
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out->push_back(' ');
    if (args[i]->type == NodeType::kPipe) {
      out->push_back('(');
      args[i]->WriteTo(out);
      out->push_back(')');
    } else {
      args[i]->WriteTo(out);
    }
  }
}

void IdentifierNode::WriteTo(std::string* out) const { *out += ident; }
void DotNode::WriteTo(std::string* out) const { out->push_back('.'); }
void NilNode::WriteTo(std::string* out) const { *out += "nil"; }

void FieldNode::WriteTo(std::string* out) const {
  for (const auto& id : ident) {
    out->push_back('.');
    *out += id;
  }
}

void ChainNode::WriteTo(std::string* out) const {
  if (node->type == NodeType::kPipe) {
    out->push_back('(');
    node->WriteTo(out);
    out->push_back(')');
  } else {
    node->WriteTo(out);
  }
  for (const auto& f : field) {
    out->push_back('.');
    *out += f;
  }
}

void BoolNode::WriteTo(std::string* out) const { *out += value ? "true" : "false"; }
void NumberNode::WriteTo(std::string* out) const { *out += text; }
void StringNode::WriteTo(std::string* out) const { *out += quoted; }

void BranchNode::WriteTo(std::string* out) const {
  const char* name = type == NodeType::kIf ? "if" : (type == NodeType::kRange ? "range" : "with");
  *out += "{{";
  *out += name;
  out->push_back(' ');
  pipe->WriteTo(out);
  *out += "}}";
  list->WriteTo(out);
  if (else_list) {
    *out += "{{else}}";
    else_list->WriteTo(out);
  }
  *out += "{{end}}";
}

void TemplateNode::WriteTo(std::string* out) const {
  *out += "{{template ";
  WriteQuotedTemplateName(out, name);
  if (pipe) {
    out->push_back(' ');
    pipe->WriteTo(out);
  }
  *out += "}}";
}

void KeywordNode::WriteTo(std::string* out) const {
  switch (type) {
    case NodeType::kBreak:
      *out += "{{break}}";
      break;
    case NodeType::kContinue:
      *out += "{{continue}}";
      break;
    case NodeType::kEnd:
      *out += "{{end}}";
      break;
    default:
      *out += "{{else}}";
      break;
  }
}

std::string Tree::Location(const Node& node) const {
  const std::string_view t = *text;
  const size_t pos = std::min(node.pos, t.size());
  const std::string_view before = t.substr(0, pos);
  const size_t last_newline = before.rfind('\n');
  const size_t column = last_newline == std::string_view::npos ? pos : pos - (last_newline + 1);
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  return parse_name + ":" + std::to_string(line) + ":" + std::to_string(column);
}

bool IsEmptyTree(const Node* node) {
  if (node == nullptr) return true;
  switch (node->type) {
    case NodeType::kList:
      for (const auto& n : static_cast<const ListNode*>(node)->nodes) {
        if (!IsEmptyTree(n.get())) return false;
      }
      return true;
    case NodeType::kText: {
      const auto& t = static_cast<const TextNode*>(node)->text;
      return std::all_of(t.begin(), t.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
      });
    }
    default:
      return false;
  }
}

ParseOutput Parse(std::string_view name, std::string_view text,
                  const std::function<bool(std::string_view)>& has_function) {
  ParseOutput out;
  Lexer lexer(text);
  ParseState state;
  state.parse_name = std::string(name);
  state.text = std::make_shared<const std::string>(text);
  state.lexer = &lexer;
  state.trees = &out.trees;
  state.has_function = &has_function;
  Parser parser(&state, std::string(name));
  parser.ParseTop();
  if (!state.error.empty()) {
    out.trees.clear();
    out.error = std::move(state.error);
  }
  return out;
}

}  // namespace codebot::rules::tmpl::parse
