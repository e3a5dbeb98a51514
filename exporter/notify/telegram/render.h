// The text of a Telegram alert message, laid out for a phone: the first line says what is
// wrong, how bad and where (the headline), then per alert its marker and title, where it fires
// and since when (or how long it fired), the description, the affected services, the numbered
// actions and the runbook/dashboard links; a link to the source last.
//
// Must never insert a value unescaped in HTML mode (labels and annotations come from anyone who
// can write a rule or post to Alertmanager), never let a secret through (every inserted value
// passes the sanitiser before it is escaped, so "<redacted>" is escaped too), and never depend
// on the clock: a retry renders exactly the text the first attempt split into parts.
#pragma once

#include <string>
#include <string_view>

#include "exporter/alerts/notification.h"

namespace codebot::notify::telegram {

// The whole text before splitting: HTML for parse_mode HTML, else plain text (no escaping).
// `fallback_source_url` is linked when the notification has no external URL of its own.
std::string RenderText(const alerts::Notification& notification,
                       std::string_view fallback_source_url, bool html);

}  // namespace codebot::notify::telegram
