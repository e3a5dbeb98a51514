// Go's fmt for template values: what `{{ $value }}`, print and printf produce must be
// byte-for-byte what Go produces (float64 1e6 prints as "1e+06", +Inf as "+Inf", a bad verb as
// "%!d(string=x)"). Numbers are formatted and parsed by exporter/rules/go/strconv.h, shared with
// PromQL. Never depends on the C locale.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "exporter/template/value.h"

namespace codebot::tmpl {

// fmt.Sprint of one operand (%v). A missing value prints as "<nil>" here; the template's own
// printing turns it into "<no value>" before it gets this far.
void AppendValue(std::string* out, const Value& v);
std::string FormatValue(const Value& v);

std::string Sprint(const std::vector<Value>& args);                            // fmt.Sprint
std::string Sprintln(const std::vector<Value>& args);                          // fmt.Sprintln
std::string Sprintf(std::string_view format, const std::vector<Value>& args);  // fmt.Sprintf

}  // namespace codebot::tmpl
