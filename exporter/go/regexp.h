// Go's regexp package as Prometheus uses it: RE2 syntax, Go's compile-error texts, and Go's
// $1 / ${name} expansion and empty-match rules. One implementation serves PromQL's
// label_replace and the templates' match / reReplaceAll. RE2 stays inside regexp.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace codebot::go {

class Regexp {
 public:
  ~Regexp();
  Regexp(const Regexp&) = delete;
  Regexp& operator=(const Regexp&) = delete;

  // regexp.Compile. On failure returns null and sets *error to Go's text, e.g.
  // "error parsing regexp: missing closing ): `(`".
  static std::unique_ptr<Regexp> Compile(std::string_view pattern, std::string* error);
  // As Compile, but remembers recent patterns (templates use a few fixed ones at every
  // evaluation). The result is shared and safe to use from several threads.
  static std::shared_ptr<const Regexp> CompileCached(std::string_view pattern, std::string* error);

  bool MatchString(std::string_view s) const;                                       // unanchored
  std::string ReplaceAllString(std::string_view src, std::string_view repl) const;  // Go semantics
  // FindStringSubmatchIndex, then ExpandString: appends `tmpl` expanded with the leftmost
  // match's submatches to *out and returns true; false, *out untouched, when s does not match.
  bool ExpandFirstMatch(std::string_view s, std::string_view tmpl, std::string* out) const;

 private:
  struct Impl;
  explicit Regexp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace codebot::go
