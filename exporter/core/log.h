// Structured logging: one JSON object (or logfmt line) per event on stderr, every message and
// field passed through the sanitiser first. Callers add the id of the request or alert a line is
// about as a field ("request_id", "alert_id").
#pragma once

#include <concepts>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace codebot::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Format { kJson, kLogfmt };

std::optional<Level> ParseLevel(std::string_view name);
std::optional<Format> ParseFormat(std::string_view name);

void Init(Level level, Format format);
bool Enabled(Level level);

// Captures every formatted line (after sanitising) in addition to stderr; tests use it to check
// that no secret reaches a log line. Pass nullptr to remove.
void SetCaptureForTesting(std::function<void(std::string_view line)> capture);

struct Field {
  std::string_view key;
  std::string value;
  bool quoted = true;  // false for numbers and booleans in JSON output

  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), quoted(false) {}
  template <typename T>
  requires std::integral<T> &&(!std::same_as<T, bool>)Field(std::string_view k, T v)
      : key(k), value(std::to_string(v)), quoted(false) {}
  Field(std::string_view k, double v);
};

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view msg, std::initializer_list<Field> fields = {}) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, msg, fields);
}
inline void Info(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Write(Level::kInfo, msg, fields);
}
inline void Warn(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Write(Level::kWarn, msg, fields);
}
inline void Error(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Write(Level::kError, msg, fields);
}

}  // namespace codebot::log
