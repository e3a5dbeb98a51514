#include "exporter/core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

#include "exporter/core/json_string.h"
#include "exporter/core/sanitize.h"

namespace codebot::log {
namespace {

struct State {
  std::atomic<Level> level{Level::kInfo};
  std::atomic<Format> format{Format::kJson};
  std::shared_ptr<spdlog::logger> logger;
  std::mutex capture_mutex;
  std::function<void(std::string_view)> capture;
};

State& GetState() {
  static State state;
  return state;
}

std::shared_ptr<spdlog::logger> MakeLogger() {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("codebot", sink);
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

void AppendLogfmtValue(std::string& out, std::string_view text) {
  bool needs_quotes = text.empty();
  for (char c : text) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) {
      needs_quotes = true;
      break;
    }
  }
  if (!needs_quotes) {
    out += text;
    return;
  }
  json::AppendString(out, text);  // logfmt quoting uses the same escapes
}

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

Field::Field(std::string_view k, double v) : key(k), quoted(false) {
  if (std::isnan(v)) {
    value = "NaN";
    quoted = true;
  } else if (std::isinf(v)) {
    value = v > 0 ? "+Inf" : "-Inf";
    quoted = true;
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    value = buf;
  }
}

std::optional<Level> ParseLevel(std::string_view name) {
  if (name == "debug") return Level::kDebug;
  if (name == "info") return Level::kInfo;
  if (name == "warn") return Level::kWarn;
  if (name == "error") return Level::kError;
  return std::nullopt;
}

std::optional<Format> ParseFormat(std::string_view name) {
  if (name == "json") return Format::kJson;
  if (name == "logfmt") return Format::kLogfmt;
  return std::nullopt;
}

void Init(Level level, Format format) {
  auto& state = GetState();
  state.level = level;
  state.format = format;
}

bool Enabled(Level level) { return level >= GetState().level.load(); }

void SetCaptureForTesting(std::function<void(std::string_view line)> capture) {
  auto& state = GetState();
  std::lock_guard lock(state.capture_mutex);
  state.capture = std::move(capture);
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  auto& state = GetState();
  if (!Enabled(level)) return;
  std::string line;
  line.reserve(128);
  const bool json = state.format.load() == Format::kJson;
  const std::string ts = Timestamp();
  const std::string clean_msg = sanitize::Redact(msg);
  if (json) {
    line += "{\"ts\":\"";
    line += ts;
    line += "\",\"level\":\"";
    line += LevelName(level);
    line += "\",\"msg\":";
    json::AppendString(line, clean_msg);
    for (const auto& field : fields) {
      line += ',';
      json::AppendString(line, field.key);
      line += ':';
      if (field.quoted) {
        json::AppendString(line, sanitize::Redact(field.value));
      } else {
        line += field.value;
      }
    }
    line += '}';
  } else {
    line += "ts=";
    line += ts;
    line += " level=";
    line += LevelName(level);
    line += " msg=";
    AppendLogfmtValue(line, clean_msg);
    for (const auto& field : fields) {
      line += ' ';
      line += field.key;
      line += '=';
      AppendLogfmtValue(line, field.quoted ? sanitize::Redact(field.value) : field.value);
    }
  }
  static std::once_flag once;
  std::call_once(once, [&] { state.logger = MakeLogger(); });
  state.logger->info(line);
  std::lock_guard lock(state.capture_mutex);
  if (state.capture) state.capture(line);
}

}  // namespace codebot::log
