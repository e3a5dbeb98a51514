#include "exporter/alerts/route.h"

#include <algorithm>
#include <cstdio>

#include "exporter/core/label_matchers.h"
#include "exporter/core/labels.h"
#include "exporter/core/utf8.h"

namespace codebot::alerts {
namespace {

// Go's strconv.Quote for the characters label values carry: ASCII exactly as Go writes it,
// invalid UTF-8 bytes as \xNN, other runes as they are (Go escapes the rare non-printable
// non-ASCII runes too; reading Unicode's tables for that is not worth a dependency here).
void AppendGoQuoted(std::string* out, std::string_view text) {
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t width = 1;
      const char32_t r = utf8::DecodeRune(text, i, &width);
      if (r == utf8::kRuneError && width == 1) {
        char buffer[5];
        std::snprintf(buffer, sizeof(buffer), "\\x%02x", c);
        out->append(buffer);
      } else {
        out->append(text.substr(i, width));
      }
      i += width;
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\a':
        out->append("\\a");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\v':
        out->append("\\v");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buffer[5];
          std::snprintf(buffer, sizeof(buffer), "\\x%02x", c);
          out->append(buffer);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

// Alertmanager sorts a route's matchers by name, then value, then type.
bool MatcherBefore(const Matcher& a, const Matcher& b) {
  if (a.name() != b.name()) return a.name() < b.name();
  if (a.value() != b.value()) return a.value() < b.value();
  return static_cast<int>(a.type()) < static_cast<int>(b.type());
}

}  // namespace

Router::Router(const config::Route& root) { Build(root, nullptr, 0); }

void Router::Build(const config::Route& route, const RouteNode* parent, size_t position) {
  RouteNode node;
  node.matchers = route.matchers;
  std::stable_sort(node.matchers.begin(), node.matchers.end(), MatcherBefore);
  node.continue_matching = route.continue_matching;
  node.opts.receiver = route.receiver;
  if (node.opts.receiver.empty() && parent != nullptr) node.opts.receiver = parent->opts.receiver;
  node.opts.group_by = SortedUnique(route.group_by);
  node.opts.group_by_all = route.group_by_all;
  node.opts.group_wait_ms = route.group_wait.count();
  node.opts.group_interval_ms = route.group_interval.count();
  node.opts.repeat_interval_ms = route.repeat_interval.count();
  if (parent == nullptr) {
    node.key = MatchersString(node.matchers);
    node.id = node.key;
  } else {
    node.key = parent->key + "/" + MatchersString(node.matchers);
    node.id = node.key + "/" + std::to_string(position);
  }
  const size_t index = nodes_.size();
  nodes_.push_back(std::move(node));
  for (size_t i = 0; i < route.routes.size(); ++i) {
    const size_t child = nodes_.size();
    // A copy: building the child grows nodes_, which may move the parent.
    const RouteNode parent_copy = nodes_[index];
    Build(route.routes[i], &parent_copy, i);
    nodes_[index].children.push_back(child);
  }
}

std::vector<const RouteNode*> Router::Match(const Labels& labels) const {
  std::vector<const RouteNode*> out;
  MatchNode(0, labels, &out);
  if (out.empty()) out.push_back(&nodes_.front());  // the root is the default
  return out;
}

bool Router::MatchNode(size_t index, const Labels& labels,
                       std::vector<const RouteNode*>* out) const {
  const RouteNode& node = nodes_[index];
  // The root takes every alert: Alertmanager refuses matchers on it, so any there are ignored.
  if (index != 0 && !MatchesAll(node.matchers, labels)) return false;
  const size_t before = out->size();
  for (size_t child : node.children) {
    const bool matched = MatchNode(child, labels, out);
    if (matched && !nodes_[child].continue_matching) break;
  }
  if (out->size() == before) out->push_back(&node);
  return true;
}

const RouteNode* Router::FindById(std::string_view id) const {
  for (const auto& node : nodes_) {
    if (node.id == id) return &node;
  }
  return nullptr;
}

Labels GroupLabels(const Labels& alert_labels, const RouteOpts& opts) {
  if (opts.group_by_all) return alert_labels;
  Labels out;
  for (const auto& label : alert_labels) {
    if (std::binary_search(opts.group_by.begin(), opts.group_by.end(), label.name)) {
      out.push_back(label);
    }
  }
  return out;
}

std::string LabelSetString(const Labels& labels) {
  // Go sorts the printed `name="value"` pairs as strings, which differs from name order when one
  // name is a prefix of another followed by a digit ("a0" before "a").
  std::vector<std::string> pairs;
  pairs.reserve(labels.size());
  for (const auto& label : labels) {
    std::string pair = label.name;
    pair.push_back('=');
    AppendGoQuoted(&pair, label.value);
    pairs.push_back(std::move(pair));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out = "{";
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(pairs[i]);
  }
  out.push_back('}');
  return out;
}

std::string MatchersString(const std::vector<Matcher>& matchers) {
  std::string out = "{";
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(MatcherString(matchers[i]));
  }
  out.push_back('}');
  return out;
}

std::string GroupKey(std::string_view route_key, const Labels& group_labels) {
  std::string out(route_key);
  out.push_back(':');
  out.append(LabelSetString(group_labels));
  return out;
}

}  // namespace codebot::alerts
