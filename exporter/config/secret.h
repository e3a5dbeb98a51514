// Secrets in the configuration (tokens, passwords, DSNs): given inline (usually "${ENV_VAR}") or
// as a file that is read on every use. Every value read is registered with the sanitiser at once.
#pragma once

#include <optional>
#include <string>

namespace codebot::config {

// A secret given inline (usually "${ENV_VAR}") or as a file that is read on every use, so that a
// rotated Kubernetes secret is picked up without a restart. Values are registered with the
// sanitiser as soon as they are read.
struct Secret {
  std::string inline_value;
  std::string file;

  bool IsSet() const { return !inline_value.empty() || !file.empty(); }
  // The current value; nullopt (and *error set, without the value) when the file can't be read.
  std::optional<std::string> Resolve(std::string* error) const;
  friend bool operator==(const Secret&, const Secret&) = default;
};

// Reads a secret file, trailing newlines and spaces dropped; nullopt (and *error, which never
// holds the content) when it can't be read.
std::optional<std::string> ReadSecretFile(const std::string& path, std::string* error);

}  // namespace codebot::config
