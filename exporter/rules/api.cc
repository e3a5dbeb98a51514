#include "exporter/rules/api.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "exporter/core/time.h"
#include "exporter/go/strconv.h"
#include "exporter/go/time.h"
#include "exporter/rules/manager.h"

namespace codebot::rules {
namespace {

using Json = nlohmann::ordered_json;

// Prometheus prints the parsed expression in its canonical form.
std::string Query(const RuleSpec& spec) {
  if (spec.query) return promql::Format(*spec.query);
  const std::string& expr = spec.expr;
  const size_t begin = expr.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const size_t end = expr.find_last_not_of(" \t\r\n");
  return expr.substr(begin, end - begin + 1);
}

Json LabelsObject(const Labels& labels) {
  Json object = Json::object();
  for (const auto& label : labels) object[label.name] = label.value;
  return object;
}

// Whole seconds print as integers, as Go's encoding/json prints 15.0.
Json Seconds(double seconds) {
  if (std::isfinite(seconds) && seconds == std::floor(seconds) && std::abs(seconds) < 1e15) {
    return static_cast<int64_t>(seconds);
  }
  return seconds;
}

Json AlertObject(const ActiveAlert& alert) {
  Json object = Json::object();
  object["labels"] = LabelsObject(alert.labels);
  object["annotations"] = LabelsObject(alert.annotations);
  object["state"] = AlertStateName(alert.state);
  object["activeAt"] = Rfc3339(alert.active_at_ms);
  if (alert.keep_firing_since_ms != kNoTime) {
    object["keepFiringSince"] = Rfc3339(alert.keep_firing_since_ms);
  }
  object["value"] = go::FormatFloat(alert.value, 'e', -1);
  return object;
}

Json RuleObject(const Rule& rule) {
  const RuleSpec& spec = rule.spec();
  const RuleStatus status = rule.Status();
  Json object = Json::object();
  const auto* alerting = dynamic_cast<const AlertingRule*>(&rule);
  if (alerting != nullptr) {
    object["state"] = AlertStateName(alerting->State());
    object["name"] = spec.name;
    object["query"] = Query(spec);
    object["duration"] = Seconds(ToSeconds(spec.hold));
    object["keepFiringFor"] = Seconds(ToSeconds(spec.keep_firing_for));
    object["labels"] = LabelsObject(spec.labels);
    object["annotations"] = LabelsObject(spec.annotations);
    Json alerts = Json::array();
    for (const auto& alert : alerting->ActiveAlerts()) alerts.push_back(AlertObject(alert));
    object["alerts"] = std::move(alerts);
  } else {
    object["name"] = spec.name;
    object["query"] = Query(spec);
    if (!spec.labels.empty()) object["labels"] = LabelsObject(spec.labels);
  }
  object["health"] = RuleHealthName(status.health);
  if (!status.last_error.empty()) object["lastError"] = status.last_error;
  object["evaluationTime"] = status.evaluation_seconds;
  object["lastEvaluation"] = Rfc3339(status.last_evaluation_ms);
  object["type"] = alerting != nullptr ? "alerting" : "recording";
  return object;
}

ApiResponse Success(Json data) {
  Json body = Json::object();
  body["status"] = "success";
  body["data"] = std::move(data);
  return {200, body.dump()};
}

}  // namespace

ApiResponse RulesApi(const std::vector<std::shared_ptr<const Group>>& groups,
                     const std::string& type) {
  if (!type.empty() && type != "alert" && type != "record") {
    Json body = Json::object();
    body["status"] = "error";
    body["errorType"] = "bad_data";
    body["error"] = "invalid parameter \"type\": not supported value " + go::Quote(type);
    return {400, body.dump()};
  }
  const bool want_alerting = type != "record";
  const bool want_recording = type != "alert";
  Json list = Json::array();
  for (const auto& group : groups) {
    Json rules = Json::array();
    for (const auto& rule : group->rules()) {
      const bool alerting = rule->type() == RuleType::kAlerting;
      if ((alerting && !want_alerting) || (!alerting && !want_recording)) continue;
      rules.push_back(RuleObject(*rule));
    }
    Json object = Json::object();
    object["name"] = group->name();
    object["file"] = group->file();
    object["rules"] = std::move(rules);
    object["interval"] = Seconds(ToSeconds(group->interval()));
    object["limit"] = group->spec().limit;
    object["evaluationTime"] = group->last_evaluation_seconds();
    object["lastEvaluation"] = Rfc3339(group->last_evaluation_ms());
    list.push_back(std::move(object));
  }
  Json data = Json::object();
  data["groups"] = std::move(list);
  return Success(std::move(data));
}

ApiResponse AlertsApi(const std::vector<std::shared_ptr<const Group>>& groups) {
  Json alerts = Json::array();
  for (const auto& group : groups) {
    for (const auto& rule : group->rules()) {
      const auto* alerting = dynamic_cast<const AlertingRule*>(rule.get());
      if (alerting == nullptr) continue;
      for (const auto& alert : alerting->ActiveAlerts()) alerts.push_back(AlertObject(alert));
    }
  }
  Json data = Json::object();
  data["alerts"] = std::move(alerts);
  return Success(std::move(data));
}

void RegisterApiRoutes(http::Server& server, const Manager& manager) {
  server.Handle("/api/v1/rules", [&manager](const http::Request& request) {
    const ApiResponse answer = RulesApi(manager.Groups(), request.QueryParam("type"));
    return http::Response::Json(answer.status, answer.body);
  });
  server.Handle("/api/v1/alerts", [&manager](const http::Request&) {
    const ApiResponse answer = AlertsApi(manager.Groups());
    return http::Response::Json(answer.status, answer.body);
  });
}

}  // namespace codebot::rules
