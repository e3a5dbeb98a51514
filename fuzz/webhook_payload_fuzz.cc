// Fuzzes the Alertmanager webhook payload parser (what POST /alertmanager reads from the
// network). Beyond not crashing: an accepted payload holds between one and max_alerts alerts,
// each with an alertname, sorted labels and no empty label value, as the parser promises.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exporter/alerts/webhook/payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  codebot::alerts::webhook::ParseOptions options;
  options.max_alerts = 50;
  options.now_ms = 1'700'000'000'000;
  codebot::alerts::webhook::ParseError error;
  const auto payload = codebot::alerts::webhook::ParsePayload(body, options, &error);
  if (!payload) return 0;
  if (payload->alerts.empty() || payload->alerts.size() > options.max_alerts) __builtin_trap();
  for (const auto& received : payload->alerts) {
    const codebot::Labels& labels = received.alert.labels;
    bool named = false;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i].value.empty()) __builtin_trap();
      if (i > 0 && !(labels[i - 1].name < labels[i].name)) __builtin_trap();
      named = named || labels[i].name == "alertname";
    }
    if (!named) __builtin_trap();
  }
  return 0;
}
