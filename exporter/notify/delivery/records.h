// The outbox's record types and their encoding (JSON payloads inside the log's frames):
//   add     a notification as enqueued, with the entries (one per integration) made from it;
//           a compaction snapshot writes the live entries this way too, with their progress
//   update  one attempt's outcome for one entry: attempts, next attempt, EntryState, done (the
//           entry delivered or given up), and the SharedState changes the attempt made, all in
//           one record so a crash never keeps half of an attempt's bookkeeping
//   shared  the whole SharedState of one lane (compaction snapshots)
// Internal to notify/delivery. Encoding never throws; decoding returns nullopt on a payload it
// can't read.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "exporter/alerts/notification.h"
#include "exporter/notify/notifier.h"

namespace codebot::notify::delivery::detail {

struct EntryRecord {
  uint64_t seq = 0;          // the entry's id in the outbox; also its order
  std::string lane;          // "receiver/integration/index"
  std::string integration;   // "telegram", ...: the metrics' label
  bool firing_only = false;  // the integration doesn't send resolved alerts
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  EntryState state;
};

struct AddRecord {
  int64_t enqueued_ms = 0;
  alerts::Notification notification;  // as enqueued, before any send_resolved filtering
  std::vector<EntryRecord> entries;
};

struct UpdateRecord {
  uint64_t seq = 0;
  bool done = false;
  int attempts = 0;
  int64_t next_attempt_ms = 0;
  EntryState state;
  std::string lane;  // whose shared state the changes below are
  std::map<std::string, std::optional<std::string>> shared;  // nullopt: erased
};

struct SharedRecord {
  std::string lane;
  std::map<std::string, std::string> values;
};

using Record = std::variant<AddRecord, UpdateRecord, SharedRecord>;

std::string EncodeAdd(int64_t enqueued_ms, const alerts::Notification& notification,
                      const std::vector<EntryRecord>& entries);
std::string EncodeUpdate(const UpdateRecord& update);
std::string EncodeShared(const std::string& lane, const std::map<std::string, std::string>& values);

std::optional<Record> DecodeRecord(std::string_view payload);

// Every field of a notification through JSON and back (for tests of the codec itself).
std::string EncodeNotification(const alerts::Notification& notification);
std::optional<alerts::Notification> DecodeNotification(std::string_view text);

}  // namespace codebot::notify::delivery::detail
