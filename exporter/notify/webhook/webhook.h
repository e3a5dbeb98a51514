// Plain webhooks: Alertmanager's webhook payload (version "4") byte for byte as Alertmanager 0.25
// writes it (field order, Go's JSON escaping of <, > and & as \u003c \u003e \u0026, the zero
// time as a firing alert's endsAt, a trailing newline), so every existing Alertmanager webhook
// consumer works unchanged, plus one extra object per alert, `enrichment` (the playbook), that
// such consumers ignore. Never logs, sleeps or retries (notify/delivery does), and never lets the
// URL (a secret: it may carry a token) reach an error text or a log line.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "exporter/alerts/notification.h"
#include "exporter/config/notifications.h"
#include "exporter/notify/notifier.h"

namespace codebot::notify::webhook {

// Appends text as a JSON string the way Go's encoding/json writes it with HTML escaping on (the
// default of json.Marshal and json.Encoder): \" \\ \n \r \t by name, other control characters,
// <, >, &, U+2028 and U+2029 as \u00XX / \u2028 / \u2029 (lower-case hex), invalid UTF-8 as
// \ufffd.
void AppendGoJsonString(std::string& out, std::string_view text);

// The body for a notification:
//   {"receiver","status","alerts":[{"status","labels","annotations","startsAt","endsAt",
//    "generatorURL","fingerprint","enrichment":{"summary","actions","runbook_url",
//    "affected_services","dashboards":[{"title","url"}]}}],"groupLabels","commonLabels",
//    "commonAnnotations","externalURL","version":"4","groupKey","truncatedAlerts"}\n
// With max_alerts set, only the first max_alerts alerts are sent and truncatedAlerts counts the
// others; status and the common labels and annotations then describe the alerts sent, as in
// Alertmanager. externalURL is the notification's, else `external_url`. Every value passes
// through the sanitiser.
std::string RenderPayload(const alerts::Notification& notification,
                          const config::WebhookConfig& config, std::string_view external_url);

// The notifier for one webhook_configs entry. Verdicts: 2xx delivered; 429 retry after
// Retry-After (delay-seconds or an HTTP date; Alertmanager treats a 429 as final); 5xx and
// transport failures retry; other answers are final, the body quoted in the error.
std::unique_ptr<Notifier> NewNotifier(const config::WebhookConfig& config,
                                      std::string external_url);

}  // namespace codebot::notify::webhook
