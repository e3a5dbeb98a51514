// The dynamic values a Go text/template reads and produces: the data tree (.Labels, $value,
// .Alerts, ...) and what functions return. What a template prints, which values are true, what
// compares equal and the wording of type errors all depend on the Go type a value stands for, so
// every value carries that Go type name. Values are immutable and share their containers: copies
// are cheap and a value may be read from several threads at once. Never holds pointers into
// caller-owned data.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "exporter/core/metric.h"

namespace codebot::tmpl {

class Value;
struct ListData;
struct MapData;
struct StructData;
struct MethodSet;
using MethodSetPtr = std::shared_ptr<const MethodSet>;

class Value {
 public:
  enum class Kind { kInvalid, kNil, kBool, kInt, kFloat, kString, kList, kMap, kStruct };

  // The invalid value: a missing map entry or an unset interface; prints as "<no value>".
  Value() = default;

  static Value Nil();  // an untyped nil interface value
  static Value Bool(bool b);
  static Value Int(int64_t i);   // Go int
  static Value Float(double f);  // Go float64
  // A Go string; type_name names a defined string type ("template.HTML") when not plain
  // string, and must have static storage.
  static Value String(std::string s, std::string_view type_name = {});
  static Value List(std::vector<Value> items, std::string type_name = "[]interface {}",
                    MethodSetPtr methods = nullptr);
  // A map with string keys, iterated in sorted key order. `zero` is what a missing key reads as
  // under missingkey=zero and through `index` (the zero value of the element type).
  static Value Map(std::map<std::string, Value> entries, Value zero = Nil(),
                   std::string type_name = "map[string]interface {}",
                   MethodSetPtr methods = nullptr);
  // map[string]string, the type of Prometheus' $labels and Alertmanager's KV.
  static Value FromLabels(const Labels& labels, MethodSetPtr methods = nullptr);
  static Value StringMap(std::map<std::string, std::string> entries,
                         MethodSetPtr methods = nullptr);
  // A struct (fields in declaration order) or, with pointer=true, a pointer to one. `stringer`
  // is what fmt prints for it when the Go type has a String method (time.Time does).
  static Value Struct(std::vector<std::pair<std::string, Value>> fields, std::string type_name,
                      bool pointer = false, std::optional<std::string> stringer = std::nullopt,
                      MethodSetPtr methods = nullptr);

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool valid() const { return kind() != Kind::kInvalid; }
  bool is_nil() const { return kind() == Kind::kNil; }

  bool AsBool() const { return std::get<bool>(data_); }
  int64_t AsInt() const { return std::get<int64_t>(data_); }
  double AsFloat() const { return std::get<double>(data_); }
  const std::string& AsString() const { return std::get<StringData>(data_).s; }
  const ListData& AsList() const { return *std::get<std::shared_ptr<const ListData>>(data_); }
  const MapData& AsMap() const { return *std::get<std::shared_ptr<const MapData>>(data_); }
  const StructData& AsStruct() const { return *std::get<std::shared_ptr<const StructData>>(data_); }

  // The Go type as %T and error messages spell it: "float64", "map[string]string", "<nil>".
  std::string TypeName() const;
  // Methods of the value's type, or null.
  const MethodSet* methods() const;
  // Go's truth for if/with/and/or/not: false, 0, nil, empty string/list/map and missing values
  // are false; structs are true.
  bool Truth() const;
  // Identity of a shared container (pointer comparison for *T values).
  const void* identity() const;

 private:
  struct NilTag {};
  struct StringData {
    std::string s;
    std::string_view type_name;  // empty for plain string; static storage otherwise
  };
  using Data = std::variant<std::monostate, NilTag, bool, int64_t, double, StringData,
                            std::shared_ptr<const ListData>, std::shared_ptr<const MapData>,
                            std::shared_ptr<const StructData>>;
  explicit Value(Data d) : data_(std::move(d)) {}
  Data data_;
};

// What a function returns: a value, or an error text (without Go's "error calling f: " prefix).
struct CallResult {
  Value value;
  std::string error;
  bool ok = true;

  static CallResult Ok(Value v) { return CallResult{std::move(v), {}, true}; }
  static CallResult Error(std::string message) { return CallResult{{}, std::move(message), false}; }
};

// How a parameter accepts arguments, after Go's rules for a parameter of that type: kValue is
// reflect.Value (the built-ins; a missing value stays missing), kAny is interface{} (a missing
// value becomes nil), kNamed accepts exactly the values whose TypeName() is type_name (e.g.
// "*template.sample"), and nil when `nillable` (pointers, slices, maps).
enum class ParamType { kValue, kAny, kString, kFloat, kInt, kBool, kNamed };

struct Param {
  ParamType type = ParamType::kAny;
  std::string type_name;  // kNamed only
  bool nillable = true;   // kNamed only

  static Param Of(ParamType t) { return Param{t, {}, true}; }
  static Param Named(std::string name, bool can_be_nil = true) {
    return Param{ParamType::kNamed, std::move(name), can_be_nil};
  }
  // How Go spells the type: "string", "float64", "reflect.Value", "interface {}", ...
  std::string GoName() const;
};

// A template function or method. A method receives its receiver as args[0]; `params` lists
// only the explicit parameters. `call` must not throw.
struct Function {
  std::vector<Param> params;
  std::optional<Param> variadic;  // element type of a trailing ...T parameter
  std::function<CallResult(std::vector<Value>& args)> call;
};

struct MethodSet {
  std::map<std::string, Function, std::less<>> by_name;
};

struct ListData {
  std::vector<Value> items;
  std::string type_name;
  MethodSetPtr methods;
};

struct MapData {
  std::map<std::string, Value> entries;
  Value zero;
  std::string type_name;
  MethodSetPtr methods;
};

struct StructData {
  std::vector<std::pair<std::string, Value>> fields;
  std::string type_name;
  bool pointer = false;
  std::optional<std::string> stringer;
  MethodSetPtr methods;

  const Value* Field(std::string_view name) const;
};

}  // namespace codebot::tmpl
