#include "exporter/core/sanitize.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace codebot::sanitize {
namespace {

struct Registry {
  std::shared_mutex mutex;
  std::vector<std::string> secrets;  // longest first, so a secret containing another wins
};

Registry& GetRegistry() {
  static Registry registry;
  return registry;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// Replaces every occurrence of needle in text.
void ReplaceAll(std::string& text, std::string_view needle) {
  size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), kRedacted);
    pos += kRedacted.size();
  }
}

// GitHub tokens: a known prefix followed by at least 20 token characters.
void RedactGitHubTokens(std::string& text) {
  static constexpr std::array<std::string_view, 6> kPrefixes = {"ghp_", "gho_", "ghu_",
                                                                "ghs_", "ghr_", "github_pat_"};
  for (auto prefix : kPrefixes) {
    size_t pos = 0;
    while ((pos = text.find(prefix, pos)) != std::string::npos) {
      size_t end = pos + prefix.size();
      while (end < text.size() && IsTokenChar(text[end])) ++end;
      if (end - pos - prefix.size() >= 20) {
        text.replace(pos, end - pos, kRedacted);
        pos += kRedacted.size();
      } else {
        pos = end;
      }
    }
  }
}

// Telegram bot tokens: 6+ digits, ':', 30+ token characters.
void RedactTelegramTokens(std::string& text) {
  size_t pos = 0;
  while ((pos = text.find(':', pos)) != std::string::npos) {
    size_t start = pos;
    while (start > 0 && std::isdigit(static_cast<unsigned char>(text[start - 1])) != 0) --start;
    size_t end = pos + 1;
    while (end < text.size() && IsTokenChar(text[end])) ++end;
    // No boundary check before the digits: in API URLs the token follows "/bot" directly.
    if (pos - start >= 6 && end - pos - 1 >= 30) {
      text.replace(start, end - start, kRedacted);
      pos = start + kRedacted.size();
    } else {
      pos = pos + 1;
    }
  }
}

// scheme://user:password@host -> scheme://user:<redacted>@host
void RedactUrlPasswords(std::string& text) {
  size_t pos = 0;
  while ((pos = text.find("://", pos)) != std::string::npos) {
    const size_t user_start = pos + 3;
    const size_t authority_end = text.find_first_of("/?# \t\r\n\"'", user_start);
    const size_t limit = authority_end == std::string::npos ? text.size() : authority_end;
    const size_t at = text.rfind('@', limit);
    if (at != std::string::npos && at > user_start && at < limit) {
      const size_t colon = text.find(':', user_start);
      if (colon != std::string::npos && colon < at &&
          text.compare(colon + 1, at - colon - 1, kRedacted) != 0) {
        text.replace(colon + 1, at - colon - 1, kRedacted);
        pos = colon + 1 + kRedacted.size();
        continue;
      }
    }
    pos = user_start;
  }
}

// Case-insensitive search for key (already lower case) in text starting at pos.
size_t FindNoCase(const std::string& text, std::string_view key, size_t pos) {
  auto it = std::search(
      text.begin() + static_cast<std::ptrdiff_t>(pos), text.end(), key.begin(), key.end(),
      [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
  return it == text.end() ? std::string::npos : static_cast<size_t>(it - text.begin());
}

// "Authorization: Bearer abc" / "Authorization: token abc": the scheme follows the header name.
bool AfterAuthorizationHeader(const std::string& text, size_t scheme_pos) {
  size_t i = scheme_pos;
  while (i > 0 && text[i - 1] == ' ') --i;
  if (i == 0 || text[i - 1] != ':') return false;
  --i;
  constexpr std::string_view kHeader = "authorization";
  if (i < kHeader.size()) return false;
  for (size_t k = 0; k < kHeader.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(text[i - kHeader.size() + k])) != kHeader[k]) {
      return false;
    }
  }
  return true;
}

// A value that looks like a credential on its own: 20 or more token characters (GitHub's classic
// tokens are 40 hex digits, JWTs far longer), as opposed to a word of prose.
bool CredentialShaped(const std::string& text, size_t value) {
  size_t end = value;
  while (end < text.size() && (IsTokenChar(text[end]) || text[end] == '.')) ++end;
  return end - value >= 20;
}

// "password=secret", "password = 'se cret'", "Bearer abc", "token abc": hide the value.
void RedactKeyedValues(std::string& text) {
  struct Key {
    std::string_view key;
    bool needs_equals;
  };
  static constexpr std::array<Key, 5> kKeys = {{{"password", true},
                                                {"passwd", true},
                                                {"sslpassword", true},
                                                {"bearer ", false},
                                                {"token ", false}}};
  for (const auto& [key, needs_equals] : kKeys) {
    size_t pos = 0;
    while ((pos = FindNoCase(text, key, pos)) != std::string::npos) {
      size_t value = pos + key.size();
      if (needs_equals) {
        while (value < text.size() && text[value] == ' ') ++value;
        if (value >= text.size() || (text[value] != '=' && text[value] != ':')) {
          pos = value;
          continue;
        }
        ++value;
        while (value < text.size() && text[value] == ' ') ++value;
      } else if ((pos > 0 && IsTokenChar(text[pos - 1])) ||
                 (!AfterAuthorizationHeader(text, pos) && !CredentialShaped(text, value))) {
        // Part of a longer word ("mytoken abc"), or prose ("a throttled token slows every
        // sync"), not a credential.
        pos = value;
        continue;
      }
      size_t end = value;
      if (value < text.size() && (text[value] == '\'' || text[value] == '"')) {
        const char quote = text[value];
        end = text.find(quote, value + 1);
        end = end == std::string::npos ? text.size() : end + 1;
      } else {
        while (end < text.size() && text[end] != ' ' && text[end] != '&' && text[end] != ',' &&
               text[end] != '"' && text[end] != '\'' && text[end] != '\n' && text[end] != ';') {
          ++end;
        }
      }
      if (end > value && text.compare(value, end - value, kRedacted) != 0) {
        text.replace(value, end - value, kRedacted);
        pos = value + kRedacted.size();
      } else {
        pos = end > value ? end : value + 1;
      }
    }
  }
}

bool IsEmailLocalChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '%' ||
         c == '+' || c == '-';
}

bool IsDomainChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-';
}

// local@domain.tld: people's addresses don't belong in logs or chat messages.
void RedactEmails(std::string& text) {
  size_t pos = 0;
  while ((pos = text.find('@', pos)) != std::string::npos) {
    size_t start = pos;
    while (start > 0 && IsEmailLocalChar(text[start - 1])) --start;
    size_t end = pos + 1;
    while (end < text.size() && IsDomainChar(text[end])) ++end;
    while (end > pos + 1 && (text[end - 1] == '.' || text[end - 1] == '-')) --end;
    const std::string_view domain(text.data() + pos + 1, end - pos - 1);
    const size_t dot = domain.rfind('.');
    const bool is_email =
        start < pos && dot != std::string_view::npos && dot > 0 && domain.size() - dot - 1 >= 2 &&
        std::all_of(domain.begin() + static_cast<std::ptrdiff_t>(dot) + 1, domain.end(),
                    [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
    // Not the userinfo of a URL (scheme://user@host), which RedactUrlPasswords handles.
    const bool in_url = start >= 3 && text.compare(start - 3, 3, "://") == 0;
    if (is_email && !in_url) {
      text.replace(start, end - start, kRedacted);
      pos = start + kRedacted.size();
    } else {
      pos = pos + 1;
    }
  }
}

// token=..., api_key=..., access_token=... in query strings and key=value texts, and the same
// keys in JSON ("routing_key": "..."): the value is a credential whatever it looks like.
void RedactCredentialPairs(std::string& text) {
  static constexpr std::array<std::string_view, 10> kKeys = {
      "token",         "api_key", "apikey",      "access_token", "auth_token",
      "client_secret", "secret",  "routing_key", "service_key",  "private_key"};
  for (const auto key : kKeys) {
    size_t pos = 0;
    while ((pos = FindNoCase(text, key, pos)) != std::string::npos) {
      size_t value = pos + key.size();
      bool json = false;
      if (value < text.size() && text[value] == '"') {
        json = true;
        ++value;
      }
      while (value < text.size() && text[value] == ' ') ++value;
      const bool separator =
          value < text.size() && (text[value] == '=' || (json && text[value] == ':'));
      if (!separator) {
        pos = pos + key.size();
        continue;
      }
      ++value;
      while (value < text.size() && text[value] == ' ') ++value;
      if (json && value < text.size() && text[value] == '"') ++value;
      size_t end = value;
      while (end < text.size() && text[end] != '&' && text[end] != ' ' && text[end] != ',' &&
             text[end] != '"' && text[end] != '\'' && text[end] != '\n' && text[end] != ';' &&
             text[end] != '}' && text[end] != '#') {
        ++end;
      }
      if (end > value && text.compare(value, end - value, kRedacted) != 0) {
        text.replace(value, end - value, kRedacted);
        pos = value + kRedacted.size();
      } else {
        pos = end > value ? end : value;
      }
    }
  }
}

}  // namespace

void RegisterSecret(std::string_view secret) {
  if (secret.size() < 4) return;
  auto& registry = GetRegistry();
  std::unique_lock lock(registry.mutex);
  if (std::find(registry.secrets.begin(), registry.secrets.end(), secret) !=
      registry.secrets.end()) {
    return;
  }
  registry.secrets.emplace_back(secret);
  std::sort(registry.secrets.begin(), registry.secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void ClearSecretsForTesting() {
  auto& registry = GetRegistry();
  std::unique_lock lock(registry.mutex);
  registry.secrets.clear();
}

std::string Redact(std::string_view input) {
  std::string text(input);
  {
    auto& registry = GetRegistry();
    std::shared_lock lock(registry.mutex);
    for (const auto& secret : registry.secrets) ReplaceAll(text, secret);
  }
  RedactGitHubTokens(text);
  RedactTelegramTokens(text);
  RedactUrlPasswords(text);
  RedactKeyedValues(text);
  RedactCredentialPairs(text);
  RedactEmails(text);
  return text;
}

}  // namespace codebot::sanitize
