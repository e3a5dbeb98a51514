// Alertmanager's webhook payload (version "4", as Alertmanager 0.25 posts it) read strictly into
// the neutral alert model: the whole body is checked before anything is returned, and every
// problem is reported with where it is ("alerts[2].labels.instance: expected a string, got
// number"). Pure functions: nothing here logs, counts or hands alerts over, and no error text
// ever quotes more than a short, bounded piece of the body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/alerts/alert.h"

namespace codebot::alerts::webhook {

// One alert of the payload with what Alertmanager said about it.
struct ReceivedAlert {
  // Labels sorted, empty-valued labels dropped (Prometheus treats them as absent). ends_at_ms
  // agrees with `status` at the time of parsing: a firing alert has kNoTime (Alertmanager writes
  // Go's zero time; a future endsAt is kept), a resolved one its endsAt, or the time of parsing
  // when Alertmanager gave none or one still in the future (the clocks of two hosts differ).
  Alert alert;
  Status status = Status::kFiring;
  std::string fingerprint;  // Alertmanager's (16 hex digits), "" when the sender gave none
};

struct Payload {
  std::string receiver;  // the Alertmanager receiver that sent it
  Status status = Status::kFiring;
  std::string group_key;
  Labels group_labels;
  Labels common_labels;
  Labels common_annotations;
  std::string external_url;
  int64_t truncated_alerts = 0;
  std::vector<ReceivedAlert> alerts;  // in the payload's order
};

struct ParseOptions {
  size_t max_alerts = 10000;
  size_t max_depth = 16;  // JSON nesting; the payload itself needs 4
  // The receive time (kNoTime: the clock's now): resolved alerts without an endsAt end then.
  int64_t now_ms = kNoTime;
};

struct ParseError {
  enum class Kind {
    kInvalid,   // 400: not JSON, or not Alertmanager's payload
    kTooLarge,  // 413: more alerts than ParseOptions::max_alerts
  };
  Kind kind = Kind::kInvalid;
  std::string reason;  // one line, e.g. `version: expected "4", got "3"`
};

// The whole payload, or nullopt with *error set. Required: version "4", status, receiver,
// groupKey, alerts (at least one), and for each alert status, labels (with an alertname) and
// startsAt. groupLabels, commonLabels, commonAnnotations, externalURL, truncatedAlerts and each
// alert's annotations, endsAt, generatorURL and fingerprint may be missing (or null, as Go writes
// a nil map); when present they must have the right type. Unknown keys are ignored.
std::optional<Payload> ParsePayload(std::string_view body, const ParseOptions& options,
                                    ParseError* error);

}  // namespace codebot::alerts::webhook
