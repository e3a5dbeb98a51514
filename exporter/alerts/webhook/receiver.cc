#include "exporter/alerts/webhook/receiver.h"

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "exporter/alerts/webhook/payload.h"
#include "exporter/core/json_string.h"
#include "exporter/core/log.h"
#include "exporter/core/time.h"

namespace codebot::alerts::webhook {
namespace {

enum class Outcome {
  kAccepted,
  kDuplicate,
  kInvalid,
  kTooLarge,
  kUnsupportedMediaType,
  kUnauthorized,
  kUnknownReceiver,
  kNoRoute,
  kUnavailable,
};
constexpr std::array<std::string_view, 9> kOutcomeNames = {
    "accepted",     "duplicate",        "invalid",  "too_large",  "unsupported_media_type",
    "unauthorized", "unknown_receiver", "no_route", "unavailable"};

std::string_view OutcomeName(Outcome outcome) {
  return kOutcomeNames[static_cast<size_t>(outcome)];
}

// Bounded quoting of a name taken from the request path, for error texts.
std::string QuoteName(std::string_view name) {
  constexpr size_t kMax = 64;
  std::string out;
  json::AppendString(out, name.substr(0, kMax));
  if (name.size() > kMax) out.insert(out.size() - 1, "...");
  return out;
}

// Alertmanager sends "application/json"; "+json" media types and a missing header are JSON too.
bool IsJsonContentType(std::string_view value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (value.empty()) return true;
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "application/json" || (lower.size() > 5 && lower.ends_with("+json"));
}

Notification MakeNotification(const std::string& receiver, Payload&& payload, int64_t now_ms) {
  Notification notification;
  notification.receiver = receiver;
  notification.group_key = std::move(payload.group_key);
  notification.group_labels = std::move(payload.group_labels);
  notification.common_labels = std::move(payload.common_labels);
  notification.common_annotations = std::move(payload.common_annotations);
  notification.external_url = std::move(payload.external_url);
  notification.created_ms = now_ms;
  notification.truncated_alerts =
      static_cast<int>(std::min<int64_t>(payload.truncated_alerts, INT_MAX));
  // Firing first, then resolved; each part in fingerprint order, as a flushed group is.
  std::vector<std::pair<uint64_t, ReceivedAlert*>> order;
  order.reserve(payload.alerts.size());
  for (ReceivedAlert& item : payload.alerts) order.emplace_back(item.alert.Fingerprint(), &item);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    const bool a_resolved = a.second->status == Status::kResolved;
    const bool b_resolved = b.second->status == Status::kResolved;
    if (a_resolved != b_resolved) return b_resolved;
    return a.first < b.first;
  });
  notification.alerts.reserve(order.size());
  for (const auto& [fingerprint, item] : order) {
    NotifiedAlert notified;
    notified.alert = std::move(item->alert);
    notified.status = item->status;
    notification.alerts.push_back(std::move(notified));
  }
  return notification;
}

class Receiver {
 public:
  explicit Receiver(Options options)
      : options_(std::move(options)),
        requests_(prometheus::BuildCounter()
                      .Name("codebot_exporter_webhook_requests_total")
                      .Help("Requests to the Alertmanager webhook receiver, by outcome.")
                      .Register(*options_.registry)),
        received_(prometheus::BuildCounter()
                      .Name("codebot_exporter_alerts_received_total")
                      .Help("Alerts handed over to routing and delivery, by source and status.")
                      .Register(*options_.registry)),
        firing_(received_.Add({{"source", "webhook"}, {"status", "firing"}})),
        resolved_(received_.Add({{"source", "webhook"}, {"status", "resolved"}})) {
    for (size_t i = 0; i < kOutcomeNames.size(); ++i) {
      outcomes_[i] = &requests_.Add({{"outcome", std::string(kOutcomeNames[i])}});
    }
    if (!options_.now_ms) options_.now_ms = NowUnixMs;
  }

  void Count(Outcome outcome) { outcomes_[static_cast<size_t>(outcome)]->Increment(); }

  const Options& options() const { return options_; }

  // receiver_name: nullptr for POST <path> (through the route tree).
  http::Response Handle(const http::Request& request, const std::string* receiver_name) {
    if (!IsJsonContentType(request.Header("Content-Type"))) {
      return Reject(request, Outcome::kUnsupportedMediaType, 415,
                    "Content-Type: expected application/json");
    }
    const int64_t now_ms = options_.now_ms();
    ParseOptions parse_options;
    parse_options.max_alerts = options_.max_alerts;
    parse_options.now_ms = now_ms;
    ParseError error;
    std::optional<Payload> payload = ParsePayload(request.body, parse_options, &error);
    if (!payload) {
      return error.kind == ParseError::Kind::kTooLarge
                 ? Reject(request, Outcome::kTooLarge, 413, error.reason)
                 : Reject(request, Outcome::kInvalid, 400, error.reason);
    }
    size_t firing = 0;
    for (const ReceivedAlert& item : payload->alerts) {
      firing += item.status == Status::kFiring ? 1 : 0;
    }
    const size_t resolved = payload->alerts.size() - firing;
    const std::string sender = std::move(payload->receiver);
    const int64_t truncated = payload->truncated_alerts;
    Handover result;
    if (receiver_name == nullptr) {
      std::vector<Alert> alerts;
      alerts.reserve(payload->alerts.size());
      for (ReceivedAlert& item : payload->alerts) alerts.push_back(std::move(item.alert));
      result = options_.receiver->Route(std::move(alerts));
    } else if (receiver_name->empty()) {
      result = Handover::kUnknownReceiver;
    } else {
      result = options_.receiver->ToReceiver(
          MakeNotification(*receiver_name, std::move(*payload), now_ms));
    }
    switch (result) {
      case Handover::kAccepted:
      case Handover::kDuplicate:
        break;
      case Handover::kUnknownReceiver:
        return Reject(
            request, Outcome::kUnknownReceiver, 404,
            "unknown receiver " + QuoteName(receiver_name != nullptr ? *receiver_name : ""));
      case Handover::kNoRoute:
        return Reject(request, Outcome::kNoRoute, 404,
                      "no route tree configured: post to " + options_.path + "/<receiver>");
      case Handover::kUnavailable:
        return Reject(request, Outcome::kUnavailable, 503,
                      "alerts could not be queued now; retry later");
    }
    const bool duplicate = result == Handover::kDuplicate;
    Count(duplicate ? Outcome::kDuplicate : Outcome::kAccepted);
    firing_.Increment(static_cast<double>(firing));
    resolved_.Increment(static_cast<double>(resolved));
    if (log::Enabled(log::Level::kDebug)) {  // the fields cost copies on every request
      log::Debug(duplicate ? "webhook alerts already notified" : "webhook alerts accepted",
                 {{"request_id", request.id},
                  {"sender", sender},
                  {"to", receiver_name != nullptr ? *receiver_name : std::string("route tree")},
                  {"firing", firing},
                  {"resolved", resolved},
                  {"truncated", truncated}});
    }
    return Success();
  }

 private:
  static http::Response Success() {
    return http::Response::Json(200, "{\"status\":\"success\"}\n");
  }

  // One log line per rejected request: its id and the reason, never the body.
  http::Response Reject(const http::Request& request, Outcome outcome, int status,
                        const std::string& reason) {
    Count(outcome);
    log::Warn("webhook request rejected", {{"request_id", request.id},
                                           {"path", request.path},
                                           {"outcome", OutcomeName(outcome)},
                                           {"status", status},
                                           {"reason", reason}});
    return http::Response::Error(status, reason);
  }

  Options options_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Counter& firing_;
  prometheus::Counter& resolved_;
  std::array<prometheus::Counter*, kOutcomeNames.size()> outcomes_{};
};

}  // namespace

void RegisterRoutes(http::Server& server, Options options) {
  if (options.receiver == nullptr || options.registry == nullptr) {
    throw std::invalid_argument("webhook receiver: receiver and registry are required");
  }
  auto receiver = std::make_shared<Receiver>(std::move(options));
  const std::string path = receiver->options().path;
  const std::string prefix = path + "/";

  // Authentication first: an unauthenticated request learns nothing about payloads or receivers.
  auto protect = [receiver](http::Handler inner) -> http::Handler {
    const auto& credentials = receiver->options().credentials;
    if (!credentials) return inner;
    http::Handler guarded = http::RequireAuth(credentials, std::move(inner));
    return [receiver, guarded = std::move(guarded)](const http::Request& request) {
      http::Response response = guarded(request);
      // The inner handlers never answer 401, so a 401 is RequireAuth's (which logged it).
      if (response.status == 401) receiver->Count(Outcome::kUnauthorized);
      return response;
    };
  };
  server.Handle(path, protect([receiver](const http::Request& request) {
                  return receiver->Handle(request, nullptr);
                }),
                {"POST"});
  server.HandlePrefix(prefix, protect([receiver, prefix](const http::Request& request) {
                        const std::string name = request.path.substr(prefix.size());
                        return receiver->Handle(request, &name);
                      }),
                      {"POST"});
}

}  // namespace codebot::alerts::webhook
