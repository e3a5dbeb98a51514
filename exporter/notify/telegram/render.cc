#include "exporter/notify/telegram/render.h"

#include <vector>

#include "exporter/core/sanitize.h"
#include "exporter/core/time.h"
#include "exporter/notify/message.h"
#include "exporter/notify/telegram/html.h"

namespace codebot::notify::telegram {
namespace {

enum class Style { kPlain, kBold, kItalic };

// A run of text with one style, or a link when url is set; rendered as HTML or plain text.
struct Span {
  std::string text;
  Style style = Style::kPlain;
  std::string url;
};
using Line = std::vector<Span>;

// Every value that comes from an alert, a playbook or the config: secrets out, valid UTF-8.
std::string Clean(std::string_view value) { return ValidUtf8(sanitize::Redact(value)); }

bool IsWebUrl(std::string_view url) {
  auto starts = [&](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      const char c = url[i];
      const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      if (lower != prefix[i]) return false;
    }
    return true;
  };
  return (starts("https://") && url.size() > 8) || (starts("http://") && url.size() > 7);
}

Span Text(std::string text, Style style = Style::kPlain) {
  return Span{std::move(text), style, {}};
}
Span Link(std::string text, std::string url) {
  return Span{std::move(text), Style::kPlain, std::move(url)};
}

void RenderSpan(const Span& span, bool html, std::string& out) {
  if (!span.url.empty()) {
    if (html && IsWebUrl(span.url)) {
      out += "<a href=\"" + EscapeAttribute(span.url) + "\">" + EscapeText(span.text) + "</a>";
      return;
    }
    // Telegram links only web addresses; anything else is shown as it is.
    const std::string shown = span.text.empty() ? span.url : span.text + ": " + span.url;
    out += html ? EscapeText(shown) : shown;
    return;
  }
  if (!html) {
    out += span.text;
    return;
  }
  switch (span.style) {
    case Style::kPlain:
      out += EscapeText(span.text);
      break;
    case Style::kBold:
      out += "<b>" + EscapeText(span.text) + "</b>";
      break;
    case Style::kItalic:
      out += "<i>" + EscapeText(span.text) + "</i>";
      break;
  }
}

// "2024-05-01 10:32 UTC": minutes are what a reader compares with a graph.
std::string Since(int64_t starts_at_ms) {
  std::string text = Rfc3339(starts_at_ms);
  if (text.size() < 16) return text;
  text = text.substr(0, 16);
  text[10] = ' ';
  return text + " UTC";
}

std::string Join(const std::vector<std::string>& values, std::string_view separator) {
  std::string out;
  for (const auto& value : values) {
    if (!out.empty()) out += separator;
    out += Clean(value);
  }
  return out;
}

void AlertLines(const MessageAlert& alert, std::vector<Line>& lines) {
  Line title{Text(alert.marker + " "), Text(Clean(alert.title), Style::kBold)};
  if (alert.resolved) {
    title.push_back(Text(alert.fired_for.empty() ? " \u2014 resolved"
                                                 : " \u2014 resolved after " + alert.fired_for));
  }
  lines.push_back(std::move(title));

  std::string where;
  for (const auto& label : alert.details) {
    if (!where.empty()) where += ", ";
    where += Clean(label.name) + "=" + Clean(label.value);
  }
  if (!alert.resolved && alert.starts_at_ms != kNoTime) {
    where += (where.empty() ? "since " : " \u00b7 since ") + Since(alert.starts_at_ms);
  }
  if (!where.empty()) lines.push_back({Text(where, Style::kItalic)});

  if (!alert.description.empty()) lines.push_back({Text(Clean(alert.description))});
  if (!alert.affected_services.empty()) {
    lines.push_back(
        {Text("Affected:", Style::kBold), Text(" " + Join(alert.affected_services, ", "))});
  }
  if (!alert.actions.empty()) {
    lines.push_back({Text("What to do:", Style::kBold)});
    for (size_t i = 0; i < alert.actions.size(); ++i) {
      lines.push_back({Text(std::to_string(i + 1) + ". " + Clean(alert.actions[i]))});
    }
  }
  Line links;
  auto add_link = [&](std::string_view icon, std::string text, std::string_view url) {
    if (url.empty()) return;
    links.push_back(Text(std::string(links.empty() ? "" : " \u00b7 ") + std::string(icon) + " "));
    links.push_back(Link(std::move(text), Clean(url)));
  };
  add_link("\U0001f4d6", "Runbook", alert.runbook_url);  // 📖
  for (const auto& dashboard : alert.dashboards) {
    add_link("\U0001f4ca", Clean(dashboard.title.empty() ? "Dashboard" : dashboard.title),
             dashboard.url);  // 📊
  }
  if (alert.source != nullptr) {
    add_link("\U0001f4c8", "Query", alert.source->alert.generator_url);  // 📈
  }
  if (!links.empty()) lines.push_back(std::move(links));
}

}  // namespace

std::string RenderText(const alerts::Notification& notification,
                       std::string_view fallback_source_url, bool html) {
  const Message message = BuildMessage(notification);
  std::vector<Line> lines;
  lines.push_back({Text(Clean(message.headline), Style::kBold)});
  for (const auto& alert : message.alerts) {
    lines.emplace_back();  // a blank line between alerts: the eye finds each title
    AlertLines(alert, lines);
  }
  if (notification.truncated_alerts > 0) {
    lines.emplace_back();
    lines.push_back({Text(
        "\u2026and " + std::to_string(notification.truncated_alerts) + " more alerts not shown",
        Style::kItalic)});
  }
  const std::string_view source =
      !message.source_url.empty() ? std::string_view(message.source_url) : fallback_source_url;
  if (!source.empty()) {
    lines.emplace_back();
    lines.push_back({Text("\U0001f517 "), Link("Source", Clean(source))});  // 🔗
  }

  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    for (const Span& span : lines[i]) RenderSpan(span, html, out);
  }
  return out;
}

}  // namespace codebot::notify::telegram
