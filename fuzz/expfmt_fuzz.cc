// Fuzzes the exposition-format parser (what the bot's /metrics and relayed bodies go through).
// Beyond not crashing: whatever it accepts, the writer must turn into text it accepts again,
// holding the same series with the same values (the relay path parses, then re-exposes). How
// samples group into families may differ (a `_bucket` line seen before its histogram's TYPE
// line is a family of its own, after it a part of the histogram); Prometheus ingests series,
// not families, so only the series are compared.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/expfmt/parser.h"
#include "exporter/expfmt/writer.h"

namespace {

std::string Write(const codebot::expfmt::ParseResult& result) {
  std::string out;
  for (const auto& family : result.families) codebot::expfmt::AppendFamily(out, family);
  return out;
}

// Every sample as its exposition line, sorted.
std::vector<std::string> Series(const codebot::expfmt::ParseResult& result) {
  std::vector<std::string> lines;
  for (const auto& family : result.families) {
    for (const auto& sample : family.samples) {
      std::string line;
      codebot::expfmt::AppendSample(line, sample);
      lines.push_back(std::move(line));
    }
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto first = codebot::expfmt::Parse(text);
  if (!first.ok) {
    (void)first.error.ToString();
    return 0;
  }
  const std::string written = Write(first);
  const auto second = codebot::expfmt::Parse(written);
  if (!second.ok) {
    __builtin_trap();  // the writer produced text the parser rejects
  }
  if (Series(second) != Series(first)) __builtin_trap();  // series lost, added or changed
  return 0;
}
