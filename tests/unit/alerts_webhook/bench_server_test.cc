// The C++ side of bench/webhook_load.sh: the webhook receiver's routes on a real server, with a
// receiver that does per request what the Python peer (bench/python_receiver.py) does: every
// alert enriched with its playbook from rules/playbooks.yml and its Grafana links, by the
// sidecar's own Enricher. The first test proves that it does; the disabled one serves for the
// benchmark (CODEBOT_BENCH_PORT=P, --gtest_also_run_disabled_tests) until SIGTERM.
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "exporter/alerts/enrich.h"
#include "exporter/alerts/webhook/receiver.h"
#include "exporter/config/playbooks.h"
#include "exporter/http/server.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::alerts::webhook {
namespace {

constexpr const char* kGrafanaUrl = "https://grafana.example.com";

class EnrichingReceiver : public AlertReceiver {
 public:
  EnrichingReceiver()
      : enricher_(config::LoadPlaybookFiles({testing::SourceDir() + "/rules/playbooks.yml"}),
                  kGrafanaUrl) {}

  Handover Route(std::vector<Alert> alerts) override {
    for (const Alert& alert : alerts) Count(enricher_.Enrich(alert));
    return Handover::kAccepted;
  }
  Handover ToReceiver(Notification notification) override {
    for (NotifiedAlert& item : notification.alerts) {
      item.enrichment = enricher_.Enrich(item.alert);
      Count(item.enrichment);
    }
    return Handover::kAccepted;
  }

  uint64_t enriched() const { return enriched_.load(); }
  uint64_t from_default() const { return from_default_.load(); }
  uint64_t links() const { return links_.load(); }

 private:
  void Count(const Enrichment& enrichment) {
    enriched_.fetch_add(1, std::memory_order_relaxed);
    if (enrichment.from_default) from_default_.fetch_add(1, std::memory_order_relaxed);
    links_.fetch_add(enrichment.dashboards.size(), std::memory_order_relaxed);
  }

  Enricher enricher_;
  std::atomic<uint64_t> enriched_{0};
  std::atomic<uint64_t> from_default_{0};
  std::atomic<uint64_t> links_{0};
};

Options ReceiverOptions(AlertReceiver* receiver, prometheus::Registry* registry) {
  Options options;
  options.receiver = receiver;
  options.registry = registry;
  return options;
}

http::Response PostFiveAlerts(const http::Server& server, const std::string& path) {
  http::Request request;
  request.method = "POST";
  request.path = path;
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = testing::ReadFile(testing::SourceDir() + "/tests/data/webhook/five-alerts.json");
  request.id = "bench";
  return server.Dispatch(request);
}

TEST(WebhookBenchServer, EnrichesEveryAlertWithItsPlaybook) {
  EnrichingReceiver receiver;
  prometheus::Registry registry;
  http::Server server(http::ServerOptions{});
  RegisterRoutes(server, ReceiverOptions(&receiver, &registry));
  ASSERT_EQ(PostFiveAlerts(server, "/alertmanager/oncall").status, 200);
  ASSERT_EQ(PostFiveAlerts(server, "/alertmanager").status, 200);
  EXPECT_EQ(receiver.enriched(), 10u);
  // BotErrorRatioHigh has playbooks per operation, and each names its dashboards.
  EXPECT_EQ(receiver.from_default(), 0u);
  EXPECT_GE(receiver.links(), 10u);
}

TEST(WebhookBenchServer, DISABLED_Serve) {
  const char* port = std::getenv("CODEBOT_BENCH_PORT");
  if (port == nullptr) GTEST_SKIP() << "set CODEBOT_BENCH_PORT";
  const char* threads = std::getenv("CODEBOT_BENCH_THREADS");
  // SIGTERM/SIGINT are waited for below; blocked first, so every server thread inherits the mask.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  EnrichingReceiver receiver;
  prometheus::Registry registry;
  http::ServerOptions options;
  options.listen_address = std::string("127.0.0.1:") + port;
  options.num_threads = threads != nullptr ? std::atoi(threads) : 8;  // the sidecar's default
  http::Server server(options);
  RegisterRoutes(server, ReceiverOptions(&receiver, &registry));
  server.Start();
  std::printf("ready\n");
  std::fflush(stdout);
  int signal_number = 0;
  sigwait(&stop, &signal_number);
  server.Stop();
  std::printf("enriched %llu alerts\n", static_cast<unsigned long long>(receiver.enriched()));
}

}  // namespace
}  // namespace codebot::alerts::webhook
