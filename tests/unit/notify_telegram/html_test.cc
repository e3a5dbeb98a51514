// The text side of the Telegram integration, checked against the fake's independent copy of
// Telegram's parser: escaping, the length Telegram counts, splitting into parts that Telegram
// accepts with every character keeping its formatting and nothing lost, the plain-text fallback,
// and the message layout (what an on-call reader sees first, escaping, no secrets).
#include "exporter/notify/telegram/html.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>

#include "exporter/core/sanitize.h"
#include "exporter/core/time.h"
#include "exporter/core/utf8.h"
#include "exporter/notify/telegram/render.h"
#include "tests/support/fake_telegram.h"

namespace codebot::notify::telegram {
namespace {

namespace fake = codebot::testing::telegram;

fake::ParsedText MustParse(std::string_view html) {
  std::string error;
  std::optional<fake::ParsedText> parsed = fake::ParseHtml(html, &error);
  EXPECT_TRUE(parsed.has_value()) << "Telegram would refuse: " << error << "\n" << html;
  return parsed.value_or(fake::ParsedText{});
}

// Every visible (non-blank) character with the formatting Telegram gives it, in order.
std::vector<std::string> Styled(const fake::ParsedText& parsed) {
  std::vector<std::string> out;
  int64_t offset = 0;
  for (size_t i = 0; i < parsed.text.size();) {
    size_t width = 1;
    const char32_t rune = utf8::DecodeRune(parsed.text, i, &width);
    if (rune != ' ' && rune != '\n' && rune != '\t') {
      std::set<std::string> styles;
      for (const auto& entity : parsed.entities) {
        if (offset >= entity.offset && offset < entity.offset + entity.length) {
          styles.insert(entity.type + ":" + entity.url);
        }
      }
      std::string item = parsed.text.substr(i, width) + "|";
      for (const auto& style : styles) item += style + ",";
      out.push_back(item);
    }
    offset += rune > 0xffff ? 2 : 1;
    i += width;
  }
  return out;
}

// What splitting must keep: every part accepted by Telegram and within the limit, and the
// parts together showing every character of the whole with the same formatting.
void ExpectFaithfulSplit(const std::string& html, size_t limit) {
  SCOPED_TRACE("limit " + std::to_string(limit) + ": " + html);
  const std::vector<std::string> parts = SplitMessage(html, true, limit);
  std::vector<std::string> joined;
  for (const std::string& part : parts) {
    const fake::ParsedText parsed = MustParse(part);
    EXPECT_LE(fake::Utf16Length(parsed.text), static_cast<int64_t>(limit)) << part;
    EXPECT_FALSE(fake::TrimText(parsed).text.empty()) << "an empty part: " << part;
    EXPECT_TRUE(utf8::Valid(part));
    for (auto& item : Styled(parsed)) joined.push_back(std::move(item));
  }
  EXPECT_EQ(joined, Styled(MustParse(html)));
}

TEST(TelegramHtml, Escaping) {
  EXPECT_EQ(EscapeText("<b> & \"x\" 'y'"), "&lt;b&gt; &amp; \"x\" 'y'");
  EXPECT_EQ(EscapeAttribute("https://x/?a=1&b=\"2\"<"), "https://x/?a=1&amp;b=&quot;2&quot;&lt;");
  EXPECT_EQ(MustParse(EscapeText("<script>&amp; a<b")).text, "<script>&amp; a<b");
  EXPECT_EQ(ValidUtf8("a\xff"
                      "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(ValidUtf8("ok 🔴"), "ok 🔴");
}

TEST(TelegramHtml, LengthAsTelegramCountsIt) {
  EXPECT_EQ(TelegramLength("<b>🔴</b> &amp;&#128308;", true), 6u);
  EXPECT_EQ(TelegramLength("<b>🔴</b>", false), 9u);
  EXPECT_EQ(TelegramLength("a\nb", true), 3u);
  const std::string html = "<b>🔴 Down</b> &lt;x&gt; <a href=\"https://e.org/?a=1&amp;b\">l</a>";
  EXPECT_EQ(TelegramLength(html, true),
            static_cast<size_t>(fake::Utf16Length(MustParse(html).text)));
}

TEST(TelegramHtml, ShortTextIsOnePart) {
  const std::string html = "<b>title</b>\nline";
  EXPECT_EQ(SplitMessage(html, true), std::vector<std::string>{html});
}

TEST(TelegramHtml, CutsAtLinesAndReopensTags) {
  EXPECT_EQ(SplitMessage("<b>aaa\nbbb</b>\nccc", true, 7),
            (std::vector<std::string>{"<b>aaa\nbbb</b>", "ccc"}));
  EXPECT_EQ(SplitMessage("<b>aaaa\n<i>bbbb\ncccc</i></b>", true, 5),
            (std::vector<std::string>{"<b>aaaa</b>", "<b><i>bbbb</i></b>", "<b><i>cccc</i></b>"}));
  const std::string link = "<a href=\"https://x.org/?a&amp;b\">";
  EXPECT_EQ(SplitMessage(link + "aaaa\nbbbb</a>", true, 5),
            (std::vector<std::string>{link + "aaaa</a>", link + "bbbb</a>"}));
  // Blank lines where a part starts are dropped, not sent as an empty message.
  EXPECT_EQ(SplitMessage("aaaa\n\n\nbbbb", true, 5), (std::vector<std::string>{"aaaa", "bbbb"}));
}

TEST(TelegramHtml, LongLineCutAtSpacesNeverInsideEntitiesOrCharacters) {
  for (const std::string& part : SplitMessage("alpha beta gamma delta epsilon", true, 11)) {
    const std::string text = fake::TrimText(MustParse(part)).text;
    EXPECT_TRUE(text == "alpha beta" || text == "gamma delta" || text == "epsilon") << text;
  }
  for (const std::string& part : SplitMessage(std::string(30, 'x'), true, 7)) {
    EXPECT_LE(part.size(), 7u);
  }
  std::string amps;
  for (int i = 0; i < 10; ++i) amps += "&amp;";
  for (const std::string& part : SplitMessage(amps, true, 3)) {
    EXPECT_TRUE(part == "&amp;&amp;&amp;" || part == "&amp;") << part;
  }
  for (const std::string& part : SplitMessage("🔴🔴🔴", true, 3)) EXPECT_EQ(part, "🔴");
  // U+26A0 U+FE0F is one symbol on screen: never cut between the two.
  for (const std::string& part : SplitMessage("⚠️⚠️⚠️", true, 3))
    EXPECT_EQ(part, "⚠️");
  ExpectFaithfulSplit("<b>" + std::string(50, 'b') + "</b> <i>" + std::string(50, 'i') + "</i>",
                      16);
}

TEST(TelegramHtml, PlainTextIsSplitWithoutMarkup) {
  EXPECT_EQ(SplitMessage("a<b>\nc&amp;", false, 6), (std::vector<std::string>{"a<b>", "c&amp;"}));
}

TEST(TelegramHtml, RandomTextsSplitFaithfully) {
  std::mt19937 rng(20240501);
  const std::vector<std::string> words = {
      "alpha",  "&lt;b&gt;", "&amp;", "&quot;x&quot;",      "🔴",         "⚠️",      "привет",
      "日本語", "a&gt;b",    "x",     std::string(60, 'w'), "&#128308;", "p99&lt;500ms"};
  const std::vector<std::pair<std::string, std::string>> tags = {
      {"<b>", "</b>"},
      {"<i>", "</i>"},
      {"<code>", "</code>"},
      {"<a href=\"https://grafana.example/d/x?from=1&amp;to=2\">", "</a>"},
      {"<blockquote>", "</blockquote>"}};
  std::function<std::string(int)> generate = [&](int depth) {
    std::string out;
    const int items = static_cast<int>(rng() % 12) + 1;
    for (int i = 0; i < items; ++i) {
      const unsigned pick = rng() % 10;
      if (pick < 5) {
        out += words[rng() % words.size()];
      } else if (pick < 7) {
        out += ' ';
      } else if (pick < 8) {
        out += '\n';
      } else if (depth < 3) {
        const auto& tag = tags[rng() % tags.size()];
        const std::string inner = generate(depth + 1);
        if (!inner.empty()) out += tag.first + inner + tag.second;
      }
    }
    return out;
  };
  const std::vector<size_t> limits = {2, 3, 5, 17, 64, 300, 4096};
  for (int round = 0; round < 400; ++round) {
    std::string html;
    const int blocks = static_cast<int>(rng() % 6) + 1;
    for (int b = 0; b < blocks; ++b) html += generate(0) + "x";
    ExpectFaithfulSplit(html, limits[rng() % limits.size()]);
    if (HasFailure()) break;
  }
}

TEST(TelegramHtml, PlainFallbackKeepsLinkAddresses) {
  EXPECT_EQ(HtmlToPlain("<b>Down</b> &amp; &lt;x&gt; <a href=\"https://r.example/x?a=1&amp;b=2\">"
                        "Runbook</a> <a href=\"https://same.example\">https://same.example</a>"),
            "Down & <x> Runbook (https://r.example/x?a=1&b=2) https://same.example");
  // When addresses would make it too long, the text alone is kept.
  EXPECT_EQ(HtmlToPlain("<a href=\"https://r.example/long/path\">Runbook</a>", 10), "Runbook");
}

// --- The message layout ------------------------------------------------------------------

alerts::Notification Sample() {
  alerts::Notification n;
  n.id = "n-1";
  n.receiver = "oncall";
  n.group_key = "{}:{alertname=\"BotServiceDown\"}";
  n.group_labels = {{"alertname", "BotServiceDown"}};
  n.common_labels = {{"alertname", "BotServiceDown"}, {"severity", "critical"}};
  n.external_url = "http://sidecar.example:9877";
  alerts::NotifiedAlert a;
  a.alert.labels = {
      {"alertname", "BotServiceDown"}, {"instance", "bot-0:8080"}, {"severity", "critical"}};
  a.alert.annotations = {{"description", "No answer from bot-0:8080 for 2m."},
                         {"summary", "CodeBot is not answering"}};
  a.alert.starts_at_ms = *ParseRfc3339("2024-05-01T10:32:00Z");
  a.alert.generator_url = "http://sidecar.example:9877/rules";
  a.enrichment.actions = {"Check the pod", "Read the bot's logs"};
  a.enrichment.runbook_url = "https://runbooks.example.com/BotServiceDown";
  a.enrichment.affected_services = {"telegram-bot", "github-sync"};
  a.enrichment.dashboards = {{"Bot overview", "https://grafana.example.com/d/bot?from=1&to=2"}};
  n.alerts.push_back(a);
  return n;
}

TEST(TelegramRender, FiringReadsTopDown) {
  const std::string html = RenderText(Sample(), "", true);
  EXPECT_EQ(html,
            "<b>🔴 FIRING · BotServiceDown</b>\n"
            "\n"
            "🔴 <b>CodeBot is not answering</b>\n"
            "<i>instance=bot-0:8080 · since 2024-05-01 10:32 UTC</i>\n"
            "No answer from bot-0:8080 for 2m.\n"
            "<b>Affected:</b> telegram-bot, github-sync\n"
            "<b>What to do:</b>\n"
            "1. Check the pod\n"
            "2. Read the bot's logs\n"
            "📖 <a href=\"https://runbooks.example.com/BotServiceDown\">Runbook</a> · "
            "📊 <a href=\"https://grafana.example.com/d/bot?from=1&amp;to=2\">Bot overview</a> · "
            "📈 <a href=\"http://sidecar.example:9877/rules\">Query</a>\n"
            "\n"
            "🔗 <a href=\"http://sidecar.example:9877\">Source</a>");
  const fake::ParsedText parsed = MustParse(html);
  EXPECT_EQ(parsed.text.substr(0, parsed.text.find('\n')), "🔴 FIRING · BotServiceDown");
}

TEST(TelegramRender, ResolvedSaysHowLongAndPlainModeIsUnescaped) {
  alerts::Notification n = Sample();
  n.alerts[0].status = alerts::Status::kResolved;
  n.alerts[0].alert.ends_at_ms = n.alerts[0].alert.starts_at_ms + 750'000;
  n.alerts[0].alert.annotations[0].value = "p99 < 500ms & \"rising\"";
  n.alerts[0].enrichment.runbook_url = "docs/runbooks.md#down";  // not a web address
  n.truncated_alerts = 3;
  const std::string html = RenderText(n, "", true);
  EXPECT_NE(html.find("<b>✅ RESOLVED · BotServiceDown</b>\n"), std::string::npos) << html;
  EXPECT_NE(html.find("✅ <b>CodeBot is not answering</b> — resolved after 12m 30s\n"),
            std::string::npos);
  EXPECT_NE(html.find("p99 &lt; 500ms &amp; \"rising\""), std::string::npos);
  EXPECT_NE(html.find("📖 Runbook: docs/runbooks.md#down"), std::string::npos);
  EXPECT_NE(html.find("<i>…and 3 more alerts not shown</i>"), std::string::npos);
  EXPECT_EQ(html.find("since"), std::string::npos);  // resolved: how long, not since when
  MustParse(html);

  const std::string plain = RenderText(n, "", false);
  EXPECT_EQ(plain.find("<b>"), std::string::npos);
  EXPECT_NE(plain.find("p99 < 500ms & \"rising\""), std::string::npos);
  EXPECT_NE(plain.find("📊 Bot overview: https://grafana.example.com/d/bot?from=1&to=2"),
            std::string::npos);
}

TEST(TelegramRender, SecretsAreRedactedBeforeEscaping) {
  sanitize::RegisterSecret("s3cr3t-routing-key-0042");
  alerts::Notification n = Sample();
  n.alerts[0].alert.annotations[0].value = "key s3cr3t-routing-key-0042 leaked";
  const std::string html = RenderText(n, "", true);
  EXPECT_EQ(html.find("s3cr3t-routing-key-0042"), std::string::npos);
  EXPECT_NE(MustParse(html).text.find("key <redacted> leaked"), std::string::npos);
  sanitize::ClearSecretsForTesting();
}

TEST(TelegramRender, FallbackSourceWhenTheNotificationHasNone) {
  alerts::Notification n = Sample();
  n.external_url.clear();
  EXPECT_NE(RenderText(n, "https://sidecar.example", true)
                .find("🔗 <a href=\"https://sidecar.example\">Source</a>"),
            std::string::npos);
}

}  // namespace
}  // namespace codebot::notify::telegram
