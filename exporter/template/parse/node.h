// The parse-tree nodes of Go's text/template (text/template/parse/node.go): what the parser
// builds and the executor walks, with Go's String() forms, which execution errors quote.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace codebot::tmpl::parse {

enum class NodeType {
  kText,
  kAction,
  kBool,
  kChain,
  kCommand,
  kDot,
  kField,
  kIdentifier,
  kIf,
  kList,
  kNil,
  kNumber,
  kPipe,
  kRange,
  kString,
  kTemplate,
  kVariable,
  kWith,
  kBreak,
  kContinue,
  kEnd,   // parser-internal: {{end}}
  kElse,  // parser-internal: {{else}}
};

struct Node {
  Node(NodeType t, size_t p) : type(t), pos(p) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual void WriteTo(std::string* out) const = 0;
  std::string String() const;

  NodeType type;
  size_t pos;  // byte offset in the template text
};

using NodePtr = std::unique_ptr<Node>;

// Nodes that own others hand them to this in their destructors: the outermost call on a thread
// then destroys the whole tree with a loop, so freeing a template takes a small stack however
// deep it nests (a tree dies wherever its last owner lets go).
void ReleaseNode(NodePtr node);

struct ListNode : Node {
  explicit ListNode(size_t p) : Node(NodeType::kList, p) {}
  ~ListNode() override;  // through ReleaseNode
  void WriteTo(std::string* out) const override;
  std::vector<NodePtr> nodes;
};

struct TextNode : Node {
  TextNode(size_t p, std::string t) : Node(NodeType::kText, p), text(std::move(t)) {}
  void WriteTo(std::string* out) const override;
  std::string text;
};

struct VariableNode : Node {
  VariableNode(size_t p, std::vector<std::string> i)
      : Node(NodeType::kVariable, p), ident(std::move(i)) {}
  void WriteTo(std::string* out) const override;
  std::vector<std::string> ident;  // "$x", then field names
};

struct CommandNode;

struct PipeNode : Node {
  PipeNode(size_t p, int l) : Node(NodeType::kPipe, p), line(l) {}
  ~PipeNode() override;  // through ReleaseNode
  void WriteTo(std::string* out) const override;
  int line;
  bool is_assign = false;
  std::vector<std::unique_ptr<VariableNode>> decl;
  std::vector<std::unique_ptr<CommandNode>> cmds;
};

struct ActionNode : Node {
  ActionNode(size_t p, int l, std::unique_ptr<PipeNode> pi)
      : Node(NodeType::kAction, p), line(l), pipe(std::move(pi)) {}
  ~ActionNode() override;  // through ReleaseNode
  void WriteTo(std::string* out) const override;
  int line;
  std::unique_ptr<PipeNode> pipe;
};

struct CommandNode : Node {
  explicit CommandNode(size_t p) : Node(NodeType::kCommand, p) {}
  ~CommandNode() override;  // through ReleaseNode
  void WriteTo(std::string* out) const override;
  std::vector<NodePtr> args;
};

struct IdentifierNode : Node {
  IdentifierNode(size_t p, std::string i) : Node(NodeType::kIdentifier, p), ident(std::move(i)) {}
  void WriteTo(std::string* out) const override;
  std::string ident;
};

struct DotNode : Node {
  explicit DotNode(size_t p) : Node(NodeType::kDot, p) {}
  void WriteTo(std::string* out) const override;
};

struct NilNode : Node {
  explicit NilNode(size_t p) : Node(NodeType::kNil, p) {}
  void WriteTo(std::string* out) const override;
};

struct FieldNode : Node {
  FieldNode(size_t p, std::vector<std::string> i)
      : Node(NodeType::kField, p), ident(std::move(i)) {}
  void WriteTo(std::string* out) const override;
  std::vector<std::string> ident;  // without the dots
};

struct ChainNode : Node {
  ChainNode(size_t p, NodePtr n) : Node(NodeType::kChain, p), node(std::move(n)) {}
  ~ChainNode() override;  // through ReleaseNode
  void WriteTo(std::string* out) const override;
  NodePtr node;
  std::vector<std::string> field;
};

struct BoolNode : Node {
  BoolNode(size_t p, bool v) : Node(NodeType::kBool, p), value(v) {}
  void WriteTo(std::string* out) const override;
  bool value;
};

struct NumberNode : Node {
  NumberNode(size_t p, std::string t) : Node(NodeType::kNumber, p), text(std::move(t)) {}
  void WriteTo(std::string* out) const override;
  bool is_int = false;
  bool is_uint = false;
  bool is_float = false;
  bool is_complex = false;
  int64_t int64 = 0;
  uint64_t uint64 = 0;
  double float64 = 0;
  double real = 0;  // is_complex
  double imag = 0;
  std::string text;
};

struct StringNode : Node {
  StringNode(size_t p, std::string q, std::string t)
      : Node(NodeType::kString, p), quoted(std::move(q)), text(std::move(t)) {}
  void WriteTo(std::string* out) const override;
  std::string quoted;
  std::string text;
};

// {{if}}, {{range}} and {{with}}.
struct BranchNode : Node {
  BranchNode(NodeType t, size_t p, int l) : Node(t, p), line(l) {}
  ~BranchNode() override;  // through ReleaseNode
  void WriteTo(std::string* out) const override;
  int line;
  std::unique_ptr<PipeNode> pipe;
  std::unique_ptr<ListNode> list;
  std::unique_ptr<ListNode> else_list;  // may be null
};

struct TemplateNode : Node {
  TemplateNode(size_t p, int l, std::string n)
      : Node(NodeType::kTemplate, p), line(l), name(std::move(n)) {}
  ~TemplateNode() override;  // through ReleaseNode
  void WriteTo(std::string* out) const override;
  int line;
  std::string name;
  std::unique_ptr<PipeNode> pipe;  // may be null
};

// {{break}}, {{continue}}, and the parser-internal {{end}} / {{else}}.
struct KeywordNode : Node {
  KeywordNode(NodeType t, size_t p) : Node(t, p) {}
  void WriteTo(std::string* out) const override;
};

// One parsed template: the top-level text or a {{define}}/{{block}}.
struct Tree {
  std::string name;
  std::string parse_name;  // the top-level template's name, for error locations
  std::shared_ptr<const std::string> text;
  std::unique_ptr<ListNode> root;

  // "name:line:col" of a node (Go's ErrorContext; col is the 0-based byte column).
  std::string Location(const Node& node) const;
};

using TreeSet = std::map<std::string, std::shared_ptr<const Tree>>;

bool IsEmptyTree(const Node* node);

}  // namespace codebot::tmpl::parse
