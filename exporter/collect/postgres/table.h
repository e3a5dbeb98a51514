// A query result as plain text cells, the form libpq returns them in. The mapping from rows to
// metrics works on this, not on libpqxx types, so it is tested without a database. It holds data
// only; nothing here talks to a server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace codebot::collect::postgres {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;  // nullopt is SQL NULL
};

// A cell's text as a number: integers, floats, numeric, NaN/Infinity, and booleans (t/f ->
// 1/0). nullopt for anything else (dates, text).
std::optional<double> ParseNumber(std::string_view text);

}  // namespace codebot::collect::postgres
