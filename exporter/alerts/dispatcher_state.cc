#include "exporter/alerts/dispatcher_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "exporter/core/time.h"

namespace codebot::alerts {
namespace {

using nlohmann::json;

constexpr int kVersion = 1;

json LabelsToJson(const Labels& labels) {
  json out = json::object();
  for (const auto& label : labels) out[label.name] = label.value;
  return out;
}

json FingerprintsToJson(const std::vector<uint64_t>& fingerprints) {
  json out = json::array();
  for (uint64_t fp : fingerprints) out.push_back(FingerprintHex(fp));
  return out;
}

json EntryToJson(const DedupEntry& entry) {
  return json{{"notifiedAt", Rfc3339(entry.notified_ms)},
              {"firing", FingerprintsToJson(entry.firing)},
              {"resolved", FingerprintsToJson(entry.resolved)}};
}

json AlertToJson(const StoredAlert& stored, int64_t now_ms) {
  const Alert& a = stored.alert;
  return json{{"fingerprint", FingerprintHex(a.Fingerprint())},
              {"status", StatusName(a.StatusAt(now_ms))},
              {"labels", LabelsToJson(a.labels)},
              {"annotations", LabelsToJson(a.annotations)},
              {"startsAt", Rfc3339(a.starts_at_ms)},
              {"endsAt", Rfc3339(a.ends_at_ms)},
              {"generatorURL", a.generator_url},
              {"resolvedBySender", stored.resolved_by_sender}};
}

// Decoding never throws: every access checks the type first, and the first problem ends the
// decoding with a description of where it is.
class Reader {
 public:
  explicit Reader(std::string* error) : error_(error) {}

  bool Fail(const std::string& what) {
    if (error_ != nullptr && ok_) *error_ = what;
    ok_ = false;
    return false;
  }
  bool ok() const { return ok_; }

  const json* Field(const json& object, const char* name, json::value_t type) {
    if (!ok_) return nullptr;
    auto it = object.find(name);
    if (it == object.end() || it->type() != type) {
      Fail(std::string("field \"") + name + "\" missing or of the wrong type");
      return nullptr;
    }
    return &*it;
  }

  std::string String(const json& object, const char* name) {
    const json* v = Field(object, name, json::value_t::string);
    return v == nullptr ? std::string() : v->get<std::string>();
  }

  int64_t Time(const json& object, const char* name) {
    const std::string text = String(object, name);
    if (!ok_) return kNoTime;
    auto t = ParseRfc3339(text);
    if (!t) {
      Fail(std::string("field \"") + name + "\" is not an RFC 3339 time");
      return kNoTime;
    }
    return *t;
  }

  Labels LabelSet(const json& object, const char* name) {
    Labels out;
    const json* v = Field(object, name, json::value_t::object);
    if (v == nullptr) return out;
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (!it->is_string()) {
        Fail(std::string("a value of \"") + name + "\" is not a string");
        return out;
      }
      out.push_back(Label{it.key(), it->get<std::string>()});
    }
    return out;  // json objects iterate in key order: already sorted
  }

  uint64_t Fingerprint(const json& value) {
    if (!value.is_string()) {
      Fail("a fingerprint is not a string");
      return 0;
    }
    const auto& text = value.get_ref<const std::string&>();
    uint64_t fp = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fp, 16);
    if (ec != std::errc() || end != text.data() + text.size() || text.size() != 16) {
      Fail("a fingerprint is not 16 hex digits");
    }
    return fp;
  }

  std::vector<uint64_t> Fingerprints(const json& object, const char* name) {
    std::vector<uint64_t> out;
    const json* v = Field(object, name, json::value_t::array);
    if (v == nullptr) return out;
    for (const auto& item : *v) out.push_back(Fingerprint(item));
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  DedupEntry Entry(const json& value) {
    DedupEntry entry;
    if (!value.is_object()) {
      Fail("a notification entry is not an object");
      return entry;
    }
    entry.notified_ms = Time(value, "notifiedAt");
    entry.firing = Fingerprints(value, "firing");
    entry.resolved = Fingerprints(value, "resolved");
    return entry;
  }

  StoredAlert Alert(const json& value) {
    StoredAlert stored;
    if (!value.is_object()) {
      Fail("an alert is not an object");
      return stored;
    }
    stored.alert.labels = LabelSet(value, "labels");
    stored.alert.annotations = LabelSet(value, "annotations");
    stored.alert.starts_at_ms = Time(value, "startsAt");
    stored.alert.ends_at_ms = Time(value, "endsAt");
    stored.alert.generator_url = String(value, "generatorURL");
    const json* by_sender = Field(value, "resolvedBySender", json::value_t::boolean);
    stored.resolved_by_sender = by_sender != nullptr && by_sender->get<bool>();
    if (ok_ && stored.alert.labels.empty()) Fail("an alert has no labels");
    return stored;
  }

  std::vector<StoredAlert> Alerts(const json& object, const char* name) {
    std::vector<StoredAlert> out;
    const json* v = Field(object, name, json::value_t::array);
    if (v == nullptr) return out;
    for (const auto& item : *v) out.push_back(Alert(item));
    return out;
  }

 private:
  std::string* error_;
  bool ok_ = true;
};

std::string ErrnoText(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Writes all of content to fd, retrying short writes and interruptions.
bool WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

std::string EncodeState(const DispatcherState& state, int64_t now_ms) {
  json alerts = json::array();
  for (const auto& a : state.alerts) alerts.push_back(AlertToJson(a, now_ms));
  json groups = json::array();
  for (const auto& g : state.groups) {
    json group{{"routeID", g.route_id},
               {"receiver", g.receiver},
               {"labels", LabelsToJson(g.labels)},
               {"members", FingerprintsToJson(g.members)}};
    if (g.notified) group["notified"] = EntryToJson(*g.notified);
    groups.push_back(std::move(group));
  }
  json direct = json::array();
  for (const auto& d : state.direct) {
    json record{{"receiver", d.receiver},
                {"groupKey", d.group_key},
                {"notified", EntryToJson(d.notified)},
                {"alerts", json::array()}};
    for (const auto& a : d.alerts) record["alerts"].push_back(AlertToJson(a, now_ms));
    direct.push_back(std::move(record));
  }
  json doc{{"version", kVersion},
           {"writtenAt", Rfc3339(now_ms)},
           {"alerts", std::move(alerts)},
           {"groups", std::move(groups)},
           {"direct", std::move(direct)}};
  // Invalid UTF-8 in a label must not make the write fail: replace it.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

std::optional<DispatcherState> DecodeState(std::string_view text, std::string* error) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    if (error != nullptr) *error = "not a JSON object";
    return std::nullopt;
  }
  Reader r(error);
  const json* version = r.Field(doc, "version", json::value_t::number_unsigned);
  if (version != nullptr && version->get<int>() != kVersion) {
    r.Fail("unknown version " + std::to_string(version->get<int>()));
  }
  DispatcherState state;
  state.alerts = r.Alerts(doc, "alerts");
  if (const json* groups = r.Field(doc, "groups", json::value_t::array)) {
    for (const auto& g : *groups) {
      if (!g.is_object()) {
        r.Fail("a group is not an object");
        break;
      }
      GroupRecord record;
      record.route_id = r.String(g, "routeID");
      record.receiver = r.String(g, "receiver");
      record.labels = r.LabelSet(g, "labels");
      record.members = r.Fingerprints(g, "members");
      if (auto it = g.find("notified"); it != g.end()) record.notified = r.Entry(*it);
      state.groups.push_back(std::move(record));
    }
  }
  if (const json* direct = r.Field(doc, "direct", json::value_t::array)) {
    for (const auto& d : *direct) {
      if (!d.is_object()) {
        r.Fail("a direct group is not an object");
        break;
      }
      DirectRecord record;
      record.receiver = r.String(d, "receiver");
      record.group_key = r.String(d, "groupKey");
      if (const json* notified = r.Field(d, "notified", json::value_t::object)) {
        record.notified = r.Entry(*notified);
      }
      record.alerts = r.Alerts(d, "alerts");
      state.direct.push_back(std::move(record));
    }
  }
  if (!r.ok()) return std::nullopt;
  return state;
}

StateFile::StateFile(std::string dir)
    : dir_(std::move(dir)), path_((std::filesystem::path(dir_) / kFileName).string()) {}

std::optional<DispatcherState> StateFile::Load(std::string* error) const {
  std::error_code ec;
  if (!std::filesystem::exists(path_, ec)) return DispatcherState{};
  std::ifstream in(path_, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  std::string why;
  std::optional<DispatcherState> state;
  if (!in.good() && !in.eof()) {
    why = "can't read " + path_;
  } else {
    state = DecodeState(content.str(), &why);
    if (!state) why = path_ + ": " + why;
  }
  if (state) return state;
  // Keep the bad file for a person to look at; the next save writes a fresh one.
  std::filesystem::rename(path_, path_ + ".corrupt", ec);
  if (error != nullptr) *error = why;
  return std::nullopt;
}

bool StateFile::Save(std::string_view content, std::string* error) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    if (error != nullptr) *error = "can't create " + dir_ + ": " + ec.message();
    return false;
  }
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (error != nullptr) *error = ErrnoText("can't create", tmp);
    return false;
  }
  bool ok = WriteAll(fd, content);
  if (!ok && error != nullptr) *error = ErrnoText("can't write", tmp);
  if (ok && ::fsync(fd) != 0) {
    ok = false;
    if (error != nullptr) *error = ErrnoText("can't fsync", tmp);
  }
  ::close(fd);
  if (ok && ::rename(tmp.c_str(), path_.c_str()) != 0) {
    ok = false;
    if (error != nullptr) *error = ErrnoText("can't rename to", path_);
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return false;
  }
  // The rename is durable only once the folder is.
  const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    if (error != nullptr) *error = ErrnoText("can't open", dir_);
    return false;
  }
  ok = ::fsync(dir_fd) == 0;
  if (!ok && error != nullptr) *error = ErrnoText("can't fsync", dir_);
  ::close(dir_fd);
  return ok;
}

}  // namespace codebot::alerts
