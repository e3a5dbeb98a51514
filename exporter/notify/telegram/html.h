// Telegram text as the Bot API measures and parses it: HTML escaping of inserted values, the
// length Telegram counts (UTF-16 code units of the text after entity parsing), splitting a text
// longer than one message into parts at line boundaries with every part's tags balanced, and
// the plain-text form of an HTML part for when Telegram refuses its markup. Pure functions over
// text this integration renders.
//
// Must never cut inside a tag, an HTML entity, a UTF-8 sequence or a UTF-16 surrogate pair,
// never drop text when splitting (only the line break a part ends at, which Telegram would trim
// anyway), and never produce a part Telegram would count longer than the limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace codebot::notify::telegram {

// sendMessage's limit on text, in UTF-16 code units after entity parsing.
inline constexpr size_t kMaxMessageUnits = 4096;

// Text content for HTML mode: & < > escaped as Telegram requires.
std::string EscapeText(std::string_view text);
// An attribute value (a link's href) in double quotes: also ".
std::string EscapeAttribute(std::string_view text);

// Replaces invalid UTF-8 with U+FFFD so that what we measure is what Telegram receives (a JSON
// encoder would replace it anyway, after we had counted it).
std::string ValidUtf8(std::string_view text);

// UTF-16 code units Telegram counts for `text`: with html, tags count nothing and an entity
// (&lt; &#128308;) counts as the character it stands for.
size_t TelegramLength(std::string_view text, bool html);

// Splits a text into parts of at most `limit` units (as TelegramLength counts them). Cuts at line
// breaks; a single line longer than the limit is cut inside, at a space when one is near, else
// between characters. With html, tags open at a cut are closed at the end of the part and opened
// again (same tag, same attributes) at the start of the next. A text that fits is returned as
// its only part; parts holding nothing but whitespace are dropped (Telegram rejects them).
std::vector<std::string> SplitMessage(std::string_view text, bool html,
                                      size_t limit = kMaxMessageUnits);

// The plain text of an HTML part, as sent without parse_mode when Telegram refused the markup:
// tags dropped, entities decoded; a link keeps its address after its text ("Runbook
// (https://...)") unless that would make the text longer than `limit`.
std::string HtmlToPlain(std::string_view html, size_t limit = kMaxMessageUnits);

}  // namespace codebot::notify::telegram
