#include "exporter/config/alerting.h"

#include <cstdlib>

#include "exporter/config/reader.h"
#include "exporter/config/yaml.h"

namespace codebot::config {
namespace {

// "host:port" as Prometheus takes a static target: no scheme, no path, a port in range. The host
// may be a name, an IPv4 address or a bracketed IPv6 one.
void CheckTarget(const Node& node, const std::string& target, const std::string& where) {
  auto fail = [&](const std::string& why) {
    node.Fail("invalid target " + Quote(target) + " in " + where + ": " + why);
  };
  if (target.find("://") != std::string::npos) {
    fail("expected host:port without a scheme (set scheme: https for TLS)");
  }
  if (target.find_first_of("/?#@ ") != std::string::npos) {
    fail("expected host:port (a path goes in path_prefix)");
  }
  const size_t colon = target.rfind(':');
  if (colon == std::string::npos || colon == 0) fail("expected host:port");
  const std::string host = target.substr(0, colon);
  if (host.front() == '[' ? host.back() != ']' : host.find(':') != std::string::npos) {
    fail("an IPv6 address needs brackets, as in [::1]:9093");
  }
  const std::string port = target.substr(colon + 1);
  char* end = nullptr;
  const long value = port.empty() ? 0 : std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || value < 1 || value > 65535) {
    fail("the port must be a number from 1 to 65535");
  }
}

AlertmanagerSet ReadSet(const Node& node, const std::string& context, const SectionReader& reader) {
  AlertmanagerSet out;
  MapReader map(node, context);
  auto statics = map.Get("static_configs");
  std::vector<Node> target_nodes;
  if (statics) {
    size_t index = 0;
    for (const auto& item : statics->Items()) {
      const std::string where = context + ".static_configs[" + std::to_string(index++) + "]";
      MapReader entry(item, where);
      if (auto targets = entry.Get("targets")) {
        for (const auto& target : targets->Items()) {
          const std::string value = target.AsExpandedString();
          CheckTarget(target, value, where);
          out.targets.push_back(value);
        }
      }
      entry.Finish();
    }
  }
  auto scheme = map.Get("scheme");
  if (scheme) out.scheme = scheme->AsString();
  auto prefix = map.Get("path_prefix");
  if (prefix) out.path_prefix = prefix->AsExpandedString();
  auto api_version = map.Get("api_version");
  auto timeout = map.Get("timeout");
  if (timeout) out.timeout = timeout->AsDuration();
  auto basic = map.Get("basic_auth");
  if (basic) {
    MapReader auth(*basic, context + ".basic_auth");
    out.basic_auth_username = auth.Required("username").AsExpandedString();
    out.basic_auth_password = reader.ReadSecret(auth, "password");
    auth.Finish();
    if (out.basic_auth_username.empty()) {
      basic->Fail("empty username in " + context + ".basic_auth");
    }
    if (!out.basic_auth_password.IsSet()) {
      basic->Fail(context + ".basic_auth needs password or password_file");
    }
  }
  auto authorization = map.Get("authorization");
  if (authorization) {
    MapReader auth(*authorization, context + ".authorization");
    auto type = auth.Get("type");
    out.authorization_type = type ? type->AsString() : "Bearer";
    out.authorization_credentials = reader.ReadSecret(auth, "credentials");
    auth.Finish();
    if (type && (out.authorization_type.empty() ||
                 out.authorization_type.find_first_of(" \t\r\n") != std::string::npos)) {
      type->Fail("invalid authorization type " + Quote(out.authorization_type) + " in " + context +
                 ".authorization: expected one word, e.g. Bearer");
    }
    if (out.authorization_type == "Basic" || out.authorization_type == "basic") {
      type->Fail("authorization type Basic is not allowed in " + context +
                 ".authorization: use basic_auth");
    }
    if (!out.authorization_credentials.IsSet()) {
      authorization->Fail(context + ".authorization needs credentials or credentials_file");
    }
  }
  map.Finish();

  if (!statics || out.targets.empty()) {
    (statics ? *statics : node)
        .Fail(context + " needs static_configs with at least one target (host:port)");
  }
  if (out.scheme != "http" && out.scheme != "https") {
    scheme->Fail("invalid scheme " + Quote(out.scheme) + " in " + context +
                 ": expected http or https");
  }
  if (!out.path_prefix.empty()) {
    if (out.path_prefix.front() != '/') out.path_prefix.insert(0, "/");
    if (out.path_prefix.find_first_of("?# ") != std::string::npos) {
      prefix->Fail("invalid path_prefix " + Quote(out.path_prefix) + " in " + context +
                   ": expected a path such as /alertmanager");
    }
    while (!out.path_prefix.empty() && out.path_prefix.back() == '/') out.path_prefix.pop_back();
  }
  if (api_version) {
    const std::string version = api_version->AsString();
    if (version != "v2") {
      api_version->Fail("unsupported api_version " + Quote(version) + " in " + context +
                        ": expected v2 (Alertmanager's API v1 is gone since 0.27)");
    }
  }
  if (out.timeout.count() <= 0) timeout->Fail("timeout must be positive in " + context);
  if (basic && authorization) {
    authorization->Fail("set either basic_auth or authorization in " + context + ", not both");
  }
  return out;
}

}  // namespace

std::string AlertmanagerSet::AlertsUrl(const std::string& target) const {
  return scheme + "://" + target + path_prefix + "/api/v2/alerts";
}

AlertingConfig ReadAlerting(const Node& node, const SectionReader& reader) {
  AlertingConfig out;
  MapReader map(node, "alerting");
  if (auto sets = map.Get("alertmanagers")) {
    size_t index = 0;
    for (const auto& item : sets->Items()) {
      out.alertmanagers.push_back(
          ReadSet(item, "alerting.alertmanagers[" + std::to_string(index++) + "]", reader));
    }
  }
  map.Finish();
  return out;
}

}  // namespace codebot::config
