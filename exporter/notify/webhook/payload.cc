// Alertmanager's webhook payload, written by hand: nlohmann-json escapes neither <, > nor & and
// writes \b and \f by name, and the byte-for-byte form is the point of this integration.
#include <algorithm>

#include "exporter/alerts/alert.h"
#include "exporter/core/sanitize.h"
#include "exporter/core/time.h"
#include "exporter/core/utf8.h"
#include "exporter/notify/webhook/webhook.h"

namespace codebot::notify::webhook {
namespace {

void AppendString(std::string& out, std::string_view text) {
  AppendGoJsonString(out, sanitize::Redact(text));
}

// A Go map[string]string: keys sorted (Labels are), {} when empty.
void AppendKv(std::string& out, const Labels& labels) {
  out += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    AppendGoJsonString(out, labels[i].name);
    out += ':';
    AppendString(out, labels[i].value);
  }
  out += '}';
}

void AppendStringArray(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    AppendString(out, items[i]);
  }
  out += ']';
}

// The labels that every alert has with the same value (Alertmanager's common labels of the alerts
// actually sent).
Labels Common(const std::vector<const alerts::NotifiedAlert*>& sent,
              const Labels alerts::Alert::*member) {
  if (sent.empty()) return {};
  Labels common = sent.front()->alert.*member;
  for (size_t i = 1; i < sent.size(); ++i) {
    const Labels& labels = sent[i]->alert.*member;
    std::erase_if(common, [&](const Label& label) {
      const std::string* value = nullptr;
      for (const auto& l : labels) {
        if (l.name == label.name) value = &l.value;
      }
      return value == nullptr || *value != label.value;
    });
  }
  return common;
}

void AppendEnrichment(std::string& out, const alerts::Enrichment& enrichment) {
  out += "{\"summary\":";
  AppendString(out, enrichment.summary);
  out += ",\"actions\":";
  AppendStringArray(out, enrichment.actions);
  out += ",\"runbook_url\":";
  AppendString(out, enrichment.runbook_url);
  out += ",\"affected_services\":";
  AppendStringArray(out, enrichment.affected_services);
  out += ",\"dashboards\":[";
  for (size_t i = 0; i < enrichment.dashboards.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"title\":";
    AppendString(out, enrichment.dashboards[i].title);
    out += ",\"url\":";
    AppendString(out, enrichment.dashboards[i].url);
    out += '}';
  }
  out += "]}";
}

void AppendAlert(std::string& out, const alerts::NotifiedAlert& notified) {
  const alerts::Alert& alert = notified.alert;
  const bool resolved = notified.status == alerts::Status::kResolved;
  out += "{\"status\":";
  AppendGoJsonString(out, alerts::StatusName(notified.status));
  out += ",\"labels\":";
  AppendKv(out, alert.labels);
  out += ",\"annotations\":";
  AppendKv(out, alert.annotations);
  out += ",\"startsAt\":";
  AppendGoJsonString(out, Rfc3339(alert.starts_at_ms));
  out += ",\"endsAt\":";
  // Alertmanager sends Go's zero time for a firing alert, whatever end the alert announced.
  AppendGoJsonString(out, Rfc3339(resolved ? alert.ends_at_ms : kNoTime));
  out += ",\"generatorURL\":";
  AppendString(out, alert.generator_url);
  out += ",\"fingerprint\":";
  AppendGoJsonString(out, alerts::FingerprintHex(alert.Fingerprint()));
  out += ",\"enrichment\":";
  AppendEnrichment(out, notified.enrichment);
  out += '}';
}

}  // namespace

void AppendGoJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t pos = 0; pos < text.size();) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {
      switch (byte) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (byte < 0x20 || byte == '<' || byte == '>' || byte == '&') {
            out += "\\u00";
            out += kHex[byte >> 4];
            out += kHex[byte & 0x0f];
          } else {
            out += static_cast<char>(byte);
          }
      }
      ++pos;
      continue;
    }
    size_t width = 0;
    const char32_t rune = utf8::DecodeRune(text, pos, &width);
    if (rune == utf8::kRuneError && width == 1) {
      out += "\\ufffd";
    } else if (rune == 0x2028 || rune == 0x2029) {
      // Valid JSON, but they end lines in JavaScript: Go escapes them.
      out += rune == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(text.substr(pos, width));
    }
    pos += width;
  }
  out += '"';
}

std::string RenderPayload(const alerts::Notification& notification,
                          const config::WebhookConfig& config, std::string_view external_url) {
  std::vector<const alerts::NotifiedAlert*> sent;
  for (const auto& notified : notification.alerts) sent.push_back(&notified);
  size_t truncated =
      notification.truncated_alerts > 0 ? static_cast<size_t>(notification.truncated_alerts) : 0;
  const bool cut = config.max_alerts > 0 && sent.size() > config.max_alerts;
  if (cut) {
    truncated += sent.size() - config.max_alerts;
    sent.resize(config.max_alerts);
  }
  const bool firing = std::any_of(sent.begin(), sent.end(), [](const auto* notified) {
    return notified->status == alerts::Status::kFiring;
  });

  std::string out;
  out.reserve(1024 + 768 * sent.size());
  out += "{\"receiver\":";
  AppendString(out, notification.receiver);
  out += ",\"status\":";
  AppendGoJsonString(out, firing ? "firing" : "resolved");
  out += ",\"alerts\":[";
  for (size_t i = 0; i < sent.size(); ++i) {
    if (i > 0) out += ',';
    AppendAlert(out, *sent[i]);
  }
  out += "],\"groupLabels\":";
  AppendKv(out, notification.group_labels);
  out += ",\"commonLabels\":";
  AppendKv(out, cut ? Common(sent, &alerts::Alert::labels) : notification.common_labels);
  out += ",\"commonAnnotations\":";
  AppendKv(out, cut ? Common(sent, &alerts::Alert::annotations) : notification.common_annotations);
  out += ",\"externalURL\":";
  AppendString(out, !notification.external_url.empty() ? std::string_view(notification.external_url)
                                                       : external_url);
  out += ",\"version\":\"4\",\"groupKey\":";
  AppendString(out, notification.group_key);
  out += ",\"truncatedAlerts\":" + std::to_string(truncated) + "}\n";
  return out;
}

}  // namespace codebot::notify::webhook
