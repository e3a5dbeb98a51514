#include "exporter/notify/delivery/log_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace codebot::notify::delivery {
namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

std::string ErrnoText(std::string_view what, int err) {
  return std::string(what) + ": " + std::generic_category().message(err);
}

void PutLe32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint32_t GetLe32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

// fsync of a folder, so that a rename or a new file in it survives a power cut.
bool SyncDir(const std::string& dir, std::string* error) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *error = ErrnoText("open folder", errno);
    return false;
  }
  const bool ok = ::fsync(fd) == 0;
  if (!ok) *error = ErrnoText("fsync folder", errno);
  ::close(fd);
  return ok;
}

}  // namespace

uint32_t Crc32(std::string_view data, uint32_t crc) {
  crc = ~crc;
  for (char ch : data) crc = kCrcTable[(crc ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::string FrameRecord(std::string_view payload) {
  std::string frame;
  frame.reserve(kFrameHeaderBytes + payload.size());
  PutLe32(frame, static_cast<uint32_t>(payload.size()));
  // The CRC covers the length too, so a torn length field is caught like a torn payload.
  const uint32_t crc = Crc32(payload, Crc32(std::string_view(frame.data(), 4)));
  PutLe32(frame, crc);
  frame.append(payload);
  return frame;
}

LogFile::LogFile(std::string dir, int lock_fd)
    : dir_(std::move(dir)), path_(dir_ + "/" + std::string(kLogFileName)), lock_fd_(lock_fd) {}

LogFile::~LogFile() {
  if (fd_ >= 0) ::close(fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::unique_ptr<LogFile> LogFile::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("outbox: can't create " + dir + ": " + ec.message());
  const std::string lock_path = dir + "/outbox.lock";
  const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0)
    throw std::runtime_error("outbox: " + ErrnoText("can't open " + lock_path, errno));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(lock_fd);
    throw std::runtime_error(err == EWOULDBLOCK
                                 ? "outbox: " + dir + " is in use by another process"
                                 : "outbox: " + ErrnoText("can't lock " + lock_path, err));
  }
  std::unique_ptr<LogFile> log(new LogFile(dir, lock_fd));
  std::filesystem::remove(log->path_ + ".tmp", ec);  // a compaction a crash interrupted

  const int fd = ::open(log->path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno != ENOENT) {
    throw std::runtime_error("outbox: " + ErrnoText("can't open " + log->path_, errno));
  }
  if (fd >= 0) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      throw std::runtime_error("outbox: " + ErrnoText("can't stat " + log->path_, err));
    }
    std::string head(kLogMagic.size(), '\0');
    const ssize_t n = ::pread(fd, head.data(), head.size(), 0);
    head.resize(n > 0 ? static_cast<size_t>(n) : 0);
    if (kLogMagic.substr(0, head.size()) != head) {
      ::close(fd);
      throw std::runtime_error("outbox: " + log->path_ + " is not an outbox log");
    }
    if (head.size() == kLogMagic.size()) {
      log->fd_ = fd;
      log->size_ = static_cast<uint64_t>(st.st_size);
      return log;
    }
    ::close(fd);  // a log whose creation was cut short: nothing was ever acknowledged in it
  }
  std::string error;
  if (!log->Rewrite({}, &error)) {
    throw std::runtime_error("outbox: can't create " + log->path_ + ": " + error);
  }
  return log;
}

LogFile::ReplayResult LogFile::Replay(
    const std::function<void(std::string_view payload, size_t bytes)>& record) {
  ReplayResult result;
  std::string data(size_, '\0');
  size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = ::pread(fd_, data.data() + got, data.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  std::string_view rest(data);
  size_t offset = std::min(kLogMagic.size(), rest.size());
  rest.remove_prefix(offset);
  while (!rest.empty()) {
    if (rest.size() < kFrameHeaderBytes) {
      result.truncation = "torn record header";
      break;
    }
    const uint32_t length = GetLe32(rest);
    if (length > kMaxRecordBytes || length > rest.size() - kFrameHeaderBytes) {
      result.truncation = "torn record";
      break;
    }
    const std::string_view payload = rest.substr(kFrameHeaderBytes, length);
    if (Crc32(payload, Crc32(rest.substr(0, 4))) != GetLe32(rest.substr(4))) {
      result.truncation = "record checksum mismatch";
      break;
    }
    record(payload, kFrameHeaderBytes + length);
    ++result.records;
    offset += kFrameHeaderBytes + length;
    rest.remove_prefix(kFrameHeaderBytes + length);
  }
  if (offset < size_) {
    result.truncated_bytes = size_ - offset;
    if (::ftruncate(fd_, static_cast<off_t>(offset)) != 0 || ::fdatasync(fd_) != 0) {
      broken_ = true;  // appending after the garbage would hide every later record
    }
    size_ = offset;
  }
  return result;
}

bool LogFile::WriteAllAt(int fd, std::string_view data, uint64_t offset, std::string* error) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = ErrnoText("write", n < 0 ? errno : ENOSPC);
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return true;
}

bool LogFile::Append(const std::vector<std::string>& payloads, std::string* error) {
  if (broken_ || fd_ < 0) {
    *error = "the log must be rewritten after an earlier failure";
    return false;
  }
  std::string buffer;
  for (const auto& payload : payloads) {
    if (payload.size() > kMaxRecordBytes) {
      *error = "record too large";
      return false;
    }
    buffer += FrameRecord(payload);
  }
  if (WriteAllAt(fd_, buffer, size_, error)) {
    if (::fdatasync(fd_) == 0) {
      size_ += buffer.size();
      return true;
    }
    *error = ErrnoText("fdatasync", errno);
  }
  // Cut back what may have reached the file: a half-written record followed by later appends
  // would make replay stop there and lose those later, acknowledged records.
  if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0 || ::fdatasync(fd_) != 0) broken_ = true;
  return false;
}

bool LogFile::Rewrite(const std::vector<std::string>& payloads, std::string* error) {
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = ErrnoText("open " + std::string(kLogFileName) + ".tmp", errno);
    return false;
  }
  std::string buffer(kLogMagic);
  for (const auto& payload : payloads) buffer += FrameRecord(payload);
  bool ok = WriteAllAt(fd, buffer, 0, error);
  if (ok && ::fsync(fd) != 0) {
    *error = ErrnoText("fsync", errno);
    ok = false;
  }
  if (ok && ::rename(tmp.c_str(), path_.c_str()) != 0) {
    *error = ErrnoText("rename", errno);
    ok = false;
  }
  if (!ok) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  // From the rename on, the path names the new file: appends must go there even if the folder
  // can't be synced (then the next write rewrites again, to get the rename on disk).
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  size_ = buffer.size();
  broken_ = !SyncDir(dir_, error);
  return !broken_;
}

}  // namespace codebot::notify::delivery
