#include "tests/support/postgres_server.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace codebot::testing {
namespace {

std::string RandomPassword() {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device device;
  std::mt19937 generator(device());
  std::uniform_int_distribution<size_t> pick(0, sizeof(kChars) - 2);
  std::string password = "Pw";
  for (int i = 0; i < 22; ++i) password += kChars[pick(generator)];
  return password;
}

std::string TrimNewline(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// ppid of a process from /proc/<pid>/stat, or -1.
pid_t ParentOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 1));
  std::string state;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

}  // namespace

std::string PostgresServer::BinDir() {
  if (const char* dir = std::getenv("CODEBOT_PG_BIN")) return dir;
  return "/usr/lib/postgresql/15/bin";
}

bool PostgresServer::Available() {
  return HaveProgram(BinDir() + "/initdb") && HaveProgram(BinDir() + "/postgres") &&
         HaveProgram(BinDir() + "/psql");
}

std::string PostgresServer::Bin(const std::string& program) const {
  return BinDir() + "/" + program;
}

PostgresServer::PostgresServer(const std::vector<std::string>& settings)
    : data_dir_(dir_.File("data")),
      socket_dir_(dir_.File("sock")),
      run_as_(geteuid() == 0 ? "postgres" : ""),
      settings_(settings),
      password_(RandomPassword()) {
  if (mkdir(socket_dir_.c_str(), 0777) != 0 || chmod(socket_dir_.c_str(), 0777) != 0) {
    throw std::runtime_error("cannot create " + socket_dir_);
  }
  std::string output;
  const int code =
      RunCommand({Bin("initdb"), "-D", data_dir_, "-U", "postgres", "-E", "UTF8", "--no-locale",
                  "--no-sync", "--auth-local=trust", "--auth-host=scram-sha-256"},
                 &output, run_as_);
  if (code != 0)
    throw std::runtime_error("initdb failed (" + std::to_string(code) + "):\n" + output);
  port_ = FreePort();
  Start();
  Psql("CREATE ROLE " + user_ + " LOGIN PASSWORD '" + password_ + "' IN ROLE pg_monitor");
  Psql("CREATE DATABASE " + database_ + " OWNER " + user_);
}

PostgresServer::~PostgresServer() {
  try {
    Stop();
  } catch (const std::exception&) {
    // a destructor can't report; Process' own destructor still kills the postmaster
  }
}

void PostgresServer::Start() {
  std::vector<std::string> argv = {Bin("postgres"), "-D", data_dir_, "-p", std::to_string(port_),
                                   "-k", socket_dir_, "-c", "listen_addresses=" + host_,
                                   // Throwaway data: no durability, small memory.
                                   "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
                                   "full_page_writes=off", "-c", "shared_buffers=16MB"};
  for (const auto& setting : settings_) {
    argv.push_back("-c");
    argv.push_back(setting);
  }
  process_.Start(argv, dir_.File("postgres.log"), {}, run_as_);
  const bool ready = WaitFor(
      [&] {
        if (!process_.Running()) return true;
        return RunCommand({Bin("pg_isready"), "-q", "-h", socket_dir_, "-p", std::to_string(port_),
                           "-t", "1"}) == 0;
      },
      std::chrono::seconds(60));
  if (!ready || !process_.Running()) {
    throw std::runtime_error("PostgreSQL did not start:\n" + Log());
  }
}

void PostgresServer::Stop() {
  if (!process_.Running()) return;
  Signal(SIGCONT);  // a test may have left it stopped
  process_.Signal(SIGINT);
  if (process_.Wait(std::chrono::seconds(30)) >= 0) return;
  process_.Signal(SIGQUIT);
  if (process_.Wait(std::chrono::seconds(10)) >= 0) return;
  for (pid_t child : Children()) kill(child, SIGKILL);
  process_.Stop(std::chrono::seconds(1));
}

std::vector<pid_t> PostgresServer::Children() const {
  std::vector<pid_t> children;
  const pid_t parent = process_.pid();
  if (parent <= 0) return children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (const dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    if (ParentOf(static_cast<pid_t>(pid)) == parent) children.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return children;
}

void PostgresServer::Signal(int signal_number) {
  if (!process_.Running()) return;
  // Postmaster first, so that it starts no new child while the others are signalled.
  process_.Signal(signal_number);
  for (pid_t child : Children()) kill(child, signal_number);
}

bool PostgresServer::Running() { return process_.Running(); }

std::string PostgresServer::Uri() const {
  return "postgresql://" + user_ + ":" + password_ + "@" + host_ + ":" + std::to_string(port_) +
         "/" + database_ + "?sslmode=disable";
}

std::string PostgresServer::KeyValueDsn() const {
  return "host=" + host_ + " port=" + std::to_string(port_) + " user=" + user_ + " password='" +
         password_ + "' dbname=" + database_ + " sslmode=disable";
}

std::string PostgresServer::Psql(const std::string& sql, const std::string& database) const {
  std::string output;
  const int code =
      RunCommand({Bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socket_dir_,
                  "-p", std::to_string(port_), "-U", "postgres", "-d", database, "-c", sql},
                 &output);
  if (code != 0) {
    throw std::runtime_error("psql failed (" + std::to_string(code) + ") on: " + sql + "\n" +
                             output);
  }
  return TrimNewline(output);
}

std::unique_ptr<PsqlSession> PostgresServer::OpenSession(const std::string& database) const {
  const int id = ++sessions_;
  const std::string fifo = dir_.File("session-" + std::to_string(id) + ".fifo");
  return std::make_unique<PsqlSession>(
      std::vector<std::string>{Bin("psql"), "-X", "-q", "-h", socket_dir_, "-p",
                               std::to_string(port_), "-U", "postgres", "-d",
                               database.empty() ? database_ : database, "-f", fifo},
      fifo, dir_.File("session-" + std::to_string(id) + ".log"));
}

std::string PostgresServer::Log() const { return ReadFile(dir_.File("postgres.log")); }

PsqlSession::PsqlSession(const std::vector<std::string>& argv, const std::string& fifo,
                         const std::string& log_file) {
  // Writing to a session whose psql died must fail the test, not kill it.
  signal(SIGPIPE, SIG_IGN);
  if (mkfifo(fifo.c_str(), 0666) != 0) throw std::runtime_error("mkfifo " + fifo + " failed");
  process_.Start(argv, log_file, {"PGAPPNAME=codebot-test-session"});
  // psql connects before it opens the file, so the FIFO gets a reader once the session exists.
  WaitFor(
      [&] {
        // O_CLOEXEC: a write end inherited by another child would keep this psql from ever
        // reading end of file.
        fd_ = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        return fd_ >= 0 || !process_.Running();
      },
      std::chrono::seconds(30));
  if (fd_ < 0) {
    throw std::runtime_error("psql session did not start:\n" + ReadFile(log_file));
  }
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
}

PsqlSession::~PsqlSession() { Close(); }

void PsqlSession::Send(const std::string& sql) {
  const std::string line = sql + "\n";
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("psql session is gone");
    written += static_cast<size_t>(n);
  }
}

void PsqlSession::Close() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  if (process_.Wait(std::chrono::seconds(10)) < 0) process_.Stop(std::chrono::seconds(2));
}

}  // namespace codebot::testing
