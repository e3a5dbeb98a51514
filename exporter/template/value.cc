#include "exporter/template/value.h"

namespace codebot::tmpl {

Value Value::Nil() { return Value(Data(NilTag{})); }
Value Value::Bool(bool b) { return Value(Data(b)); }
Value Value::Int(int64_t i) { return Value(Data(i)); }
Value Value::Float(double f) { return Value(Data(f)); }

Value Value::String(std::string s, std::string_view type_name) {
  return Value(Data(StringData{std::move(s), type_name}));
}

Value Value::List(std::vector<Value> items, std::string type_name, MethodSetPtr methods) {
  auto data = std::make_shared<ListData>();
  data->items = std::move(items);
  data->type_name = std::move(type_name);
  data->methods = std::move(methods);
  return Value(Data(std::shared_ptr<const ListData>(std::move(data))));
}

Value Value::Map(std::map<std::string, Value> entries, Value zero, std::string type_name,
                 MethodSetPtr methods) {
  auto data = std::make_shared<MapData>();
  data->entries = std::move(entries);
  data->zero = std::move(zero);
  data->type_name = std::move(type_name);
  data->methods = std::move(methods);
  return Value(Data(std::shared_ptr<const MapData>(std::move(data))));
}

Value Value::FromLabels(const Labels& labels, MethodSetPtr methods) {
  std::map<std::string, Value> entries;
  for (const auto& label : labels) entries.emplace(label.name, String(label.value));
  return Map(std::move(entries), String(""), "map[string]string", std::move(methods));
}

// entries by value: its strings are moved into the map (clang-tidy 14 misses the move through the
// structured binding).
Value Value::StringMap(std::map<std::string, std::string> entries,  // NOLINT
                       MethodSetPtr methods) {
  std::map<std::string, Value> values;
  for (auto& [key, value] : entries) values.emplace(key, String(std::move(value)));
  return Map(std::move(values), String(""), "map[string]string", std::move(methods));
}

Value Value::Struct(std::vector<std::pair<std::string, Value>> fields, std::string type_name,
                    bool pointer, std::optional<std::string> stringer, MethodSetPtr methods) {
  auto data = std::make_shared<StructData>();
  data->fields = std::move(fields);
  data->type_name = std::move(type_name);
  data->pointer = pointer;
  data->stringer = std::move(stringer);
  data->methods = std::move(methods);
  return Value(Data(std::shared_ptr<const StructData>(std::move(data))));
}

std::string Value::TypeName() const {
  switch (kind()) {
    case Kind::kInvalid:
    case Kind::kNil:
      return "<nil>";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float64";
    case Kind::kString: {
      const auto& name = std::get<StringData>(data_).type_name;
      return name.empty() ? "string" : std::string(name);
    }
    case Kind::kList:
      return AsList().type_name;
    case Kind::kMap:
      return AsMap().type_name;
    case Kind::kStruct:
      return AsStruct().type_name;
  }
  return "<nil>";
}

const MethodSet* Value::methods() const {
  switch (kind()) {
    case Kind::kList:
      return AsList().methods.get();
    case Kind::kMap:
      return AsMap().methods.get();
    case Kind::kStruct:
      return AsStruct().methods.get();
    default:
      return nullptr;
  }
}

bool Value::Truth() const {
  switch (kind()) {
    case Kind::kInvalid:
    case Kind::kNil:
      return false;
    case Kind::kBool:
      return AsBool();
    case Kind::kInt:
      return AsInt() != 0;
    case Kind::kFloat:
      return AsFloat() != 0;  // NaN is true, as in Go
    case Kind::kString:
      return !AsString().empty();
    case Kind::kList:
      return !AsList().items.empty();
    case Kind::kMap:
      return !AsMap().entries.empty();
    case Kind::kStruct:
      return true;
  }
  return false;
}

const void* Value::identity() const {
  switch (kind()) {
    case Kind::kList:
      return &AsList();
    case Kind::kMap:
      return &AsMap();
    case Kind::kStruct:
      return &AsStruct();
    default:
      return nullptr;
  }
}

const Value* StructData::Field(std::string_view name) const {
  for (const auto& [field_name, value] : fields) {
    if (field_name == name) return &value;
  }
  return nullptr;
}

std::string Param::GoName() const {
  switch (type) {
    case ParamType::kValue:
      return "reflect.Value";
    case ParamType::kAny:
      return "interface {}";
    case ParamType::kString:
      return "string";
    case ParamType::kFloat:
      return "float64";
    case ParamType::kInt:
      return "int";
    case ParamType::kBool:
      return "bool";
    case ParamType::kNamed:
      return type_name;
  }
  return type_name;
}

}  // namespace codebot::tmpl
