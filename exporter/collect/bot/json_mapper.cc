#include "exporter/collect/bot/json_mapper.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>

namespace codebot::collect::bot {
namespace {

using Json = nlohmann::json;

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool ToNumber(const Json& value, double* out) {
  if (value.is_number()) {
    *out = value.get<double>();
    return true;
  }
  if (value.is_boolean()) {
    *out = value.get<bool>() ? 1 : 0;
    return true;
  }
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.empty()) return false;
    errno = 0;
    char* end = nullptr;
    const double number = std::strtod(text.c_str(), &end);
    if (errno != 0 || end != text.c_str() + text.size()) return false;
    *out = number;
    return true;
  }
  return false;
}

// Walks parts[index..] from node; every '*' adds the key it matched to keys.
void Walk(const Json& node, const std::vector<std::string>& parts, size_t index,
          std::vector<std::string>& keys,
          const std::function<void(const std::vector<std::string>&, double)>& emit) {
  if (index == parts.size()) {
    double value = 0;
    if (ToNumber(node, &value)) emit(keys, value);
    return;
  }
  const std::string& part = parts[index];
  if (part == "*") {
    if (node.is_object()) {
      for (const auto& [key, child] : node.items()) {
        keys.push_back(key);
        Walk(child, parts, index + 1, keys, emit);
        keys.pop_back();
      }
    } else if (node.is_array()) {
      for (size_t i = 0; i < node.size(); ++i) {
        keys.push_back(std::to_string(i));
        Walk(node[i], parts, index + 1, keys, emit);
        keys.pop_back();
      }
    }
    return;
  }
  if (node.is_object()) {
    auto it = node.find(part);
    if (it != node.end()) Walk(*it, parts, index + 1, keys, emit);
  } else if (node.is_array()) {
    char* end = nullptr;
    const unsigned long i = std::strtoul(part.c_str(), &end, 10);
    if (!part.empty() && *end == '\0' && i < node.size())
      Walk(node[i], parts, index + 1, keys, emit);
  }
}

}  // namespace

JsonMapResult MapJson(std::string_view document, const std::vector<config::JsonMapping>& mappings) {
  JsonMapResult result;
  Json root;
  try {
    root = Json::parse(document);
  } catch (const Json::exception& e) {
    // Not only parse_error: a number beyond double's range ("1e400") is an out_of_range error,
    // and the bot's body must never take the collector down.
    result.ok = false;
    result.error = std::string("invalid JSON: ") + e.what();
    return result;
  }
  std::map<std::string, size_t> family_index;
  for (const auto& mapping : mappings) {
    auto [it, inserted] = family_index.emplace(mapping.name, result.families.size());
    if (inserted) {
      result.families.push_back(Family::Make(mapping.name, mapping.type, mapping.help));
    }
    Family& family = result.families[it->second];
    std::vector<std::string> keys;
    Walk(root, SplitPath(mapping.path), 0, keys,
         [&](const std::vector<std::string>& matched, double value) {
           Labels labels = mapping.const_labels;
           for (size_t i = 0; i < matched.size() && i < mapping.wildcard_labels.size(); ++i) {
             labels.push_back({mapping.wildcard_labels[i], matched[i]});
           }
           family.Add(std::move(labels), value);
         });
  }
  return result;
}

}  // namespace codebot::collect::bot
