#include "exporter/alerts/webhook/dispatcher_receiver.h"

#include <utility>

namespace codebot::alerts::webhook {

Handover DispatcherReceiver::Route(std::vector<Alert> alerts) {
  if (!dispatcher_.HasRoute()) return Handover::kNoRoute;
  dispatcher_.Send(std::move(alerts));
  return dispatcher_.Persist() ? Handover::kAccepted : Handover::kUnavailable;
}

Handover DispatcherReceiver::ToReceiver(Notification notification) {
  return ToHandover(dispatcher_.SendToReceiver(std::move(notification)));
}

Handover ToHandover(DirectResult result) {
  switch (result) {
    case DirectResult::kQueued:
      return Handover::kAccepted;
    case DirectResult::kDuplicate:
      return Handover::kDuplicate;
    // A receiver without integrations (Alertmanager's "null" receiver) takes everything and
    // sends nothing, as configured: a success, or Alertmanager would retry it forever.
    case DirectResult::kNothingToSend:
      return Handover::kAccepted;
    case DirectResult::kUnknownReceiver:
      return Handover::kUnknownReceiver;
    case DirectResult::kNotQueued:
      return Handover::kUnavailable;
  }
  return Handover::kUnavailable;
}

}  // namespace codebot::alerts::webhook
