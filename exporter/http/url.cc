#include "exporter/http/url.h"

namespace codebot::http {

std::string HostPort(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const std::string_view scheme = url.substr(0, scheme_end);
  const size_t start = scheme_end + 3;
  const size_t end = url.find_first_of("/?#", start);
  std::string_view authority =
      url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  // User info may hold a password: never part of the result.
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  // An IPv6 literal's colons are inside the brackets; a port comes after them.
  const size_t bracket = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  const bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  std::string out(authority);
  if (!has_port) out += scheme == "https" ? ":443" : ":80";
  return out;
}

}  // namespace codebot::http
