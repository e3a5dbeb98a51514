// Go's regexp package as template functions see it (match, reReplaceAll): RE2 syntax, Go's
// error texts, and ReplaceAllString with Go's $1 / ${name} expansion and empty-match rules.
// RE2 stays inside go_regexp.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace codebot::rules::tmpl {

class GoRegexp {
 public:
  ~GoRegexp();
  GoRegexp(const GoRegexp&) = delete;
  GoRegexp& operator=(const GoRegexp&) = delete;

  // regexp.Compile. On failure returns null and sets *error to Go's text, e.g.
  // "error parsing regexp: missing closing ): `(`".
  static std::unique_ptr<GoRegexp> Compile(std::string_view pattern, std::string* error);
  // As Compile, but remembers recent patterns (templates use a few fixed ones at every
  // evaluation). The result is shared and safe to use from several threads.
  static std::shared_ptr<const GoRegexp> CompileCached(std::string_view pattern,
                                                       std::string* error);

  bool MatchString(std::string_view s) const;                                       // unanchored
  std::string ReplaceAllString(std::string_view src, std::string_view repl) const;  // Go semantics

 private:
  struct Impl;
  explicit GoRegexp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace codebot::rules::tmpl
