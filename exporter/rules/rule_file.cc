#include "exporter/rules/rule_file.h"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "exporter/config/config.h"
#include "exporter/core/utf8.h"
#include "exporter/promql/engine.h"
#include "exporter/rules/templates.h"

namespace codebot::rules {
namespace {

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

bool HasGlobChars(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

// Collects the problems of one file; each rule is read on its own so that one bad rule does not
// hide the problems of the next, as promtool reports them all.
class FileReader {
 public:
  FileReader(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  RuleFileResult Read() {
    RuleFileResult result;
    std::vector<config::Node> group_nodes;
    try {
      const config::Node root = config::LoadYamlString(text_, file_);
      config::MapReader top(root, "the rule file");
      if (auto groups = top.Get("groups")) group_nodes = groups->Items();
      top.Finish();
    } catch (const config::ConfigError& e) {
      result.errors.emplace_back(e.what());
      return result;
    }
    std::set<std::string> names;
    for (size_t g = 0; g < group_nodes.size(); ++g) {
      ReadGroup(group_nodes[g], g, &names, &result);
    }
    result.errors = std::move(errors_);
    return result;
  }

 private:
  void Error(const config::Position& position, const std::string& message) {
    errors_.push_back(position.ToString() + ": " + message);
  }

  void ReadGroup(const config::Node& node, size_t index, std::set<std::string>* names,
                 RuleFileResult* result) {
    GroupSpec group;
    group.file = file_;
    group.position = node.position();
    std::vector<config::Node> rule_nodes;
    try {
      config::MapReader map(node, "groups[" + std::to_string(index) + "]");
      auto name = map.Get("name");
      group.name = name ? name->AsString() : "";
      if (group.name.empty()) {
        Error(name ? name->position() : node.position(), "Groupname must not be empty");
      } else if (!names->insert(group.name).second) {
        Error(name->position(),
              "groupname: " + Quote(group.name) + " is repeated in the same file");
      }
      if (auto interval = map.Get("interval")) {
        group.interval = interval->AsDuration();
        if (group.interval->count() == 0) group.interval.reset();
      }
      if (auto limit = map.Get("limit")) {
        group.limit = limit->AsInt();
        if (group.limit < 0) limit->Fail("limit must not be negative");
      }
      if (auto rules = map.Get("rules")) rule_nodes = rules->Items();
      map.Finish();
    } catch (const config::ConfigError& e) {
      errors_.emplace_back(e.what());
      return;
    }
    for (size_t r = 0; r < rule_nodes.size(); ++r) {
      RuleSpec rule;
      if (ReadRule(rule_nodes[r], group.name, r + 1, &rule)) group.rules.push_back(std::move(rule));
    }
    result->groups.push_back(std::move(group));
  }

  // Returns false when the rule has problems (already recorded).
  bool ReadRule(const config::Node& node, const std::string& group, size_t number, RuleSpec* rule) {
    const size_t errors_before = errors_.size();
    const std::string where = "group " + Quote(group) + ", rule " + std::to_string(number);
    rule->position = node.position();
    std::string context = where;
    auto fail = [&](const config::Position& position, const std::string& message) {
      Error(position, context + ": " + message);
    };
    try {
      config::MapReader map(node, where);
      auto alert = map.Get("alert");
      auto record = map.Get("record");
      auto expr = map.Get("expr");
      auto hold = map.Get("for");
      auto keep = map.Get("keep_firing_for");
      auto labels = map.Get("labels");
      auto annotations = map.Get("annotations");
      map.Finish();

      const std::string alert_name = alert ? alert->AsString() : "";
      const std::string record_name = record ? record->AsString() : "";
      rule->type = !record_name.empty() ? RuleType::kRecording : RuleType::kAlerting;
      rule->name = !record_name.empty() ? record_name : alert_name;
      context = where + ", " + Quote(rule->name);

      if (!alert_name.empty() && !record_name.empty()) {
        fail(record->position(), "only one of 'record' and 'alert' must be set");
      } else if (alert_name.empty() && record_name.empty()) {
        fail(node.position(), "one of 'record' or 'alert' must be set");
      }
      if (hold) rule->hold = hold->AsDuration();
      if (keep) rule->keep_firing_for = keep->AsDuration();
      if (rule->type == RuleType::kRecording) {
        if (!IsValidMetricName(record_name)) {
          fail(record->position(), "invalid recording rule name: " + record_name);
        }
        if (annotations && !annotations->Entries().empty()) {
          fail(annotations->position(), "invalid field 'annotations' in recording rule");
        }
        if (rule->hold.count() != 0)
          fail(hold->position(), "invalid field 'for' in recording rule");
        if (rule->keep_firing_for.count() != 0) {
          fail(keep->position(), "invalid field 'keep_firing_for' in recording rule");
        }
      }
      if (!expr || expr->AsString().empty()) {
        fail(node.position(), "field 'expr' must be set in rule");
      } else {
        rule->expr = expr->AsString();
        promql::ParseResult parsed = promql::Parse(rule->expr);
        if (!parsed.ok()) {
          const config::Position at = detail::ScalarOffsetPosition(
              text_, expr->position(), rule->expr, parsed.error.position);
          fail(at, "could not parse expression: " + parsed.error.ToString());
        } else {
          rule->query = std::move(parsed.expr);
        }
      }
      if (labels) {
        for (const auto& [key, value] : labels->Entries()) {
          const std::string name = key.AsString();
          const std::string text = value.IsNull() ? "" : value.AsString();
          if (!IsValidLabelName(name) || name == "__name__") {
            fail(key.position(), "invalid label name: " + name);
          } else if (!utf8::Valid(text)) {
            fail(value.position(), "invalid label value: " + text);
          } else {
            if (rule->type == RuleType::kAlerting) {
              CheckTemplate(rule->name, "label", name, value, text, fail);
            }
            rule->labels.push_back({name, text});
          }
        }
      }
      if (annotations && rule->type == RuleType::kAlerting) {
        for (const auto& [key, value] : annotations->Entries()) {
          const std::string name = key.AsString();
          const std::string text = value.IsNull() ? "" : value.AsString();
          if (!IsValidLabelName(name)) {
            fail(key.position(), "invalid annotation name: " + name);
          } else {
            CheckTemplate(rule->name, "annotation", name, value, text, fail);
            rule->annotations.push_back({name, text});
          }
        }
      }
    } catch (const config::ConfigError& e) {
      errors_.emplace_back(e.what());
    }
    std::sort(rule->labels.begin(), rule->labels.end());
    std::sort(rule->annotations.begin(), rule->annotations.end());
    for (size_t i = 1; i < rule->labels.size(); ++i) {
      if (rule->labels[i].name == rule->labels[i - 1].name) {
        fail(rule->position, "duplicate label name: " + rule->labels[i].name);
      }
    }
    return errors_.size() == errors_before;
  }

  template <typename Fail>
  static void CheckTemplate(const std::string& alert, std::string_view kind,
                            const std::string& name, const config::Node& value,
                            const std::string& text, Fail& fail) {
    auto error = CheckAlertTemplate(alert, text);
    if (error) fail(value.position(), std::string(kind) + " " + Quote(name) + ": " + *error);
  }

  std::string_view text_;
  std::string file_;
  std::vector<std::string> errors_;
};

std::string ReadWholeFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ":1:1: cannot open file: " + std::strerror(errno);
    return "";
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

std::string RuleSpec::IdentityKey() const {
  std::string key = name;
  key += '\xff';
  for (const auto& label : labels) {
    key += label.name;
    key += '\xfe';
    key += label.value;
    key += '\xff';
  }
  return key;
}

bool RuleSpec::SameDefinition(const RuleSpec& other) const {
  return type == other.type && name == other.name && expr == other.expr && hold == other.hold &&
         keep_firing_for == other.keep_firing_for && labels == other.labels &&
         annotations == other.annotations;
}

size_t RuleFileResult::RuleCount() const {
  size_t count = 0;
  for (const auto& group : groups) count += group.rules.size();
  return count;
}

RuleFileResult ParseRuleText(std::string_view text, const std::string& file_name) {
  // Parsing and checking nested expressions and templates recurses up to their nesting limits,
  // and a reload may run on an HTTP worker's small stack.
  RuleFileResult result;
  config::RunWithLargeStack([&] { result = FileReader(text, file_name).Read(); });
  return result;
}

RuleFileResult ParseRuleFile(const std::string& path) {
  std::string error;
  const std::string text = ReadWholeFile(path, &error);
  if (!error.empty()) {
    RuleFileResult result;
    result.errors.push_back(error);
    return result;
  }
  return ParseRuleText(text, path);
}

std::vector<std::string> ExpandRuleFilePatterns(const std::vector<std::string>& patterns,
                                                std::vector<std::string>* errors) {
  std::vector<std::string> files;
  std::set<std::string> seen;
  for (const auto& pattern : patterns) {
    if (!HasGlobChars(pattern)) {
      if (seen.insert(pattern).second) files.push_back(pattern);
      continue;
    }
    glob_t matches{};
    const int rc = ::glob(pattern.c_str(), 0, nullptr, &matches);
    if (rc == 0) {
      for (size_t i = 0; i < matches.gl_pathc; ++i) {
        std::string file = matches.gl_pathv[i];
        if (std::filesystem::is_directory(file)) continue;
        if (seen.insert(file).second) files.push_back(std::move(file));
      }
    } else if (rc != GLOB_NOMATCH) {
      errors->push_back(pattern + ": cannot expand the pattern");
    }
    ::globfree(&matches);
  }
  return files;
}

std::vector<GroupSpec> LoadRuleFiles(const std::vector<std::string>& patterns) {
  std::vector<std::string> errors;
  std::vector<GroupSpec> groups;
  for (const auto& file : ExpandRuleFilePatterns(patterns, &errors)) {
    RuleFileResult result = ParseRuleFile(file);
    errors.insert(errors.end(), result.errors.begin(), result.errors.end());
    for (auto& group : result.groups) groups.push_back(std::move(group));
  }
  if (!errors.empty()) {
    std::string message;
    for (size_t i = 0; i < errors.size(); ++i) message += (i ? "\n" : "") + errors[i];
    throw config::ConfigError(message);
  }
  return groups;
}

std::vector<DuplicateRule> FindDuplicateRules(const std::vector<GroupSpec>& groups) {
  std::map<std::pair<std::string, Labels>, int> counts;
  for (const auto& group : groups) {
    for (const auto& rule : group.rules) ++counts[{rule.name, rule.labels}];
  }
  std::vector<DuplicateRule> duplicates;
  for (const auto& [key, count] : counts) {
    if (count > 1) duplicates.push_back({key.first, key.second});
  }
  return duplicates;
}

namespace detail {
namespace {

struct Segment {
  int line;    // 1-based
  int column;  // 1-based, of the segment's first character
  size_t length;
};

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

size_t Indent(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

bool Blank(std::string_view line) { return Indent(line) == line.size(); }

}  // namespace

config::Position ScalarOffsetPosition(std::string_view file_text, const config::Position& node,
                                      std::string_view value, size_t offset) {
  config::Position out = node;
  const std::vector<std::string_view> lines = SplitLines(file_text);
  const size_t first = static_cast<size_t>(std::max(node.line, 1) - 1);
  if (first >= lines.size()) return out;
  const std::string_view header = lines[first];
  const size_t column = static_cast<size_t>(std::max(node.column, 1) - 1);
  const char indicator = column < header.size() ? header[column] : ' ';

  // The scalar's content as pieces of file lines; every piece is followed by one character of
  // the value (the newline of a literal block, the space of a folded line).
  std::vector<Segment> segments;
  if (indicator == '|' || indicator == '>') {
    size_t indent = 0;
    for (size_t i = first + 1; i < lines.size(); ++i) {
      if (Blank(lines[i])) {
        if (indicator == '|') segments.push_back({static_cast<int>(i + 1), 1, 0});
        continue;
      }
      const size_t this_indent = Indent(lines[i]);
      if (indent == 0) indent = this_indent;
      if (this_indent < indent || this_indent <= Indent(header)) break;
      segments.push_back(
          {static_cast<int>(i + 1), static_cast<int>(indent + 1), lines[i].size() - indent});
    }
  } else {
    const bool quoted = indicator == '"' || indicator == '\'';
    const size_t start = column + (quoted ? 1 : 0);
    size_t covered = 0;
    for (size_t i = first; i < lines.size() && covered <= value.size(); ++i) {
      const size_t from = i == first ? start : Indent(lines[i]);
      const size_t length = lines[i].size() > from ? lines[i].size() - from : 0;
      segments.push_back({static_cast<int>(i + 1), static_cast<int>(from + 1), length});
      covered += length + 1;
    }
  }
  size_t consumed = 0;
  for (const auto& segment : segments) {
    if (offset <= consumed + segment.length) {
      out.line = segment.line;
      out.column = segment.column + static_cast<int>(offset - consumed);
      return out;
    }
    consumed += segment.length + 1;
  }
  if (!segments.empty()) {
    out.line = segments.back().line;
    out.column = segments.back().column + static_cast<int>(segments.back().length);
  }
  return out;
}

}  // namespace detail

}  // namespace codebot::rules
