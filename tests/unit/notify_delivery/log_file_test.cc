// The outbox's log file: framing with CRC-32, replay of intact records, a torn or corrupt tail
// cut off at every possible byte, a failed append cut back so later appends stay readable, the
// atomic rewrite, and the lock that keeps a second process out.
#include "exporter/notify/delivery/log_file.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/env.h"

namespace codebot::notify::delivery {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

std::vector<std::string> ReplayAll(LogFile& log, LogFile::ReplayResult* result = nullptr) {
  std::vector<std::string> records;
  auto r = log.Replay([&](std::string_view payload, size_t) { records.emplace_back(payload); });
  if (result != nullptr) *result = r;
  return records;
}

// Runs f with the process' file-size limit at `limit` bytes: writes beyond it fail with EFBIG,
// as on a full disk.
template <typename F>
void WithFileSizeLimit(rlim_t limit, F f) {
  struct rlimit old {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  auto previous = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit low = old;
  low.rlim_cur = limit;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &low), 0);
  f();
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, previous);
}

TEST(Crc32, MatchesTheIeeeCheckValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
  // Continuation equals one pass over the concatenation.
  EXPECT_EQ(Crc32("6789", Crc32("12345")), Crc32("123456789"));
}

TEST(LogFile, RecordsSurviveReopenInOrder) {
  testing::TempDir dir;
  std::string error;
  {
    auto log = LogFile::Open(dir.path());
    EXPECT_EQ(log->size(), kLogMagic.size());
    ASSERT_TRUE(log->Append({"one", "two"}, &error)) << error;
    ASSERT_TRUE(log->Append({std::string(100000, 'x')}, &error)) << error;
  }
  auto log = LogFile::Open(dir.path());
  LogFile::ReplayResult result;
  auto records = ReplayAll(*log, &result);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], "one");
  EXPECT_EQ(records[1], "two");
  EXPECT_EQ(records[2].size(), 100000u);
  EXPECT_EQ(result.truncated_bytes, 0u);
}

TEST(LogFile, TornTailAtEveryOffsetLosesOnlyTheLastRecord) {
  testing::TempDir dir;
  const std::string path = dir.File(std::string(kLogFileName));
  uint64_t last_start = 0;
  {
    auto log = LogFile::Open(dir.path());
    std::string error;
    ASSERT_TRUE(log->Append({"first", "second"}, &error));
    last_start = log->size();
    ASSERT_TRUE(log->Append({"the last record, torn"}, &error));
  }
  const std::string full = ReadAll(path);
  for (size_t cut = last_start; cut < full.size(); ++cut) {
    WriteAll(path, full.substr(0, cut));
    auto log = LogFile::Open(dir.path());
    LogFile::ReplayResult result;
    auto records = ReplayAll(*log, &result);
    ASSERT_EQ(records, (std::vector<std::string>{"first", "second"})) << "cut at " << cut;
    EXPECT_EQ(result.truncated_bytes, cut - last_start);
    EXPECT_EQ(log->size(), last_start);
    EXPECT_FALSE(log->broken());
    // What is appended after the cut is readable: the garbage is really gone.
    std::string error;
    ASSERT_TRUE(log->Append({"after"}, &error));
    log.reset();
    auto again = LogFile::Open(dir.path());
    EXPECT_EQ(ReplayAll(*again), (std::vector<std::string>{"first", "second", "after"}));
  }
}

TEST(LogFile, CorruptByteIsCaughtByTheChecksum) {
  testing::TempDir dir;
  const std::string path = dir.File(std::string(kLogFileName));
  {
    auto log = LogFile::Open(dir.path());
    std::string error;
    ASSERT_TRUE(log->Append({"good", "will be damaged"}, &error));
  }
  std::string data = ReadAll(path);
  data[data.size() - 3] ^= 0x20;
  WriteAll(path, data);
  auto log = LogFile::Open(dir.path());
  LogFile::ReplayResult result;
  EXPECT_EQ(ReplayAll(*log, &result), (std::vector<std::string>{"good"}));
  EXPECT_EQ(result.truncation, "record checksum mismatch");
}

TEST(LogFile, GarbageLengthIsNotAllocated) {
  testing::TempDir dir;
  const std::string path = dir.File(std::string(kLogFileName));
  WriteAll(path, std::string(kLogMagic) + std::string("\xff\xff\xff\x7f\0\0\0\0", 8) + "xx");
  auto log = LogFile::Open(dir.path());
  LogFile::ReplayResult result;
  EXPECT_TRUE(ReplayAll(*log, &result).empty());
  EXPECT_EQ(result.truncated_bytes, 10u);
}

TEST(LogFile, FailedAppendIsCutBackSoLaterRecordsStayReadable) {
  testing::TempDir dir;
  auto log = LogFile::Open(dir.path());
  std::string error;
  ASSERT_TRUE(log->Append({"before"}, &error));
  const uint64_t size = log->size();
  WithFileSizeLimit(size + 20, [&] { EXPECT_FALSE(log->Append({std::string(200, 'y')}, &error)); });
  EXPECT_NE(error.find("write"), std::string::npos) << error;
  EXPECT_EQ(log->size(), size);
  EXPECT_FALSE(log->broken());
  EXPECT_EQ(std::filesystem::file_size(log->path()), size);
  ASSERT_TRUE(log->Append({"after"}, &error));
  log.reset();
  auto again = LogFile::Open(dir.path());
  EXPECT_EQ(ReplayAll(*again), (std::vector<std::string>{"before", "after"}));
}

TEST(LogFile, RewriteReplacesTheContentAtomically) {
  testing::TempDir dir;
  auto log = LogFile::Open(dir.path());
  std::string error;
  ASSERT_TRUE(log->Append({"a", "b", "c"}, &error));
  WithFileSizeLimit(12, [&] { EXPECT_FALSE(log->Rewrite({std::string(100, 'z')}, &error)); });
  // A failed rewrite leaves the old log whole and no temp file behind.
  EXPECT_FALSE(std::filesystem::exists(log->path() + ".tmp"));
  ASSERT_TRUE(log->Rewrite({"only"}, &error)) << error;
  ASSERT_TRUE(log->Append({"then"}, &error));
  log.reset();
  auto again = LogFile::Open(dir.path());
  EXPECT_EQ(ReplayAll(*again), (std::vector<std::string>{"only", "then"}));
}

TEST(LogFile, SecondOpenOfTheSameFolderIsRefused) {
  testing::TempDir dir;
  auto log = LogFile::Open(dir.path());
  EXPECT_THROW(LogFile::Open(dir.path()), std::runtime_error);
  log.reset();
  EXPECT_NO_THROW(LogFile::Open(dir.path()));
}

TEST(LogFile, ForeignFileIsRefusedAndATornMagicRecreated) {
  testing::TempDir dir;
  const std::string path = dir.File(std::string(kLogFileName));
  WriteAll(path, "hello world, not a log");
  EXPECT_THROW(LogFile::Open(dir.path()), std::runtime_error);
  WriteAll(path, "CBOX");  // creation cut short
  auto log = LogFile::Open(dir.path());
  EXPECT_TRUE(ReplayAll(*log).empty());
  EXPECT_EQ(ReadAll(path), kLogMagic);
}

}  // namespace
}  // namespace codebot::notify::delivery
