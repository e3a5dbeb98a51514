#include "tests/support/process.h"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace codebot::testing {
namespace {

[[noreturn]] void ExecChild(const std::vector<std::string>& argv, int out_fd,
                            const std::vector<std::string>& extra_env,
                            const std::string& run_as_user, pid_t parent) {
  // The test runner may block signals (the sidecar does); children start with a clean mask.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setpgid(0, 0);
  dup2(out_fd, STDOUT_FILENO);
  dup2(out_fd, STDERR_FILENO);
  const int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
  for (const auto& entry : extra_env) putenv(strdup(entry.c_str()));
  if (!run_as_user.empty()) {
    const passwd* pw = getpwnam(run_as_user.c_str());
    if (pw == nullptr || initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
      std::fprintf(stderr, "cannot switch to user %s\n", run_as_user.c_str());
      _exit(126);
    }
    setenv("HOME", pw->pw_dir, 1);
    setenv("USER", pw->pw_name, 1);
  }
  // A test binary killed by ctest's timeout must not leave servers behind (possibly stopped
  // with SIGSTOP). Set after setuid(), which clears the setting.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(125);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
  _exit(127);
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Process::~Process() {
  if (pid_ > 0) Stop(std::chrono::seconds(5));
}

Process::Process(Process&& other) noexcept : pid_(other.pid_), status_(other.status_) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) Stop(std::chrono::seconds(5));
    pid_ = other.pid_;
    status_ = other.status_;
    other.pid_ = -1;
  }
  return *this;
}

void Process::Start(const std::vector<std::string>& argv, const std::string& log_file,
                    const std::vector<std::string>& extra_env, const std::string& run_as_user) {
  // O_CLOEXEC: other children started later must not inherit this log's descriptor.
  const int out_fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (out_fd < 0) throw std::runtime_error("cannot open " + log_file);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) ExecChild(argv, out_fd, extra_env, run_as_user, parent);
  close(out_fd);
  pid_ = pid;
  status_ = -1;
}

bool Process::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    status_ = DecodeStatus(status);
    pid_ = -1;
    return false;
  }
  return true;
}

void Process::Signal(int signal_number) const {
  if (pid_ > 0) kill(pid_, signal_number);
}

int Process::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return status_;
}

int Process::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_;
  kill(pid_, SIGCONT);  // a test may have stopped it
  kill(pid_, SIGTERM);
  if (Wait(grace) >= 0 || pid_ <= 0) return status_;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  status_ = DecodeStatus(status);
  pid_ = -1;
  return status_;
}

int RunCommand(const std::vector<std::string>& argv, std::string* output,
               const std::string& run_as_user, std::chrono::milliseconds timeout) {
  char path[] = "/tmp/codebot-cmd-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  close(fd);
  if (!run_as_user.empty()) {
    if (const passwd* pw = getpwnam(run_as_user.c_str())) {
      if (chown(path, pw->pw_uid, pw->pw_gid) != 0) {
        // the child may fail to write; its exit code tells
      }
    }
  }
  Process process;
  process.Start(argv, path, {}, run_as_user);
  int code = process.Wait(timeout);
  if (code < 0) {
    process.Stop(std::chrono::seconds(1));
    code = -1;
  }
  if (output != nullptr) *output = ReadFile(path);
  unlink(path);
  return code;
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("cannot bind a free port");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

bool HaveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace codebot::testing
