// Go's fmt and strconv number formatting for template values: what `{{ $value }}`, print,
// printf and Prometheus' humanize functions produce must be byte-for-byte what Go produces
// (float64 1e6 prints as "1e+06", +Inf as "+Inf", a bad verb as "%!d(string=x)"). Never
// depends on the C locale.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/rules/template/value.h"

namespace codebot::rules::tmpl {

// strconv.FormatFloat(v, fmt, prec, 64) for fmt 'e', 'E', 'f', 'g', 'G'; prec < 0 asks for
// the shortest representation that reads back as v.
std::string FormatFloat(double v, char fmt, int prec);

// fmt.Sprint of one operand (%v). A missing value prints as "<nil>" here; the template's own
// printing turns it into "<no value>" before it gets this far.
void AppendValue(std::string* out, const Value& v);
std::string FormatValue(const Value& v);

// strconv.ParseFloat(s, 64): Go's float syntax (decimal, hex, inf, nan, '_' separators). On
// failure *error is Go's text, e.g. `strconv.ParseFloat: parsing "x": invalid syntax`; an
// overflow also sets *v to +-Inf, as Go does.
bool ParseGoFloat(std::string_view s, double* v, std::string* error);
// strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64): base prefixes 0x 0o 0b and a bare leading 0
// (octal), '_' separators; false on bad syntax or overflow.
bool ParseGoInt(std::string_view s, int64_t* v);
bool ParseGoUint(std::string_view s, uint64_t* v);

std::string Sprint(const std::vector<Value>& args);                            // fmt.Sprint
std::string Sprintln(const std::vector<Value>& args);                          // fmt.Sprintln
std::string Sprintf(std::string_view format, const std::vector<Value>& args);  // fmt.Sprintf

}  // namespace codebot::rules::tmpl
