#include "exporter/template/parse/parse.h"

#include <algorithm>
#include <optional>

#include "exporter/go/strconv.h"
#include "exporter/template/parse/lex.h"

namespace codebot::tmpl::parse {
namespace {

// Shared by the top-level tree and the {{define}}/{{block}} trees parsed from the same text.
struct ParseState {
  std::string parse_name;
  std::shared_ptr<const std::string> text;
  Lexer* lexer = nullptr;
  TreeSet* trees = nullptr;
  const std::function<bool(std::string_view)>* has_function = nullptr;
  std::string error;  // first error; parsing stops at it
  int depth = 0;      // open if/range/with/block bodies and parenthesized pipelines
};

// Go caps parenthesized pipelines at 10000 and leaves {{if}}/{{range}}/{{with}} nesting to its
// growable stacks; ours are fixed, and the parser, the executor and the node destructors all
// recurse once per level, so both kinds of nesting share one bound, reported with Go's words.
constexpr int kMaxNesting = 1000;

// Counts one level of nesting for as long as it lives.
class Nest {
 public:
  explicit Nest(ParseState* state) : state_(state) { ++state_->depth; }
  ~Nest() { --state_->depth; }
  Nest(const Nest&) = delete;
  Nest& operator=(const Nest&) = delete;
  bool too_deep() const { return state_->depth > kMaxNesting; }

 private:
  ParseState* state_;
};

// The parser for one tree, after Go's parse.Tree. Every method returns early (null) once
// state_->error is set.
class Parser {
 public:
  Parser(ParseState* state, std::string name) : state_(state), name_(std::move(name)) {
    vars_.push_back("$");
  }

  // parse(): the top level, which may also hold {{define}}s.
  void ParseTop() {
    root_ = std::make_unique<ListNode>(Peek().pos);
    while (Peek().type != ItemType::kEof) {
      if (failed()) return;
      if (Peek().type == ItemType::kLeftDelim) {
        Item delim = NextToken();
        if (NextNonSpace().type == ItemType::kDefine) {
          Parser definition(state_, "definition");
          definition.ParseDefinition();
          if (failed()) return;
          continue;
        }
        Backup2(delim);
      }
      NodePtr n = TextOrAction();
      if (failed()) return;
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse) {
        Errorf("unexpected " + n->String());
        return;
      }
      root_->nodes.push_back(std::move(n));
    }
    Add();
  }

 private:
  bool failed() const { return !state_->error.empty(); }

  void Errorf(const std::string& message) {
    if (failed()) return;
    state_->error =
        "template: " + state_->parse_name + ":" + std::to_string(token_[0].line) + ": " + message;
  }

  Item NextToken() {
    if (peek_count_ > 0) {
      --peek_count_;
    } else {
      token_[0] = state_->lexer->Next();
    }
    return token_[static_cast<size_t>(peek_count_)];
  }
  void Backup() { ++peek_count_; }
  void Backup2(Item t1) {
    token_[1] = t1;
    peek_count_ = 2;
  }
  void Backup3(Item t2, Item t1) {
    token_[1] = t1;
    token_[2] = t2;
    peek_count_ = 3;
  }
  const Item& Peek() {
    if (peek_count_ > 0) return token_[static_cast<size_t>(peek_count_ - 1)];
    peek_count_ = 1;
    token_[0] = state_->lexer->Next();
    return token_[0];
  }
  Item NextNonSpace() {
    Item token;
    do {
      token = NextToken();
    } while (token.type == ItemType::kSpace);
    return token;
  }
  Item PeekNonSpace() {
    Item token = NextNonSpace();
    Backup();
    return token;
  }

  void Unexpected(const Item& token, std::string_view context) {
    if (token.type == ItemType::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != token.line) {
        extra = " in action started at " + state_->parse_name + ":" + std::to_string(action_line_);
        if (token.val.ends_with(" action"))
          extra = extra.substr(std::string_view(" in action").size());
      }
      Errorf(token.String() + extra);
      return;
    }
    Errorf("unexpected " + token.String() + " in " + std::string(context));
  }

  Item Expect(ItemType expected, std::string_view context) {
    Item token = NextNonSpace();
    if (token.type != expected) Unexpected(token, context);
    return token;
  }

  // add(): installs the tree unless a non-empty one of that name exists.
  void Add() {
    if (failed()) return;
    auto& slot = (*state_->trees)[name_];
    if (slot == nullptr || IsEmptyTree(slot->root.get())) {
      auto tree = std::make_shared<Tree>();
      tree->name = name_;
      tree->parse_name = state_->parse_name;
      tree->text = state_->text;
      tree->root = std::move(root_);
      slot = std::move(tree);
      return;
    }
    if (!IsEmptyTree(root_.get())) {
      Errorf("template: multiple definition of template " + go::Quote(name_));
    }
  }

  void ParseDefinition() {
    constexpr std::string_view kContext = "define clause";
    Item name = NextNonSpace();
    if (name.type != ItemType::kString && name.type != ItemType::kRawString) {
      Unexpected(name, kContext);
      return;
    }
    if (!go::Unquote(name.val, &name_)) {
      Errorf("invalid syntax");
      return;
    }
    Expect(ItemType::kRightDelim, kContext);
    if (failed()) return;
    auto [list, end] = ItemList();
    if (failed()) return;
    root_ = std::move(list);
    if (end->type != NodeType::kEnd) {
      Errorf("unexpected " + end->String() + " in " + std::string(kContext));
      return;
    }
    Add();
  }

  // itemList: textOrAction* up to {{end}} or {{else}}, which is returned separately.
  std::pair<std::unique_ptr<ListNode>, NodePtr> ItemList() {
    auto list = std::make_unique<ListNode>(PeekNonSpace().pos);
    while (PeekNonSpace().type != ItemType::kEof) {
      NodePtr n = TextOrAction();
      if (failed()) return {};
      if (n->type == NodeType::kEnd || n->type == NodeType::kElse)
        return {std::move(list), std::move(n)};
      list->nodes.push_back(std::move(n));
    }
    Errorf("unexpected EOF");
    return {};
  }

  NodePtr TextOrAction() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kText:
        return std::make_unique<TextNode>(token.pos, std::string(token.val));
      case ItemType::kLeftDelim: {
        action_line_ = token.line;
        NodePtr n = Action();
        action_line_ = 0;
        return n;
      }
      default:
        Unexpected(token, "input");
        return nullptr;
    }
  }

  NodePtr Action() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kBlock:
        return BlockControl();
      case ItemType::kBreak:
      case ItemType::kContinue: {
        const bool is_break = token.type == ItemType::kBreak;
        const std::string word = is_break ? "{{break}}" : "{{continue}}";
        Item next = NextNonSpace();
        if (next.type != ItemType::kRightDelim) {
          Unexpected(next, word);
          return nullptr;
        }
        if (range_depth_ == 0) {
          Errorf(word + " outside {{range}}");
          return nullptr;
        }
        return std::make_unique<KeywordNode>(is_break ? NodeType::kBreak : NodeType::kContinue,
                                             token.pos);
      }
      case ItemType::kElse:
        return ElseControl();
      case ItemType::kEnd:
        Expect(ItemType::kRightDelim, "end");
        if (failed()) return nullptr;
        return std::make_unique<KeywordNode>(NodeType::kEnd, token.pos);
      case ItemType::kIf:
        return Control(NodeType::kIf, true, "if");
      case ItemType::kRange:
        return Control(NodeType::kRange, false, "range");
      case ItemType::kTemplate:
        return TemplateControl();
      case ItemType::kWith:
        return Control(NodeType::kWith, false, "with");
      default:
        break;
    }
    Backup();
    const Item& first = Peek();
    const size_t pos = first.pos;
    const int line = first.line;
    auto pipe = Pipeline("command", ItemType::kRightDelim);
    if (failed()) return nullptr;
    return std::make_unique<ActionNode>(pos, line, std::move(pipe));
  }

  NodePtr ElseControl() {
    Item peek = PeekNonSpace();
    if (peek.type == ItemType::kIf) {
      // "{{else if ...": leave the "if" pending for Control().
      return std::make_unique<KeywordNode>(NodeType::kElse, peek.pos);
    }
    Item token = Expect(ItemType::kRightDelim, "else");
    if (failed()) return nullptr;
    return std::make_unique<KeywordNode>(NodeType::kElse, token.pos);
  }

  std::unique_ptr<PipeNode> Pipeline(std::string_view context, ItemType end) {
    Item first = PeekNonSpace();
    auto pipe = std::make_unique<PipeNode>(first.pos, first.line);
    for (;;) {  // declarations
      Item v = PeekNonSpace();
      if (v.type != ItemType::kVariable) break;
      NextToken();
      // "$x foo" needs the token after the variable to tell an argument from a declaration.
      Item token_after_variable = Peek();
      Item next = PeekNonSpace();
      if (next.type == ItemType::kAssign || next.type == ItemType::kDeclare) {
        pipe->is_assign = next.type == ItemType::kAssign;
        NextNonSpace();
        pipe->decl.push_back(
            std::make_unique<VariableNode>(v.pos, std::vector<std::string>{std::string(v.val)}));
        vars_.emplace_back(v.val);
        break;
      }
      if (next.type == ItemType::kChar && next.val == ",") {
        NextNonSpace();
        pipe->decl.push_back(
            std::make_unique<VariableNode>(v.pos, std::vector<std::string>{std::string(v.val)}));
        vars_.emplace_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          const ItemType t = PeekNonSpace().type;
          if (t == ItemType::kVariable || t == ItemType::kRightDelim ||
              t == ItemType::kRightParen) {
            continue;  // the second variable of a range
          }
          Errorf("range can only initialize variables");
          return nullptr;
        }
        Errorf("too many declarations in " + std::string(context));
        return nullptr;
      }
      if (token_after_variable.type == ItemType::kSpace) {
        Backup3(v, token_after_variable);
      } else {
        Backup2(v);
      }
      break;
    }
    for (;;) {
      Item token = NextNonSpace();
      if (failed()) return nullptr;
      if (token.type == end) {
        CheckPipeline(*pipe, context);
        if (failed()) return nullptr;
        return pipe;
      }
      switch (token.type) {
        case ItemType::kBool:
        case ItemType::kCharConstant:
        case ItemType::kComplex:
        case ItemType::kDot:
        case ItemType::kField:
        case ItemType::kIdentifier:
        case ItemType::kNumber:
        case ItemType::kNil:
        case ItemType::kRawString:
        case ItemType::kString:
        case ItemType::kVariable:
        case ItemType::kLeftParen: {
          Backup();
          auto cmd = Command();
          if (failed()) return nullptr;
          pipe->cmds.push_back(std::move(cmd));
          break;
        }
        default:
          Unexpected(token, context);
          return nullptr;
      }
    }
  }

  void CheckPipeline(const PipeNode& pipe, std::string_view context) {
    if (pipe.cmds.empty()) {
      Errorf("missing value for " + std::string(context));
      return;
    }
    for (size_t i = 1; i < pipe.cmds.size(); ++i) {
      switch (pipe.cmds[i]->args[0]->type) {
        case NodeType::kBool:
        case NodeType::kDot:
        case NodeType::kNil:
        case NodeType::kNumber:
        case NodeType::kString:
          Errorf("non executable command in pipeline stage " + std::to_string(i + 1));
          return;
        default:
          break;
      }
    }
  }

  // if / range / with: {{kw pipeline}} list [{{else}} list] {{end}}
  NodePtr Control(NodeType type, bool allow_else_if, std::string_view context) {
    const Nest nest(state_);
    if (nest.too_deep()) {
      Errorf("max expression depth exceeded");
      return nullptr;
    }
    const size_t saved_vars = vars_.size();
    auto node = std::make_unique<BranchNode>(type, 0, 0);
    node->pipe = Pipeline(context, ItemType::kRightDelim);
    if (failed()) return nullptr;
    node->pos = node->pipe->pos;
    node->line = node->pipe->line;
    if (type == NodeType::kRange) ++range_depth_;
    auto [list, next] = ItemList();
    if (type == NodeType::kRange) --range_depth_;
    if (failed()) return nullptr;
    node->list = std::move(list);
    if (next->type == NodeType::kElse) {
      if (allow_else_if && Peek().type == ItemType::kIf) {
        // {{if a}}_{{else if b}}_{{end}} is {{if a}}_{{else}}{{if b}}_{{end}}{{end}}.
        Item if_item = NextToken();
        node->else_list = std::make_unique<ListNode>(if_item.pos);
        NodePtr nested = Control(NodeType::kIf, true, "if");
        if (failed()) return nullptr;
        node->else_list->nodes.push_back(std::move(nested));
      } else {
        auto [else_list, else_next] = ItemList();
        if (failed()) return nullptr;
        if (else_next->type != NodeType::kEnd) {
          Errorf("expected end; found " + else_next->String());
          return nullptr;
        }
        node->else_list = std::move(else_list);
      }
    }
    vars_.resize(saved_vars);
    return node;
  }

  NodePtr BlockControl() {
    constexpr std::string_view kContext = "block clause";
    Item token = NextNonSpace();
    std::string name;
    if (!ParseTemplateName(token, kContext, &name)) return nullptr;
    auto pipe = Pipeline(kContext, ItemType::kRightDelim);
    if (failed()) return nullptr;
    const Nest nest(state_);
    if (nest.too_deep()) {
      Errorf("max expression depth exceeded");
      return nullptr;
    }
    Parser block(state_, name);
    auto [list, end] = block.ItemList();
    if (failed()) return nullptr;
    if (end->type != NodeType::kEnd) {
      Errorf("unexpected " + end->String() + " in " + std::string(kContext));
      return nullptr;
    }
    block.root_ = std::move(list);
    block.Add();
    if (failed()) return nullptr;
    auto node = std::make_unique<TemplateNode>(token.pos, token.line, name);
    node->pipe = std::move(pipe);
    return node;
  }

  NodePtr TemplateControl() {
    constexpr std::string_view kContext = "template clause";
    Item token = NextNonSpace();
    std::string name;
    if (!ParseTemplateName(token, kContext, &name)) return nullptr;
    auto node = std::make_unique<TemplateNode>(token.pos, token.line, name);
    if (NextNonSpace().type != ItemType::kRightDelim) {
      Backup();
      node->pipe = Pipeline(kContext, ItemType::kRightDelim);
      if (failed()) return nullptr;
    }
    return node;
  }

  bool ParseTemplateName(const Item& token, std::string_view context, std::string* name) {
    if (token.type != ItemType::kString && token.type != ItemType::kRawString) {
      Unexpected(token, context);
      return false;
    }
    if (!go::Unquote(token.val, name)) {
      Errorf("invalid syntax");
      return false;
    }
    return true;
  }

  std::unique_ptr<CommandNode> Command() {
    auto cmd = std::make_unique<CommandNode>(PeekNonSpace().pos);
    for (;;) {
      PeekNonSpace();  // skip leading spaces
      NodePtr operand = Operand();
      if (failed()) return nullptr;
      if (operand) cmd->args.push_back(std::move(operand));
      Item token = NextToken();
      if (token.type == ItemType::kSpace) continue;
      if (token.type == ItemType::kRightDelim || token.type == ItemType::kRightParen) {
        Backup();
      } else if (token.type != ItemType::kPipe) {
        Unexpected(token, "operand");
        return nullptr;
      }
      break;
    }
    if (cmd->args.empty()) {
      Errorf("empty command");
      return nullptr;
    }
    return cmd;
  }

  NodePtr Operand() {
    NodePtr node = Term();
    if (!node || failed()) return nullptr;
    if (Peek().type == ItemType::kField) {
      auto chain = std::make_unique<ChainNode>(Peek().pos, std::move(node));
      while (Peek().type == ItemType::kField) {
        Item field = NextToken();
        chain->field.emplace_back(field.val.substr(1));
      }
      // Fields after a field or variable extend it (positioned at the first added field, as
      // in Go); after a literal they are an error; otherwise the chain stays.
      switch (chain->node->type) {
        case NodeType::kField: {
          auto* base = static_cast<FieldNode*>(chain->node.get());
          std::vector<std::string> ident = std::move(base->ident);
          ident.insert(ident.end(), chain->field.begin(), chain->field.end());
          return std::make_unique<FieldNode>(chain->pos, std::move(ident));
        }
        case NodeType::kVariable: {
          auto* base = static_cast<VariableNode*>(chain->node.get());
          std::vector<std::string> ident = std::move(base->ident);
          ident.insert(ident.end(), chain->field.begin(), chain->field.end());
          return std::make_unique<VariableNode>(chain->pos, std::move(ident));
        }
        case NodeType::kBool:
        case NodeType::kString:
        case NodeType::kNumber:
        case NodeType::kNil:
        case NodeType::kDot:
          Errorf("unexpected . after term " + go::Quote(chain->node->String()));
          return nullptr;
        default:
          return chain;
      }
    }
    return node;
  }

  NodePtr Term() {
    Item token = NextNonSpace();
    switch (token.type) {
      case ItemType::kIdentifier:
        if (!(*state_->has_function)(token.val)) {
          Errorf("function " + go::Quote(token.val) + " not defined");
          return nullptr;
        }
        return std::make_unique<IdentifierNode>(token.pos, std::string(token.val));
      case ItemType::kDot:
        return std::make_unique<DotNode>(token.pos);
      case ItemType::kNil:
        return std::make_unique<NilNode>(token.pos);
      case ItemType::kVariable:
        if (std::find(vars_.begin(), vars_.end(), token.val) == vars_.end()) {
          Errorf("undefined variable " + go::Quote(token.val));
          return nullptr;
        }
        return std::make_unique<VariableNode>(token.pos,
                                              std::vector<std::string>{std::string(token.val)});
      case ItemType::kField:
        return std::make_unique<FieldNode>(
            token.pos, std::vector<std::string>{std::string(token.val.substr(1))});
      case ItemType::kBool:
        return std::make_unique<BoolNode>(token.pos, token.val == "true");
      case ItemType::kCharConstant:
      case ItemType::kComplex:
      case ItemType::kNumber:
        return NewNumber(token);
      case ItemType::kLeftParen: {
        const Nest nest(state_);
        if (nest.too_deep()) {
          Errorf("max expression depth exceeded");
          return nullptr;
        }
        return Pipeline("parenthesized pipeline", ItemType::kRightParen);
      }
      case ItemType::kString:
      case ItemType::kRawString: {
        std::string unquoted;
        if (!go::Unquote(token.val, &unquoted)) {
          Errorf("invalid syntax");
          return nullptr;
        }
        return std::make_unique<StringNode>(token.pos, std::string(token.val), std::move(unquoted));
      }
      default:
        Backup();
        return nullptr;
    }
  }

  NodePtr NewNumber(const Item& token) {
    auto n = std::make_unique<NumberNode>(token.pos, std::string(token.val));
    const std::string& t = n->text;
    if (token.type == ItemType::kCharConstant) {
      char32_t r = 0;
      size_t used = 0;
      const std::string_view body = std::string_view(t).substr(1);
      if (!go::UnquoteChar(body, &r, &used)) {
        Errorf("invalid syntax");
        return nullptr;
      }
      if (body.substr(used) != "'") {
        Errorf("malformed character constant: " + t);
        return nullptr;
      }
      n->is_int = n->is_uint = n->is_float = true;
      n->int64 = r;
      n->uint64 = r;
      n->float64 = r;
      return n;
    }
    if (token.type == ItemType::kComplex) {
      // "1+2i": split at the sign that starts the imaginary part (not an exponent's sign).
      size_t split = std::string::npos;
      for (size_t k = t.size() - 1; k > 0; --k) {
        const char prev = static_cast<char>(t[k - 1] | 0x20);
        if ((t[k] == '+' || t[k] == '-') && prev != 'e' && prev != 'p') {
          split = k;
          break;
        }
      }
      std::string error;
      if (split == std::string::npos || !go::ParseFloat(t.substr(0, split), &n->real, &error) ||
          !go::ParseFloat(t.substr(split, t.size() - split - 1), &n->imag, &error)) {
        Errorf("illegal number syntax: " + go::Quote(t));
        return nullptr;
      }
      n->is_complex = true;
      return n;
    }
    if (!t.empty() && t.back() == 'i') {
      std::string error;
      if (go::ParseFloat(std::string_view(t).substr(0, t.size() - 1), &n->imag, &error)) {
        n->is_complex = true;
        return n;
      }
    }
    uint64_t u = 0;
    if (go::ParseUint(t, &u)) {
      n->is_uint = true;
      n->uint64 = u;
    }
    int64_t i = 0;
    if (go::ParseInt(t, &i)) {
      n->is_int = true;
      n->int64 = i;
      if (i == 0) {
        n->is_uint = true;
        n->uint64 = u;
      }
    }
    if (n->is_int) {
      n->is_float = true;
      n->float64 = static_cast<double>(n->int64);
    } else if (n->is_uint) {
      n->is_float = true;
      n->float64 = static_cast<double>(n->uint64);
    } else {
      double f = 0;
      std::string error;
      if (go::ParseFloat(t, &f, &error)) {
        if (t.find_first_of(".eEpP") == std::string::npos) {
          Errorf("integer overflow: " + go::Quote(t));
          return nullptr;
        }
        n->is_float = true;
        n->float64 = f;
        if (f >= -9.2233720368547758e18 && f < 9.2233720368547758e18 &&
            static_cast<double>(static_cast<int64_t>(f)) == f) {
          n->is_int = true;
          n->int64 = static_cast<int64_t>(f);
        }
        if (f >= 0 && f < 1.8446744073709552e19 &&
            static_cast<double>(static_cast<uint64_t>(f)) == f) {
          n->is_uint = true;
          n->uint64 = static_cast<uint64_t>(f);
        }
      }
    }
    if (!n->is_int && !n->is_uint && !n->is_float) {
      Errorf("illegal number syntax: " + go::Quote(t));
      return nullptr;
    }
    return n;
  }

  ParseState* state_;
  std::string name_;
  std::unique_ptr<ListNode> root_;
  std::array<Item, 3> token_;
  int peek_count_ = 0;
  std::vector<std::string> vars_;
  int action_line_ = 0;
  int range_depth_ = 0;
};

}  // namespace

ParseOutput Parse(std::string_view name, std::string_view text,
                  const std::function<bool(std::string_view)>& has_function) {
  ParseOutput out;
  Lexer lexer(text);
  ParseState state;
  state.parse_name = std::string(name);
  state.text = std::make_shared<const std::string>(text);
  state.lexer = &lexer;
  state.trees = &out.trees;
  state.has_function = &has_function;
  Parser parser(&state, std::string(name));
  parser.ParseTop();
  if (!state.error.empty()) {
    out.trees.clear();
    out.error = std::move(state.error);
  }
  return out;
}

}  // namespace codebot::tmpl::parse
