// The dispatcher's durable state: the alerts it holds, what each group contains and last
// notified, and what each Alertmanager group handed to a receiver last notified. Written whole
// and atomically (temp file, fsync, rename, fsync of the folder) so that a crash leaves either
// the old or the new state, and read back on start, so that a restart neither forgets a firing
// alert (it resolves and its resolution is notified) nor notifies a group again. A file that
// can't be read is moved aside and reported: it never stops the sidecar. No secrets are written
// beyond what the alerts themselves carry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/alerts/alert.h"
#include "exporter/alerts/dedup.h"

namespace codebot::alerts {

struct StoredAlert {
  Alert alert;
  // The sender said it is resolved (it arrived with endsAt in the past), as opposed to a firing
  // alert whose endsAt passed without a refresh. Only a resolution the sender made stands against
  // a later firing copy with the same startsAt.
  bool resolved_by_sender = false;
  friend bool operator==(const StoredAlert& a, const StoredAlert& b) {
    return a.alert.labels == b.alert.labels && a.alert.annotations == b.alert.annotations &&
           a.alert.starts_at_ms == b.alert.starts_at_ms &&
           a.alert.ends_at_ms == b.alert.ends_at_ms &&
           a.alert.generator_url == b.alert.generator_url &&
           a.resolved_by_sender == b.resolved_by_sender;
  }
};

struct GroupRecord {
  std::string route_id;  // Route.ID() of the route the group belongs to
  std::string receiver;
  Labels labels;                  // the group labels
  std::vector<uint64_t> members;  // fingerprints of its alerts (all in DispatcherState::alerts)
  std::optional<DedupEntry> notified;
  friend bool operator==(const GroupRecord&, const GroupRecord&) = default;
};

// A group an Alertmanager posted to /alertmanager/<receiver>.
struct DirectRecord {
  std::string receiver;
  std::string group_key;
  DedupEntry notified;
  // Its alerts as last notified; resolved_by_sender is the status the Alertmanager gave.
  std::vector<StoredAlert> alerts;
  friend bool operator==(const DirectRecord&, const DirectRecord&) = default;
};

struct DispatcherState {
  std::vector<StoredAlert> alerts;
  std::vector<GroupRecord> groups;
  std::vector<DirectRecord> direct;
  friend bool operator==(const DispatcherState&, const DispatcherState&) = default;
};

// JSON, one document; alerts as Alertmanager writes them (labels, annotations, RFC 3339 startsAt
// and endsAt, status as of now_ms), fingerprints as 16 hex digits.
std::string EncodeState(const DispatcherState& state, int64_t now_ms);
// nullopt and *error (what is wrong, never the content) when the text isn't a state this
// version wrote.
std::optional<DispatcherState> DecodeState(std::string_view text, std::string* error);

// The state file in a folder (created on first save).
class StateFile {
 public:
  static constexpr std::string_view kFileName = "dispatcher_state.json";

  explicit StateFile(std::string dir);

  // The saved state; an empty one when there is none yet. nullopt and *error when the file can't
  // be read or decoded: it is then renamed to "<name>.corrupt" for a person to look at, and the
  // next save starts afresh.
  std::optional<DispatcherState> Load(std::string* error) const;
  // Replaces the file atomically and durably. false and *error (with errno's text) on failure;
  // the previous file is then left as it was.
  bool Save(std::string_view content, std::string* error) const;

  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace codebot::alerts
