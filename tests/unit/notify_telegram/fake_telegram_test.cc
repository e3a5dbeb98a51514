// The fake Telegram that every Telegram test relies on: its HTML parser refuses what Telegram
// refuses, in Telegram's words and byte offsets (the same wording Alertmanager's log quotes from
// the real API), counts lengths in UTF-16 code units after parsing and trimming, and its HTTP
// side answers like the Bot API (token, chats, topics, replies, migrations, scripted faults).
#include "tests/support/fake_telegram.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "exporter/http/client.h"

namespace codebot::testing::telegram {
namespace {

using nlohmann::json;

std::string ParseError(std::string_view html, ParseOptions options = {}) {
  std::string error;
  EXPECT_FALSE(ParseHtml(html, &error, options).has_value()) << html;
  return error;
}

Entity E(std::string type, int64_t offset, int64_t length, std::string url = "") {
  Entity entity;
  entity.type = std::move(type);
  entity.offset = offset;
  entity.length = length;
  entity.url = std::move(url);
  return entity;
}

ParsedText Parse(std::string_view html, ParseOptions options = {}) {
  std::string error;
  std::optional<ParsedText> parsed = ParseHtml(html, &error, options);
  EXPECT_TRUE(parsed.has_value()) << html << ": " << error;
  return parsed.value_or(ParsedText{});
}

TEST(FakeTelegramParser, RefusesWhatTelegramRefusesWithItsWords) {
  // The reference capture: Alertmanager's log quoting Telegram for a label value "<foo>".
  EXPECT_EQ(ParseError("Value is <foo>"), "Unsupported start tag \"foo\" at byte offset 9");
  EXPECT_EQ(ParseError("p99 < 500ms"), "Unsupported start tag \"\" at byte offset 4");
  EXPECT_EQ(ParseError("a <"), "Unclosed start tag at byte offset 2");
  EXPECT_EQ(ParseError("<b>bold"), "Can't find end tag corresponding to start tag b");
  EXPECT_EQ(ParseError("<b>x</i>"),
            "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\"");
  EXPECT_EQ(ParseError("<b><i>x</b></i>"),
            "Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\"");
  EXPECT_EQ(ParseError("x</b>"), "Unexpected end tag at byte offset 1");
  EXPECT_EQ(ParseError("<b>x</b"), "Unclosed end tag at byte offset 4");
  EXPECT_EQ(ParseError("<span>x</span>"),
            "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0");
  EXPECT_EQ(ParseError("<a href>x</a>"),
            "Expected equal sign in declaration of an attribute of the tag \"a\" at byte offset 0");
  EXPECT_EQ(ParseError("<a href=\"https://x.org\">x"),
            "Can't find end tag corresponding to start tag a");
  EXPECT_EQ(ParseError("<tg-emoji emoji-id=\"abc\">x</tg-emoji>"),
            "Invalid custom emoji identifier specified");
  EXPECT_EQ(ParseError("<script>alert(1)</script>"),
            "Unsupported start tag \"script\" at byte offset 0");
  // Multi-byte characters before the error count in bytes, as Telegram reports them.
  EXPECT_EQ(ParseError("🔴 <x>"), "Unsupported start tag \"x\" at byte offset 5");
}

TEST(FakeTelegramParser, BareAmpersandIsRefusedUnlessLenient) {
  EXPECT_EQ(ParseError("rock & roll"), "Unescaped \"&\" at byte offset 5");
  EXPECT_EQ(Parse("rock & roll", {.strict_ampersand = false}).text, "rock & roll");
  EXPECT_EQ(Parse("a &unknown; b", {.strict_ampersand = false}).text, "a &unknown; b");
}

TEST(FakeTelegramParser, DecodesEntitiesAndCountsUtf16) {
  const ParsedText parsed = Parse("&lt;b&gt; &amp; &quot;q&quot; &#128308; &#x41;");
  EXPECT_EQ(parsed.text, "<b> & \"q\" 🔴 A");
  EXPECT_TRUE(parsed.entities.empty());
  EXPECT_EQ(Utf16Length("🔴"), 2);
  EXPECT_EQ(Utf16Length("é"), 1);
  EXPECT_EQ(Utf16Length("⚠️"), 2);  // U+26A0 U+FE0F
}

TEST(FakeTelegramParser, EntitiesWithUtf16OffsetsAndLinks) {
  const ParsedText parsed = Parse(
      "🔴 <b>Down</b> <i>x<u>y</u></i>\n<a href=\"https://g.example/d?a=1&amp;b=&quot;2&quot;\">"
      "dash</a> <a href=\"javascript:alert(1)\">bad</a> <code>c</code>");
  EXPECT_EQ(parsed.text, "🔴 Down xy\ndash bad c");
  ASSERT_EQ(parsed.entities.size(), 5u);
  EXPECT_EQ(parsed.entities[0], E("bold", 3, 4));
  EXPECT_EQ(EntityText(parsed, parsed.entities[0]), "Down");
  EXPECT_EQ(parsed.entities[1], E("italic", 8, 2));
  EXPECT_EQ(parsed.entities[2], E("underline", 9, 1));
  EXPECT_EQ(parsed.entities[3], E("text_link", 11, 4, "https://g.example/d?a=1&b=\"2\""));
  // A link Telegram can't open disappears and leaves its text.
  EXPECT_EQ(parsed.entities[4], E("code", 20, 1));
}

TEST(FakeTelegramParser, BlockquotePreSpoiler) {
  const ParsedText parsed = Parse(
      "<blockquote expandable>q</blockquote><pre><code class=\"language-cpp\">int</code>"
      "</pre><span class=\"tg-spoiler\">s</span><tg-spoiler>t</tg-spoiler>");
  ASSERT_EQ(parsed.entities.size(), 4u);
  EXPECT_EQ(parsed.entities[0].type, "expandable_blockquote");
  EXPECT_EQ(parsed.entities[1].type, "pre");
  EXPECT_EQ(parsed.entities[1].language, "cpp");
  EXPECT_EQ(parsed.entities[2].type, "spoiler");
  EXPECT_EQ(parsed.entities[3].type, "spoiler");
}

TEST(FakeTelegramParser, TrimMovesEntities) {
  const ParsedText trimmed = TrimText(Parse("\n\n <b>x</b> y \n"));
  EXPECT_EQ(trimmed.text, "x y");
  ASSERT_EQ(trimmed.entities.size(), 1u);
  EXPECT_EQ(trimmed.entities[0], E("bold", 0, 1));
}

class FakeTelegramHttp : public ::testing::Test {
 protected:
  static constexpr int64_t kChat = -1001234567890;

  void SetUp() override { fake_.AddChat(kChat); }

  // Sends a sendMessage request the way any client would.
  http::ClientResponse Send(const json& body, const std::string& token = "",
                            const std::string& method = "sendMessage") {
    http::ClientRequest request;
    request.method = "POST";
    request.url = fake_.ApiUrl() + "/bot" + (token.empty() ? fake_.token() : token) + "/" + method;
    request.headers = {{"Content-Type", "application/json"}};
    request.body = body.dump();
    return client_.Do(request);
  }

  static json Answer(const http::ClientResponse& response) {
    return json::parse(response.body, nullptr, false);
  }

  FakeTelegram fake_;
  http::Client client_;
};

TEST_F(FakeTelegramHttp, AcceptsAndRecordsAMessage) {
  const auto response = Send({{"chat_id", kChat},
                              {"text", "<b>Down</b> &amp; out"},
                              {"parse_mode", "HTML"},
                              {"link_preview_options", {{"is_disabled", true}}},
                              {"disable_notification", true}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json answer = Answer(response);
  EXPECT_EQ(answer["ok"], true);
  EXPECT_EQ(answer["result"]["message_id"], 1);
  EXPECT_EQ(answer["result"]["chat"]["id"], kChat);
  EXPECT_EQ(answer["result"]["chat"]["type"], "supergroup");
  EXPECT_EQ(answer["result"]["text"], "Down & out");
  EXPECT_EQ(answer["result"]["entities"][0]["type"], "bold");

  const auto messages = fake_.Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].text, "Down & out");
  EXPECT_EQ(messages[0].raw_text, "<b>Down</b> &amp; out");
  EXPECT_TRUE(messages[0].disable_notification);
  EXPECT_TRUE(messages[0].link_preview_disabled);
  EXPECT_EQ(messages[0].parse_mode, "HTML");
}

TEST_F(FakeTelegramHttp, AnswersErrorsLikeTheBotApi) {
  auto expect_error = [&](const http::ClientResponse& response, int status,
                          const std::string& description) {
    EXPECT_EQ(response.status, status) << response.body;
    const json answer = Answer(response);
    EXPECT_EQ(answer["ok"], false);
    EXPECT_EQ(answer["error_code"], status);
    EXPECT_EQ(answer["description"], description);
  };
  expect_error(Send({{"chat_id", kChat}, {"text", "x"}}, "7012345678:wrong"), 401, "Unauthorized");
  expect_error(Send({{"chat_id", kChat}, {"text", "x"}}, "", "sendNothing"), 404, "Not Found");
  expect_error(Send({{"text", "x"}}), 400, "Bad Request: chat_id is empty");
  expect_error(Send({{"chat_id", 42}, {"text", "x"}}), 400, "Bad Request: chat not found");
  expect_error(Send({{"chat_id", kChat}, {"text", " \n "}}), 400,
               "Bad Request: message text is empty");
  expect_error(Send({{"chat_id", kChat}, {"text", "a <x> b"}, {"parse_mode", "HTML"}}), 400,
               "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 2");
  // 4096 UTF-16 units after parsing pass (markup and trimmed blanks don't count); one more fails.
  const std::string limit_text = "<b>" + std::string(4094, 'x') + "🔴</b>\n";
  EXPECT_EQ(Send({{"chat_id", kChat}, {"text", limit_text}, {"parse_mode", "HTML"}}).status, 200);
  expect_error(Send({{"chat_id", kChat}, {"text", std::string(4095, 'x') + "🔴"}}), 400,
               "Bad Request: message is too long");
  expect_error(Send({{"chat_id", kChat}, {"text", "x"}, {"message_thread_id", 5}}), 400,
               "Bad Request: message thread not found");
  expect_error(
      Send({{"chat_id", kChat}, {"text", "x"}, {"reply_parameters", {{"message_id", 999}}}}), 400,
      "Bad Request: message to be replied not found");
  EXPECT_EQ(fake_.Messages().size(), 1u);
  EXPECT_EQ(fake_.Calls().size(), 10u);
}

TEST_F(FakeTelegramHttp, RepliesTopicsMigrationsBlocks) {
  ASSERT_EQ(Send({{"chat_id", kChat}, {"text", "first"}}).status, 200);
  auto reply =
      Send({{"chat_id", kChat}, {"text", "second"}, {"reply_parameters", {{"message_id", 1}}}});
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(Answer(reply)["result"]["reply_to_message"]["message_id"], 1);
  // A reply to a missing message goes out as a plain message when allowed.
  ASSERT_EQ(
      Send({{"chat_id", kChat},
            {"text", "third"},
            {"reply_parameters", {{"message_id", 77}, {"allow_sending_without_reply", true}}}})
          .status,
      200);
  auto messages = fake_.Messages(kChat);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[1].reply_to_message_id, 1);
  EXPECT_FALSE(messages[2].reply_to_message_id.has_value());
  EXPECT_EQ(messages[2].message_id, 3);

  fake_.AddTopic(kChat, 12);
  ASSERT_EQ(Send({{"chat_id", kChat}, {"text", "topic"}, {"message_thread_id", 12}}).status, 200);
  EXPECT_EQ(fake_.Messages(kChat).back().message_thread_id, 12);
  fake_.DeleteTopic(kChat, 12);
  EXPECT_EQ(Send({{"chat_id", kChat}, {"text", "topic"}, {"message_thread_id", 12}}).status, 400);

  fake_.UpgradeToSupergroup(-4001, -1004001);
  auto migrated = Send({{"chat_id", -4001}, {"text", "x"}});
  EXPECT_EQ(migrated.status, 400);
  EXPECT_EQ(Answer(migrated)["parameters"]["migrate_to_chat_id"], -1004001);
  EXPECT_EQ(Send({{"chat_id", -1004001}, {"text", "x"}}).status, 200);

  fake_.AddChat(555);
  fake_.BlockBot(555);
  auto blocked = Send({{"chat_id", 555}, {"text", "x"}});
  EXPECT_EQ(blocked.status, 403);
  EXPECT_EQ(Answer(blocked)["description"], "Forbidden: bot was blocked by the user");
}

TEST_F(FakeTelegramHttp, ScriptedFaultsComeFirstInOrder) {
  fake_.EnqueueFault(FakeTelegram::TooManyRequests(3));
  fake_.EnqueueFault(FakeTelegram::BadGateway());
  fake_.EnqueueFault(Fault{});  // answered normally
  auto first = Send({{"chat_id", kChat}, {"text", "x"}});
  EXPECT_EQ(first.status, 429);
  EXPECT_EQ(Answer(first)["parameters"]["retry_after"], 3);
  EXPECT_EQ(Answer(first)["description"], "Too Many Requests: retry after 3");
  auto second = Send({{"chat_id", kChat}, {"text", "x"}});
  EXPECT_EQ(second.status, 502);
  EXPECT_NE(second.body.find("nginx"), std::string::npos);
  EXPECT_EQ(Send({{"chat_id", kChat}, {"text", "x"}}).status, 200);
  // A wrong token is refused before any scripted fault is used up.
  fake_.EnqueueFault(FakeTelegram::InternalServerError());
  EXPECT_EQ(Send({{"chat_id", kChat}, {"text", "x"}}, "1:bad").status, 401);
  EXPECT_EQ(Send({{"chat_id", kChat}, {"text", "x"}}).status, 500);
  EXPECT_EQ(fake_.Messages().size(), 1u);
}

TEST_F(FakeTelegramHttp, TakesFormParametersToo) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = fake_.ApiUrl() + "/bot" + fake_.token() + "/sendMessage";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = "chat_id=-1001234567890&text=%3Cb%3Ehi%3C%2Fb%3E&parse_mode=HTML";
  const auto response = client_.Do(request);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(fake_.Messages().at(0).text, "hi");
}

}  // namespace
}  // namespace codebot::testing::telegram
