#include "exporter/app/commands.h"

#include "exporter/config/config.h"
#include "exporter/config/playbooks.h"
#include "exporter/config/yaml.h"
#include "exporter/rules/check.h"
#include "exporter/rules/rule_file.h"
#include "exporter/rules/unit_test_runner.h"

namespace codebot::app {
namespace {

size_t CountRoutes(const config::Route& route) {
  size_t n = 1;
  for (const auto& child : route.routes) n += CountRoutes(child);
  return n;
}

std::string Integrations(const config::Receiver& receiver) {
  std::string out;
  auto add = [&out](size_t count, const char* name) {
    if (count == 0) return;
    out += out.empty() ? "" : ", ";
    out += count > 1 ? std::to_string(count) + "x " + name : name;
  };
  add(receiver.telegram_configs.size(), "telegram");
  add(receiver.slack_configs.size(), "slack");
  add(receiver.pagerduty_configs.size(), "pagerduty");
  add(receiver.webhook_configs.size(), "webhook");
  return out.empty() ? "no integration" : out;
}

// What amtool's check-config lists, for the delivery sections.
void PrintDelivery(const config::Delivery& delivery, std::ostream& out) {
  out << "Found:\n";
  if (delivery.route) {
    out << " - route: " << CountRoutes(*delivery.route) << " route(s), default receiver "
        << delivery.route->receiver << "\n";
  }
  out << " - " << delivery.inhibit_rules.size() << " inhibit rules\n";
  out << " - " << delivery.receivers.size() << " receivers";
  for (size_t i = 0; i < delivery.receivers.size(); ++i) {
    const auto& receiver = delivery.receivers[i];
    out << (i == 0 ? ": " : ", ") << receiver.name << " (" << Integrations(receiver) << ")";
  }
  out << "\n";
  out << " - " << delivery.notifications.playbook_files.size() << " playbook files\n\n";
}

// Each playbook file on its own (what it holds, or where it is wrong), then all of them together
// as the sidecar loads them (one default across files, no playbook hidden by an earlier one).
int CheckPlaybookFiles(const std::vector<std::string>& files, std::ostream& out,
                       std::ostream& err) {
  int status = 0;
  for (const auto& file : files) {
    out << "Checking " << file << "\n";
    try {
      const config::Playbooks playbooks = config::LoadPlaybookFiles({file});
      out << "  SUCCESS: " << playbooks.playbooks.size() << " playbooks"
          << (playbooks.fallback ? " and a default" : "") << " found\n\n";
    } catch (const config::ConfigError& e) {
      err << "  FAILED: " << e.what() << "\n\n";
      status = 1;
    }
  }
  if (status == 0 && files.size() > 1) {
    try {
      config::LoadPlaybookFiles(files);
    } catch (const config::ConfigError& e) {
      err << "Checking the playbook files together\n  FAILED: " << e.what() << "\n\n";
      status = 1;
    }
  }
  return status;
}

}  // namespace

int CheckConfigCommand(const std::vector<std::string>& files, std::ostream& out,
                       std::ostream& err) {
  int status = 0;
  for (const auto& file : files) {
    config::Config config;
    try {
      config = config::LoadFile(file);
    } catch (const config::ConfigError& e) {
      err << "Checking " << file << "\n  FAILED: " << e.what() << "\n";
      status = 1;
      continue;
    }
    // Like promtool check config: the rule files it names are checked too.
    std::vector<std::string> errors;
    const auto rule_files = rules::ExpandRuleFilePatterns(config.rule_files, &errors);
    // promtool's wording: the config itself is fine, and this many rule files are named.
    out << "Checking " << file << "\n  SUCCESS: " << rule_files.size() << " rule files found\n\n";
    for (const auto& error : errors) {
      err << "  FAILED: " << error << "\n";
      status = 1;
    }
    PrintDelivery(config.delivery, out);
    if (!rule_files.empty() && rules::CheckRuleFiles(rule_files, out, err) != 0) status = 1;
    // Playbooks are loaded like the rules: a bad file stops the start, so it fails the check.
    if (CheckPlaybookFiles(config.delivery.notifications.playbook_files, out, err) != 0) {
      status = 1;
    }
  }
  return status;
}

int CheckRulesCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  return rules::CheckRuleFiles(files, out, err);
}

int TestRulesCommand(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  return rules::RunRuleTests(files, out, err);
}

}  // namespace codebot::app
