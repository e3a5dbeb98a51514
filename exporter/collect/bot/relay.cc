#include "exporter/collect/bot/relay.h"

#include "exporter/collect/bot/json_mapper.h"
#include "exporter/expfmt/parser.h"
#include "exporter/http/client.h"
#include "exporter/http/url.h"

namespace codebot::collect::bot {
namespace {

class Relay : public Collector {
 public:
  explicit Relay(config::BotSource config)
      : config_(std::move(config)), instance_(http::HostPort(config_.url)) {}

  CollectResult Collect(Deadline deadline) override {
    http::ClientRequest request;
    request.url = config_.url;
    request.timeout = Remaining(deadline);
    request.max_body_bytes = config_.max_body_bytes;
    request.headers.emplace_back("Accept", config_.format == config::BotFormat::kJson
                                               ? "application/json"
                                               : "text/plain;version=0.0.4;q=1,*/*;q=0.1");
    if (config_.bearer_token.IsSet()) {
      std::string error;
      auto token = config_.bearer_token.Resolve(&error);
      if (!token) return CollectResult::Failure("auth", error);
      request.headers.emplace_back("Authorization", "Bearer " + *token);
    }
    const http::ClientResponse response = client_.Do(request);
    if (!response.transport_ok()) {
      return CollectResult::Failure(std::string(http::ClientErrorName(response.error)),
                                    response.error_message);
    }
    if (response.status < 200 || response.status > 299) {
      return CollectResult::Failure("http_status",
                                    "HTTP status " + std::to_string(response.status));
    }
    if (config_.format == config::BotFormat::kJson) {
      JsonMapResult mapped = MapJson(response.body, config_.json_mappings);
      if (!mapped.ok) return CollectResult::Failure("parse", mapped.error);
      CollectResult result;
      result.families = std::move(mapped.families);
      return result;
    }
    expfmt::ParseResult parsed = expfmt::Parse(response.body);
    if (!parsed.ok) return CollectResult::Failure("parse", parsed.error.ToString());
    CollectResult result;
    result.families = std::move(parsed.families);
    return result;
  }

  std::vector<std::string> ErrorReasons() const override {
    return {"timeout", "connect", "http_status", "too_large", "parse", "auth", "other"};
  }

  std::string Instance() const override { return instance_; }

 private:
  config::BotSource config_;
  std::string instance_;
  http::Client client_;
};

}  // namespace

std::unique_ptr<Collector> NewRelay(const config::BotSource& config) {
  return std::make_unique<Relay>(config);
}

}  // namespace codebot::collect::bot
