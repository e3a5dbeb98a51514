#include "exporter/rules/templates.h"

#include "exporter/template/prometheus.h"

namespace codebot::rules {

std::optional<std::string> CheckAlertTemplate(const std::string& alert_name,
                                              const std::string& text) {
  std::string error = tmpl::CheckAlertTemplate(alert_name, text);
  if (error.empty()) return std::nullopt;
  return error;
}

ExpandFunc DefaultExpandFunc() {
  return [](const std::string& alert_name, const TemplateData& data,
            std::vector<std::string>* texts, int* failures) {
    tmpl::PrometheusContext context;
    if (data.query != nullptr && *data.query) {
      // The `query` template function evaluates at the rule's evaluation time.
      context.query = [query = *data.query, t_ms = data.t_ms](std::string_view text,
                                                              std::vector<tmpl::QuerySample>* out,
                                                              std::string* error) {
        QueryResult result = query(nullptr, text, t_ms);
        if (!result.ok) {
          *error = result.error;
          return false;
        }
        for (auto& sample : result.vector) out->push_back({std::move(sample.labels), sample.v});
        return true;
      };
    }
    if (data.url_functions && !data.external_url.empty()) context.external_url = data.external_url;
    context.external_url_value = data.external_url;
    const tmpl::AlertTemplateExpander expander(alert_name, data.labels, data.value,
                                               data.external_labels, context);
    for (auto& text : *texts) {
      std::string expanded;
      if (!expander.TryExpand(text, &expanded)) ++*failures;
      text = std::move(expanded);
    }
  };
}

}  // namespace codebot::rules
