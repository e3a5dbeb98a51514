// Go text/template's predefined functions (funcs.go of Go 1.19), with its error texts.
#include <algorithm>
#include <span>

#include "exporter/core/url_escape.h"
#include "exporter/template/format.h"
#include "exporter/template/template.h"
#include "exporter/template/text.h"

namespace codebot::tmpl {
namespace {

using Kind = Value::Kind;

const Param kValueParam = Param::Of(ParamType::kValue);
const Param kAnyParam = Param::Of(ParamType::kAny);

// indirectInterface: a nil interface is no value.
Value Concrete(const Value& v) { return v.is_nil() ? Value() : v; }

// The comparison classes of Go's basicKind; everything else cannot be ordered.
enum class Basic { kInvalid, kBool, kInt, kFloat, kString };

Basic BasicKind(const Value& v) {
  switch (v.kind()) {
    case Kind::kBool:
      return Basic::kBool;
    case Kind::kInt:
      return Basic::kInt;
    case Kind::kFloat:
      return Basic::kFloat;
    case Kind::kString:
      return Basic::kString;
    default:
      return Basic::kInvalid;
  }
}

constexpr const char* kBadComparisonType = "invalid type for comparison";
constexpr const char* kBadComparison = "incompatible types for comparison";
constexpr const char* kNoComparison = "missing argument for comparison";

bool Comparable(const Value& v) {
  switch (v.kind()) {
    case Kind::kList:
    case Kind::kMap:
      return false;
    case Kind::kStruct: {
      const auto& s = v.AsStruct();
      if (s.pointer) return true;
      return std::all_of(s.fields.begin(), s.fields.end(),
                         [](const auto& f) { return !f.second.valid() || Comparable(f.second); });
    }
    default:
      return true;
  }
}

bool SameComposite(const Value& a, const Value& b) {
  if (a.kind() == Kind::kStruct && a.AsStruct().pointer) return a.identity() == b.identity();
  return FormatValue(a) == FormatValue(b);
}

// Go's eq: arg1 == arg2 || arg1 == arg3 ...
CallResult Eq(const Value& raw1, std::span<const Value> others) {
  const Value arg1 = Concrete(raw1);
  if (others.empty()) return CallResult::Error(kNoComparison);
  const Basic k1 = BasicKind(arg1);
  for (const Value& raw : others) {
    const Value arg = Concrete(raw);
    const Basic k2 = BasicKind(arg);
    bool truth = false;
    if (k1 != k2) {
      if (arg1.valid() && arg.valid()) return CallResult::Error(kBadComparison);
    } else {
      switch (k1) {
        case Basic::kBool:
          truth = arg1.AsBool() == arg.AsBool();
          break;
        case Basic::kInt:
          truth = arg1.AsInt() == arg.AsInt();
          break;
        case Basic::kFloat:
          truth = arg1.AsFloat() == arg.AsFloat();
          break;
        case Basic::kString:
          truth = arg1.AsString() == arg.AsString();
          break;
        case Basic::kInvalid:
          if (!arg1.valid() || !arg.valid()) {
            truth = arg1.valid() == arg.valid();
          } else if (arg1.TypeName() != arg.TypeName()) {
            return CallResult::Error("non-comparable types " + Sprintf("%s", {arg1}) + ": " +
                                     arg1.TypeName() + ", " + arg.TypeName() + ": " +
                                     FormatValue(arg));
          } else if (!Comparable(arg)) {
            return CallResult::Error("non-comparable type " + Sprintf("%s", {arg}) + ": " +
                                     arg.TypeName());
          } else {
            truth = SameComposite(arg1, arg);
          }
          break;
      }
    }
    if (truth) return CallResult::Ok(Value::Bool(true));
  }
  return CallResult::Ok(Value::Bool(false));
}

// Go's lt; le, gt and ge are built from it and eq exactly as Go builds them.
CallResult Lt(const Value& raw1, const Value& raw2) {
  const Value arg1 = Concrete(raw1);
  const Value arg2 = Concrete(raw2);
  const Basic k1 = BasicKind(arg1);
  if (k1 == Basic::kInvalid) return CallResult::Error(kBadComparisonType);
  const Basic k2 = BasicKind(arg2);
  if (k2 == Basic::kInvalid) return CallResult::Error(kBadComparisonType);
  if (k1 != k2) return CallResult::Error(kBadComparison);
  switch (k1) {
    case Basic::kFloat:
      return CallResult::Ok(Value::Bool(arg1.AsFloat() < arg2.AsFloat()));
    case Basic::kInt:
      return CallResult::Ok(Value::Bool(arg1.AsInt() < arg2.AsInt()));
    case Basic::kString:
      return CallResult::Ok(Value::Bool(arg1.AsString() < arg2.AsString()));
    default:
      return CallResult::Error(kBadComparisonType);
  }
}

CallResult Le(const Value& a, const Value& b) {
  CallResult less = Lt(a, b);
  if (!less.ok || less.value.AsBool()) return less;
  return Eq(a, std::span<const Value>(&b, 1));
}

CallResult Negate(CallResult r) {
  if (!r.ok) return r;
  return CallResult::Ok(Value::Bool(!r.value.AsBool()));
}

// indexArg: an int index within [0, cap].
bool IndexArg(const Value& index, size_t cap, int64_t* x, std::string* error) {
  const Value i = Concrete(index);
  if (i.kind() == Kind::kInt) {
    *x = i.AsInt();
  } else if (!i.valid()) {
    *error = "cannot index slice/array with nil";
    return false;
  } else {
    *error = "cannot index slice/array with type " + i.TypeName();
    return false;
  }
  if (*x < 0 || static_cast<uint64_t>(*x) > cap) {
    *error = "index out of range: " + std::to_string(*x);
    return false;
  }
  return true;
}

CallResult Index(std::vector<Value>& args) {
  Value item = Concrete(args[0]);
  if (!item.valid()) return CallResult::Error("index of untyped nil");
  for (size_t n = 1; n < args.size(); ++n) {
    if (item.is_nil() || !item.valid()) return CallResult::Error("index of nil pointer");
    const Value& index = args[n];
    switch (item.kind()) {
      case Kind::kList:
      case Kind::kString: {
        const bool is_string = item.kind() == Kind::kString;
        const size_t length = is_string ? item.AsString().size() : item.AsList().items.size();
        int64_t x = 0;
        std::string error;
        if (!IndexArg(index, length, &x, &error)) return CallResult::Error(error);
        if (static_cast<size_t>(x) == length) {
          return CallResult::Error(is_string ? "reflect: string index out of range"
                                             : "reflect: slice index out of range");
        }
        if (is_string) {
          item = Value::Int(static_cast<unsigned char>(item.AsString()[static_cast<size_t>(x)]));
        } else {
          item = item.AsList().items[static_cast<size_t>(x)];
        }
        break;
      }
      case Kind::kMap: {
        const Value key = Concrete(index);
        if (!key.valid()) return CallResult::Error("value is nil; should be of type string");
        if (key.kind() != Kind::kString || key.TypeName() != "string") {
          return CallResult::Error("value has type " + key.TypeName() + "; should be string");
        }
        const auto& map = item.AsMap();
        auto it = map.entries.find(key.AsString());
        item = it != map.entries.end() ? it->second : map.zero;
        break;
      }
      default:
        return CallResult::Error("can't index item of type " + item.TypeName());
    }
  }
  return CallResult::Ok(item);
}

CallResult Slice(std::vector<Value>& args) {
  const Value item = Concrete(args[0]);
  if (!item.valid()) return CallResult::Error("slice of untyped nil");
  const size_t nindex = args.size() - 1;
  if (nindex > 3) return CallResult::Error("too many slice indexes: " + std::to_string(nindex));
  size_t length = 0;
  if (item.kind() == Kind::kString) {
    if (nindex == 3) return CallResult::Error("cannot 3-index slice a string");
    length = item.AsString().size();
  } else if (item.kind() == Kind::kList) {
    length = item.AsList().items.size();
  } else {
    return CallResult::Error("can't slice item of type " + item.TypeName());
  }
  int64_t idx[3] = {0, static_cast<int64_t>(length), static_cast<int64_t>(length)};
  for (size_t i = 0; i < nindex; ++i) {
    std::string error;
    if (!IndexArg(args[i + 1], length, &idx[i], &error)) return CallResult::Error(error);
  }
  if (idx[0] > idx[1]) {
    return CallResult::Error("invalid slice index: " + std::to_string(idx[0]) + " > " +
                             std::to_string(idx[1]));
  }
  if (nindex == 3 && idx[1] > idx[2]) {
    return CallResult::Error("invalid slice index: " + std::to_string(idx[1]) + " > " +
                             std::to_string(idx[2]));
  }
  const auto from = static_cast<size_t>(idx[0]);
  const auto to = static_cast<size_t>(idx[1]);
  if (item.kind() == Kind::kString) {
    return CallResult::Ok(Value::String(item.AsString().substr(from, to - from)));
  }
  const auto& list = item.AsList();
  return CallResult::Ok(
      Value::List(std::vector<Value>(list.items.begin() + static_cast<std::ptrdiff_t>(from),
                                     list.items.begin() + static_cast<std::ptrdiff_t>(to)),
                  list.type_name, list.methods));
}

CallResult Len(std::vector<Value>& args) {
  const Value& item = args[0];
  switch (item.kind()) {
    case Kind::kInvalid:
      return CallResult::Error("reflect: call of reflect.Value.Type on zero Value");
    case Kind::kNil:
      return CallResult::Error("len of nil pointer");
    case Kind::kString:
      return CallResult::Ok(Value::Int(static_cast<int64_t>(item.AsString().size())));
    case Kind::kList:
      return CallResult::Ok(Value::Int(static_cast<int64_t>(item.AsList().items.size())));
    case Kind::kMap:
      return CallResult::Ok(Value::Int(static_cast<int64_t>(item.AsMap().entries.size())));
    default:
      return CallResult::Error("len of type " + item.TypeName());
  }
}

// evalArgs of html/js/urlquery: one plain string as is, otherwise fmt.Sprint of the printable
// forms (a nil prints as "<no value>" there).
std::string EvalArgsString(const std::vector<Value>& args) {
  if (args.size() == 1 && args[0].kind() == Kind::kString && args[0].TypeName() == "string") {
    return args[0].AsString();
  }
  std::vector<Value> printable;
  printable.reserve(args.size());
  for (const Value& a : args) {
    printable.push_back(a.valid() && !a.is_nil() ? a : Value::String("<no value>"));
  }
  return Sprint(printable);
}

Function Fixed(std::vector<Param> params, std::function<CallResult(std::vector<Value>&)> call) {
  return Function{std::move(params), std::nullopt, std::move(call)};
}

Function Variadic(std::vector<Param> params, Param variadic,
                  std::function<CallResult(std::vector<Value>&)> call) {
  return Function{std::move(params), std::move(variadic), std::move(call)};
}

FuncMap MakeBuiltins() {
  FuncMap m;
  // and/or short-circuit in the executor; these bodies serve callers that invoke them directly.
  m["and"] = Variadic({kValueParam}, kValueParam, [](std::vector<Value>& args) {
    for (const Value& a : args) {
      if (!a.Truth()) return CallResult::Ok(a);
    }
    return CallResult::Ok(args.back());
  });
  m["or"] = Variadic({kValueParam}, kValueParam, [](std::vector<Value>& args) {
    for (const Value& a : args) {
      if (a.Truth()) return CallResult::Ok(a);
    }
    return CallResult::Ok(args.back());
  });
  m["not"] = Fixed({kValueParam}, [](std::vector<Value>& args) {
    return CallResult::Ok(Value::Bool(!args[0].Truth()));
  });
  m["call"] = Variadic({kValueParam}, kValueParam, [](std::vector<Value>& args) {
    const Value fn = Concrete(args[0]);
    if (!fn.valid()) return CallResult::Error("call of nil");
    return CallResult::Error("non-function of type " + fn.TypeName());
  });
  m["len"] = Fixed({kValueParam}, Len);
  m["index"] = Variadic({kValueParam}, kValueParam, Index);
  m["slice"] = Variadic({kValueParam}, kValueParam, Slice);
  m["print"] = Variadic({}, kAnyParam, [](std::vector<Value>& args) {
    return CallResult::Ok(Value::String(Sprint(args)));
  });
  m["println"] = Variadic({}, kAnyParam, [](std::vector<Value>& args) {
    return CallResult::Ok(Value::String(Sprintln(args)));
  });
  m["printf"] = Variadic({Param::Of(ParamType::kString)}, kAnyParam, [](std::vector<Value>& args) {
    const std::vector<Value> rest(args.begin() + 1, args.end());
    return CallResult::Ok(Value::String(Sprintf(args[0].AsString(), rest)));
  });
  m["html"] = Variadic({}, kAnyParam, [](std::vector<Value>& args) {
    return CallResult::Ok(Value::String(text::HtmlEscape(EvalArgsString(args))));
  });
  m["js"] = Variadic({}, kAnyParam, [](std::vector<Value>& args) {
    return CallResult::Ok(Value::String(text::JsEscape(EvalArgsString(args))));
  });
  m["urlquery"] = Variadic({}, kAnyParam, [](std::vector<Value>& args) {
    return CallResult::Ok(Value::String(QueryEscape(EvalArgsString(args))));
  });
  m["eq"] = Variadic({kValueParam}, kValueParam, [](std::vector<Value>& args) {
    return Eq(args[0], std::span<const Value>(args).subspan(1));
  });
  m["ne"] = Fixed({kValueParam, kValueParam}, [](std::vector<Value>& args) {
    return Negate(Eq(args[0], std::span<const Value>(args).subspan(1)));
  });
  m["lt"] = Fixed({kValueParam, kValueParam},
                  [](std::vector<Value>& args) { return Lt(args[0], args[1]); });
  m["le"] = Fixed({kValueParam, kValueParam},
                  [](std::vector<Value>& args) { return Le(args[0], args[1]); });
  m["gt"] = Fixed({kValueParam, kValueParam},
                  [](std::vector<Value>& args) { return Negate(Le(args[0], args[1])); });
  m["ge"] = Fixed({kValueParam, kValueParam},
                  [](std::vector<Value>& args) { return Negate(Lt(args[0], args[1])); });
  return m;
}

}  // namespace

const FuncMap& Builtins() {
  static const FuncMap kBuiltins = MakeBuiltins();
  return kBuiltins;
}

}  // namespace codebot::tmpl
