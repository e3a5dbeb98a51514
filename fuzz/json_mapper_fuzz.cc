// Fuzzes the bot's JSON metrics through a fixed set of json_mappings (plain paths, '*' over
// objects and arrays, nested wildcards, array indexes, two mappings sharing a family; all as config
// accepts them). Whatever comes out is exposed on /metrics, so it must also survive the exposition
// writer and parser.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/collect/bot/json_mapper.h"
#include "exporter/expfmt/parser.h"
#include "exporter/expfmt/writer.h"

namespace {

using codebot::config::JsonMapping;

JsonMapping Mapping(std::string path, std::string name, std::vector<std::string> labels,
                    codebot::MetricType type = codebot::MetricType::kGauge) {
  JsonMapping mapping;
  mapping.path = std::move(path);
  mapping.name = std::move(name);
  mapping.type = type;
  mapping.help = "fuzzed";
  mapping.wildcard_labels = std::move(labels);
  return mapping;
}

const std::vector<JsonMapping>& Mappings() {
  static const std::vector<JsonMapping> mappings = [] {
    std::vector<JsonMapping> m = {
        Mapping("handlers.*.errors", "codebot_handler_errors_total", {"handler"},
                codebot::MetricType::kCounter),
        Mapping("handlers.*.calls", "codebot_handler_calls_total", {"handler"},
                codebot::MetricType::kCounter),
        Mapping("queue.depth", "codebot_queue_depth", {}),
        Mapping("shards.*.load", "codebot_shard_load", {"shard"}),
        Mapping("shards.0.load", "codebot_first_shard_load", {}),
        Mapping("*", "codebot_top", {"key"}),
        Mapping("*.*", "codebot_second", {"a", "b"}),
        Mapping("*.x.*", "codebot_third", {"a", "b"}),
        Mapping("queue.depth", "codebot_top", {}),  // shares a family with "*"
    };
    m[5].const_labels = {{"source", "bot"}};
    return m;
  }();
  return mappings;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = codebot::collect::bot::MapJson(text, Mappings());
  if (!result.ok) return 0;
  std::string exposition;
  for (const auto& family : result.families) codebot::expfmt::AppendFamily(exposition, family);
  const auto parsed = codebot::expfmt::Parse(exposition);
  if (!parsed.ok) __builtin_trap();  // mapped families the exposition format cannot carry
  return 0;
}
