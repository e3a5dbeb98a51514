#include "exporter/collect/postgres/user_query.h"

#include <optional>
#include <set>

#include "exporter/core/sanitize.h"

namespace codebot::collect::postgres {
namespace {

struct ValueColumn {
  size_t index;
  size_t family;
};

UserQueryResult Fail(std::string error) {
  UserQueryResult result;
  result.ok = false;
  result.error = std::move(error);
  return result;
}

std::string HelpFor(const config::PostgresQuery& query, const config::QueryColumn& column) {
  if (!column.help.empty()) return column.help;
  if (!query.help.empty()) return query.help;
  return "Column " + column.name + " of the user-defined query " + query.name + ".";
}

}  // namespace

UserQueryResult MapUserQuery(const config::PostgresQuery& query, const Table& table) {
  if (table.rows.size() > kMaxUserQueryRows) {
    return Fail("returned " + std::to_string(table.rows.size()) + " rows, more than " +
                std::to_string(kMaxUserQueryRows));
  }
  auto find_column = [&](const std::string& name) -> std::optional<size_t> {
    for (size_t i = 0; i < table.columns.size(); ++i) {
      if (table.columns[i] == name) return i;
    }
    return std::nullopt;
  };

  UserQueryResult result;
  std::vector<std::pair<std::string, size_t>> label_columns;  // label name, column index
  std::vector<ValueColumn> value_columns;
  for (const auto& column : query.columns) {
    if (column.usage == config::ColumnUsage::kDiscard) continue;
    const auto index = find_column(column.name);
    if (!index) return Fail("column \"" + column.name + "\" is not in the result");
    if (column.usage == config::ColumnUsage::kLabel) {
      label_columns.emplace_back(column.name, *index);
      continue;
    }
    const MetricType type =
        column.usage == config::ColumnUsage::kCounter ? MetricType::kCounter : MetricType::kGauge;
    value_columns.push_back({*index, result.families.size()});
    result.families.push_back(
        Family::Make(query.name + "_" + column.name, type, HelpFor(query, column)));
  }

  std::set<std::vector<std::string>> seen;
  for (const auto& row : table.rows) {
    if (row.size() != table.columns.size()) return Fail("malformed row");
    Labels labels;
    std::vector<std::string> key;
    labels.reserve(label_columns.size());
    for (const auto& [name, index] : label_columns) {
      std::string value = row[index] ? sanitize::Redact(*row[index]) : std::string();
      key.push_back(value);
      labels.push_back({name, std::move(value)});
    }
    if (!seen.insert(std::move(key)).second) {
      return Fail("two rows have the same values in the label columns");
    }
    for (const auto& column : value_columns) {
      const auto& cell = row[column.index];
      if (!cell) continue;
      const auto value = ParseNumber(*cell);
      if (!value) {
        return Fail("column \"" + table.columns[column.index] + "\" is not numeric");
      }
      result.families[column.family].Add(labels, *value);
    }
  }
  std::erase_if(result.families, [](const Family& family) { return family.samples.empty(); });
  return result;
}

}  // namespace codebot::collect::postgres
