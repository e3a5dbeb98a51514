#include "exporter/config/yaml.h"

#include <pthread.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>

namespace codebot::config {
namespace {

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

std::string Position::ToString() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Node::Node() : node_(std::make_unique<YAML::Node>()), file_(std::make_shared<std::string>()) {}

Node::Node(const YAML::Node& node, std::shared_ptr<const std::string> file)
    : node_(std::make_unique<YAML::Node>(node)), file_(std::move(file)) {}

Node::Node(const Node& other)
    : node_(std::make_unique<YAML::Node>(*other.node_)), file_(other.file_) {}

Node& Node::operator=(const Node& other) {
  if (this != &other) {
    node_ = std::make_unique<YAML::Node>(*other.node_);
    file_ = other.file_;
  }
  return *this;
}

Node::~Node() = default;

Position Node::position() const {
  const YAML::Mark mark = node_->Mark();
  Position pos;
  pos.file = *file_;
  pos.line = mark.line >= 0 ? mark.line + 1 : 1;
  pos.column = mark.column >= 0 ? mark.column + 1 : 1;
  return pos;
}

void Node::Fail(std::string_view what) const {
  throw ConfigError(position().ToString() + ": " + std::string(what));
}

bool Node::IsNull() const { return !node_->IsDefined() || node_->IsNull(); }
bool Node::IsMap() const { return node_->IsMap(); }
bool Node::IsSequence() const { return node_->IsSequence(); }
bool Node::IsScalar() const { return node_->IsScalar(); }

std::string_view Node::KindName() const {
  if (IsNull()) return "null";
  if (IsMap()) return "mapping";
  if (IsSequence()) return "sequence";
  return "scalar";
}

std::string Node::AsString() const {
  if (!IsScalar()) Fail("expected a string, found a " + std::string(KindName()));
  return node_->Scalar();
}

std::string Node::AsExpandedString() const { return ExpandEnv(AsString(), position()); }

bool Node::AsBool() const {
  const std::string text = AsString();
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  Fail("expected true or false, found " + Quote(text));
}

int64_t Node::AsInt() const {
  const std::string text = AsString();
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end == nullptr || *end != '\0' || errno != 0) {
    Fail("expected an integer, found " + Quote(text));
  }
  return value;
}

double Node::AsDouble() const {
  const std::string text = AsString();
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || errno != 0) {
    Fail("expected a number, found " + Quote(text));
  }
  return value;
}

Duration Node::AsDuration() const {
  const std::string text = AsString();
  DurationError error = DurationError::kNone;
  auto parsed = ParseDuration(text, &error);
  if (!parsed && error == DurationError::kOutOfRange) {
    Fail("invalid duration " + Quote(text) + ": duration out of range (at most 292y)");
  }
  if (!parsed) {
    Fail("invalid duration " + Quote(text) +
         ": expected a number and a unit (ms, s, m, h, d, w, y), e.g. 15s or 1m30s");
  }
  return *parsed;
}

uint64_t Node::AsBytes() const {
  const std::string text = AsString();
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string unit = text.substr(digits);
  uint64_t multiplier = 0;
  if (unit.empty() || unit == "B")
    multiplier = 1;
  else if (unit == "KiB")
    multiplier = 1ull << 10;
  else if (unit == "MiB")
    multiplier = 1ull << 20;
  else if (unit == "GiB")
    multiplier = 1ull << 30;
  else if (unit == "KB" || unit == "kB")
    multiplier = 1000ull;
  else if (unit == "MB")
    multiplier = 1000ull * 1000;
  else if (unit == "GB")
    multiplier = 1000ull * 1000 * 1000;
  if (digits == 0 || digits > 12 || multiplier == 0) {
    Fail("invalid size " + Quote(text) + ": expected bytes like 1048576, 512KiB, 10MiB or 1GiB");
  }
  const uint64_t count = std::stoull(text.substr(0, digits));  // at most 12 digits: no throw
  if (count > UINT64_MAX / multiplier) {
    Fail("invalid size " + Quote(text) + ": too large");  // 999999999999GiB would wrap around
  }
  return count * multiplier;
}

std::vector<Node> Node::Items() const {
  if (IsNull()) return {};
  if (!IsSequence()) Fail("expected a list, found a " + std::string(KindName()));
  std::vector<Node> items;
  for (const auto& item : *node_) items.emplace_back(item, file_);
  return items;
}

std::vector<std::string> Node::AsStringList() const {
  std::vector<std::string> out;
  for (const auto& item : Items()) out.push_back(item.AsString());
  return out;
}

std::vector<std::pair<Node, Node>> Node::Entries() const {
  if (IsNull()) return {};
  if (!IsMap()) Fail("expected a mapping, found a " + std::string(KindName()));
  std::vector<std::pair<Node, Node>> entries;
  for (const auto& entry : *node_) {
    entries.emplace_back(Node(entry.first, file_), Node(entry.second, file_));
  }
  return entries;
}

MapReader::MapReader(const Node& node, std::string context)
    : node_(node), context_(std::move(context)) {
  if (!node.IsNull() && !node.IsMap()) {
    node.Fail("expected a mapping for " + context_ + ", found a " + std::string(node.KindName()));
  }
  for (auto& [key, value] : node.Entries()) {
    std::string name = key.AsString();
    for (const auto& seen : entries_) {
      if (seen.name == name) key.Fail("duplicate key " + Quote(name) + " in " + context_);
    }
    entries_.push_back({std::move(name), key, value, false});
  }
}

bool MapReader::Has(std::string_view key) const {
  for (const auto& entry : entries_) {
    if (entry.name == key) return !entry.value.IsNull();
  }
  return false;
}

std::optional<Node> MapReader::Get(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  for (auto& entry : entries_) {
    if (entry.name != key) continue;
    entry.used = true;
    if (entry.value.IsNull()) return std::nullopt;
    return entry.value;
  }
  return std::nullopt;
}

Node MapReader::Required(std::string_view key) {
  auto value = Get(key);
  if (!value) node_.Fail("missing required key " + Quote(key) + " in " + context_);
  return *value;
}

std::string MapReader::String(std::string_view key, std::string fallback) {
  auto value = Get(key);
  return value ? value->AsExpandedString() : std::move(fallback);
}

Duration MapReader::GetDuration(std::string_view key, Duration fallback) {
  auto value = Get(key);
  return value ? value->AsDuration() : fallback;
}

bool MapReader::Bool(std::string_view key, bool fallback) {
  auto value = Get(key);
  return value ? value->AsBool() : fallback;
}

int64_t MapReader::Int(std::string_view key, int64_t fallback) {
  auto value = Get(key);
  return value ? value->AsInt() : fallback;
}

uint64_t MapReader::Bytes(std::string_view key, uint64_t fallback) {
  auto value = Get(key);
  return value ? value->AsBytes() : fallback;
}

void MapReader::Finish() {
  for (const auto& entry : entries_) {
    if (entry.used) continue;
    std::string message = "unknown key " + Quote(entry.name) + " in " + context_;
    if (!known_.empty()) {
      message += "; expected one of: ";
      for (size_t i = 0; i < known_.size(); ++i) message += (i ? ", " : "") + known_[i];
    }
    entry.key.Fail(message);
  }
}

namespace {

Node FromYamlException(const YAML::Exception& e, const std::string& file) {
  const int line = e.mark.line >= 0 ? e.mark.line + 1 : 1;
  const int column = e.mark.column >= 0 ? e.mark.column + 1 : 1;
  throw ConfigError(file + ":" + std::to_string(line) + ":" + std::to_string(column) +
                    ": invalid YAML: " + e.msg);
}

}  // namespace

void RunWithLargeStack(const std::function<void()>& fn) {
  constexpr size_t kStackBytes = size_t{32} << 20;
  struct Call {
    const std::function<void()>* fn;
    std::exception_ptr error;
  } call{&fn, nullptr};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kStackBytes);
  pthread_t thread;
  const int rc = pthread_create(
      &thread, &attr,
      [](void* arg) -> void* {
        auto* c = static_cast<Call*>(arg);
        try {
          (*c->fn)();
        } catch (...) {
          c->error = std::current_exception();
        }
        return nullptr;
      },
      &call);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    fn();  // no thread to be had (limits): the caller's stack is better than failing
    return;
  }
  pthread_join(thread, nullptr);
  if (call.error) std::rethrow_exception(call.error);
}

Node LoadYamlString(std::string_view text, std::string file_name) {
  auto file = std::make_shared<const std::string>(std::move(file_name));
  YAML::Node root;
  try {
    // yaml-cpp recurses once per level of nesting (up to its own limit).
    RunWithLargeStack([&] { root = YAML::Load(std::string(text)); });
  } catch (const YAML::Exception& e) {
    return FromYamlException(e, *file);
  }
  return Node(root, file);
}

Node LoadYamlFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ":1:1: cannot open file: " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return LoadYamlString(buffer.str(), path);
}

std::string ExpandEnv(std::string_view text, const Position& pos) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '$') {
      out += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      const size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        throw ConfigError(pos.ToString() + ": unterminated ${ in " + Quote(text) +
                          " (write $$ for a literal $)");
      }
      const std::string name(text.substr(i + 2, close - i - 2));
      bool valid = !name.empty();
      for (char n : name) {
        if (!(std::isalnum(static_cast<unsigned char>(n)) || n == '_')) valid = false;
      }
      if (!valid) {
        throw ConfigError(pos.ToString() + ": invalid environment variable name " + Quote(name));
      }
      const char* value = std::getenv(name.c_str());
      if (value == nullptr) {
        throw ConfigError(pos.ToString() + ": environment variable " + name + " is not set");
      }
      out += value;
      i = close;
      continue;
    }
    out += c;  // a lone '$' is kept as is
  }
  return out;
}

}  // namespace codebot::config
