// A Go text/template engine over tmpl::Value trees: the templates in alert-rule labels and
// annotations (with Prometheus' functions, see prometheus.h) and, later, notification bodies
// built from Alertmanager-shaped data. Output and error texts are those of Go 1.19's
// text/template, which Prometheus 2.42 and Alertmanager 0.25 use. Parsing and execution never
// throw; a parsed Template is immutable and may be executed from several threads at once.
//
// Supported: text, {{- -}} trimming, comments, pipelines, parenthesised pipelines, field chains,
// variables ($, $x :=, $x =), if/else if/else, range (lists and maps, $i, $e :=, else, break,
// continue), with/else, define/template/block, literals (strings, raw strings, numbers incl.
// 0x/0o/0b/_ forms and 'c' runes, true/false, nil), and the built-ins and, or, not, len, index,
// slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery, call. Complex
// number literals print as Go prints them but take part in no arithmetic or comparison.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "exporter/template/parse/parse.h"
#include "exporter/template/value.h"

namespace codebot::tmpl {

using FuncMap = std::map<std::string, Function, std::less<>>;

// Go's Option("missingkey=..."): what `.Key` reads for a key absent from a map.
enum class MissingKey {
  kInvalid,  // the default: a missing value, printed "<no value>"
  kZero,     // the zero value of the map's element type (Prometheus uses this)
  kError,    // execution stops with "map has no entry for key ..."
};

struct ExecResult {
  std::string output;  // partial output on error, as Go leaves it in the writer
  std::string error;   // "template: name:1:12: executing ..."; empty on success
  bool ok() const { return error.empty(); }
};

class Template;

struct ParseResult {
  std::shared_ptr<const Template> tmpl;  // null on error
  std::string error;                     // "template: name:1: unexpected ..."
  bool ok() const { return tmpl != nullptr; }
};

class Template {
 public:
  // Parses `text` as the template `name`. Identifiers must name a built-in or a function of
  // `funcs` (whose implementations are used unless an execution overrides them).
  static ParseResult Parse(std::string_view name, std::string_view text,
                           std::shared_ptr<const FuncMap> funcs = nullptr,
                           MissingKey missing_key = MissingKey::kInvalid);

  // Runs the template with `data` as dot and $. Functions in `overrides` replace those given
  // at parse time for this run (to bind per-execution context such as a query callback).
  ExecResult Execute(const Value& data, const FuncMap* overrides = nullptr) const;
  // Runs the associated template `name` (a {{define}}d one, or this one).
  ExecResult ExecuteTemplate(std::string_view name, const Value& data,
                             const FuncMap* overrides = nullptr) const;

  const std::string& name() const { return name_; }
  bool HasTemplate(std::string_view name) const {
    return trees_.find(std::string(name)) != trees_.end();
  }

  // Internal: the pieces the executor needs.
  const parse::TreeSet& trees() const { return trees_; }
  const FuncMap* funcs() const { return funcs_.get(); }
  MissingKey missing_key() const { return missing_key_; }

 private:
  Template() = default;
  std::string name_;
  parse::TreeSet trees_;
  std::shared_ptr<const FuncMap> funcs_;
  MissingKey missing_key_ = MissingKey::kInvalid;
};

// The built-in functions, for callers that want to list or wrap them.
const FuncMap& Builtins();

}  // namespace codebot::tmpl
