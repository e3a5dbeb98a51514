// The webhook receiver's seam (AlertReceiver) over the real dispatcher, so that the App wires
// `RegisterRoutes(server, {&adapter, ...})` and nothing else. It only translates: what is a
// duplicate, what is queued and what survives a restart stay the dispatcher's decisions.
#pragma once

#include "exporter/alerts/dispatcher.h"
#include "exporter/alerts/webhook/receiver.h"

namespace codebot::alerts::webhook {

class DispatcherReceiver final : public AlertReceiver {
 public:
  explicit DispatcherReceiver(Dispatcher& dispatcher) : dispatcher_(dispatcher) {}

  // No route tree: 404. Otherwise Send, then Persist, so that the 200 Alertmanager gets means the
  // alerts survive a crash before their group's first flush; a failed write is a 503 (its retry
  // merges the same alerts again, harmlessly).
  Handover Route(std::vector<Alert> alerts) override;
  Handover ToReceiver(Notification notification) override;

 private:
  Dispatcher& dispatcher_;
};

// How each verdict of SendToReceiver answers Alertmanager.
Handover ToHandover(DirectResult result);

}  // namespace codebot::alerts::webhook
