#include "exporter/http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "exporter/core/json_string.h"
#include "exporter/core/log.h"
#include "exporter/core/url_escape.h"
#include "exporter/http/wire.h"

namespace codebot::http {
namespace {

std::string NextRequestId() {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t kSeed =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  char buf[24];
  std::snprintf(buf, sizeof buf, "%08x-%06llx", static_cast<unsigned>(kSeed & 0xffffffffu),
                static_cast<unsigned long long>(++counter));
  return buf;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// ":port" and "port" mean every IPv4 interface, as before; "host:port" and "[v6]:port" resolve.
std::pair<std::string, std::string> SplitListenAddress(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return {"", address};
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return {host, address.substr(colon + 1)};
}

int Listen(const std::string& address) {
  const auto [host, port] = SplitListenAddress(address);
  addrinfo hints{};
  hints.ai_family = host.empty() ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    throw std::runtime_error("cannot listen on " + address + ": " + gai_strerror(rc));
  }
  std::string error = "no address";
  int fd = -1;
  // IPv4 first: "localhost" often resolves to ::1 before 127.0.0.1, and clients mostly dial the
  // latter.
  std::vector<addrinfo*> candidates;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) candidates.push_back(ai);
  }
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET) candidates.push_back(ai);
  }
  for (addrinfo* ai : candidates) {
    if (fd >= 0) break;
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      error = std::strerror(errno);
      continue;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
      error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) throw std::runtime_error("cannot listen on " + address + ": " + error);
  return fd;
}

int BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

enum class SendResult { kDone, kBlocked, kFailed };

// Sends the response's bytes from *sent on, without blocking, until all are sent, the socket's
// buffer is full, or the connection fails.
SendResult SendSome(int fd, const std::string& head, const std::string& body,
                    const std::vector<std::shared_ptr<const std::string>>& parts, size_t* sent) {
  for (;;) {
    iovec iov[16];
    size_t count = 0;
    size_t skip = *sent;
    auto add = [&](const std::string& text) {
      if (count == std::size(iov)) return;
      if (skip >= text.size()) {
        skip -= text.size();
        return;
      }
      iov[count].iov_base = const_cast<char*>(text.data() + skip);
      iov[count].iov_len = text.size() - skip;
      ++count;
      skip = 0;
    };
    add(head);
    add(body);
    for (const auto& part : parts) add(*part);
    if (count == 0) return SendResult::kDone;
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    const ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? SendResult::kBlocked : SendResult::kFailed;
    }
    *sent += static_cast<size_t>(n);
  }
}

// The client's address as text, IPv4-mapped IPv6 addresses as plain IPv4.
std::string AddressText(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, text, sizeof text);
  } else if (addr.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
      inet_ntop(AF_INET, &a6.s6_addr[12], text, sizeof text);
    } else {
      inet_ntop(AF_INET6, &a6, text, sizeof text);
    }
  }
  return text;
}

}  // namespace

std::string_view FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (detail::EqualsNoCase(key, name)) return value;
  }
  return {};
}

std::string Request::QueryParam(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (PercentDecode(pair.substr(0, eq), true).value_or(std::string(pair.substr(0, eq))) == name) {
      return eq == std::string_view::npos ? std::string()
                                          : PercentDecode(pair.substr(eq + 1), true)
                                                .value_or(std::string(pair.substr(eq + 1)));
    }
  }
  return {};
}

Response Response::Text(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response Response::Json(int status, std::string body) {
  Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
  return response;
}

Response Response::Error(int status, std::string_view reason) {
  // The reason stays one line of text: control characters become spaces, not JSON escapes.
  std::string one_line(reason);
  std::replace_if(
      one_line.begin(), one_line.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; },
      ' ');
  std::string body = "{\"status\":\"error\",\"error\":";
  json::AppendString(body, one_line);
  body += "}\n";
  return Json(status, std::move(body));
}

std::string_view RejectionReason(Rejection reason) {
  switch (reason) {
    case Rejection::kServerLimit:
      return "server_limit";
    case Rejection::kClientLimit:
      return "client_limit";
    case Rejection::kHeaderTimeout:
      return "header_timeout";
    case Rejection::kBodyTimeout:
      return "body_timeout";
    case Rejection::kWriteTimeout:
      return "write_timeout";
    case Rejection::kHeaderTooLarge:
      return "header_too_large";
    case Rejection::kBodyTooLarge:
      return "body_too_large";
    case Rejection::kBadRequest:
      return "bad_request";
    case Rejection::kMemoryLimit:
      return "memory_limit";
    case Rejection::kFdLimit:
      return "fd_limit";
  }
  return "other";
}

// The sockets and the handler threads. Every connection belongs to the loop thread; handler
// threads see complete requests only and hand back serialised responses, so no socket is ever
// touched by two threads and no handler thread waits on a client.
class Server::Transport {
 public:
  Transport(Server& server, int listen_fd);
  ~Transport() { Stop(); }
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  void Stop();
  ServerStats Stats() const;

 private:
  enum class State {
    kHead,   // waiting for (the rest of) a request head
    kBody,   // waiting for the rest of the body
    kBusy,   // a handler thread has the request; the socket is not watched meanwhile
    kWrite,  // the response is being written
    kDrain,  // answered and shut down for writing: reading what the client still sends
  };
  struct Connection {
    int fd = -1;
    uint64_t id = 0;
    std::string client;
    State state = State::kHead;
    uint32_t events = 0;  // what epoll watches; 0 when not registered
    bool served = false;  // answered a request already: waiting with nothing sent is idleness
    std::string in;       // received, not yet consumed
    size_t scanned = 0;   // bytes of in searched for the end of the head so far
    size_t held = 0;      // bytes of the body a handler has, still counted in buffered_
    detail::RequestHead head;
    detail::ChunkedState chunked;
    int64_t request_start = 0;  // first byte of this request, or since when the connection waits
    int64_t deadline = 0;
    std::string out_head;
    std::string out_body;
    std::vector<std::shared_ptr<const std::string>> out_parts;
    size_t out_sent = 0;
    bool close_after = false;
    size_t drained = 0;
  };
  struct Job {
    uint64_t id;
    int fd;  // the handler thread's to write to until it hands the response back
    Request request;
    bool keep_alive;
  };
  struct Done {
    uint64_t id;
    std::string head;
    std::string body;
    std::vector<std::shared_ptr<const std::string>> parts;
    bool close;
    size_t sent = 0;  // bytes the handler thread already wrote
    bool failed = false;
  };
  static constexpr uint64_t kListenKey = 0;
  static constexpr uint64_t kWakeKey = 1;
  static constexpr int64_t kSweepMs = 100;
  static constexpr int64_t kDrainMs = 1000;
  static constexpr size_t kMaxDrainBytes = 1 << 20;
  static constexpr int64_t kLogEveryMs = 60000;

  void Loop();
  void Accept(int64_t now);
  bool Evict(const std::string* client, Rejection reason);
  void Read(Connection& c, int64_t now);
  void Advance(Connection& c, int64_t now);
  void Consume(Connection& c, size_t n);
  void Fail(Connection& c, int status, std::string_view reason, Rejection why, int64_t now);
  void StartWrite(Connection& c, std::string head, std::string body,
                  std::vector<std::shared_ptr<const std::string>> parts, bool close, int64_t now,
                  size_t sent = 0);
  void Write(Connection& c, int64_t now);
  void FinishResponse(Connection& c, int64_t now);
  void Close(uint64_t id);
  void Sweep(int64_t now);
  void LogRejections(int64_t now);
  void TakeDone(int64_t now);
  void Watch(Connection& c, uint32_t events);
  void Count(Rejection reason) { rejected_[static_cast<int>(reason)].fetch_add(1); }
  void Submit(Job job);
  void Work();

  Server& server_;
  const ServerOptions& options_;
  const int listen_fd_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread loop_;

  // The loop thread's own.
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, int> per_client_;
  uint64_t next_id_ = 2;
  size_t buffered_ = 0;
  int64_t listen_paused_until_ = 0;
  int64_t next_log_ = 0;
  uint64_t logged_[kRejectionCount] = {};

  std::atomic<int64_t> open_{0};
  std::atomic<uint64_t> rejected_[kRejectionCount] = {};

  std::mutex jobs_mutex_;
  std::condition_variable jobs_cv_;
  std::deque<Job> jobs_;
  std::vector<std::thread> workers_;
  int idle_workers_ = 0;
  bool workers_stop_ = false;

  std::mutex done_mutex_;
  std::vector<Done> done_;
};

Server::Transport::Transport(Server& server, int listen_fd)
    : server_(server), options_(server.options_), listen_fd_(listen_fd) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    const std::string error = std::strerror(errno);
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (wake_fd_ >= 0) close(wake_fd_);
    close(listen_fd_);
    throw std::runtime_error("cannot start the HTTP server: " + error);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenKey;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.u64 = kWakeKey;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  loop_ = std::thread(&Transport::Loop, this);
}

void Server::Transport::Stop() {
  if (!loop_.joinable()) return;
  stop_ = true;
  const uint64_t one = 1;
  (void)write(wake_fd_, &one, sizeof one);
  loop_.join();
  {
    std::lock_guard lock(jobs_mutex_);
    workers_stop_ = true;
    jobs_.clear();
  }
  jobs_cv_.notify_all();
  for (auto& worker : workers_) worker.join();
  for (auto& [id, c] : connections_) close(c->fd);
  connections_.clear();
  per_client_.clear();
  open_ = 0;
  close(epoll_fd_);
  close(wake_fd_);
}

ServerStats Server::Transport::Stats() const {
  ServerStats stats;
  stats.open_connections = open_.load();
  for (int i = 0; i < kRejectionCount; ++i) stats.rejected[i] = rejected_[i].load();
  return stats;
}

void Server::Transport::Loop() {
  epoll_event events[128];
  int64_t next_sweep = NowMs() + kSweepMs;
  while (!stop_) {
    const int n = epoll_wait(epoll_fd_, events, 128, static_cast<int>(kSweepMs));
    if (n < 0 && errno != EINTR) {
      log::Error("http server stopped polling", {{"err", std::strerror(errno)}});
      break;
    }
    const int64_t now = NowMs();
    for (int i = 0; i < n; ++i) {
      const uint64_t key = events[i].data.u64;
      if (key == kListenKey) {
        Accept(now);
        continue;
      }
      if (key == kWakeKey) {
        uint64_t value = 0;
        (void)read(wake_fd_, &value, sizeof value);
        TakeDone(now);
        continue;
      }
      const auto it = connections_.find(key);
      if (it == connections_.end()) continue;
      Connection& c = *it->second;
      if (c.state == State::kWrite) {
        if ((events[i].events & (EPOLLERR | EPOLLHUP)) != 0) {
          Close(c.id);
        } else if ((events[i].events & EPOLLOUT) != 0) {
          Write(c, now);
        }
      } else if (c.state != State::kBusy) {
        Read(c, now);
      }
    }
    if (listen_paused_until_ != 0 && now >= listen_paused_until_) {
      listen_paused_until_ = 0;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = kListenKey;
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
    }
    if (now >= next_sweep) {
      Sweep(now);
      LogRejections(now);
      next_sweep = now + kSweepMs;
    }
  }
  // Connections in a handler keep their descriptor until Stop has joined the handler threads,
  // which may still write to it.
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->second->state == State::kBusy) {
      ++it;
      continue;
    }
    close(it->second->fd);
    it = connections_.erase(it);
  }
  close(listen_fd_);
}

void Server::Transport::Accept(int64_t now) {
  // A bounded batch per wakeup, so that a flood of connections cannot starve reading.
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd =
        accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The listener stays readable while out of descriptors: stop watching it for a moment
        // instead of spinning, and let the deadlines free descriptors meanwhile.
        Count(Rejection::kFdLimit);
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        listen_paused_until_ = now + kSweepMs;
      }
      return;
    }
    std::string client = AddressText(addr);
    if (static_cast<int>(connections_.size()) >= options_.max_connections &&
        !Evict(nullptr, Rejection::kServerLimit)) {
      Count(Rejection::kServerLimit);
      close(fd);
      continue;
    }
    const auto same = per_client_.find(client);
    if (same != per_client_.end() && same->second >= options_.max_connections_per_client &&
        !Evict(&client, Rejection::kClientLimit)) {
      Count(Rejection::kClientLimit);
      close(fd);
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->id = next_id_++;
    c->request_start = now;
    c->deadline = now + options_.header_timeout_ms;
    ++per_client_[client];
    c->client = std::move(client);
    Connection& added = *c;
    connections_.emplace(added.id, std::move(c));
    ++open_;
    Watch(added, EPOLLIN | EPOLLRDHUP);
  }
}

bool Server::Transport::Evict(const std::string* client, Rejection reason) {
  // The connection waiting longest for its request; one already answered and draining first.
  Connection* oldest = nullptr;
  // Connections accepted in one batch share a start time: the earlier accepted is older.
  auto rank = [](const Connection& c) {
    return std::tuple(c.state == State::kDrain ? 0 : 1, c.request_start, c.id);
  };
  for (auto& [id, c] : connections_) {
    if (c->state == State::kBusy || c->state == State::kWrite) continue;
    if (client != nullptr && c->client != *client) continue;
    if (oldest == nullptr || rank(*c) < rank(*oldest)) oldest = c.get();
  }
  if (oldest == nullptr) return false;
  if (oldest->state != State::kDrain) Count(reason);
  Close(oldest->id);
  return true;
}

void Server::Transport::Read(Connection& c, int64_t now) {
  char buf[16384];
  const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
  if (n == 0) {
    Close(c.id);
    return;
  }
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) Close(c.id);
    return;
  }
  const auto got = static_cast<size_t>(n);
  if (c.state == State::kDrain) {
    c.drained += got;
    if (c.drained > kMaxDrainBytes) Close(c.id);
    return;
  }
  if (buffered_ + got > options_.max_buffered_bytes) {
    Fail(c, 503, "server busy: too many request bytes in flight", Rejection::kMemoryLimit, now);
    return;
  }
  if (c.state == State::kHead && c.in.empty() && c.served) {
    // The first byte of the next request on a kept-alive connection starts its deadline.
    c.request_start = now;
    c.deadline = now + options_.header_timeout_ms;
  }
  c.in.append(buf, got);
  buffered_ += got;
  Advance(c, now);
}

void Server::Transport::Consume(Connection& c, size_t n) {
  c.in.erase(0, n);
  buffered_ -= n;
  if (c.in.empty() && c.in.capacity() > (64 << 10)) std::string().swap(c.in);
}

void Server::Transport::Advance(Connection& c, int64_t now) {
  const size_t max_body = options_.max_request_body_bytes;
  if (c.state == State::kHead) {
    // A head trickling in byte by byte is searched once, not once per byte.
    if (c.in.find("\r\n\r\n", c.scanned >= 3 ? c.scanned - 3 : 0) == std::string::npos &&
        c.in.size() < options_.max_header_bytes) {
      c.scanned = c.in.size();
      return;
    }
    detail::HeadResult result = detail::ParseHead(c.in, options_.max_header_bytes);
    if (result.status == detail::Parse::kIncomplete) {
      c.scanned = c.in.size();  // the end found closed the empty lines before a request line
      return;
    }
    c.scanned = 0;
    if (result.status == detail::Parse::kTooLarge) {
      Fail(c, 431,
           "request header larger than " + std::to_string(options_.max_header_bytes) + " bytes",
           Rejection::kHeaderTooLarge, now);
      return;
    }
    if (result.status == detail::Parse::kBad) {
      Fail(c, 400, "bad request: " + result.error, Rejection::kBadRequest, now);
      return;
    }
    Consume(c, result.length);
    c.head = std::move(result.head);
    if (!c.head.chunked && c.head.content_length > max_body) {
      Fail(c, 413, "request body larger than " + std::to_string(max_body) + " bytes",
           Rejection::kBodyTooLarge, now);
      return;
    }
    if (c.head.expect_continue && c.in.empty() && (c.head.chunked || c.head.content_length > 0)) {
      // A few bytes on a socket that has sent nothing yet: its buffer always takes them.
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      (void)send(c.fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
    }
    c.state = State::kBody;
    c.chunked = {};
    c.deadline = c.request_start + options_.request_timeout_ms;
  }

  Request request;
  if (c.head.chunked) {
    const detail::Parse status = detail::DecodeChunked(c.in, max_body, c.chunked);
    if (status == detail::Parse::kIncomplete) return;
    if (status == detail::Parse::kTooLarge) {
      Fail(c, 413, "request body larger than " + std::to_string(max_body) + " bytes",
           Rejection::kBodyTooLarge, now);
      return;
    }
    if (status == detail::Parse::kBad) {
      Fail(c, 400, "bad request: malformed chunked body", Rejection::kBadRequest, now);
      return;
    }
    request.body = std::move(c.chunked.body);
    Consume(c, c.chunked.pos);
    c.chunked = {};
  } else {
    if (c.in.size() < c.head.content_length) return;
    request.body = c.in.substr(0, c.head.content_length);
    Consume(c, c.head.content_length);
  }
  request.method = std::move(c.head.method);
  request.path = std::move(c.head.path);
  request.query = std::move(c.head.query);
  request.headers = std::move(c.head.headers);
  request.remote_addr = c.client;
  const std::string_view given_id = request.Header("X-Request-Id");
  request.id =
      (!given_id.empty() && given_id.size() <= 64) ? std::string(given_id) : NextRequestId();
  // The body stays in the budget of buffered bytes until its handler has answered.
  c.held = request.body.size();
  buffered_ += c.held;
  c.state = State::kBusy;
  Watch(c, 0);
  Submit(Job{c.id, c.fd, std::move(request), c.head.keep_alive});
}

void Server::Transport::Fail(Connection& c, int status, std::string_view reason, Rejection why,
                             int64_t now) {
  Count(why);
  buffered_ -= c.in.size();
  c.in.clear();
  Response response = Response::Error(status, reason);
  std::string head = detail::ResponseHead(response, response.body.size(), NextRequestId(), true);
  StartWrite(c, std::move(head), std::move(response.body), {}, true, now);
}

void Server::Transport::StartWrite(Connection& c, std::string head, std::string body,
                                   std::vector<std::shared_ptr<const std::string>> parts,
                                   bool close, int64_t now, size_t sent) {
  buffered_ -= c.held;
  c.held = 0;
  c.out_head = std::move(head);
  c.out_body = std::move(body);
  c.out_parts = std::move(parts);
  c.out_sent = sent;
  c.close_after = close;
  c.state = State::kWrite;
  c.deadline = now + options_.write_timeout_ms;
  Write(c, now);
}

void Server::Transport::Write(Connection& c, int64_t now) {
  switch (SendSome(c.fd, c.out_head, c.out_body, c.out_parts, &c.out_sent)) {
    case SendResult::kDone:
      FinishResponse(c, now);
      break;
    case SendResult::kBlocked:
      Watch(c, EPOLLOUT);
      break;
    case SendResult::kFailed:
      Close(c.id);
      break;
  }
}

void Server::Transport::FinishResponse(Connection& c, int64_t now) {
  c.out_head.clear();
  std::string().swap(c.out_body);
  c.out_parts.clear();
  if (c.close_after || stop_) {
    // Closing with unread bytes would reset the connection and could destroy the response
    // before the client reads it: shut down writing and read until the client closes.
    shutdown(c.fd, SHUT_WR);
    buffered_ -= c.in.size();
    std::string().swap(c.in);
    c.state = State::kDrain;
    c.deadline = now + kDrainMs;
    Watch(c, EPOLLIN | EPOLLRDHUP);
    return;
  }
  c.served = true;
  c.state = State::kHead;
  c.request_start = now;
  c.deadline = now + (c.in.empty() ? options_.idle_timeout_ms : options_.header_timeout_ms);
  Watch(c, EPOLLIN | EPOLLRDHUP);
  if (!c.in.empty()) Advance(c, now);  // a pipelined request arrived with the previous one
}

void Server::Transport::Close(uint64_t id) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  close(c.fd);  // also leaves the epoll set
  buffered_ -= c.in.size() + c.held;
  const auto client = per_client_.find(c.client);
  if (client != per_client_.end() && --client->second <= 0) per_client_.erase(client);
  connections_.erase(it);
  --open_;
}

void Server::Transport::Sweep(int64_t now) {
  std::vector<uint64_t> expired;
  for (auto& [id, c] : connections_) {
    if (c->state == State::kBusy || c->deadline > now) continue;
    switch (c->state) {
      case State::kHead:
        if (!c->served || !c->in.empty()) Count(Rejection::kHeaderTimeout);
        break;
      case State::kBody:
        Count(Rejection::kBodyTimeout);
        break;
      case State::kWrite:
        Count(Rejection::kWriteTimeout);
        break;
      default:
        break;
    }
    expired.push_back(id);
  }
  for (uint64_t id : expired) Close(id);
}

void Server::Transport::LogRejections(int64_t now) {
  // One line per reason and minute at most: a flood of bad clients must not flood the log too.
  if (now < next_log_) return;
  bool logged = false;
  for (int i = 0; i < kRejectionCount; ++i) {
    const uint64_t count = rejected_[i].load();
    if (count == logged_[i]) continue;
    log::Warn("http connections rejected", {{"reason", RejectionReason(static_cast<Rejection>(i))},
                                            {"count", count - logged_[i]},
                                            {"open", open_.load()}});
    logged_[i] = count;
    logged = true;
  }
  if (logged) next_log_ = now + kLogEveryMs;
}

void Server::Transport::TakeDone(int64_t now) {
  std::vector<Done> done;
  {
    std::lock_guard lock(done_mutex_);
    done.swap(done_);
  }
  for (auto& d : done) {
    const auto it = connections_.find(d.id);
    if (it == connections_.end()) continue;
    if (d.failed) {
      Close(d.id);
      continue;
    }
    StartWrite(*it->second, std::move(d.head), std::move(d.body), std::move(d.parts), d.close, now,
               d.sent);
  }
}

void Server::Transport::Watch(Connection& c, uint32_t events) {
  if (events == c.events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = c.id;
  const int op = c.events == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
  epoll_ctl(epoll_fd_, op, c.fd, &ev);
  c.events = events;
}

void Server::Transport::Submit(Job job) {
  {
    std::lock_guard lock(jobs_mutex_);
    jobs_.push_back(std::move(job));
    // Handler threads start as requests need them, up to num_threads.
    if (static_cast<int>(jobs_.size()) > idle_workers_ &&
        static_cast<int>(workers_.size()) < std::max(1, options_.num_threads)) {
      workers_.emplace_back(&Transport::Work, this);
    }
  }
  jobs_cv_.notify_one();
}

void Server::Transport::Work() {
  for (;;) {
    std::optional<Job> job;
    {
      std::unique_lock lock(jobs_mutex_);
      ++idle_workers_;
      jobs_cv_.wait(lock, [this] { return workers_stop_ || !jobs_.empty(); });
      --idle_workers_;
      if (workers_stop_) return;
      job.emplace(std::move(jobs_.front()));
      jobs_.pop_front();
    }
    Request& request = job->request;
    Response response;
    try {
      response = server_.Dispatch(request);
    } catch (const std::exception& e) {
      log::Error("handler failed",
                 {{"request_id", request.id}, {"path", request.path}, {"err", e.what()}});
      response = Response::Error(500, "internal error");
    }
    size_t length = response.body.size();
    for (const auto& part : response.shared_parts) length += part->size();
    const bool close = !job->keep_alive || server_.stopping();
    Done done{job->id, detail::ResponseHead(response, length, request.id, close), {}, {}, close};
    if (request.method != "HEAD") {
      done.body = std::move(response.body);
      done.parts = std::move(response.shared_parts);
    }
    // While the request is in a handler the loop leaves its socket alone, so the handler thread
    // writes what the socket takes right away: large bodies are copied out in parallel, and most
    // responses are sent whole before the loop sees them again.
    done.failed =
        SendSome(job->fd, done.head, done.body, done.parts, &done.sent) == SendResult::kFailed;
    log::Debug("http request", {{"request_id", request.id},
                                {"method", request.method},
                                {"path", request.path},
                                {"status", response.status}});
    {
      std::lock_guard lock(done_mutex_);
      done_.push_back(std::move(done));
    }
    const uint64_t one = 1;
    (void)write(wake_fd_, &one, sizeof one);
  }
}

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() { Stop(); }

void Server::Handle(std::string path, Handler handler, std::vector<std::string> methods) {
  routes_.push_back({std::move(path), false, std::move(methods), std::move(handler)});
}

void Server::HandlePrefix(std::string prefix, Handler handler, std::vector<std::string> methods) {
  routes_.push_back({std::move(prefix), true, std::move(methods), std::move(handler)});
}

void Server::Start() {
  const int fd = Listen(options_.listen_address);
  port_ = BoundPort(fd);
  transport_ = std::make_unique<Transport>(*this, fd);
}

void Server::Stop() {
  stopping_ = true;
  if (transport_ != nullptr) transport_->Stop();
}

ServerStats Server::Stats() const {
  return transport_ != nullptr ? transport_->Stats() : ServerStats{};
}

Response Server::Dispatch(Request& request) const {
  const Route* best = nullptr;
  for (const auto& route : routes_) {
    if (!route.prefix && route.path == request.path) {
      best = &route;
      break;
    }
    if (route.prefix && request.path.starts_with(route.path) &&
        (best == nullptr || (best->prefix && route.path.size() > best->path.size()))) {
      best = &route;
    }
  }
  if (best == nullptr) return Response::Error(404, "not found: " + request.path);
  const auto& methods = best->methods;
  const bool allowed =
      methods.empty() ? (request.method == "GET" || request.method == "HEAD")
                      : std::find(methods.begin(), methods.end(), request.method) != methods.end();
  if (!allowed) {
    std::string allow;
    for (const auto& m : methods.empty() ? std::vector<std::string>{"GET", "HEAD"} : methods) {
      allow += allow.empty() ? m : ", " + m;
    }
    Response response = Response::Error(405, "method " + request.method + " not allowed");
    response.headers.emplace_back("Allow", allow);
    return response;
  }
  return best->handler(request);
}

}  // namespace codebot::http
