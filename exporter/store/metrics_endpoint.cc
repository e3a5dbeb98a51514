#include "exporter/store/metrics_endpoint.h"

#include <prometheus/text_serializer.h>

#include <sstream>

#include "exporter/expfmt/writer.h"
#include "exporter/http/gzip.h"

namespace codebot::store {
namespace {

// The part serialised per request is small; the fastest level keeps its cost near a copy.
constexpr int kPerRequestGzipLevel = 1;

// The HTTP server's connection counters, as families of the sidecar's own metrics.
void AppendConnectionFamilies(const http::ServerStats& stats,
                              std::vector<prometheus::MetricFamily>& families) {
  prometheus::MetricFamily open;
  open.name = "codebot_exporter_http_connections_open";
  open.help = "HTTP connections open, whether reading a request, in a handler or writing.";
  open.type = prometheus::MetricType::Gauge;
  open.metric.emplace_back().gauge.value = static_cast<double>(stats.open_connections);
  families.push_back(std::move(open));

  prometheus::MetricFamily rejected;
  rejected.name = "codebot_exporter_http_connections_rejected_total";
  rejected.help =
      "HTTP connections refused or closed before their response: at the server or per-client "
      "limit, past a deadline, too large, malformed, or out of memory or descriptors.";
  rejected.type = prometheus::MetricType::Counter;
  for (int i = 0; i < http::kRejectionCount; ++i) {
    auto& metric = rejected.metric.emplace_back();
    metric.label.push_back(
        {"reason", std::string(http::RejectionReason(static_cast<http::Rejection>(i)))});
    metric.counter.value = static_cast<double>(stats.rejected[i]);
  }
  families.push_back(std::move(rejected));
}

}  // namespace

void RegisterMetricsEndpoint(http::Server& server,
                             std::vector<const prometheus::Collectable*> own_metrics,
                             const ExpositionCache& exposition) {
  server.Handle("/metrics", [own_metrics = std::move(own_metrics), &exposition,
                             &server](const http::Request& request) {
    std::vector<prometheus::MetricFamily> families;
    for (const auto* collectable : own_metrics) {
      auto collected = collectable->Collect();
      families.insert(families.end(), std::make_move_iterator(collected.begin()),
                      std::make_move_iterator(collected.end()));
    }
    AppendConnectionFamilies(server.Stats(), families);
    std::ostringstream own;
    prometheus::TextSerializer().Serialize(own, families);
    const ExpositionCache::Snapshot cached = exposition.Current();
    http::Response response;
    response.content_type = std::string(expfmt::kContentType);
    response.headers.emplace_back("Vary", "Accept-Encoding");
    // The cached part was compressed once, when the exposition changed; only the own part is
    // compressed here, and the two join into one gzip member. While a new exposition is still
    // being compressed, it goes out plain.
    if (cached.deflated != nullptr && http::AcceptsGzip(request.Header("Accept-Encoding"))) {
      const http::DeflatedPart head = http::Deflate(own.str(), kPerRequestGzipLevel, false);
      response.headers.emplace_back("Content-Encoding", "gzip");
      response.body = http::GzipHeader() + head.bytes;
      response.shared_parts.push_back(
          std::shared_ptr<const std::string>(cached.deflated, &cached.deflated->bytes));
      response.shared_parts.push_back(std::make_shared<const std::string>(http::GzipTrailer(
          http::CombineCrc32(head.crc32, cached.deflated->crc32, cached.deflated->size),
          head.size + cached.deflated->size)));
    } else {
      response.body = own.str();
      response.shared_parts.push_back(cached.text);
    }
    return response;
  });
}

}  // namespace codebot::store
