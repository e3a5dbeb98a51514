// GET /metrics through Server::Dispatch: plain and gzip bodies hold the same exposition, and the
// cached part is compressed once per change of the exposition, not per scrape.
#include "exporter/store/metrics_endpoint.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "exporter/expfmt/parser.h"
#include "exporter/http/gzip.h"
#include "exporter/store/exposition_cache.h"

namespace codebot::store {
namespace {

collect::Collection BotCollection(int series, double value) {
  std::string text = "# HELP relayed_total Relayed.\n# TYPE relayed_total counter\n";
  for (int i = 0; i < series; ++i) {
    text += "relayed_total{i=\"" + std::to_string(i) + "\"} " + std::to_string(value) + "\n";
  }
  auto parsed = expfmt::Parse(text);
  collect::Collection collection;
  collection.source = "bot";
  collection.families = std::make_shared<const std::vector<Family>>(std::move(parsed.families));
  return collection;
}

std::string Body(const http::Response& response) {
  std::string body = response.body;
  for (const auto& part : response.shared_parts) body += *part;
  return body;
}

std::string HeaderOf(const http::Response& response, std::string_view name) {
  return std::string(http::FindHeader(response.headers, name));
}

class MetricsEndpoint : public ::testing::Test {
 protected:
  MetricsEndpoint() : registry_(std::make_shared<prometheus::Registry>()), cache_(*registry_) {
    prometheus::BuildCounter()
        .Name("own_total")
        .Help("Own.")
        .Register(*registry_)
        .Add({})
        .Increment(3);
    RegisterMetricsEndpoint(server_, {registry_.get()}, cache_);
  }

  http::Response Get(const std::string& accept_encoding) {
    http::Request request;
    request.method = "GET";
    request.path = "/metrics";
    if (!accept_encoding.empty()) request.headers.emplace_back("Accept-Encoding", accept_encoding);
    return server_.Dispatch(request);
  }

  std::shared_ptr<prometheus::Registry> registry_;
  ExpositionCache cache_;
  http::Server server_{http::ServerOptions{}};
};

TEST_F(MetricsEndpoint, GzipBodyDecodesToThePlainBody) {
  cache_.Publish(BotCollection(2000, 5));
  const http::Response plain = Get("");
  const http::Response gzip = Get("gzip");
  EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "");
  EXPECT_EQ(HeaderOf(plain, "Vary"), "Accept-Encoding");
  EXPECT_EQ(HeaderOf(gzip, "Content-Encoding"), "gzip");
  EXPECT_EQ(HeaderOf(gzip, "Vary"), "Accept-Encoding");
  const std::string plain_body = Body(plain);
  EXPECT_NE(plain_body.find("own_total 3\n"), std::string::npos);
  EXPECT_NE(plain_body.find("relayed_total{i=\"1999\"} 5\n"), std::string::npos);
  EXPECT_EQ(http::Gunzip(Body(gzip)), plain_body);
  EXPECT_LT(Body(gzip).size() * 8, plain_body.size());
}

TEST_F(MetricsEndpoint, EmptyExpositionStillMakesValidGzip) {
  const http::Response gzip = Get("gzip");
  ASSERT_EQ(HeaderOf(gzip, "Content-Encoding"), "gzip");
  EXPECT_EQ(http::Gunzip(Body(gzip)), Body(Get("")));
}

TEST_F(MetricsEndpoint, CachedPartIsCompressedOncePerChange) {
  cache_.Publish(BotCollection(100, 1));
  const auto first = cache_.Current();
  ASSERT_NE(first.deflated, nullptr);
  // Scrapes send that very part.
  const http::Response gzip = Get("gzip");
  ASSERT_GE(gzip.shared_parts.size(), 1u);
  EXPECT_EQ(gzip.shared_parts[0]->data(), first.deflated->bytes.data());
  // The same exposition again keeps it; a changed one gets a new one.
  cache_.Publish(BotCollection(100, 1));
  EXPECT_EQ(cache_.Current().deflated, first.deflated);
  cache_.Publish(BotCollection(100, 2));
  const auto changed = cache_.Current();
  ASSERT_NE(changed.deflated, nullptr);
  EXPECT_NE(changed.deflated, first.deflated);
  EXPECT_EQ(http::Gunzip(http::GzipHeader() + changed.deflated->bytes +
                         http::GzipTrailer(changed.deflated->crc32, changed.deflated->size)),
            *changed.text);
}

}  // namespace
}  // namespace codebot::store
