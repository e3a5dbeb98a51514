#include "exporter/store/exposition_cache.h"

#include <unordered_set>

#include "exporter/core/log.h"
#include "exporter/expfmt/writer.h"

namespace codebot::store {
namespace {

// Once per change, not per scrape: the smaller body is worth the CPU.
constexpr int kGzipLevel = 6;

}  // namespace

ExpositionCache::ExpositionCache(prometheus::Registry& registry)
    : dropped_(prometheus::BuildGauge()
                   .Name("codebot_exporter_exposition_dropped_families")
                   .Help("Families of a source's last collection left out of /metrics because "
                         "their name is the sidecar's own or already used by another source.")
                   .Register(registry)),
      text_(std::make_shared<const std::string>()),
      deflated_(std::make_shared<const http::DeflatedPart>(http::Deflate("", kGzipLevel, true))) {}

bool ExpositionCache::IsReservedName(const std::string& name) {
  return name.starts_with("codebot_exporter_") || name.starts_with("process_");
}

void ExpositionCache::Publish(const collect::Collection& collection) {
  if (!collection.exposed) return;
  // Render outside the lock: this is the expensive part.
  std::vector<RenderedFamily> rendered;
  rendered.reserve(collection.families->size());
  for (const auto& family : *collection.families) {
    RenderedFamily out;
    out.name = family.name;
    expfmt::AppendFamily(out.text, family);
    rendered.push_back(std::move(out));
  }
  std::shared_ptr<const std::string> text;
  {
    std::lock_guard lock(mutex_);
    blocks_[collection.source] = std::move(rendered);
    if (!Rebuild()) return;
    text = text_;
  }
  Compress(text);
}

void ExpositionCache::Forget(const std::string& source) {
  std::shared_ptr<const std::string> text;
  {
    std::lock_guard lock(mutex_);
    if (blocks_.erase(source) == 0) return;
    dropped_.Remove(&dropped_.Add({{"source", source}}));
    if (!Rebuild()) return;
    text = text_;
  }
  Compress(text);
}

void ExpositionCache::Compress(const std::shared_ptr<const std::string>& text) {
  auto deflated =
      std::make_shared<const http::DeflatedPart>(http::Deflate(*text, kGzipLevel, true));
  std::lock_guard lock(mutex_);
  // A newer text may have been published meanwhile; its own Compress keeps its part.
  if (text_ == text) deflated_ = std::move(deflated);
}

bool ExpositionCache::Rebuild() {
  size_t size = 0;
  for (const auto& [source, families] : blocks_) {
    for (const auto& family : families) size += family.text.size();
  }
  auto text = std::make_shared<std::string>();
  text->reserve(size);
  std::unordered_set<std::string_view> seen;
  for (const auto& [source, families] : blocks_) {
    size_t dropped = 0;
    for (const auto& family : families) {
      if (IsReservedName(family.name) || !seen.insert(family.name).second) {
        ++dropped;
        log::Debug("family left out of /metrics", {{"source", source}, {"family", family.name}});
        continue;
      }
      text->append(family.text);
    }
    dropped_.Add({{"source", source}}).Set(static_cast<double>(dropped));
  }
  // Collections repeat unchanged values often; the same text keeps its compressed part.
  if (*text == *text_) return false;
  text_ = std::move(text);
  deflated_ = nullptr;
  return true;
}

std::shared_ptr<const std::string> ExpositionCache::Text() const {
  std::lock_guard lock(mutex_);
  return text_;
}

ExpositionCache::Snapshot ExpositionCache::Current() const {
  std::lock_guard lock(mutex_);
  return {text_, deflated_};
}

}  // namespace codebot::store
