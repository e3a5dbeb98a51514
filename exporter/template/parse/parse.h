// The parser of Go's text/template (text/template/parse/parse.go): template text to trees of
// nodes, closely enough that error texts, line numbers, byte positions and the node texts quoted
// in execution errors are the ones Go 1.19 (Prometheus 2.42) produces. Parsing never throws:
// errors come back as text.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "exporter/template/parse/node.h"

namespace codebot::tmpl::parse {

struct ParseOutput {
  TreeSet trees;
  std::string error;  // "template: name:line: message"; empty on success
};

// Parses `text` as the template `name`. has_function says which identifiers name functions
// (built-ins included); any other identifier is an error, as in Go.
ParseOutput Parse(std::string_view name, std::string_view text,
                  const std::function<bool(std::string_view)>& has_function);

}  // namespace codebot::tmpl::parse
