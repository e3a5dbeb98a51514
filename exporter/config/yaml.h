// Strict YAML reading with positions: every error names file, line and column and says what was
// expected; every mapping rejects keys nobody asked for, so a typo never passes silently.
// yaml-cpp is used here and nowhere else; other modules (config sections, rule files, playbooks,
// rule unit tests) read YAML through these helpers.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/core/duration.h"

namespace YAML {  // NOLINT(readability-identifier-naming): yaml-cpp's own name
class Node;
}

namespace codebot::config {

// Thrown for every bad config/rule file; what() is "file:line:col: message".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Position {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based
  std::string ToString() const;
};

class Node {
 public:
  Node();
  Node(const YAML::Node& node, std::shared_ptr<const std::string> file);
  Node(const Node& other);
  Node& operator=(const Node& other);
  ~Node();

  Position position() const;
  [[noreturn]] void Fail(std::string_view what) const;

  bool IsNull() const;  // absent or explicit null / "~"
  bool IsMap() const;
  bool IsSequence() const;
  bool IsScalar() const;
  std::string_view KindName() const;  // "mapping", "sequence", "scalar", "null"

  // Scalars. Each fails with a message naming the expected form.
  std::string AsString() const;          // raw scalar text
  std::string AsExpandedString() const;  // with ${VAR} from the environment ($$ is a '$')
  bool AsBool() const;
  int64_t AsInt() const;
  double AsDouble() const;
  Duration AsDuration() const;  // Prometheus notation
  uint64_t AsBytes() const;     // 1048576, 512KiB, 10MiB, 1GiB, 10MB (MB = 10^6)

  std::vector<Node> Items() const;  // a sequence's elements (fails when not a sequence)
  std::vector<std::string> AsStringList() const;
  // A mapping's entries in document order (fails when not a mapping).
  std::vector<std::pair<Node, Node>> Entries() const;

  const std::shared_ptr<const std::string>& file() const { return file_; }

 private:
  std::unique_ptr<YAML::Node> node_;
  std::shared_ptr<const std::string> file_;
};

// Reads a mapping key by key; Finish() fails on the first key that was never asked for.
class MapReader {
 public:
  // context names the mapping in messages, e.g. "sources.bot".
  MapReader(const Node& node, std::string context);

  bool Has(std::string_view key) const;
  std::optional<Node> Get(std::string_view key);  // nullopt when absent or null
  Node Required(std::string_view key);

  // Typed shortcuts with defaults.
  std::string String(std::string_view key, std::string fallback = {});
  Duration GetDuration(std::string_view key, Duration fallback);
  bool Bool(std::string_view key, bool fallback);
  int64_t Int(std::string_view key, int64_t fallback);
  uint64_t Bytes(std::string_view key, uint64_t fallback);

  // Fails on the first key never asked for, listing the keys that were asked for.
  void Finish();
  const Node& node() const { return node_; }
  const std::string& context() const { return context_; }

 private:
  struct Entry {
    std::string name;
    Node key;
    Node value;
    bool used;
  };
  Node node_;
  std::string context_;
  std::vector<Entry> entries_;
  std::vector<std::string> known_;  // every key asked for, present or not
};

// Both parse on a thread of their own with a large stack (see RunWithLargeStack).
Node LoadYamlFile(const std::string& path);
Node LoadYamlString(std::string_view text, std::string file_name);

// Runs fn to completion on a new thread with a 32 MiB stack (address space only: the pages it
// never touches cost nothing) and rethrows whatever fn throws. Loading configuration and rule
// files may start on any thread (/-/reload runs on an HTTP worker with about 100 KiB of stack)
// while parsing nested input recurses up to the parsers' nesting limits (YAML, PromQL and
// templates: about 2 MiB in a release build, several times that under sanitizers).
void RunWithLargeStack(const std::function<void()>& fn);

// Expands ${VAR} in text; throws ConfigError at pos when a variable is unset or malformed.
std::string ExpandEnv(std::string_view text, const Position& pos);

}  // namespace codebot::config
