// Reading a libpq connection string (key=value or postgres:// URI) just enough to name the
// server (host:port, the instance label) and to find the password so the sanitiser can hide it,
// and adding the parameters the collector needs. It never connects, and never returns or logs a
// password except through DsnInfo::password, which exists only to be registered as a secret.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace codebot::collect::postgres {

struct DsnInfo {
  bool ok = false;
  bool is_uri = false;
  std::string host;      // first host (or hostaddr), "" when the DSN names none
  std::string port;      // port of that host, "" when the DSN names none
  std::string password;  // "" when the DSN has none (libpq may still use PGPASSWORD/.pgpass)
};

// Parses dsn. On malformed input ok is false; callers must not echo the input back (it may hold a
// password in a place the sanitiser does not recognise).
DsnInfo ParseDsn(std::string_view dsn);

// "host:port" for the instance label: the DSN's first host, else $PGHOST, else "localhost"; its
// port, else $PGPORT, else 5432. IPv6 addresses are bracketed.
std::string InstanceOf(const DsnInfo& info);

// dsn with parameters appended; libpq keeps the last value of a repeated key, so these override
// what the DSN says.
std::string WithParameters(std::string_view dsn, bool is_uri,
                           const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace codebot::collect::postgres
