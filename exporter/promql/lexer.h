// PromQL tokenizer. It follows Prometheus' lexer closely, including its context rules: inside
// braces everything alphabetic is a label name, inside brackets a number must carry a duration
// unit, keywords and aggregators are case-insensitive, '#' starts a comment. Tokens point into
// the input, which must outlive them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codebot::promql {

enum class TokenType {
  kEOF,
  kError,  // text holds the message
  kIdentifier,
  kMetricIdentifier,  // an identifier with a ':' in it
  kNumber,
  kDuration,
  kString,  // text includes the quotes
  kLeftParen,
  kRightParen,
  kLeftBrace,
  kRightBrace,
  kLeftBracket,
  kRightBracket,
  kComma,
  kColon,
  kEql,  // '=' (label matching)
  kAt,
  // Operators.
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,
  kNeq,
  kLss,
  kLte,
  kGtr,
  kGte,
  kEqlRegex,
  kNeqRegex,
  kLand,
  kLor,
  kLunless,
  kAtan2,
  // Aggregators.
  kSum,
  kAvg,
  kCount,
  kMin,
  kMax,
  kGroup,
  kStddev,
  kStdvar,
  kTopk,
  kBottomk,
  kCountValues,
  kQuantile,
  // Keywords.
  kBool,
  kBy,
  kWithout,
  kOn,
  kIgnoring,
  kGroupLeft,
  kGroupRight,
  kOffset,
};

struct Token {
  TokenType type = TokenType::kEOF;
  size_t pos = 0;
  std::string_view text;
  std::string error;  // kError only
};

// The whole token stream, ending with kEOF or with the first kError.
std::vector<Token> Lex(std::string_view input);

bool IsOperatorToken(TokenType t);
bool IsAggregatorToken(TokenType t);
bool IsKeywordToken(TokenType t);

// How Prometheus names a token in "unexpected ..." messages: `identifier "foo"`, `number "5"`,
// `"("`, `<op:+>`, `<aggr:sum>`, `<by>`, `end of input`.
std::string DescribeToken(const Token& token);

// A number literal as the lexer hands it over, read as Prometheus' parser does:
// strconv.ParseInt(s, 0, 64) first (so "0x1f" is hex and "010" is octal), then
// strconv.ParseFloat.
std::optional<double> ParseNumberLiteral(std::string_view s);

}  // namespace codebot::promql
