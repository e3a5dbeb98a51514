#include "exporter/alerts/inhibit.h"

#include "exporter/core/label_matchers.h"
#include "exporter/core/labels.h"

namespace codebot::alerts {

Inhibitor::Inhibitor(const std::vector<config::InhibitRule>& rules) {
  rules_.reserve(rules.size());
  for (const auto& rule : rules) {
    rules_.push_back(Rule{.source = rule.source_matchers,
                          .target = rule.target_matchers,
                          .equal = SortedUnique(rule.equal),
                          .sources = {}});
  }
}

void Inhibitor::SetSources(const std::vector<const Labels*>& firing) {
  for (auto& rule : rules_) {
    rule.sources.clear();
    for (const Labels* labels : firing) {
      if (MatchesAll(rule.source, *labels)) {
        rule.sources.emplace(HashLabelsOn(*labels, rule.equal), *labels);
      }
    }
  }
}

bool Inhibitor::Mutes(const Labels& labels) const {
  for (const auto& rule : rules_) {
    if (rule.sources.empty() || !MatchesAll(rule.target, labels)) continue;
    // When the alert is on both sides, sources that are on both sides too don't count: two
    // alerts matching both sides would otherwise mute each other (and one would mute itself).
    const bool two_sided = MatchesAll(rule.source, labels);
    auto [begin, end] = rule.sources.equal_range(HashLabelsOn(labels, rule.equal));
    for (auto it = begin; it != end; ++it) {
      const Labels& source = it->second;
      if (!EqualLabelsOn(source, labels, rule.equal)) continue;
      if (two_sided && MatchesAll(rule.target, source)) continue;
      return true;
    }
  }
  return false;
}

}  // namespace codebot::alerts
