#include "exporter/config/config.h"

#include <filesystem>

#include "exporter/config/reader.h"
#include "exporter/config/yaml.h"

namespace codebot::config {
namespace {

GlobalConfig ReadGlobal(const Node& node) {
  GlobalConfig global;
  MapReader map(node, "global");
  global.scrape_interval = map.GetDuration("scrape_interval", global.scrape_interval);
  global.scrape_timeout = map.GetDuration("scrape_timeout", global.scrape_timeout);
  global.evaluation_interval = map.GetDuration("evaluation_interval", global.evaluation_interval);
  if (auto labels = map.Get("external_labels"))
    global.external_labels = SectionReader::ReadLabelMap(*labels);
  map.Finish();
  if (global.scrape_timeout > global.scrape_interval) {
    global.scrape_timeout = global.scrape_interval;
  }
  return global;
}

WebConfig ReadWeb(const Node& node, const SectionReader& reader) {
  WebConfig web;
  MapReader map(node, "web");
  web.max_request_body_bytes = map.Bytes("max_request_body_bytes", web.max_request_body_bytes);
  web.bearer_token = reader.ReadSecret(map, "bearer_token");
  if (auto basic = map.Get("basic_auth")) {
    MapReader auth(*basic, "web.basic_auth");
    web.basic_auth_username = auth.Required("username").AsExpandedString();
    web.basic_auth_password = reader.ReadSecret(auth, "password");
    if (!web.basic_auth_password.IsSet()) {
      basic->Fail("web.basic_auth needs password or password_file");
    }
    auth.Finish();
  }
  map.Finish();
  return web;
}

Config Read(const Node& root, const std::string& config_file) {
  const SectionReader reader(config_file);
  Config config;
  config.file = config_file;
  if (root.IsNull()) return config;
  MapReader map(root, "the top level");
  if (auto global = map.Get("global")) config.global = ReadGlobal(*global);
  if (auto web = map.Get("web")) config.web = ReadWeb(*web, reader);
  if (auto sources = map.Get("sources")) {
    config.sources = ReadSources(*sources, config.global, reader);
  }
  if (auto rule_files = map.Get("rule_files")) {
    for (const auto& item : rule_files->Items()) {
      config.rule_files.push_back(ResolvePath(config_file, item.AsExpandedString()));
    }
  }
  // notifications, route, receivers and inhibit_rules: checked together (notifications.cc).
  config.delivery = ReadDelivery(map, reader);
  if (auto alerting = map.Get("alerting")) config.alerting = ReadAlerting(*alerting, reader);
  map.Finish();
  return config;
}

}  // namespace

std::string ResolvePath(const std::string& config_file, const std::string& path) {
  if (path.empty() || path.front() == '/' || config_file.empty()) return path;
  const std::filesystem::path base = std::filesystem::path(config_file).parent_path();
  return (base / path).lexically_normal().string();
}

Config LoadFile(const std::string& path) { return Read(LoadYamlFile(path), path); }

Config LoadString(std::string_view yaml, const std::string& file_name) {
  return Read(LoadYamlString(yaml, file_name), file_name);
}

}  // namespace codebot::config
