// Maps a JSON document to metric families by the json_mappings of the config (like
// json_exporter): a dotted path, where '*' runs over every key of an object (or index of an
// array) and turns it into a label.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "exporter/config/config.h"
#include "exporter/core/metric.h"

namespace codebot::collect::bot {

struct JsonMapResult {
  bool ok = true;
  std::string error;  // parse error with its position
  std::vector<Family> families;
};

// One family per mapping (mappings sharing a name share a family). Numbers map to their value,
// booleans to 1/0, numeric strings to their number; null, missing paths and other values are
// skipped.
JsonMapResult MapJson(std::string_view document, const std::vector<config::JsonMapping>& mappings);

}  // namespace codebot::collect::bot
