#include "exporter/store/exposition_cache.h"

#include <unordered_set>

#include "exporter/core/log.h"
#include "exporter/expfmt/writer.h"

namespace codebot::store {

ExpositionCache::ExpositionCache(prometheus::Registry& registry)
    : dropped_(prometheus::BuildCounter()
                   .Name("codebot_exporter_exposition_dropped_families_total")
                   .Help("Families of a source left out of /metrics because their name is the "
                         "sidecar's own or already used by another source.")
                   .Register(registry)),
      text_(std::make_shared<const std::string>()) {}

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
  std::lock_guard lock(mutex_);
  blocks_[collection.source] = std::move(rendered);
  Rebuild();
}

void ExpositionCache::Forget(const std::string& source) {
  std::lock_guard lock(mutex_);
  if (blocks_.erase(source) > 0) Rebuild();
}

void ExpositionCache::Rebuild() {
  size_t size = 0;
  for (const auto& [source, families] : blocks_) {
    for (const auto& family : families) size += family.text.size();
  }
  auto text = std::make_shared<std::string>();
  text->reserve(size);
  std::unordered_set<std::string_view> seen;
  for (const auto& [source, families] : blocks_) {
    for (const auto& family : families) {
      if (IsReservedName(family.name) || !seen.insert(family.name).second) {
        dropped_.Add({{"source", source}}).Increment();
        log::Debug("family left out of /metrics", {{"source", source}, {"family", family.name}});
        continue;
      }
      text->append(family.text);
    }
  }
  text_ = std::move(text);
}

std::shared_ptr<const std::string> ExpositionCache::Text() const {
  std::lock_guard lock(mutex_);
  return text_;
}

}  // namespace codebot::store
