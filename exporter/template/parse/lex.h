// The lexer of Go's text/template (text/template/parse/lex.go): turns template text into items,
// pulled one at a time by the parser, with Go's positions, line numbers and error texts. Items
// view the input, which outlives the parse; nothing here throws.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codebot::tmpl::parse {

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
  std::string String() const;
};

// The scanner: the state machine of Go's lexer, pulled one item at a time by the parser.
class Lexer {
 public:
  explicit Lexer(std::string_view input);
  Item Next();

 private:
  int LineAt(size_t pos) const;
  Item MakeItem(ItemType type, size_t pos, std::string_view val) const;
  Item Emit(ItemType type);
  Item Error(std::string message);
  char32_t NextRune();
  void Backup() { pos_ -= width_; }
  char32_t Peek();
  bool Accept(std::string_view valid);
  void AcceptRun(std::string_view valid);
  std::optional<Item> LexText();
  std::optional<Item> LexLeftDelim();

  // (is at right delimiter, with trim marker)
  std::pair<bool, bool> AtRightDelim() const;
  std::optional<Item> LexComment();
  std::optional<Item> LexRightDelim();
  std::optional<Item> LexInsideAction();
  std::optional<Item> LexSpace();
  bool AtTerminator();
  std::optional<Item> LexIdentifier();
  std::optional<Item> LexVariable();
  std::optional<Item> LexFieldOrVariable(ItemType type);
  bool ScanNumber();
  std::optional<Item> LexNumber();

  // A character constant ('x') or an interpreted string ("x"): runs to the closing quote,
  // skipping escaped characters; a newline or the end of input first is an error.
  std::optional<Item> LexQuoted(char32_t close, ItemType type, const char* unterminated);
  std::optional<Item> LexRawQuote();

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

}  // namespace codebot::tmpl::parse
