// Rule files in the Prometheus format (groups of alerting and recording rules), read and checked
// the way `promtool check rules` checks them, with every problem reported as file:line:col.
// Loading is a start-up/reload activity: it may throw config::ConfigError, nothing else here
// runs on an evaluation or request path.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/config/yaml.h"
#include "exporter/core/duration.h"
#include "exporter/core/metric.h"

namespace codebot::promql {
class Expr;
}

namespace codebot::rules {

enum class RuleType { kAlerting, kRecording };

struct RuleSpec {
  RuleType type = RuleType::kAlerting;
  std::string name;  // the alert name or the recorded metric name
  std::string expr;  // as written in the file
  std::shared_ptr<const promql::Expr> query;
  Duration hold{0};             // `for`
  Duration keep_firing_for{0};  // `keep_firing_for`
  Labels labels;                // sorted; templates for alerting rules, plain for recording rules
  Labels annotations;           // sorted; templates
  config::Position position;    // the rule's mapping in the file

  // Prometheus keeps a rule's state across a reload when name and labels match.
  std::string IdentityKey() const;
  // Same definition (what the rules API shows and what a reload compares).
  bool SameDefinition(const RuleSpec& other) const;
};

struct GroupSpec {
  std::string file;
  std::string name;
  std::optional<Duration> interval;  // unset or 0s: the global evaluation_interval
  int64_t limit = 0;                 // 0: no limit on alerts/series per rule
  std::vector<RuleSpec> rules;
  config::Position position;

  // "file;name", the rule_group label Prometheus uses.
  std::string Key() const { return file + ";" + name; }
};

// What one file holds and everything wrong with it (each error "file:line:col: message").
struct RuleFileResult {
  std::vector<GroupSpec> groups;
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
  size_t RuleCount() const;
};

RuleFileResult ParseRuleFile(const std::string& path);
RuleFileResult ParseRuleText(std::string_view text, const std::string& file_name);

// Expands rule_files patterns like Prometheus (shell globs); a pattern without glob characters
// must name an existing file. Returns the files in pattern order, each once; problems go to
// errors ("pattern: message").
std::vector<std::string> ExpandRuleFilePatterns(const std::vector<std::string>& patterns,
                                                std::vector<std::string>* errors);

// Loads and validates every file; throws config::ConfigError listing every problem (one per
// line) so that nothing is applied unless everything is valid.
std::vector<GroupSpec> LoadRuleFiles(const std::vector<std::string>& patterns);

// Rules with the same name and labels, which promtool's duplicate-rules lint reports.
struct DuplicateRule {
  std::string name;
  Labels labels;
};
std::vector<DuplicateRule> FindDuplicateRules(const std::vector<GroupSpec>& groups);

namespace detail {
// Where the byte at `offset` of a scalar's value sits in the file, for block (| >), quoted and
// plain scalars; exact for literal blocks and single-line scalars, close for folded ones.
config::Position ScalarOffsetPosition(std::string_view file_text, const config::Position& node,
                                      std::string_view value, size_t offset);
}  // namespace detail

}  // namespace codebot::rules
