#include "exporter/config/secret.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "exporter/core/sanitize.h"

namespace codebot::config {

std::optional<std::string> ReadSecretFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error != nullptr) *error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string value = buffer.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) {
    value.pop_back();
  }
  return value;
}

std::optional<std::string> Secret::Resolve(std::string* error) const {
  std::optional<std::string> value;
  if (!file.empty()) {
    value = ReadSecretFile(file, error);
  } else {
    value = inline_value;
  }
  if (value) sanitize::RegisterSecret(*value);
  return value;
}

}  // namespace codebot::config
