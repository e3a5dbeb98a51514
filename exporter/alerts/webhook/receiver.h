// The Alertmanager webhook receiver: what a real Alertmanager (or a cluster of them) posts to its
// webhook_configs enters the sidecar here and is enriched and delivered like our own alerts.
// POST /alertmanager sends its alerts through our route tree (grouped, inhibited, routed);
// POST /alertmanager/<receiver> hands the group Alertmanager already formed straight to our
// receiver <receiver>, with its group key and labels.
// The whole payload is checked before anything is handed over: a bad one gets 400 with the
// reason and leaves no trace. Handlers never block on the network (hand-over is to in-memory or
// outbox queues), never log a body (annotations may hold secrets) nor an Authorization header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "exporter/alerts/alert.h"
#include "exporter/alerts/notification.h"
#include "exporter/http/auth.h"
#include "exporter/http/server.h"

namespace prometheus {
class Registry;
}

namespace codebot::alerts::webhook {

enum class Handover {
  kAccepted,         // queued (or nothing needed sending): 200
  kDuplicate,        // nothing the receiver hasn't heard already (a retried POST, the other
                     // member of an HA pair): 200, counted apart
  kUnknownReceiver,  // POST <path>/<receiver>: no receiver of that name: 404
  kNoRoute,          // POST <path>: no route tree configured: 404
  kUnavailable,      // could not be queued now (outbox refused it): 503, so Alertmanager retries
};

// The seam to the dispatcher: DispatcherReceiver (dispatcher_receiver.h) puts the real one behind
// it, tests a recording one. Called from HTTP worker threads, concurrently; both must return
// quickly.
class AlertReceiver {
 public:
  virtual ~AlertReceiver() = default;
  // POST /alertmanager: like AlertSink::Send from the rule manager. Firing alerts have ends_at_ms
  // kNoTime (Alertmanager doesn't say until when): they fire until a resolution arrives.
  virtual Handover Route(std::vector<Alert> alerts) = 0;
  // POST /alertmanager/<receiver>: one group, already grouped and timed by Alertmanager, for our
  // receiver `notification.receiver`, as Dispatcher::SendToReceiver takes it: every field filled
  // but the id (left to the dispatcher) and the enrichment: group key and labels, common labels
  // and annotations, the Alertmanager's external URL, created_ms (receive time),
  // truncated_alerts and the alerts (firing first, each part in Fingerprint() order, with the
  // status Alertmanager gave them). Deciding what is a duplicate is the dispatcher's dedup stage.
  virtual Handover ToReceiver(Notification notification) = 0;
};

struct Options {
  AlertReceiver* receiver = nullptr;         // required
  prometheus::Registry* registry = nullptr;  // required
  // The credentials requests must carry, looked up on every request (rotated secrets apply at
  // once); unset or Required() false: no auth.
  std::function<http::Credentials()> credentials;
  size_t max_alerts = 10000;        // more alerts in one payload: 413
  std::function<int64_t()> now_ms;  // unset: NowUnixMs (tests inject a clock)
  std::string path = "/alertmanager";
};

// Registers POST <path> and POST <path>/<receiver> and the metrics
//   codebot_exporter_webhook_requests_total{outcome}  accepted, duplicate, invalid, too_large,
//       unsupported_media_type, unauthorized, unknown_receiver, no_route, unavailable
//   codebot_exporter_alerts_received_total{source="webhook",status}  alerts handed over
//       (accepted or duplicate)
// (every label value present from the start). A body over the server's max_request_body_bytes
// is answered 413 by the server before it reaches the receiver (and isn't counted here).
// Call once, before server.Start().
// Content-Type must be JSON (application/json or */*+json) or absent: anything else is 415, so
// that `curl -d @payload.json` without a header (form-encoded) is told what is wrong.
void RegisterRoutes(http::Server& server, Options options);

}  // namespace codebot::alerts::webhook
