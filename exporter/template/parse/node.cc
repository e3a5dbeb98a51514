#include "exporter/template/parse/node.h"

#include <algorithm>

#include "exporter/go/strconv.h"

namespace codebot::tmpl::parse {
namespace {

void WriteQuotedTemplateName(std::string* out, const std::string& name) { *out += go::Quote(name); }

}  // namespace

void ReleaseNode(NodePtr node) {
  // The nodes still to be destroyed by the outermost call on this thread.
  thread_local std::vector<NodePtr>* pending = nullptr;
  if (!node) return;
  if (pending != nullptr) {
    pending->push_back(std::move(node));
    return;
  }
  std::vector<NodePtr> queue;
  pending = &queue;
  queue.push_back(std::move(node));
  while (!queue.empty()) {
    NodePtr next = std::move(queue.back());
    queue.pop_back();
    next.reset();  // its destructor queues its own children here
  }
  pending = nullptr;
}

ListNode::~ListNode() {
  for (auto& n : nodes) ReleaseNode(std::move(n));
}
PipeNode::~PipeNode() {
  for (auto& d : decl) ReleaseNode(std::move(d));
  for (auto& c : cmds) ReleaseNode(std::move(c));
}
ActionNode::~ActionNode() { ReleaseNode(std::move(pipe)); }
CommandNode::~CommandNode() {
  for (auto& a : args) ReleaseNode(std::move(a));
}
ChainNode::~ChainNode() { ReleaseNode(std::move(node)); }
BranchNode::~BranchNode() {
  ReleaseNode(std::move(pipe));
  ReleaseNode(std::move(list));
  ReleaseNode(std::move(else_list));
}
TemplateNode::~TemplateNode() { ReleaseNode(std::move(pipe)); }

std::string Node::String() const {
  std::string out;
  WriteTo(&out);
  return out;
}

void ListNode::WriteTo(std::string* out) const {
  for (const auto& n : nodes) n->WriteTo(out);
}

void TextNode::WriteTo(std::string* out) const { *out += text; }

void VariableNode::WriteTo(std::string* out) const {
  for (size_t i = 0; i < ident.size(); ++i) {
    if (i > 0) out->push_back('.');
    *out += ident[i];
  }
}

void PipeNode::WriteTo(std::string* out) const {
  if (!decl.empty()) {
    for (size_t i = 0; i < decl.size(); ++i) {
      if (i > 0) *out += ", ";
      decl[i]->WriteTo(out);
    }
    *out += " := ";
  }
  for (size_t i = 0; i < cmds.size(); ++i) {
    if (i > 0) *out += " | ";
    cmds[i]->WriteTo(out);
  }
}

void ActionNode::WriteTo(std::string* out) const {
  *out += "{{";
  pipe->WriteTo(out);
  *out += "}}";
}

void CommandNode::WriteTo(std::string* out) const {
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out->push_back(' ');
    if (args[i]->type == NodeType::kPipe) {
      out->push_back('(');
      args[i]->WriteTo(out);
      out->push_back(')');
    } else {
      args[i]->WriteTo(out);
    }
  }
}

void IdentifierNode::WriteTo(std::string* out) const { *out += ident; }
void DotNode::WriteTo(std::string* out) const { out->push_back('.'); }
void NilNode::WriteTo(std::string* out) const { *out += "nil"; }

void FieldNode::WriteTo(std::string* out) const {
  for (const auto& id : ident) {
    out->push_back('.');
    *out += id;
  }
}

void ChainNode::WriteTo(std::string* out) const {
  if (node->type == NodeType::kPipe) {
    out->push_back('(');
    node->WriteTo(out);
    out->push_back(')');
  } else {
    node->WriteTo(out);
  }
  for (const auto& f : field) {
    out->push_back('.');
    *out += f;
  }
}

void BoolNode::WriteTo(std::string* out) const { *out += value ? "true" : "false"; }
void NumberNode::WriteTo(std::string* out) const { *out += text; }
void StringNode::WriteTo(std::string* out) const { *out += quoted; }

void BranchNode::WriteTo(std::string* out) const {
  const char* name = type == NodeType::kIf ? "if" : (type == NodeType::kRange ? "range" : "with");
  *out += "{{";
  *out += name;
  out->push_back(' ');
  pipe->WriteTo(out);
  *out += "}}";
  list->WriteTo(out);
  if (else_list) {
    *out += "{{else}}";
    else_list->WriteTo(out);
  }
  *out += "{{end}}";
}

void TemplateNode::WriteTo(std::string* out) const {
  *out += "{{template ";
  WriteQuotedTemplateName(out, name);
  if (pipe) {
    out->push_back(' ');
    pipe->WriteTo(out);
  }
  *out += "}}";
}

void KeywordNode::WriteTo(std::string* out) const {
  switch (type) {
    case NodeType::kBreak:
      *out += "{{break}}";
      break;
    case NodeType::kContinue:
      *out += "{{continue}}";
      break;
    case NodeType::kEnd:
      *out += "{{end}}";
      break;
    default:
      *out += "{{else}}";
      break;
  }
}

std::string Tree::Location(const Node& node) const {
  const std::string_view t = *text;
  const size_t pos = std::min(node.pos, t.size());
  const std::string_view before = t.substr(0, pos);
  const size_t last_newline = before.rfind('\n');
  const size_t column = last_newline == std::string_view::npos ? pos : pos - (last_newline + 1);
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  return parse_name + ":" + std::to_string(line) + ":" + std::to_string(column);
}

bool IsEmptyTree(const Node* node) {
  if (node == nullptr) return true;
  switch (node->type) {
    case NodeType::kList:
      for (const auto& n : static_cast<const ListNode*>(node)->nodes) {
        if (!IsEmptyTree(n.get())) return false;
      }
      return true;
    case NodeType::kText: {
      const auto& t = static_cast<const TextNode*>(node)->text;
      return std::all_of(t.begin(), t.end(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
      });
    }
    default:
      return false;
  }
}

}  // namespace codebot::tmpl::parse
