#include "exporter/rules/rule.h"

namespace codebot::rules {

QueryResult VectorFromValue(promql::EvalResult result) {
  QueryResult out;
  if (!result.ok) {
    out.ok = false;
    out.error = std::move(result.error);
    return out;
  }
  switch (result.value.type) {
    case promql::ValueType::kVector:
      out.vector = std::move(result.value.vector);
      break;
    case promql::ValueType::kScalar:
      out.vector.push_back(promql::InstantSample{{}, result.value.scalar});
      break;
    default:
      out.ok = false;
      out.error = "rule result is not a vector or scalar";
  }
  return out;
}

QueryFunc EngineQueryFunc(const Queryable& storage, promql::EvalOptions options) {
  return [&storage, options](const promql::Expr* parsed, std::string_view text, int64_t t_ms) {
    if (parsed != nullptr)
      return VectorFromValue(promql::EvalInstant(*parsed, storage, t_ms, options));
    promql::ParseResult parse = promql::Parse(text);
    if (!parse.ok()) {
      QueryResult out;
      out.ok = false;
      out.error = parse.error.ToString();
      return out;
    }
    return VectorFromValue(promql::EvalInstant(*parse.expr, storage, t_ms, options));
  };
}

}  // namespace codebot::rules
