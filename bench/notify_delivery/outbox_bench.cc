// Enqueue throughput of the durable outbox: every Enqueue writes one record and fdatasyncs it
// before returning, so this measures the disk under the data dir (run it where data_dir will
// live). Variants: 1 or 4 integrations per receiver (one record either way), 1 or 5 alerts, and
// lanes stopped (Enqueue alone) or delivering at once (each delivery's removal record is
// fdatasync'd too, competing with Enqueue for the disk).
#include <benchmark/benchmark.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "exporter/core/log.h"
#include "exporter/notify/delivery/outbox.h"

namespace codebot::notify::delivery {
namespace {

class Instant final : public Notifier {
 public:
  Attempt Notify(const alerts::Notification&, EntryState&, SharedState&, Deadline) override {
    return {};
  }
};

alerts::Notification MakeNotification(int64_t i, int alerts) {
  alerts::Notification n;
  n.id = "bench-" + std::to_string(i);
  n.receiver = "oncall";
  n.group_key =
      "{}:{alertname=\"BotErrorRatioHigh\",operation=\"op" + std::to_string(i % 50) + "\"}";
  n.group_labels = {{"alertname", "BotErrorRatioHigh"}};
  n.common_labels = {{"alertname", "BotErrorRatioHigh"}, {"severity", "critical"}};
  n.external_url = "http://codebot-exporter:9187";
  for (int k = 0; k < alerts; ++k) {
    alerts::NotifiedAlert a;
    a.alert.labels = {{"alertname", "BotErrorRatioHigh"},
                      {"operation", "github_sync"},
                      {"instance", "bot-" + std::to_string(k)},
                      {"severity", "critical"}};
    a.alert.annotations = {
        {"description", "5.2% of github_sync requests failed over the last 5 minutes."},
        {"summary", "The bot fails github_sync requests"}};
    a.alert.starts_at_ms = 1'700'000'000'000;
    a.enrichment.summary = "GitHub sync is failing";
    a.enrichment.actions = {"Check the GitHub rate limit", "Check the bot's token",
                            "Look at the sync queue"};
    a.enrichment.runbook_url = "https://github.com/codebot/runbooks#boterrorratiohigh";
    a.enrichment.affected_services = {"bot", "github"};
    a.enrichment.dashboards = {{"Bot", "https://grafana.example.com/d/bot?from=1&to=2"}};
    n.alerts.push_back(std::move(a));
  }
  return n;
}

void EnqueueWithFsync(benchmark::State& state) {
  const int integrations = static_cast<int>(state.range(0));
  const int alerts = static_cast<int>(state.range(1));
  const bool deliver = state.range(2) != 0;
  log::Init(log::Level::kError, log::Format::kJson);
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/outbox-bench-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  {
    prometheus::Registry registry;
    OutboxOptions options;
    options.data_dir = dir;
    Outbox outbox(registry, options);
    std::vector<Integration> list;
    for (int k = 0; k < integrations; ++k) {
      Integration i;
      i.receiver = "oncall";
      i.name = "webhook";
      i.index = static_cast<size_t>(k);
      i.fingerprint = "v1";
      i.notifier = std::make_unique<Instant>();
      list.push_back(std::move(i));
    }
    outbox.Update(std::move(list));
    if (!deliver) outbox.Stop();  // Enqueue still writes; nothing else touches the log
    int64_t i = 0;
    for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the idiom
      if (!outbox.Enqueue(MakeNotification(i++, alerts))) state.SkipWithError("enqueue failed");
    }
    state.counters["log_bytes"] = static_cast<double>(outbox.LogBytes());
    state.SetItemsProcessed(state.iterations());
    outbox.Stop();
  }
  std::filesystem::remove_all(dir);
}

BENCHMARK(EnqueueWithFsync)
    ->ArgNames({"integrations", "alerts", "deliver"})
    ->Args({1, 1, 0})
    ->Args({1, 5, 0})
    ->Args({4, 5, 0})
    ->Args({4, 5, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace codebot::notify::delivery

BENCHMARK_MAIN();
