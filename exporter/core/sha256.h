// SHA-256 (FIPS 180-4) for the few identifiers that must match other tools byte for byte:
// PagerDuty's per-group dedup_key is the SHA-256 hex of Alertmanager's group key, so an incident
// opened by Alertmanager and one opened by the sidecar for the same group are the same incident.
// Not for passwords or signatures: no constant-time guarantees, no HMAC. Pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace codebot {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);
// The digest as 64 lower-case hex digits, as Go's fmt.Sprintf("%x", sha256.Sum256(...)) prints it.
std::string Sha256Hex(std::string_view data);

}  // namespace codebot
