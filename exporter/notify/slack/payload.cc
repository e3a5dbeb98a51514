// The Slack message of a notification: see slack.h for the layout and why.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "exporter/core/sanitize.h"
#include "exporter/core/time.h"
#include "exporter/core/utf8.h"
#include "exporter/notify/message.h"
#include "exporter/notify/slack/slack.h"

namespace codebot::notify::slack {
namespace {

using Json = nlohmann::ordered_json;

// Never the raw value: a token pasted into an annotation must not reach the channel.
std::string Clean(std::string_view text) { return sanitize::Redact(text); }
std::string CleanMrkdwn(std::string_view text) { return EscapeMrkdwn(sanitize::Redact(text)); }

bool IsWhitespace(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; });
}

size_t RuneUnits(char32_t rune) { return rune >= 0x10000 ? 2 : 1; }

// The first runes of text that fit in `limit` UTF-16 units, "…" included when something is cut.
// Only for labels that are visibly shortened (button texts); never for content.
std::string CutVisibly(std::string_view text, size_t limit) {
  if (Utf16Length(text) <= limit) return std::string(text);
  std::string out;
  size_t units = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t width = 0;
    const char32_t rune = utf8::DecodeRune(text, pos, &width);
    if (units + RuneUnits(rune) + 1 > limit) break;
    out.append(text.substr(pos, width));
    units += RuneUnits(rune);
    pos += width;
  }
  return out + "\u2026";
}

bool IsWebUrl(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

// A link in mrkdwn: the URL can't hold '|' or '>' unescaped, so those (rare in real URLs) are
// percent-encoded; the text is escaped like any other text.
std::string MrkdwnLink(std::string_view url, std::string_view text) {
  std::string target;
  for (const char c : url) {
    if (c == '|') {
      target += "%7C";
    } else if (c == '>') {
      target += "%3E";
    } else if (c == '<') {
      target += "%3C";
    } else {
      target += c;
    }
  }
  return "<" + EscapeMrkdwn(target) + "|" + EscapeMrkdwn(text) + ">";
}

std::string_view Color(const Message& message) {
  if (message.resolved) return kColorResolved;
  switch (message.severity) {
    case Severity::kCritical:
      return kColorCritical;
    case Severity::kError:
      return kColorError;
    case Severity::kWarning:
      return kColorWarning;
    case Severity::kInfo:
      return kColorInfo;
  }
  return kColorWarning;
}

Json PlainText(std::string text) {
  return Json{{"type", "plain_text"}, {"text", std::move(text)}, {"emoji", true}};
}

Json Section(std::string mrkdwn) {
  return Json{{"type", "section"}, {"text", Json{{"type", "mrkdwn"}, {"text", std::move(mrkdwn)}}}};
}

struct Link {
  std::string text;  // sanitised, unescaped
  std::string url;   // sanitised
};

// What one alert becomes: its text (escaped mrkdwn, to be split into sections) and its buttons.
struct AlertParts {
  std::string text;
  std::vector<Link> buttons;
};

AlertParts RenderAlert(const MessageAlert& alert, size_t button_budget) {
  AlertParts parts;
  std::string& text = parts.text;
  text = EscapeMrkdwn(alert.marker) + " *" + CleanMrkdwn(alert.title) + "*";
  if (!alert.details.empty()) {
    text += "\n";
    for (size_t i = 0; i < alert.details.size(); ++i) {
      if (i > 0) text += " \u00b7 ";
      text += CleanMrkdwn(alert.details[i].name) + "=" + CleanMrkdwn(alert.details[i].value);
    }
  }
  if (alert.resolved && !alert.fired_for.empty()) {
    text += "\nResolved after firing for *" + EscapeMrkdwn(alert.fired_for) + "*";
  } else if (!alert.resolved && alert.starts_at_ms != kNoTime) {
    // Slack shows the date in the reader's time zone; the fallback is for old clients.
    const int64_t seconds = alert.starts_at_ms / 1000;
    text += "\nFiring since <!date^" + std::to_string(seconds) + "^{date_short_pretty} {time}|" +
            EscapeMrkdwn(Rfc3339(alert.starts_at_ms)) + ">";
  }
  if (!alert.description.empty()) text += "\n\n" + CleanMrkdwn(alert.description);
  if (!alert.affected_services.empty()) {
    text += "\n\n*Affected services:* ";
    for (size_t i = 0; i < alert.affected_services.size(); ++i) {
      if (i > 0) text += ", ";
      text += CleanMrkdwn(alert.affected_services[i]);
    }
  }
  if (!alert.actions.empty()) {
    text += "\n\n*What to do:*";
    for (size_t i = 0; i < alert.actions.size(); ++i) {
      text += "\n" + std::to_string(i + 1) + ". " + CleanMrkdwn(alert.actions[i]);
    }
  }

  std::vector<Link> links;
  if (!alert.runbook_url.empty()) links.push_back({"\U0001f4d6 Runbook", Clean(alert.runbook_url)});
  for (const auto& dashboard : alert.dashboards) {
    links.push_back({"\U0001f4c8 " + Clean(dashboard.title), Clean(dashboard.url)});
  }
  // Buttons while they fit Slack's limits; the rest are still given, as links or as a note,
  // because a link the reader never learns about is worse than an ugly one.
  std::vector<std::string> extra;
  for (auto& link : links) {
    const bool usable = IsWebUrl(link.url) && Utf16Length(link.url) <= kMaxButtonUrl;
    if (usable && parts.buttons.size() < button_budget) {
      parts.buttons.push_back(std::move(link));
    } else if (usable) {
      extra.push_back(MrkdwnLink(link.url, link.text));
    } else {
      extra.push_back(EscapeMrkdwn(link.text) +
                      " (link not shown: " + std::to_string(Utf16Length(link.url)) +
                      " characters, not an http(s) URL " + "Slack can open)");
    }
  }
  if (!extra.empty()) {
    text += "\n\n*Links:*";
    for (const auto& line : extra) text += "\n" + line;
  }
  return parts;
}

Json Buttons(const std::vector<Link>& buttons, size_t alert_index) {
  Json elements = Json::array();
  for (size_t i = 0; i < buttons.size(); ++i) {
    // action_id must be unique in the message; link buttons need no handler behind them.
    elements.push_back(
        Json{{"type", "button"},
             {"text", PlainText(CutVisibly(buttons[i].text, kMaxButtonText))},
             {"url", buttons[i].url},
             {"action_id", "link-" + std::to_string(alert_index) + "-" + std::to_string(i)}});
  }
  return Json{{"type", "actions"}, {"elements", std::move(elements)}};
}

std::string LeftOutNote(size_t firing, size_t resolved, const std::string& source_url) {
  std::string note = "\u2026 and *" + std::to_string(firing + resolved) + "* more alert" +
                     (firing + resolved == 1 ? "" : "s") + " not shown here (" +
                     std::to_string(firing) + " firing, " + std::to_string(resolved) +
                     " resolved): Slack shows at most " + std::to_string(kMaxBlocks) +
                     " blocks in a message.";
  if (IsWebUrl(source_url)) note += " " + MrkdwnLink(source_url, "See them all");
  return note;
}

}  // namespace

std::string EscapeMrkdwn(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

size_t Utf16Length(std::string_view text) {
  size_t units = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t width = 0;
    units += RuneUnits(utf8::DecodeRune(text, pos, &width));
    pos += width;
  }
  return units;
}

std::vector<std::string> SplitMrkdwn(std::string_view text, size_t limit) {
  // Atoms are what must stay whole: an entity, a <link|text>, or one rune.
  struct Atom {
    size_t begin;
    size_t end;
    size_t units;
  };
  std::vector<Atom> atoms;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = pos;
    if (text[pos] == '&') {
      const size_t semi = text.find(';', pos);
      if (semi != std::string_view::npos && semi - pos <= 8) end = semi + 1;
    } else if (text[pos] == '<') {
      const size_t close = text.find('>', pos);
      // A link longer than half a piece is split like text rather than overflow a piece.
      if (close != std::string_view::npos && close - pos < limit / 2) end = close + 1;
    }
    if (end > pos) {
      atoms.push_back({pos, end, Utf16Length(text.substr(pos, end - pos))});
      pos = end;
      continue;
    }
    size_t width = 0;
    const char32_t rune = utf8::DecodeRune(text, pos, &width);
    atoms.push_back({pos, pos + width, RuneUnits(rune)});
    pos += width;
  }

  std::vector<std::string> pieces;
  auto emit = [&](size_t first, size_t last) {  // atoms [first, last)
    if (first >= last) return;
    const std::string_view piece =
        text.substr(atoms[first].begin, atoms[last - 1].end - atoms[first].begin);
    if (!IsWhitespace(piece)) pieces.emplace_back(piece);
  };
  size_t start = 0;
  while (start < atoms.size()) {
    size_t units = 0;
    size_t k = start;
    size_t last_newline = 0, newline_units = 0;
    size_t last_space = 0, space_units = 0;
    bool has_newline = false, has_space = false;
    while (k < atoms.size() && units + atoms[k].units <= limit) {
      const char c = text[atoms[k].begin];
      const bool single = atoms[k].end - atoms[k].begin == 1;
      if (single && c == '\n' && k > start) {
        last_newline = k, newline_units = units, has_newline = true;
      } else if (single && c == ' ' && k > start) {
        last_space = k, space_units = units, has_space = true;
      }
      units += atoms[k].units;
      ++k;
    }
    if (k == atoms.size()) {
      emit(start, k);
      break;
    }
    if (k == start) k = start + 1;  // cannot happen with limit >= 2; never loop forever
    // A break late in the piece keeps the number of sections down; an early one only when
    // there is nothing better.
    const size_t half = limit / 2;
    const bool late_newline = has_newline && newline_units >= half;
    const bool late_space = has_space && space_units >= half;
    const bool at_newline = late_newline || (!late_space && has_newline);
    const bool at_space = !at_newline && has_space;
    size_t cut = k;  // no break character: a hard cut between atoms
    if (at_newline) cut = last_newline;
    if (at_space) cut = last_space;
    emit(start, cut);
    // The break character itself (newline or space) is dropped.
    start = at_newline || at_space ? cut + 1 : cut;
  }
  return pieces;
}

std::string RenderPayload(const alerts::Notification& notification,
                          const config::SlackConfig& config) {
  const Message message = BuildMessage(notification);
  const std::string headline = Clean(message.headline);

  Json body;
  if (!config.channel.empty()) body["channel"] = config.channel;
  if (!config.username.empty()) body["username"] = config.username;
  if (!config.icon_emoji.empty()) body["icon_emoji"] = config.icon_emoji;
  if (!config.icon_url.empty()) body["icon_url"] = config.icon_url;
  body["text"] = EscapeMrkdwn(headline);

  Json blocks = Json::array();
  if (Utf16Length(headline) <= kMaxHeaderText) {
    blocks.push_back(Json{{"type", "header"}, {"text", PlainText(headline)}});
  } else {
    for (auto& piece : SplitMrkdwn("*" + EscapeMrkdwn(headline) + "*", kMaxSectionText)) {
      blocks.push_back(Section(std::move(piece)));
    }
  }

  const size_t total = message.alerts.size();
  size_t shown = 0;
  for (; shown < total; ++shown) {
    const MessageAlert& alert = message.alerts[shown];
    AlertParts parts = RenderAlert(alert, kMaxActionElements);
    std::vector<std::string> sections = SplitMrkdwn(parts.text, kMaxSectionText);
    const bool more_after = shown + 1 < total;
    const size_t overhead = (shown > 0 ? 1 : 0) + (parts.buttons.empty() ? 0 : 1);
    const size_t reserve = more_after ? 1 : 0;  // for the "N more not shown" note
    const size_t room = kMaxBlocks - std::min(kMaxBlocks, blocks.size());
    if (overhead + sections.size() + reserve > room) {
      if (shown > 0) break;
      // The first alert alone is too long for one message: show what fits and say how much is
      // left out, rather than let Slack refuse the whole message.
      const size_t keep = room > overhead + reserve + 1 ? room - overhead - reserve - 1 : 0;
      size_t dropped_units = 0;
      for (size_t i = keep; i < sections.size(); ++i) dropped_units += Utf16Length(sections[i]);
      sections.resize(keep);
      sections.push_back("_\u2026 " + std::to_string(dropped_units) +
                         " more characters of this alert are not shown: Slack shows at most " +
                         std::to_string(kMaxBlocks) + " blocks in a message._");
    }
    if (shown > 0) blocks.push_back(Json{{"type", "divider"}});
    for (auto& section : sections) blocks.push_back(Section(std::move(section)));
    if (!parts.buttons.empty()) blocks.push_back(Buttons(parts.buttons, shown));
  }
  if (shown < total) {
    size_t firing = 0;
    for (size_t i = shown; i < total; ++i) firing += message.alerts[i].resolved ? 0 : 1;
    blocks.push_back(Section(LeftOutNote(firing, total - shown - firing, message.source_url)));
  }
  body["blocks"] = std::move(blocks);

  // The colour bar, with a line of context under the message.
  const size_t firing = notification.Firing();
  const size_t resolved = notification.Resolved();
  std::string context = "*" + std::string(SeverityName(message.severity)) + "*";
  if (firing > 0) context += " \u00b7 " + std::to_string(firing) + " firing";
  if (resolved > 0) context += " \u00b7 " + std::to_string(resolved) + " resolved";
  if (!notification.receiver.empty())
    context += " \u00b7 receiver " + CleanMrkdwn(notification.receiver);
  if (const std::string source = Clean(message.source_url); IsWebUrl(source)) {
    context += " \u00b7 " + MrkdwnLink(source, "source");
  }
  body["attachments"] = Json::array({Json{
      {"color", std::string(Color(message))},
      {"fallback", EscapeMrkdwn(headline)},
      {"blocks", Json::array({Json{{"type", "context"},
                                   {"elements", Json::array({Json{{"type", "mrkdwn"},
                                                                  {"text", context}}})}}})}}});
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace codebot::notify::slack
