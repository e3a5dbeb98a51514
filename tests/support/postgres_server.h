// A real PostgreSQL server for tests (Debian's PostgreSQL 15): initdb in a temp dir, postgres on
// 127.0.0.1 at a free port with its Unix socket in that dir, a role with a password and a
// database of its own, and stopped at the end. Fault tests stop, start and signal it. Never used
// outside tests; it needs the server programs installed (Available()).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/env.h"
#include "tests/support/process.h"

namespace codebot::testing {

class PsqlSession;

class PostgresServer {
 public:
  // $CODEBOT_PG_BIN, else /usr/lib/postgresql/15/bin.
  static std::string BinDir();
  static bool Available();

  // initdb, Start(), then CREATE ROLE user() WITH PASSWORD password() (member of pg_monitor) and
  // CREATE DATABASE database() owned by it. settings are "name=value" for `postgres -c`.
  // Throws std::runtime_error when any step fails (the server's log is in the message).
  explicit PostgresServer(const std::vector<std::string>& settings = {});
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Starts postgres (again) and waits until it accepts connections.
  void Start();
  // Fast shutdown (SIGINT: sessions are ended), waiting for the server to exit.
  void Stop();
  // The postmaster and every process it started (backends run in sessions of their own, so a
  // process-group signal would miss them): SIGSTOP hangs the whole server, SIGCONT resumes it.
  void Signal(int signal_number);
  bool Running();

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }
  const std::string& database() const { return database_; }
  const std::string& socket_dir() const { return socket_dir_; }

  // postgresql://user:password@127.0.0.1:port/database?sslmode=disable
  std::string Uri() const;
  // host=127.0.0.1 port=... user=... password=... dbname=... sslmode=disable
  std::string KeyValueDsn() const;

  // Runs SQL as the superuser with psql over the Unix socket; returns psql's unaligned,
  // tuples-only output without the final newline. Throws std::runtime_error when psql fails.
  std::string Psql(const std::string& sql, const std::string& database = "postgres") const;

  // A session of its own (one backend) that stays connected until closed; "" = database().
  std::unique_ptr<PsqlSession> OpenSession(const std::string& database = "") const;

  std::string Log() const;

 private:
  std::string Bin(const std::string& program) const;
  std::vector<pid_t> Children() const;

  TempDir dir_;
  std::string data_dir_;
  std::string socket_dir_;
  std::string run_as_;  // "postgres" when the tests run as root (initdb refuses root)
  std::vector<std::string> settings_;
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::string user_ = "codebot";
  std::string password_;
  std::string database_ = "codebot";
  Process process_;
  mutable int sessions_ = 0;
};

// One psql process fed through a FIFO: each Send() runs in the same session, which sits idle (or
// idle in transaction) in between, as an application's pooled connection does.
class PsqlSession {
 public:
  PsqlSession(const std::vector<std::string>& argv, const std::string& fifo,
              const std::string& log_file);
  ~PsqlSession();
  PsqlSession(const PsqlSession&) = delete;
  PsqlSession& operator=(const PsqlSession&) = delete;

  // Queues SQL for the session (end statements with ';'); does not wait for the result.
  void Send(const std::string& sql);
  // Ends the session: psql reads end of file and exits.
  void Close();

 private:
  Process process_;
  int fd_ = -1;
};

}  // namespace codebot::testing
