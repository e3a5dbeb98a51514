// Alertmanager's inhibition: a firing alert matching an inhibit rule's source side mutes every
// alert matching its target side that has the same values of the rule's `equal` labels (an
// absent label equals an empty one). An alert matching both sides is never muted by an alert that
// also matches both, so it can't inhibit itself. Built from a snapshot of the firing alerts and
// then read-only: no clock, no locks, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "exporter/config/notifications.h"
#include "exporter/core/metric.h"

namespace codebot::alerts {

class Inhibitor {
 public:
  explicit Inhibitor(const std::vector<config::InhibitRule>& rules);

  // Forgets the previous sources and takes, for every rule, the given alerts that match its
  // source side. Pass only alerts firing at the time the answers are for.
  void SetSources(const std::vector<const Labels*>& firing);

  // Whether an alert with these labels is muted by one of the sources.
  bool Mutes(const Labels& labels) const;

  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    std::vector<Matcher> source;
    std::vector<Matcher> target;
    std::vector<std::string> equal;  // sorted, unique
    // Sources by the hash of their `equal` labels; the hash only narrows, equality decides.
    std::unordered_multimap<uint64_t, Labels> sources;
  };
  std::vector<Rule> rules_;
};

}  // namespace codebot::alerts
