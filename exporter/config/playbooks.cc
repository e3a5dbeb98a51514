#include "exporter/config/playbooks.h"

#include <algorithm>
#include <optional>

#include "exporter/config/reader.h"
#include "exporter/config/yaml.h"
#include "exporter/core/label_matchers.h"

namespace codebot::config {
namespace {

// Playbook text is content for people, not configuration: taken as written (no ${ENV}), so that
// an action may show a shell variable.
std::string Text(const Node& node, std::string_view key, const std::string& context) {
  std::string text = node.AsString();
  if (text.empty()) node.Fail(std::string(key) + " in " + context + " is empty");
  return text;
}

std::vector<std::string> TextList(const Node& node, const std::string& where) {
  std::vector<std::string> out;
  for (const auto& item : node.Items()) {
    std::string text = item.AsString();
    if (text.empty()) item.Fail("empty entry in " + where);
    out.push_back(std::move(text));
  }
  return out;
}

void FailMissing(const Node& node, std::string_view key, const std::string& context) {
  node.Fail("missing required key " + Quote(key) + " in " + context);
}

std::vector<Matcher> ReadMatchers(const Node& node, const std::string& where) {
  std::vector<Matcher> out;
  for (const auto& item : node.Items()) {
    std::string error;
    auto parsed = ParseLabelMatchers(item.AsString(), &error);
    if (!parsed) item.Fail(error.append(" in ").append(where));
    for (auto& matcher : *parsed) {
      if (!IsValidLabelName(matcher.name())) {
        item.Fail("invalid label name " + Quote(matcher.name()) + " in " + where +
                  ": expected [a-zA-Z_][a-zA-Z0-9_]*");
      }
      out.push_back(std::move(matcher));
    }
  }
  if (out.empty()) {
    node.Fail(where +
              " is empty: a playbook needs at least one matcher (use default: for the "
              "rest)");
  }
  return out;
}

// Every mapping is read key by key and finished (unknown keys reported) before required keys are
// checked, so that a misspelt key is reported as such, not as the key it was meant to be.
DashboardLink ReadDashboard(const Node& node, const std::string& context) {
  DashboardLink out;
  MapReader map(node, context);
  auto title = map.Get("title");
  auto uid = map.Get("uid");
  auto window = map.Get("window");
  map.Finish();
  if (!title) FailMissing(node, "title", context);
  if (!uid) FailMissing(node, "uid", context);
  out.title = Text(*title, "title", context);
  out.uid = Text(*uid, "uid", context);
  if (window) {
    out.window = window->AsDuration();
    if (out.window.count() <= 0) window->Fail("window in " + context + " must be positive");
  }
  return out;
}

Playbook ReadPlaybook(const Node& node, const std::string& context, bool is_default) {
  Playbook out;
  MapReader map(node, context);
  const Position position = node.position();
  out.source = position.file + ":" + std::to_string(position.line);
  // The default playbook applies to what nothing else matches: it has no matchers, and asking
  // for none makes "matchers" an unknown key there.
  std::optional<Node> matchers;
  if (!is_default) matchers = map.Get("matchers");
  auto summary = map.Get("summary");
  auto actions = map.Get("actions");
  auto runbook = map.Get("runbook_url");
  auto services = map.Get("affected_services");
  auto dashboards = map.Get("dashboards");
  map.Finish();

  if (!is_default) {
    if (!matchers) FailMissing(node, "matchers", context);
    out.matchers = ReadMatchers(*matchers, context + ".matchers");
  }
  if (!summary) FailMissing(node, "summary", context);
  out.summary = Text(*summary, "summary", context);
  if (!actions) FailMissing(node, "actions", context);
  out.actions = TextList(*actions, context + ".actions");
  if (out.actions.empty()) actions->Fail(context + ".actions is empty: say what to try first");
  if (runbook) {
    out.runbook_url = runbook->AsString();
    SectionReader::CheckUrl(*runbook, out.runbook_url);
  }
  if (services) out.affected_services = TextList(*services, context + ".affected_services");
  if (dashboards) {
    size_t index = 0;
    for (const auto& item : dashboards->Items()) {
      out.dashboards.push_back(
          ReadDashboard(item, context + ".dashboards[" + std::to_string(index++) + "]"));
    }
  }
  return out;
}

// Matchers as a set, to find a playbook that an earlier one with the same matchers hides.
std::vector<std::string> MatcherSet(const std::vector<Matcher>& matchers) {
  std::vector<std::string> out;
  out.reserve(matchers.size());
  for (const auto& matcher : matchers) out.push_back(MatcherString(matcher));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

Playbooks LoadPlaybookFiles(const std::vector<std::string>& files) {
  Playbooks out;
  std::vector<std::vector<std::string>> seen;  // matcher sets, parallel to out.playbooks
  for (const auto& file : files) {
    const Node root = LoadYamlFile(file);
    MapReader map(root, "the playbook file");
    if (auto fallback = map.Get("default")) {
      if (out.fallback) {
        fallback->Fail("a second default playbook (the first is at " + out.fallback->source +
                       "): only one may apply");
      }
      out.fallback = ReadPlaybook(*fallback, "default", /*is_default=*/true);
    }
    if (auto list = map.Get("playbooks")) {
      size_t index = 0;
      for (const auto& item : list->Items()) {
        Playbook playbook =
            ReadPlaybook(item, "playbooks[" + std::to_string(index++) + "]", /*is_default=*/false);
        std::vector<std::string> set = MatcherSet(playbook.matchers);
        for (size_t i = 0; i < seen.size(); ++i) {
          if (seen[i] != set) continue;
          MapReader again(item, "playbook");
          again.Required("matchers")
              .Fail("the same matchers as the playbook at " + out.playbooks[i].source +
                    ": this one would never apply");
        }
        seen.push_back(std::move(set));
        out.playbooks.push_back(std::move(playbook));
      }
    }
    map.Finish();
  }
  return out;
}

}  // namespace codebot::config
