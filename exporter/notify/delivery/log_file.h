// The outbox's file: an append-only log of records, each framed as
//   u32 length (little endian) | u32 CRC-32 of length and payload | payload
// after an 8-byte magic. A record is durable once Append returns true (written and fdatasync'd);
// a torn tail left by a crash (short frame, bad CRC) is detected and cut off on Replay, so only
// the record being written when the process died is lost, and that one was never acknowledged.
// Compaction replaces the whole file atomically (temp file, fsync, rename, fsync of the folder).
// Knows nothing of notifications: payloads are opaque bytes. Not thread-safe: the outbox
// serialises every call. Never throws after Open.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace codebot::notify::delivery {

inline constexpr std::string_view kLogMagic = "CBOXLOG1";
inline constexpr std::string_view kLogFileName = "outbox.log";
// Bigger frames than this are taken for garbage (a torn length field), not allocated.
inline constexpr uint32_t kMaxRecordBytes = 64u << 20;
inline constexpr size_t kFrameHeaderBytes = 8;

// CRC-32 (IEEE 802.3, as zlib's crc32), continuing from crc.
uint32_t Crc32(std::string_view data, uint32_t crc = 0);

// One framed record as it sits in the file.
std::string FrameRecord(std::string_view payload);

class LogFile {
 public:
  // Opens <dir>/outbox.log (creating the folder and an empty log when missing) and takes an
  // exclusive lock on <dir>/outbox.lock, so that two processes never share one outbox.
  // Throws std::runtime_error (start-up only) when the folder can't be used, the lock is held,
  // or the file is not an outbox log.
  static std::unique_ptr<LogFile> Open(const std::string& dir);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  struct ReplayResult {
    size_t records = 0;
    uint64_t truncated_bytes = 0;  // a torn or corrupt tail, cut off
    std::string truncation;        // why, for the log line ("" when nothing was cut)
  };
  // Hands every intact record to `record` (payload, its size in the file) in file order, then
  // cuts off whatever follows the last intact one.
  ReplayResult Replay(const std::function<void(std::string_view payload, size_t bytes)>& record);

  // Appends the records and makes them durable. On failure (*error says why, errno text) the
  // file is cut back to where it was; if even that fails, broken() turns true and the caller
  // must Rewrite before appending again.
  bool Append(const std::vector<std::string>& payloads, std::string* error);

  // Replaces the file with exactly these records (temp file, fsync, rename, fsync folder). On
  // failure the old file stays as it was (and broken() as it was).
  bool Rewrite(const std::vector<std::string>& payloads, std::string* error);

  uint64_t size() const { return size_; }
  bool broken() const { return broken_; }
  const std::string& path() const { return path_; }

 private:
  LogFile(std::string dir, int lock_fd);
  bool WriteAllAt(int fd, std::string_view data, uint64_t offset, std::string* error);

  std::string dir_;
  std::string path_;
  int lock_fd_ = -1;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool broken_ = false;
};

}  // namespace codebot::notify::delivery
