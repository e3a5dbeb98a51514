#include "exporter/template/format.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "exporter/core/utf8.h"
#include "exporter/go/strconv.h"

namespace codebot::tmpl {
namespace {

// fmt's flags for one verb.
struct Flags {
  bool plus = false;
  bool minus = false;
  bool sharp = false;
  bool space = false;
  bool zero = false;
  bool plus_v = false;
  bool sharp_v = false;
  bool wid_present = false;
  bool prec_present = false;
  int wid = 0;
  int prec = 0;
};

// strconv's 'b' format: decimal mantissa and binary exponent, "4503599627370496p-52" for 1.
std::string FormatBinaryExponent(double v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  int64_t exp = static_cast<int64_t>((bits >> 52) & 0x7FF);
  uint64_t mant = bits & ((uint64_t{1} << 52) - 1);
  if (exp == 0) {
    ++exp;  // denormal
  } else {
    mant |= uint64_t{1} << 52;
  }
  exp += -1023 - 52;
  return std::to_string(mant) + "p" + (exp >= 0 ? "+" : "") + std::to_string(exp);
}

constexpr char kLowerDigits[] = "0123456789abcdefx";
constexpr char kUpperDigits[] = "0123456789ABCDEFX";

// The printer of one fmt call, after Go's pp/fmt pair.
class Printer {
 public:
  std::string buf;
  Flags f;

  void PrintArg(const Value& arg, char32_t verb) { PrintValue(arg, verb, 0); }

  void PrintValue(const Value& v, char32_t verb, int depth) {
    if (verb == 'v' && f.sharp_v) {
      PrintGoSyntax(v, depth);
      return;
    }
    if (v.kind() == Value::Kind::kInvalid || v.kind() == Value::Kind::kNil) {
      if (depth > 0 || verb == 'v' || verb == 'T') {
        PadString("<nil>");
      } else {
        BadVerb(verb, v);
      }
      return;
    }
    if (verb == 'T') {
      FmtS(v.TypeName());
      return;
    }
    switch (v.kind()) {
      case Value::Kind::kBool:
        if (verb == 't' || verb == 'v') {
          PadString(v.AsBool() ? "true" : "false");
        } else {
          BadVerb(verb, v);
        }
        return;
      case Value::Kind::kInt:
        FmtIntegerVerb(v, verb);
        return;
      case Value::Kind::kFloat:
        FmtFloatVerb(v, verb);
        return;
      case Value::Kind::kString:
        FmtStringVerb(v.AsString(), verb, v);
        return;
      case Value::Kind::kList: {
        buf.push_back('[');
        const auto& items = v.AsList().items;
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) buf.push_back(' ');
          PrintValue(items[i], verb, depth + 1);
        }
        buf.push_back(']');
        return;
      }
      case Value::Kind::kMap: {
        buf += "map[";
        bool first = true;
        for (const auto& [key, value] : v.AsMap().entries) {
          if (!first) buf.push_back(' ');
          first = false;
          FmtStringVerb(key, verb, Value::String(key));
          buf.push_back(':');
          PrintValue(value, verb, depth + 1);
        }
        buf.push_back(']');
        return;
      }
      case Value::Kind::kStruct: {
        const auto& data = v.AsStruct();
        if (data.stringer && !f.sharp_v &&
            (verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q')) {
          FmtStringVerb(*data.stringer, verb, Value::String(*data.stringer));
          return;
        }
        if (data.pointer) buf.push_back('&');
        buf.push_back('{');
        for (size_t i = 0; i < data.fields.size(); ++i) {
          if (i > 0) buf.push_back(' ');
          if (f.plus_v || f.sharp_v) {
            buf += data.fields[i].first;
            buf.push_back(':');
          }
          PrintValue(data.fields[i].second, verb, depth + 1);
        }
        buf.push_back('}');
        return;
      }
      default:
        return;
    }
  }

  // %#v: the value as a Go literal (map[string]string{"a":"b"}, []interface {}{1, "x"}).
  void PrintGoSyntax(const Value& v, int depth) {
    switch (v.kind()) {
      case Value::Kind::kInvalid:
      case Value::Kind::kNil:
        PadString(depth == 0 ? "<nil>" : "interface {}(nil)");
        return;
      case Value::Kind::kString:
        Pad(go::Quote(v.AsString()));
        return;
      case Value::Kind::kList: {
        const auto& list = v.AsList();
        buf += list.type_name;
        buf.push_back('{');
        for (size_t i = 0; i < list.items.size(); ++i) {
          if (i > 0) buf += ", ";
          PrintGoSyntax(list.items[i], depth + 1);
        }
        buf.push_back('}');
        return;
      }
      case Value::Kind::kMap: {
        const auto& map = v.AsMap();
        buf += map.type_name;
        buf.push_back('{');
        bool first = true;
        for (const auto& [key, value] : map.entries) {
          if (!first) buf += ", ";
          first = false;
          buf += go::Quote(key);
          buf.push_back(':');
          PrintGoSyntax(value, depth + 1);
        }
        buf.push_back('}');
        return;
      }
      case Value::Kind::kStruct: {
        const auto& data = v.AsStruct();
        if (data.pointer) buf.push_back('&');
        buf += data.pointer && data.type_name.starts_with("*") ? data.type_name.substr(1)
                                                               : data.type_name;
        buf.push_back('{');
        for (size_t i = 0; i < data.fields.size(); ++i) {
          if (i > 0) buf += ", ";
          buf += data.fields[i].first;
          buf.push_back(':');
          PrintGoSyntax(data.fields[i].second, depth + 1);
        }
        buf.push_back('}');
        return;
      }
      default: {
        const bool sharp_v = f.sharp_v;
        f.sharp_v = false;
        PrintValue(v, 'v', depth);
        f.sharp_v = sharp_v;
      }
    }
  }

  void BadVerb(char32_t verb, const Value& v) {
    buf += "%!";
    utf8::AppendRune(&buf, verb);
    buf.push_back('(');
    if (v.kind() == Value::Kind::kInvalid || v.kind() == Value::Kind::kNil) {
      buf += "<nil>";
    } else {
      buf += v.TypeName();
      buf.push_back('=');
      PrintValue(v, 'v', 0);
    }
    buf.push_back(')');
  }

  void WritePadding(int n) {
    if (n <= 0) return;
    buf.append(static_cast<size_t>(n), f.zero ? '0' : ' ');
  }

  void Pad(std::string_view s) {
    if (!f.wid_present || f.wid == 0) {
      buf += s;
      return;
    }
    const int width = f.wid - static_cast<int>(utf8::RuneCount(s));
    if (!f.minus) {
      WritePadding(width);
      buf += s;
    } else {
      buf += s;
      WritePadding(width);
    }
  }
  void PadString(std::string_view s) { Pad(s); }

  std::string_view Truncate(std::string_view s) const {
    if (!f.prec_present) return s;
    size_t pos = 0;
    for (int n = 0; n < f.prec && pos < s.size(); ++n) {
      size_t width = 0;
      utf8::DecodeRune(s, pos, &width);
      pos += width;
    }
    return s.substr(0, pos);
  }

  void FmtS(std::string_view s) { Pad(Truncate(s)); }

  void FmtQ(std::string_view s) {
    s = Truncate(s);
    if (f.sharp && go::CanBackquote(s)) {
      Pad("`" + std::string(s) + "`");
      return;
    }
    Pad(go::Quote(s, '"', f.plus));
  }

  void FmtSx(std::string_view s, const char* digits) {
    size_t length = s.size();
    if (f.prec_present && static_cast<size_t>(f.prec) < length)
      length = static_cast<size_t>(f.prec);
    std::string out;
    for (size_t i = 0; i < length; ++i) {
      if (f.space && i > 0) out.push_back(' ');
      if (f.sharp && (f.space || i == 0)) {
        out.push_back('0');
        out.push_back(digits[16]);
      }
      const auto c = static_cast<unsigned char>(s[i]);
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xF]);
    }
    Pad(out);
  }

  void FmtStringVerb(std::string_view s, char32_t verb, const Value& original) {
    switch (verb) {
      case 'v':
        if (f.sharp_v) {
          FmtQ(s);
        } else {
          FmtS(s);
        }
        return;
      case 's':
        FmtS(s);
        return;
      case 'x':
        FmtSx(s, kLowerDigits);
        return;
      case 'X':
        FmtSx(s, kUpperDigits);
        return;
      case 'q':
        FmtQ(s);
        return;
      default:
        BadVerb(verb, original);
    }
  }

  void FmtInteger(uint64_t u, int base, bool is_signed, char32_t verb, const char* digits) {
    const bool negative = is_signed && static_cast<int64_t>(u) < 0;
    if (negative) u = -u;
    int prec = 0;
    if (f.prec_present) {
      prec = f.prec;
      if (prec == 0 && u == 0) {
        const bool old_zero = f.zero;
        f.zero = false;
        WritePadding(f.wid);
        f.zero = old_zero;
        return;
      }
    } else if (f.zero && f.wid_present) {
      prec = f.wid;
      if (negative || f.plus || f.space) --prec;
    }
    std::string rev;  // digits, least significant first
    const auto b = static_cast<uint64_t>(base);
    do {
      rev.push_back(digits[u % b]);
      u /= b;
    } while (u > 0);
    while (static_cast<int>(rev.size()) < prec) rev.push_back('0');
    if (f.sharp) {
      if (base == 2) {
        rev += "b0";
      } else if (base == 8) {
        if (rev.back() != '0') rev.push_back('0');
      } else if (base == 16) {
        rev.push_back(digits[16]);
        rev.push_back('0');
      }
    }
    if (verb == 'O') rev += "o0";
    if (negative) {
      rev.push_back('-');
    } else if (f.plus) {
      rev.push_back('+');
    } else if (f.space) {
      rev.push_back(' ');
    }
    const std::string out(rev.rbegin(), rev.rend());
    const bool old_zero = f.zero;
    f.zero = false;
    Pad(out);
    f.zero = old_zero;
  }

  void FmtIntegerVerb(const Value& v, char32_t verb) {
    const auto u = static_cast<uint64_t>(v.AsInt());
    switch (verb) {
      case 'v':
      case 'd':
        FmtInteger(u, 10, true, verb, kLowerDigits);
        return;
      case 'b':
        FmtInteger(u, 2, true, verb, kLowerDigits);
        return;
      case 'o':
      case 'O':
        FmtInteger(u, 8, true, verb, kLowerDigits);
        return;
      case 'x':
        FmtInteger(u, 16, true, verb, kLowerDigits);
        return;
      case 'X':
        FmtInteger(u, 16, true, verb, kUpperDigits);
        return;
      case 'c': {
        std::string s;
        const int64_t r = v.AsInt();
        utf8::AppendRune(&s, r < 0 || r > 0x10FFFF ? utf8::kRuneError : static_cast<char32_t>(r));
        Pad(s);
        return;
      }
      case 'q':
        Pad(go::QuoteRune(v.AsInt(), f.plus));
        return;
      case 'U': {
        char tmp[32];
        std::snprintf(tmp, sizeof(tmp), "U+%04llX", static_cast<unsigned long long>(v.AsInt()));
        Pad(tmp);
        return;
      }
      default:
        BadVerb(verb, v);
    }
  }

  void FmtFloat(double v, char verb, int prec) {
    if (f.prec_present) prec = f.prec;
    std::string num;
    if (std::isnan(v)) {
      num = "+NaN";
    } else if (std::isinf(v)) {
      num = v > 0 ? "+Inf" : "-Inf";
    } else if (verb == 'b') {
      num = (std::signbit(v) ? "-" : "+") + FormatBinaryExponent(v);
    } else if (verb == 'x' || verb == 'X') {
      char tmp[64];
      if (prec < 0) {
        std::snprintf(tmp, sizeof(tmp), verb == 'x' ? "%a" : "%A", v);
      } else {
        std::snprintf(tmp, sizeof(tmp), verb == 'x' ? "%.*a" : "%.*A", prec, v);
      }
      num = tmp;
      // Go writes at least two exponent digits.
      const size_t p = num.find_first_of("pP");
      if (p != std::string::npos && p + 3 == num.size()) num.insert(p + 2, "0");
      if (num[0] != '-') num.insert(num.begin(), '+');
    } else {
      num = go::FormatFloat(v, verb, prec);
      if (num[0] != '-') num.insert(num.begin(), '+');
    }
    if (f.space && num[0] == '+' && !f.plus) num[0] = ' ';
    if (num[1] == 'I' || num[1] == 'N') {
      const bool old_zero = f.zero;
      f.zero = false;
      std::string_view shown = num;
      if (num[1] == 'N' && !f.space && !f.plus) shown.remove_prefix(1);
      Pad(shown);
      f.zero = old_zero;
      return;
    }
    if (f.plus || num[0] != '+') {
      if (f.zero && f.wid_present && f.wid > static_cast<int>(num.size())) {
        buf.push_back(num[0]);
        WritePadding(f.wid - static_cast<int>(num.size()));
        buf.append(num, 1);
        return;
      }
      Pad(num);
      return;
    }
    Pad(std::string_view(num).substr(1));
  }

  void FmtFloatVerb(const Value& v, char32_t verb) {
    switch (verb) {
      case 'v':
        FmtFloat(v.AsFloat(), 'g', -1);
        return;
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        FmtFloat(v.AsFloat(), static_cast<char>(verb), -1);
        return;
      case 'f':
      case 'F':
        FmtFloat(v.AsFloat(), 'f', 6);
        return;
      case 'e':
      case 'E':
        FmtFloat(v.AsFloat(), static_cast<char>(verb), 6);
        return;
      default:
        BadVerb(verb, v);
    }
  }
};

bool IsStringOperand(const Value& v) { return v.kind() == Value::Kind::kString; }

// Go's parsenum: a decimal of at most 1e6.
bool ParseNum(std::string_view s, size_t* i, size_t end, int* num) {
  bool isnum = false;
  *num = 0;
  while (*i < end && s[*i] >= '0' && s[*i] <= '9') {
    if (*num > 1000000) {
      *num = 0;
      *i = end;
      return false;
    }
    *num = *num * 10 + (s[*i] - '0');
    isnum = true;
    ++*i;
  }
  return isnum;
}

}  // namespace

void AppendValue(std::string* out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString:
      *out += v.AsString();
      return;
    case Value::Kind::kFloat:
      *out += go::FormatFloat(v.AsFloat(), 'g', -1);
      return;
    case Value::Kind::kInt:
      *out += std::to_string(v.AsInt());
      return;
    default: {
      Printer p;
      p.PrintArg(v, 'v');
      *out += p.buf;
    }
  }
}

std::string FormatValue(const Value& v) {
  std::string out;
  AppendValue(&out, v);
  return out;
}

std::string Sprint(const std::vector<Value>& args) {
  std::string out;
  bool prev_string = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const bool is_string = IsStringOperand(args[i]);
    if (i > 0 && !is_string && !prev_string) out.push_back(' ');
    AppendValue(&out, args[i]);
    prev_string = is_string;
  }
  return out;
}

std::string Sprintln(const std::vector<Value>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out.push_back(' ');
    AppendValue(&out, args[i]);
  }
  out.push_back('\n');
  return out;
}

std::string Sprintf(std::string_view format, const std::vector<Value>& a) {
  Printer p;
  const size_t end = format.size();
  size_t arg_num = 0;
  bool reordered = false;
  bool good_arg_num = true;

  // An explicit argument index "[n]" at format[*i].
  auto arg_number = [&](size_t* i, bool* found) {
    *found = false;
    if (*i >= end || format[*i] != '[') return;
    reordered = true;
    // parseArgNumber: "[n]" with n one-based.
    size_t width = 1;
    bool ok = false;
    int index = 0;
    if (end - *i >= 3) {
      for (size_t j = *i + 1; j < end; ++j) {
        if (format[j] == ']') {
          size_t k = *i + 1;
          int n = 0;
          const bool isnum = ParseNum(format, &k, j, &n);
          width = j - *i + 1;
          if (isnum && k == j) {
            ok = true;
            index = n - 1;
          }
          break;
        }
      }
    }
    if (ok && index >= 0 && static_cast<size_t>(index) < a.size()) {
      arg_num = static_cast<size_t>(index);
      *i += width;
      *found = true;
      return;
    }
    good_arg_num = false;
    *i += width;
    *found = ok;
  };
  auto int_from_arg = [&](int* num) {
    bool is_int = false;
    *num = 0;
    if (arg_num < a.size()) {
      if (a[arg_num].kind() == Value::Kind::kInt) {
        const int64_t n = a[arg_num].AsInt();
        if (n >= -1000000 && n <= 1000000) {
          *num = static_cast<int>(n);
          is_int = true;
        }
      }
      ++arg_num;
    }
    return is_int;
  };

  size_t i = 0;
  while (i < end) {
    good_arg_num = true;
    const size_t last = i;
    while (i < end && format[i] != '%') ++i;
    if (i > last) p.buf.append(format.substr(last, i - last));
    if (i >= end) break;
    ++i;  // the '%'
    p.f = Flags{};
    bool simple_done = false;
    for (; i < end; ++i) {
      const char c = format[i];
      if (c == '#') {
        p.f.sharp = true;
      } else if (c == '0') {
        p.f.zero = !p.f.minus;
      } else if (c == '+') {
        p.f.plus = true;
      } else if (c == '-') {
        p.f.minus = true;
        p.f.zero = false;
      } else if (c == ' ') {
        p.f.space = true;
      } else {
        if (c >= 'a' && c <= 'z' && arg_num < a.size()) {
          if (c == 'v') {
            p.f.sharp_v = p.f.sharp;
            p.f.sharp = false;
            p.f.plus_v = p.f.plus;
            p.f.plus = false;
          }
          p.PrintArg(a[arg_num], static_cast<char32_t>(c));
          ++arg_num;
          ++i;
          simple_done = true;
        }
        break;
      }
    }
    if (simple_done) continue;

    bool after_index = false;
    arg_number(&i, &after_index);
    if (i < end && format[i] == '*') {
      ++i;
      p.f.wid_present = int_from_arg(&p.f.wid);
      if (!p.f.wid_present) p.buf += "%!(BADWIDTH)";
      if (p.f.wid < 0) {
        p.f.wid = -p.f.wid;
        p.f.minus = true;
        p.f.zero = false;
      }
      after_index = false;
    } else {
      p.f.wid_present = ParseNum(format, &i, end, &p.f.wid);
      if (after_index && p.f.wid_present) good_arg_num = false;
    }
    if (i + 1 < end && format[i] == '.') {
      ++i;
      if (after_index) good_arg_num = false;
      arg_number(&i, &after_index);
      if (i < end && format[i] == '*') {
        ++i;
        p.f.prec_present = int_from_arg(&p.f.prec);
        if (p.f.prec < 0) {
          p.f.prec = 0;
          p.f.prec_present = false;
        }
        if (!p.f.prec_present) p.buf += "%!(BADPREC)";
        after_index = false;
      } else {
        p.f.prec_present = ParseNum(format, &i, end, &p.f.prec);
        if (!p.f.prec_present) {
          p.f.prec = 0;
          p.f.prec_present = true;
        }
      }
    }
    if (!after_index) arg_number(&i, &after_index);
    if (i >= end) {
      p.buf += "%!(NOVERB)";
      break;
    }
    size_t width = 1;
    char32_t verb = static_cast<unsigned char>(format[i]);
    if (verb >= 0x80) verb = utf8::DecodeRune(format, i, &width);
    i += width;
    if (verb == '%') {
      p.buf.push_back('%');
    } else if (!good_arg_num) {
      p.buf += "%!";
      utf8::AppendRune(&p.buf, verb);
      p.buf += "(BADINDEX)";
    } else if (arg_num >= a.size()) {
      p.buf += "%!";
      utf8::AppendRune(&p.buf, verb);
      p.buf += "(MISSING)";
    } else {
      if (verb == 'v') {
        p.f.sharp_v = p.f.sharp;
        p.f.sharp = false;
        p.f.plus_v = p.f.plus;
        p.f.plus = false;
      }
      p.PrintArg(a[arg_num], verb);
      ++arg_num;
    }
  }
  if (!reordered && arg_num < a.size()) {
    p.f = Flags{};
    p.buf += "%!(EXTRA ";
    for (size_t k = arg_num; k < a.size(); ++k) {
      if (k > arg_num) p.buf += ", ";
      if (a[k].kind() == Value::Kind::kNil || a[k].kind() == Value::Kind::kInvalid) {
        p.buf += "<nil>";
      } else {
        p.buf += a[k].TypeName();
        p.buf.push_back('=');
        p.PrintArg(a[k], 'v');
      }
    }
    p.buf.push_back(')');
  }
  return p.buf;
}

}  // namespace codebot::tmpl
