#include "exporter/config/reader.h"

#include <algorithm>

#include "exporter/config/config.h"
#include "exporter/core/sanitize.h"

namespace codebot::config {

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

Secret SectionReader::ReadSecret(MapReader& map, std::string_view key) const {
  Secret secret;
  const std::string file_key = std::string(key) + "_file";
  auto inline_node = map.Get(key);
  auto file_node = map.Get(file_key);
  if (inline_node && file_node) {
    file_node->Fail("set either " + std::string(key) + " or " + file_key + " in " + map.context() +
                    ", not both");
  }
  if (inline_node) {
    secret.inline_value = inline_node->AsExpandedString();
    if (secret.inline_value.empty()) {
      inline_node->Fail(std::string(key) + " in " + map.context() + " is empty");
    }
    sanitize::RegisterSecret(secret.inline_value);
  }
  if (file_node) {
    secret.file = ResolvePath(config_file_, file_node->AsExpandedString());
    std::string error;
    auto value = ReadSecretFile(secret.file, &error);
    if (!value) file_node->Fail(error);
    if (value->empty()) file_node->Fail(secret.file + " is empty");
    sanitize::RegisterSecret(*value);
  }
  return secret;
}

void SectionReader::CheckMetricName(const Node& node, const std::string& name) {
  if (!IsValidMetricName(name)) {
    node.Fail("invalid metric name " + Quote(name) + ": expected [a-zA-Z_:][a-zA-Z0-9_:]*");
  }
}

void SectionReader::CheckLabelName(const Node& node, const std::string& name) {
  if (!IsValidLabelName(name) || name.starts_with("__")) {
    node.Fail("invalid label name " + Quote(name) +
              ": expected [a-zA-Z_][a-zA-Z0-9_]* not starting with __");
  }
}

Labels SectionReader::ReadLabelMap(const Node& node) {
  Labels labels;
  for (const auto& [key, value] : node.Entries()) {
    const std::string name = key.AsString();
    CheckLabelName(key, name);
    labels.push_back({name, value.AsExpandedString()});
  }
  std::sort(labels.begin(), labels.end());
  return labels;
}

void SectionReader::CheckUrl(const Node& node, const std::string& url) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    node.Fail("invalid URL " + Quote(sanitize::Redact(url)) +
              ": expected an http:// or https:// URL");
  }
}

void SectionReader::ReadSchedule(MapReader& map, Duration default_interval,
                                 Duration default_timeout, Duration* interval, Duration* timeout) {
  *interval = map.GetDuration("interval", default_interval);
  if (interval->count() <= 0) map.Required("interval").Fail("interval must be positive");
  auto timeout_node = map.Get("timeout");
  *timeout = timeout_node ? timeout_node->AsDuration() : std::min(default_timeout, *interval);
  if (timeout->count() <= 0) timeout_node->Fail("timeout must be positive");
  if (*timeout > *interval) {
    timeout_node->Fail("timeout " + FormatDuration(*timeout) + " is longer than interval " +
                       FormatDuration(*interval) + " in " + map.context());
  }
}

}  // namespace codebot::config
