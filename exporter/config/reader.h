// What every section reader of the config shares: secrets (inline or *_file), name checks, label
// maps, URLs and source schedules, each failing with file:line:col and what was expected.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "exporter/config/secret.h"
#include "exporter/config/yaml.h"
#include "exporter/core/duration.h"
#include "exporter/core/metric.h"

namespace codebot::config {

std::string Quote(std::string_view text);  // "text", for messages

class SectionReader {
 public:
  explicit SectionReader(std::string config_file) : config_file_(std::move(config_file)) {}

  const std::string& config_file() const { return config_file_; }

  // Reads "<key>" (inline, ${ENV} expanded) or "<key>_file" (relative to the config file, read
  // now to fail early); both at once is an error. Unset when neither is given.
  Secret ReadSecret(MapReader& map, std::string_view key) const;

  static void CheckMetricName(const Node& node, const std::string& name);
  // Label names as users may set them: valid and not starting with "__".
  static void CheckLabelName(const Node& node, const std::string& name);
  static Labels ReadLabelMap(const Node& node);  // sorted by name
  static void CheckUrl(const Node& node, const std::string& url);
  // interval and timeout of a source, with Prometheus' rule that a timeout can't exceed the
  // interval.
  static void ReadSchedule(MapReader& map, Duration default_interval, Duration default_timeout,
                           Duration* interval, Duration* timeout);

 private:
  std::string config_file_;
};

}  // namespace codebot::config
