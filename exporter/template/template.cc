#include "exporter/template/template.h"

#include <span>
#include <utility>
#include <vector>

#include "exporter/go/strconv.h"
#include "exporter/template/format.h"

namespace codebot::tmpl {
namespace {

using parse::Node;
using parse::NodeType;
using Args = std::span<const Node* const>;

// Go allows 100000 nested {{template}} calls; a C++ stack would not survive that many.
constexpr int kMaxExecDepth = 1000;
// Nor would it survive {{template}} calls each nesting {{if}}s up to the parser's bound: the
// execution as a whole (if/with/range bodies and template calls, across templates) nests at
// most this deep. Go has no such bound (its stacks grow), so the message is ours.
constexpr int kMaxExecNesting = 1000;

enum class Flow { kNormal, kBreak, kContinue };

std::vector<const Node*> ArgList(const parse::CommandNode& cmd) {
  std::vector<const Node*> args;
  args.reserve(cmd.args.size());
  for (const auto& a : cmd.args) args.push_back(a.get());
  return args;
}

bool IsHexInt(std::string_view s) {
  return s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
         s.find_first_of("pP") == std::string_view::npos;
}

// One execution, after Go's exec.go `state`: the walk and eval functions mirror Go's so that
// the node an error is reported at (and so its position and text) is the one Go reports.
class State {
 public:
  State(const Template& tmpl, const parse::Tree* tree, std::string* out, const FuncMap* overrides,
        std::string* error, int depth, int nesting)
      : tmpl_(tmpl),
        tree_(tree),
        out_(out),
        overrides_(overrides),
        error_(error),
        depth_(depth),
        nesting_(nesting) {}

  void Run(const Value& dot) {
    vars_.emplace_back("$", dot);
    if (tree_ == nullptr || tree_->root == nullptr) {
      Errorf(go::Quote(tmpl_.name()) + " is an incomplete or empty template");
      return;
    }
    Walk(dot, tree_->root.get());
  }

 private:
  bool failed() const { return !error_->empty(); }

  void At(const Node* node) { node_ = node; }

  void Errorf(const std::string& message) {
    if (failed()) return;
    const std::string& name = tree_ != nullptr ? tree_->name : tmpl_.name();
    if (node_ == nullptr || tree_ == nullptr) {
      *error_ = "template: " + name + ": " + message;
      return;
    }
    *error_ = "template: " + tree_->Location(*node_) + ": executing " + go::Quote(name) + " at <" +
              node_->String() + ">: " + message;
  }

  // Variables.
  size_t Mark() const { return vars_.size(); }
  void Pop(size_t mark) { vars_.resize(mark); }
  void Push(const std::string& name, Value v) { vars_.emplace_back(name, std::move(v)); }
  void SetVar(const std::string& name, Value v) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) {
        vars_[i].second = std::move(v);
        return;
      }
    }
    Errorf("undefined variable: " + name);
  }
  void SetTopVar(size_t n, Value v) { vars_[vars_.size() - n].second = std::move(v); }
  Value VarValue(const std::string& name) {
    for (size_t i = vars_.size(); i-- > 0;) {
      if (vars_[i].first == name) return vars_[i].second;
    }
    Errorf("undefined variable: " + name);
    return {};
  }

  // Walk: statements.
  Flow Walk(const Value& dot, const Node* node) {
    At(node);
    switch (node->type) {
      case NodeType::kAction: {
        const auto* action = static_cast<const parse::ActionNode*>(node);
        Value val = EvalPipeline(dot, action->pipe.get());
        if (failed()) return Flow::kNormal;
        if (action->pipe->decl.empty()) PrintValue(node, val);
        return Flow::kNormal;
      }
      case NodeType::kIf:
      case NodeType::kWith:
        return WalkIfOrWith(dot, static_cast<const parse::BranchNode*>(node));
      case NodeType::kList:
        for (const auto& child : static_cast<const parse::ListNode*>(node)->nodes) {
          const Flow flow = Walk(dot, child.get());
          if (failed() || flow != Flow::kNormal) return flow;
        }
        return Flow::kNormal;
      case NodeType::kRange:
        WalkRange(dot, static_cast<const parse::BranchNode*>(node));
        return Flow::kNormal;
      case NodeType::kTemplate:
        WalkTemplate(dot, static_cast<const parse::TemplateNode*>(node));
        return Flow::kNormal;
      case NodeType::kText:
        *out_ += static_cast<const parse::TextNode*>(node)->text;
        return Flow::kNormal;
      case NodeType::kBreak:
        return Flow::kBreak;
      case NodeType::kContinue:
        return Flow::kContinue;
      default:
        Errorf("unknown node: " + node->String());
        return Flow::kNormal;
    }
  }

  // Counts one level of execution nesting while it lives; false when that is one too many.
  class Nest {
   public:
    explicit Nest(State* state) : state_(state) { ++state_->nesting_; }
    ~Nest() { --state_->nesting_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;
    bool Allowed() const {
      if (state_->nesting_ <= kMaxExecNesting) return true;
      state_->Errorf("exceeded maximum template nesting (" + std::to_string(kMaxExecNesting) + ")");
      return false;
    }

   private:
    State* state_;
  };

  Flow WalkIfOrWith(const Value& dot, const parse::BranchNode* node) {
    const Nest nest(this);
    if (!nest.Allowed()) return Flow::kNormal;
    const size_t mark = Mark();
    Value val = EvalPipeline(dot, node->pipe.get());
    Flow flow = Flow::kNormal;
    if (!failed()) {
      if (val.Truth()) {
        flow = Walk(node->type == NodeType::kWith ? val : dot, node->list.get());
      } else if (node->else_list) {
        flow = Walk(dot, node->else_list.get());
      }
    }
    Pop(mark);
    return flow;
  }

  void WalkRange(const Value& dot, const parse::BranchNode* r) {
    At(r);
    const Nest nest(this);
    if (!nest.Allowed()) return;
    const size_t mark = Mark();
    const Value val = EvalPipeline(dot, r->pipe.get());
    if (failed()) return;
    const size_t body_mark = Mark();
    const auto& decl = r->pipe->decl;
    // Returns false to stop iterating ({{break}} or an error).
    auto one_iteration = [&](Value index, const Value& elem) {
      if (!decl.empty()) {
        if (r->pipe->is_assign) {
          SetVar(decl[0]->ident[0], decl.size() > 1 ? index : elem);
        } else {
          SetTopVar(1, elem);
        }
      }
      if (decl.size() > 1) {
        if (r->pipe->is_assign) {
          SetVar(decl[1]->ident[0], elem);
        } else {
          SetTopVar(2, std::move(index));
        }
      }
      const Flow flow = Walk(elem, r->list.get());
      Pop(body_mark);
      return !failed() && flow != Flow::kBreak;
    };
    bool iterated = false;
    switch (val.kind()) {
      case Value::Kind::kList: {
        const auto& items = val.AsList().items;
        iterated = !items.empty();
        for (size_t i = 0; i < items.size(); ++i) {
          if (!one_iteration(Value::Int(static_cast<int64_t>(i)), items[i])) break;
        }
        break;
      }
      case Value::Kind::kMap: {
        const auto& entries = val.AsMap().entries;
        iterated = !entries.empty();
        for (const auto& [key, value] : entries) {
          if (!one_iteration(Value::String(key), value)) break;
        }
        break;
      }
      case Value::Kind::kInvalid:
        break;  // a missing value ranges like an empty map
      default:
        Errorf("range can't iterate over " + FormatValue(val));
        return;
    }
    if (!iterated && !failed() && r->else_list) Walk(dot, r->else_list.get());
    Pop(mark);
  }

  void WalkTemplate(const Value& dot, const parse::TemplateNode* t) {
    At(t);
    const auto it = tmpl_.trees().find(t->name);
    if (it == tmpl_.trees().end()) {
      Errorf("template " + go::Quote(t->name) + " not defined");
      return;
    }
    if (depth_ >= kMaxExecDepth) {
      Errorf("exceeded maximum template depth (" + std::to_string(kMaxExecDepth) + ")");
      return;
    }
    const Value new_dot = EvalPipeline(dot, t->pipe.get());
    if (failed()) return;
    const Nest nest(this);
    if (!nest.Allowed()) return;
    State sub(tmpl_, it->second.get(), out_, overrides_, error_, depth_ + 1, nesting_);
    sub.vars_.emplace_back("$", new_dot);
    sub.Walk(new_dot, it->second->root.get());
  }

  // Eval: expressions.
  Value EvalPipeline(const Value& dot, const parse::PipeNode* pipe) {
    if (pipe == nullptr) return {};
    At(pipe);
    Value value;
    bool have_final = false;
    for (const auto& cmd : pipe->cmds) {
      value = EvalCommand(dot, *cmd, have_final ? &value : nullptr);
      if (failed()) return {};
      have_final = true;
      // An interface holding nil is no value at all once it leaves a command.
      if (value.is_nil()) value = Value();
    }
    for (const auto& variable : pipe->decl) {
      if (pipe->is_assign) {
        SetVar(variable->ident[0], value);
      } else {
        Push(variable->ident[0], value);
      }
    }
    return value;
  }

  void NotAFunction(Args args, const Value* final) {
    if (args.size() > 1 || final != nullptr) {
      Errorf("can't give argument to non-function " + args[0]->String());
    }
  }

  Value EvalCommand(const Value& dot, const parse::CommandNode& cmd, const Value* final) {
    const std::vector<const Node*> args = ArgList(cmd);
    const Node* first = args[0];
    switch (first->type) {
      case NodeType::kField:
        return EvalFieldNode(dot, static_cast<const parse::FieldNode*>(first), args, final);
      case NodeType::kChain:
        return EvalChainNode(dot, static_cast<const parse::ChainNode*>(first), args, final);
      case NodeType::kIdentifier:
        return EvalFunction(dot, static_cast<const parse::IdentifierNode*>(first), &cmd, args,
                            final);
      case NodeType::kPipe:
        NotAFunction(args, final);
        if (failed()) return {};
        return EvalPipeline(dot, static_cast<const parse::PipeNode*>(first));
      case NodeType::kVariable:
        return EvalVariableNode(dot, static_cast<const parse::VariableNode*>(first), args, final);
      default:
        break;
    }
    At(first);
    NotAFunction(args, final);
    if (failed()) return {};
    switch (first->type) {
      case NodeType::kBool:
        return Value::Bool(static_cast<const parse::BoolNode*>(first)->value);
      case NodeType::kDot:
        return dot;
      case NodeType::kNil:
        Errorf("nil is not a command");
        return {};
      case NodeType::kNumber:
        return IdealConstant(static_cast<const parse::NumberNode*>(first));
      case NodeType::kString:
        return Value::String(static_cast<const parse::StringNode*>(first)->text);
      default:
        Errorf("can't evaluate command " + go::Quote(first->String()));
        return {};
    }
  }

  // A number literal whose type the context does not fix: its spelling decides, as in Go.
  Value IdealConstant(const parse::NumberNode* n) {
    At(n);
    if (n->is_complex) {
      // No function takes a complex128; it only needs to print and to fail conversions.
      std::string imag = go::FormatFloat(n->imag, 'g', -1);
      if (imag[0] != '-' && imag[0] != '+') imag.insert(imag.begin(), '+');
      return Value::Struct({}, "complex128", false,
                           "(" + go::FormatFloat(n->real, 'g', -1) + imag + "i)");
    }
    if (n->is_float && !IsHexInt(n->text) && n->text[0] != '\'' &&
        n->text.find_first_of(".eEpP") != std::string::npos) {
      return Value::Float(n->float64);
    }
    if (n->is_int) return Value::Int(n->int64);
    if (n->is_uint) Errorf(n->text + " overflows int");
    return {};
  }

  Value EvalFieldNode(const Value& dot, const parse::FieldNode* field, Args args,
                      const Value* final) {
    At(field);
    return EvalFieldChain(dot, dot, field, field->ident, args, final);
  }

  Value EvalChainNode(const Value& dot, const parse::ChainNode* chain, Args args,
                      const Value* final) {
    At(chain);
    if (chain->field.empty()) {
      Errorf("internal error: no fields in evalChainNode");
      return {};
    }
    if (chain->node->type == NodeType::kNil) {
      Errorf("indirection through explicit nil in " + chain->String());
      return {};
    }
    const Value pipe = EvalArg(dot, nullptr, chain->node.get());
    if (failed()) return {};
    return EvalFieldChain(dot, pipe, chain, chain->field, args, final);
  }

  Value EvalVariableNode(const Value& dot, const parse::VariableNode* variable, Args args,
                         const Value* final) {
    At(variable);
    Value value = VarValue(variable->ident[0]);
    if (failed()) return {};
    if (variable->ident.size() == 1) {
      NotAFunction(args, final);
      return value;
    }
    return EvalFieldChain(dot, value, variable,
                          std::span<const std::string>(variable->ident).subspan(1), args, final);
  }

  Value EvalFieldChain(const Value& dot, Value receiver, const Node* node,
                       std::span<const std::string> ident, Args args, const Value* final) {
    const size_t n = ident.size();
    for (size_t i = 0; i + 1 < n; ++i) {
      receiver = EvalField(dot, ident[i], node, {}, nullptr, receiver);
      if (failed()) return {};
    }
    return EvalField(dot, ident[n - 1], node, args, final, receiver);
  }

  // Finds a function: this execution's overrides, then the template's, then the built-ins.
  const Function* FindFunction(std::string_view name, bool* is_builtin) const {
    *is_builtin = false;
    if (overrides_ != nullptr) {
      if (auto it = overrides_->find(name); it != overrides_->end()) return &it->second;
    }
    if (const FuncMap* funcs = tmpl_.funcs(); funcs != nullptr) {
      if (auto it = funcs->find(name); it != funcs->end()) return &it->second;
    }
    if (auto it = Builtins().find(name); it != Builtins().end()) {
      *is_builtin = true;
      return &it->second;
    }
    return nullptr;
  }

  Value EvalFunction(const Value& dot, const parse::IdentifierNode* node, const Node* cmd,
                     Args args, const Value* final) {
    At(node);
    bool is_builtin = false;
    const Function* function = FindFunction(node->ident, &is_builtin);
    if (function == nullptr) {
      Errorf(go::Quote(node->ident) + " is not a defined function");
      return {};
    }
    return EvalCall(dot, *function, is_builtin, cmd, node->ident, args, final, nullptr);
  }

  Value EvalField(const Value& dot, const std::string& field_name, const Node* node, Args args,
                  const Value* final, const Value& receiver) {
    if (!receiver.valid()) {
      if (tmpl_.missing_key() == MissingKey::kError) {
        Errorf("nil data; no entry for key " + go::Quote(field_name));
      }
      return {};
    }
    if (receiver.is_nil()) {
      Errorf("nil pointer evaluating interface {}." + field_name);
      return {};
    }
    if (const MethodSet* methods = receiver.methods(); methods != nullptr) {
      if (auto it = methods->by_name.find(field_name); it != methods->by_name.end()) {
        return EvalCall(dot, it->second, false, node, field_name, args, final, &receiver);
      }
    }
    const bool has_args = args.size() > 1 || final != nullptr;
    switch (receiver.kind()) {
      case Value::Kind::kStruct:
        if (const Value* field = receiver.AsStruct().Field(field_name); field != nullptr) {
          if (has_args) {
            Errorf(field_name + " has arguments but cannot be invoked as function");
            return {};
          }
          return *field;
        }
        break;
      case Value::Kind::kMap: {
        if (has_args) {
          Errorf(field_name + " is not a method but has arguments");
          return {};
        }
        const auto& map = receiver.AsMap();
        if (auto it = map.entries.find(field_name); it != map.entries.end()) return it->second;
        switch (tmpl_.missing_key()) {
          case MissingKey::kInvalid:
            return {};
          case MissingKey::kZero:
            return map.zero;
          case MissingKey::kError:
            Errorf("map has no entry for key " + go::Quote(field_name));
            return {};
        }
        return {};
      }
      default:
        break;
    }
    Errorf("can't evaluate field " + field_name + " in type " + receiver.TypeName());
    return {};
  }

  Value EvalCall(const Value& dot, const Function& fn, bool is_builtin, const Node* node,
                 const std::string& name, Args args, const Value* final, const Value* receiver) {
    if (!args.empty()) args = args.subspan(1);  // args[0] is the function itself
    const size_t num_in = args.size() + (final != nullptr ? 1 : 0);
    size_t num_fixed = args.size();
    if (fn.variadic) {
      num_fixed = fn.params.size();
      if (num_in < num_fixed) {
        Errorf("wrong number of args for " + name + ": want at least " +
               std::to_string(fn.params.size()) + " got " + std::to_string(args.size()));
        return {};
      }
    } else if (num_in != fn.params.size()) {
      Errorf("wrong number of args for " + name + ": want " + std::to_string(fn.params.size()) +
             " got " + std::to_string(num_in));
      return {};
    }
    // and/or evaluate their arguments only as far as needed.
    if (is_builtin && (name == "and" || name == "or")) {
      const Param& arg_type = fn.params[0];
      Value v;
      for (const Node* arg : args) {
        v = EvalArg(dot, &arg_type, arg);
        if (failed()) return {};
        if (v.Truth() == (name == "or")) return v;
      }
      if (final != nullptr) v = ValidateType(*final, &arg_type);
      return v;
    }
    std::vector<Value> argv;
    argv.reserve(num_in + 1);
    if (receiver != nullptr) argv.push_back(*receiver);
    size_t i = 0;
    for (; i < num_fixed && i < args.size(); ++i) {
      argv.push_back(EvalArg(dot, &fn.params[i], args[i]));
      if (failed()) return {};
    }
    if (fn.variadic) {
      for (; i < args.size(); ++i) {
        argv.push_back(EvalArg(dot, &*fn.variadic, args[i]));
        if (failed()) return {};
      }
    }
    if (final != nullptr) {
      const Param* t = fn.params.empty() ? nullptr : &fn.params.back();
      if (fn.variadic) t = num_in - 1 < num_fixed ? &fn.params[num_in - 1] : &*fn.variadic;
      argv.push_back(ValidateType(*final, t));
      if (failed()) return {};
    }
    CallResult result = fn.call(argv);
    if (!result.ok) {
      At(node);
      Errorf("error calling " + name + ": " + result.error);
      return {};
    }
    return std::move(result.value);
  }

  static bool CanBeNil(const Param& param) {
    switch (param.type) {
      case ParamType::kValue:
      case ParamType::kAny:
        return true;
      case ParamType::kNamed:
        return param.nillable;
      default:
        return false;
    }
  }

  static Value ZeroOf(const Param& param) {
    return param.type == ParamType::kValue ? Value() : Value::Nil();
  }

  // Checks that a computed value fits the parameter, as Go's validateType does.
  Value ValidateType(const Value& value, const Param* param) {
    if (param == nullptr) return value;
    if (!value.valid()) {
      if (CanBeNil(*param)) return ZeroOf(*param);
      Errorf("invalid value; expected " + param->GoName());
      return {};
    }
    bool ok = false;
    switch (param->type) {
      case ParamType::kValue:
      case ParamType::kAny:
        ok = true;
        break;
      case ParamType::kString:
        ok = value.kind() == Value::Kind::kString && value.TypeName() == "string";
        break;
      case ParamType::kFloat:
        ok = value.kind() == Value::Kind::kFloat;
        break;
      case ParamType::kInt:
        ok = value.kind() == Value::Kind::kInt;
        break;
      case ParamType::kBool:
        ok = value.kind() == Value::Kind::kBool;
        break;
      case ParamType::kNamed:
        ok = value.TypeName() == param->type_name || (value.is_nil() && param->nillable);
        break;
    }
    if (!ok) {
      Errorf("wrong type for value; expected " + param->GoName() + "; got " + value.TypeName());
      return {};
    }
    return value;
  }

  Value EvalArg(const Value& dot, const Param* param, const Node* n) {
    At(n);
    const Node* single[] = {n};
    switch (n->type) {
      case NodeType::kDot:
        return ValidateType(dot, param);
      case NodeType::kNil:
        if (param != nullptr && CanBeNil(*param)) return ZeroOf(*param);
        Errorf("cannot assign nil to " + (param != nullptr ? param->GoName() : "<nil>"));
        return {};
      case NodeType::kField: {
        Value v = EvalFieldNode(dot, static_cast<const parse::FieldNode*>(n), single, nullptr);
        if (failed()) return {};
        return ValidateType(v, param);
      }
      case NodeType::kVariable: {
        Value v = EvalVariableNode(dot, static_cast<const parse::VariableNode*>(n), {}, nullptr);
        if (failed()) return {};
        return ValidateType(v, param);
      }
      case NodeType::kPipe: {
        Value v = EvalPipeline(dot, static_cast<const parse::PipeNode*>(n));
        if (failed()) return {};
        return ValidateType(v, param);
      }
      case NodeType::kIdentifier: {
        const auto* ident = static_cast<const parse::IdentifierNode*>(n);
        Value v = EvalFunction(dot, ident, ident, {}, nullptr);
        if (failed()) return {};
        return ValidateType(v, param);
      }
      case NodeType::kChain: {
        Value v = EvalChainNode(dot, static_cast<const parse::ChainNode*>(n), {}, nullptr);
        if (failed()) return {};
        return ValidateType(v, param);
      }
      default:
        break;
    }
    if (param == nullptr) return EvalEmptyInterface(dot, n);
    switch (param->type) {
      case ParamType::kBool:
        if (n->type == NodeType::kBool) {
          return Value::Bool(static_cast<const parse::BoolNode*>(n)->value);
        }
        Errorf("expected bool; found " + n->String());
        return {};
      case ParamType::kFloat:
        if (n->type == NodeType::kNumber && static_cast<const parse::NumberNode*>(n)->is_float) {
          return Value::Float(static_cast<const parse::NumberNode*>(n)->float64);
        }
        Errorf("expected float; found " + n->String());
        return {};
      case ParamType::kInt:
        if (n->type == NodeType::kNumber && static_cast<const parse::NumberNode*>(n)->is_int) {
          return Value::Int(static_cast<const parse::NumberNode*>(n)->int64);
        }
        Errorf("expected integer; found " + n->String());
        return {};
      case ParamType::kString:
        if (n->type == NodeType::kString) {
          return Value::String(static_cast<const parse::StringNode*>(n)->text);
        }
        Errorf("expected string; found " + n->String());
        return {};
      case ParamType::kAny:
      case ParamType::kValue:
        return EvalEmptyInterface(dot, n);
      case ParamType::kNamed:
        break;
    }
    Errorf("can't handle " + n->String() + " for arg of type " + param->GoName());
    return {};
  }

  Value EvalEmptyInterface(const Value& dot, const Node* n) {
    At(n);
    switch (n->type) {
      case NodeType::kBool:
        return Value::Bool(static_cast<const parse::BoolNode*>(n)->value);
      case NodeType::kDot:
        return dot;
      case NodeType::kNumber:
        return IdealConstant(static_cast<const parse::NumberNode*>(n));
      case NodeType::kString:
        return Value::String(static_cast<const parse::StringNode*>(n)->text);
      default:
        Errorf("can't handle assignment of " + n->String() + " to empty interface argument");
        return {};
    }
  }

  void PrintValue(const Node* n, const Value& v) {
    At(n);
    if (!v.valid()) {
      *out_ += "<no value>";
      return;
    }
    AppendValue(out_, v);
  }

  const Template& tmpl_;
  const parse::Tree* tree_;
  std::string* out_;
  const FuncMap* overrides_;
  std::string* error_;
  int depth_;    // {{template}} calls
  int nesting_;  // every level (see kMaxExecNesting)
  const Node* node_ = nullptr;
  std::vector<std::pair<std::string, Value>> vars_;
};

}  // namespace

ParseResult Template::Parse(std::string_view name, std::string_view text,
                            std::shared_ptr<const FuncMap> funcs, MissingKey missing_key) {
  const FuncMap* f = funcs.get();
  auto has_function = [f](std::string_view ident) {
    if (f != nullptr && f->find(ident) != f->end()) return true;
    return Builtins().find(ident) != Builtins().end();
  };
  parse::ParseOutput parsed = parse::Parse(name, text, has_function);
  ParseResult result;
  if (!parsed.error.empty()) {
    result.error = std::move(parsed.error);
    return result;
  }
  std::shared_ptr<Template> tmpl(new Template());
  tmpl->name_ = std::string(name);
  tmpl->trees_ = std::move(parsed.trees);
  tmpl->funcs_ = std::move(funcs);
  tmpl->missing_key_ = missing_key;
  result.tmpl = std::move(tmpl);
  return result;
}

ExecResult Template::Execute(const Value& data, const FuncMap* overrides) const {
  return ExecuteTemplate(name_, data, overrides);
}

ExecResult Template::ExecuteTemplate(std::string_view name, const Value& data,
                                     const FuncMap* overrides) const {
  ExecResult result;
  const auto it = trees_.find(std::string(name));
  if (it == trees_.end()) {
    result.error = "template: no template " + go::Quote(name) + " associated with template " +
                   go::Quote(name_);
    return result;
  }
  State state(*this, it->second.get(), &result.output, overrides, &result.error, 0, 0);
  state.Run(data);
  return result;
}

}  // namespace codebot::tmpl
