#include "tests/support/prometheus_server.h"

namespace codebot::testing {

std::string UrlEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool PrometheusServer::Start(const std::string& config_yaml, std::string* error) {
  WriteFile(dir_.File("prometheus.yml"), config_yaml);
  port_ = FreePort();
  process_.Start({"prometheus", "--config.file=" + dir_.File("prometheus.yml"),
                  "--storage.tsdb.path=" + dir_.File("data"),
                  "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                  "--web.enable-lifecycle", "--log.level=info"},
                 dir_.File("prometheus.log"));
  const bool ready = WaitFor(
      [&] {
        if (!process_.Running()) return true;
        auto response = HttpGet(Url("/-/ready"), 1000);
        return response.transport_ok() && response.status == 200;
      },
      std::chrono::seconds(60));
  if (!ready || !process_.Running()) {
    *error = "prometheus did not become ready:\n" + Logs();
    return false;
  }
  return true;
}

std::string PrometheusServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

nlohmann::json PrometheusServer::Get(const std::string& path) const {
  auto response = HttpGet(Url(path), 10000);
  if (!response.transport_ok()) return nullptr;
  return nlohmann::json::parse(response.body, nullptr, false);
}

nlohmann::json PrometheusServer::Query(const std::string& expr) const {
  return Get("/api/v1/query?query=" + UrlEncode(expr));
}

}  // namespace codebot::testing
