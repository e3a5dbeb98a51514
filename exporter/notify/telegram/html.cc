#include "exporter/notify/telegram/html.h"

#include <algorithm>
#include <optional>

#include "exporter/core/utf8.h"

namespace codebot::notify::telegram {
namespace {

enum class AtomKind { kText, kNewline, kOpen, kClose };

// The smallest pieces a text is cut between: one character (an entity in HTML mode stands for
// one), a line break, or a whole tag.
struct Atom {
  AtomKind kind = AtomKind::kText;
  size_t begin = 0;
  size_t end = 0;
  size_t units = 0;  // UTF-16 code units in the parsed text
  char32_t rune = 0;
  std::string_view name;  // tags only
};

// Telegram's entity rule (tdlib's decode_html_entity): &lt; &gt; &amp; &quot; and numeric
// references, the ';' optional. 0 when text[pos] starts no entity Telegram decodes.
char32_t DecodeEntity(std::string_view text, size_t pos, size_t* end) {
  size_t i = pos + 1;
  char32_t rune = 0;
  auto at = [&](size_t k) { return k < text.size() ? text[k] : '\0'; };
  if (at(i) == '#') {
    ++i;
    const bool hex = at(i) == 'x';
    if (hex) ++i;
    const size_t digits_begin = i;
    while (i < text.size() && i - pos < 10) {
      const char c = text[i];
      int digit = -1;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (hex && c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (hex && c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      }
      if (digit < 0) break;
      rune = rune * (hex ? 16 : 10) + static_cast<char32_t>(digit);
      ++i;
    }
    if (i == digits_begin || rune == 0 || rune >= 0x10ffff || i - pos >= 10) return 0;
  } else {
    const size_t name_begin = i;
    while (i < text.size() &&
           ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z'))) {
      ++i;
    }
    const std::string_view name = text.substr(name_begin, i - name_begin);
    if (name == "lt") {
      rune = '<';
    } else if (name == "gt") {
      rune = '>';
    } else if (name == "amp") {
      rune = '&';
    } else if (name == "quot") {
      rune = '"';
    } else {
      return 0;
    }
  }
  *end = at(i) == ';' ? i + 1 : i;
  return rune;
}

size_t RuneUnits(char32_t rune) { return rune > 0xffff ? 2 : 1; }

std::vector<Atom> Tokenize(std::string_view text, bool html) {
  std::vector<Atom> atoms;
  atoms.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    Atom atom;
    atom.begin = i;
    if (c == '\n') {
      atom.kind = AtomKind::kNewline;
      atom.end = i + 1;
      atom.units = 1;
      atom.rune = '\n';
    } else if (html && c == '<') {
      // A tag runs to the first '>' outside quotes; a '<' with no '>' after it is a character
      // (our own output never has one).
      size_t j = i + 1;
      char quote = 0;
      while (j < text.size()) {
        const char d = text[j];
        if (quote != 0) {
          if (d == quote) quote = 0;
        } else if (d == '"' || d == '\'') {
          quote = d;
        } else if (d == '>') {
          break;
        }
        ++j;
      }
      if (j < text.size()) {
        const bool closing = i + 1 < text.size() && text[i + 1] == '/';
        size_t name_begin = i + (closing ? 2 : 1);
        size_t name_end = name_begin;
        while (name_end < j && text[name_end] != ' ' && text[name_end] != '\t' &&
               text[name_end] != '\n' && text[name_end] != '/') {
          ++name_end;
        }
        atom.kind = closing ? AtomKind::kClose : AtomKind::kOpen;
        atom.end = j + 1;
        atom.name = text.substr(name_begin, name_end - name_begin);
      } else {
        atom.end = i + 1;
        atom.units = 1;
        atom.rune = '<';
      }
    } else if (html && c == '&') {
      size_t end = 0;
      const char32_t rune = DecodeEntity(text, i, &end);
      if (rune != 0) {
        atom.end = end;
        atom.units = RuneUnits(rune);
        atom.rune = rune;
      } else {
        atom.end = i + 1;
        atom.units = 1;
        atom.rune = '&';
      }
    } else {
      size_t width = 1;
      const char32_t rune = utf8::DecodeRune(text, i, &width);
      atom.end = i + width;
      atom.units = RuneUnits(rune);
      atom.rune = rune;
    }
    i = atom.end;
    atoms.push_back(atom);
  }
  return atoms;
}

bool IsSpace(const Atom& atom) {
  return atom.kind == AtomKind::kText && (atom.rune == ' ' || atom.rune == '\t');
}

// Characters that belong to the one before them on screen (variation selectors, joiners,
// combining marks, skin tones): a cut before them would split what the reader sees as one.
bool JoinsPrevious(char32_t r) {
  return r == 0x200d || r == 0xfe0e || r == 0xfe0f || (r >= 0x300 && r <= 0x36f) ||
         (r >= 0x1ab0 && r <= 0x1aff) || (r >= 0x20d0 && r <= 0x20ff) ||
         (r >= 0xfe20 && r <= 0xfe2f) || (r >= 0x1f3fb && r <= 0x1f3ff) ||
         (r >= 0xe0020 && r <= 0xe007f);
}

bool Glued(const std::vector<Atom>& atoms, size_t cut) {
  const Atom& next = atoms[cut];
  const Atom& prev = atoms[cut - 1];
  return (next.kind == AtomKind::kText && JoinsPrevious(next.rune)) ||
         (prev.kind == AtomKind::kText && prev.rune == 0x200d);
}

// How far back from a full part a cut still goes to the last space: further, and it is better
// to cut a word than to waste that much of the message.
constexpr size_t kMaxBreakSearch = 200;

// One part being filled: what it holds, how long Telegram will count it, and the tags open in
// it (opened again at the start of the next part).
class PartBuilder {
 public:
  PartBuilder(std::string_view text, std::vector<std::string>* parts) : text_(text), parts_(parts) {
    Begin();
  }

  bool fresh() const { return fresh_; }
  size_t units() const { return units_; }

  void Newline() {
    out_ += '\n';
    units_ += 1;
  }

  void Append(const std::vector<Atom>& atoms, size_t begin, size_t end) {
    for (size_t k = begin; k < end; ++k) Append(atoms[k]);
  }

  void Flush() {
    while (!out_.empty() && out_.back() == '\n') out_.pop_back();  // Telegram trims them
    for (auto it = open_.rbegin(); it != open_.rend(); ++it) {
      out_ += "</";
      out_ += it->name;
      out_ += '>';
    }
    if (content_) parts_->push_back(std::move(out_));
    Begin();
  }

 private:
  void Begin() {
    out_.clear();
    units_ = 0;
    fresh_ = true;
    content_ = false;
    for (const Atom& tag : open_) out_ += text_.substr(tag.begin, tag.end - tag.begin);
  }

  void Append(const Atom& atom) {
    out_ += text_.substr(atom.begin, atom.end - atom.begin);
    units_ += atom.units;
    fresh_ = false;
    if (atom.kind == AtomKind::kOpen) {
      open_.push_back(atom);
    } else if (atom.kind == AtomKind::kClose) {
      if (!open_.empty()) open_.pop_back();
    } else if (!IsSpace(atom) && atom.kind == AtomKind::kText && atom.rune != '\r') {
      content_ = true;
    }
  }

  std::string_view text_;
  std::vector<std::string>* parts_;
  std::string out_;
  size_t units_ = 0;
  bool fresh_ = true;
  bool content_ = false;
  std::vector<Atom> open_;
};

void AppendLine(const std::vector<Atom>& atoms, size_t begin, size_t end, size_t line_units,
                size_t limit, PartBuilder& part) {
  const size_t separator = part.fresh() ? 0 : 1;
  if (part.units() + separator + line_units <= limit) {
    if (separator != 0) part.Newline();
    part.Append(atoms, begin, end);
    return;
  }
  if (line_units <= limit) {
    part.Flush();
    part.Append(atoms, begin, end);
    return;
  }
  // Longer than any part: fill what is left of this part, then as many parts as it takes.
  if (!part.fresh()) {
    if (part.units() + 1 < limit) {
      part.Newline();
    } else {
      part.Flush();
    }
  }
  size_t pos = begin;
  while (pos < end) {
    const size_t room = limit - part.units();
    size_t k = pos;
    size_t used = 0;
    std::optional<size_t> last_break;
    while (k < end && used + atoms[k].units <= room) {
      used += atoms[k].units;
      if (IsSpace(atoms[k])) last_break = k + 1;
      ++k;
    }
    if (k == end) {
      part.Append(atoms, pos, end);
      return;
    }
    // At a space the part already ends with a whole word (the space starts the next part, where
    // Telegram trims it); else back to the last space when one is near.
    size_t cut = k;
    if (!IsSpace(atoms[k]) && last_break && *last_break > pos &&
        k - *last_break <= kMaxBreakSearch) {
      cut = *last_break;
    }
    while (cut > pos + 1 && Glued(atoms, cut)) --cut;
    while (cut > pos && atoms[cut - 1].kind == AtomKind::kOpen) --cut;  // open where text is
    while (cut < end && atoms[cut].kind == AtomKind::kClose) ++cut;     // close where it ends
    if (cut == pos) {
      if (!part.fresh()) {
        part.Flush();
        continue;
      }
      cut = k;  // an empty part always takes at least one character
    }
    part.Append(atoms, pos, cut);
    part.Flush();
    pos = cut;
  }
}

std::optional<std::string> AttributeValue(std::string_view tag, std::string_view name) {
  size_t pos = 0;
  while ((pos = tag.find(name, pos)) != std::string_view::npos) {
    const bool starts_word = pos > 0 && (tag[pos - 1] == ' ' || tag[pos - 1] == '\t');
    size_t i = pos + name.size();
    while (i < tag.size() && tag[i] == ' ') ++i;
    if (!starts_word || i >= tag.size() || tag[i] != '=') {
      pos += name.size();
      continue;
    }
    ++i;
    while (i < tag.size() && tag[i] == ' ') ++i;
    if (i >= tag.size()) return std::nullopt;
    const char quote = tag[i];
    if (quote != '"' && quote != '\'') return std::nullopt;
    const size_t close = tag.find(quote, i + 1);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view raw = tag.substr(i + 1, close - i - 1);
    std::string value;
    for (size_t k = 0; k < raw.size();) {
      size_t end = 0;
      const char32_t rune = raw[k] == '&' ? DecodeEntity(raw, k, &end) : 0;
      if (rune != 0) {
        utf8::AppendRune(&value, rune);
        k = end;
      } else {
        value += raw[k++];
      }
    }
    return value;
  }
  return std::nullopt;
}

}  // namespace

std::string EscapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
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

std::string EscapeAttribute(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (const char c : text) {
    if (c == '"') {
      out += "&quot;";
    } else {
      out += EscapeText(std::string_view(&c, 1));
    }
  }
  return out;
}

std::string ValidUtf8(std::string_view text) {
  if (utf8::Valid(text)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t width = 1;
    const char32_t rune = utf8::DecodeRune(text, i, &width);
    if (rune == utf8::kRuneError && width == 1) {
      utf8::AppendRune(&out, utf8::kRuneError);
    } else {
      out.append(text.substr(i, width));
    }
    i += width;
  }
  return out;
}

size_t TelegramLength(std::string_view text, bool html) {
  size_t units = 0;
  for (const Atom& atom : Tokenize(text, html)) units += atom.units;
  return units;
}

std::vector<std::string> SplitMessage(std::string_view text, bool html, size_t limit) {
  limit = std::max<size_t>(limit, 2);  // a surrogate pair must fit in an empty part
  const std::vector<Atom> atoms = Tokenize(text, html);
  std::vector<std::string> parts;
  PartBuilder part(text, &parts);
  size_t begin = 0;
  while (true) {
    size_t end = begin;
    size_t line_units = 0;
    while (end < atoms.size() && atoms[end].kind != AtomKind::kNewline) {
      line_units += atoms[end].units;
      ++end;
    }
    AppendLine(atoms, begin, end, line_units, limit, part);
    if (end >= atoms.size()) break;
    begin = end + 1;
  }
  part.Flush();
  return parts;
}

std::string HtmlToPlain(std::string_view html, size_t limit) {
  std::string with_urls;
  std::string without_urls;
  struct Open {
    std::string_view name;
    std::string href;
    size_t text_begin = 0;
  };
  std::vector<Open> open;
  for (const Atom& atom : Tokenize(html, true)) {
    const std::string_view raw = html.substr(atom.begin, atom.end - atom.begin);
    switch (atom.kind) {
      case AtomKind::kOpen:
        open.push_back({atom.name, atom.name == "a" ? AttributeValue(raw, "href").value_or("") : "",
                        without_urls.size()});
        break;
      case AtomKind::kClose:
        if (!open.empty()) {
          const Open& tag = open.back();
          const std::string_view link_text = std::string_view(without_urls).substr(tag.text_begin);
          if (!tag.href.empty() && link_text != tag.href) with_urls += " (" + tag.href + ")";
          open.pop_back();
        }
        break;
      case AtomKind::kNewline:
        with_urls += '\n';
        without_urls += '\n';
        break;
      case AtomKind::kText:
        if (raw.front() == '&' && raw.size() > 1) {
          std::string decoded;
          utf8::AppendRune(&decoded, atom.rune);
          with_urls += decoded;
          without_urls += decoded;
        } else {
          with_urls += raw;
          without_urls += raw;
        }
        break;
    }
  }
  return TelegramLength(with_urls, false) <= limit ? with_urls : without_urls;
}

}  // namespace codebot::notify::telegram
