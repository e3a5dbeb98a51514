// Slack through an incoming webhook (POST {api_url}, JSON): one message per notification with the
// headline as `text` (what notifications and screen readers show), Block Kit `blocks` for the
// content and one attachment whose only job is the severity colour bar. Never logs, sleeps or
// retries (notify/delivery does), and never lets the webhook URL (a secret: whoever has it can
// post to the channel) reach an error text, a log line or the message.
//
// Layout (what renders well in Slack's clients, desktop and mobile): Slack collapses long
// secondary attachments behind "Show more", so everything the on-call person needs is in the
// top-level blocks: a header with the headline, then per alert one or more mrkdwn sections (title,
// labels, description, affected services, numbered actions; a long text is split over several
// sections at line breaks, never cut) and an actions block of link buttons (runbook, dashboards);
// dividers between alerts. The attachment carries the colour of the severity (green once
// resolved) and a one-line context: severity, counts and a link to the sender.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/alerts/notification.h"
#include "exporter/config/notifications.h"
#include "exporter/notify/notifier.h"

namespace codebot::notify::slack {

// Block Kit limits (api.slack.com/reference/block-kit): counted in UTF-16 code units, the
// strictest way Slack may count "characters".
inline constexpr size_t kMaxBlocks = 50;
inline constexpr size_t kMaxSectionText = 3000;
inline constexpr size_t kMaxHeaderText = 150;
inline constexpr size_t kMaxActionElements = 25;
inline constexpr size_t kMaxButtonText = 75;
inline constexpr size_t kMaxButtonUrl = 3000;

// Colours of the attachment bar, by severity; kColorResolved once every alert is resolved.
inline constexpr std::string_view kColorCritical = "#d32f2f";
inline constexpr std::string_view kColorError = "#f57c00";
inline constexpr std::string_view kColorWarning = "#fbc02d";
inline constexpr std::string_view kColorInfo = "#1e88e5";
inline constexpr std::string_view kColorResolved = "#2e7d32";

// Slack's mrkdwn needs exactly these three escaped: & < > (as &amp; &lt; &gt;); everything else
// is literal.
std::string EscapeMrkdwn(std::string_view text);

// Length as Slack counts it (UTF-16 code units; invalid bytes count one each).
size_t Utf16Length(std::string_view text);

// Splits already escaped mrkdwn into pieces of at most `limit` UTF-16 units, preferring line
// breaks, then spaces; never inside an entity (&amp;) or a <link|text>. Whitespace-only pieces
// are dropped; nothing else is lost.
std::vector<std::string> SplitMrkdwn(std::string_view text, size_t limit);

// The JSON body for a notification (every inserted value passed through the sanitiser and
// escaped); pure, so that tests compare it with golden files.
std::string RenderPayload(const alerts::Notification& notification,
                          const config::SlackConfig& config);

// The notifier for one slack_configs entry. Verdicts: 2xx delivered; 429 retry after Retry-After
// (Alertmanager treats it as final); 5xx and transport failures retry; other 4xx (Slack's plain
// string bodies: invalid_payload, action_prohibited, channel_not_found, channel_is_archived,
// no_service, ...) are final, the body quoted in the error.
std::unique_ptr<Notifier> NewNotifier(const config::SlackConfig& config);

}  // namespace codebot::notify::slack
