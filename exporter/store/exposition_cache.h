// The last collected results of every exposed source, rendered once per collection into the text
// that /metrics serves, and compressed once per change into the last part of a gzip body. A
// /metrics request never renders or compresses relayed series and never waits on a source: it
// takes the cached text (or its compressed part) by reference.
#pragma once

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exporter/collect/result_sink.h"
#include "exporter/http/gzip.h"

namespace codebot::store {

class ExpositionCache : public collect::ResultSink {
 public:
  explicit ExpositionCache(prometheus::Registry& registry);

  void Publish(const collect::Collection& collection) override;
  void Forget(const std::string& source) override;

  // Every exposed source's families, in source-name order, each family once.
  std::shared_ptr<const std::string> Text() const;

  struct Snapshot {
    std::shared_ptr<const std::string> text;
    // text as the last part of a gzip body; null while a new text is still being compressed.
    std::shared_ptr<const http::DeflatedPart> deflated;
  };
  Snapshot Current() const;

  // Family names a relayed source may not use: the sidecar's own metrics own them.
  static bool IsReservedName(const std::string& name);

 private:
  struct RenderedFamily {
    std::string name;
    std::string text;  // HELP, TYPE and sample lines
  };
  bool Rebuild();  // with mutex_ held; false when the text stays the same
  // Compresses text outside the lock, then keeps it if text is still the current one.
  void Compress(const std::shared_ptr<const std::string>& text);

  prometheus::Family<prometheus::Gauge>& dropped_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<RenderedFamily>> blocks_;
  std::shared_ptr<const std::string> text_;
  std::shared_ptr<const http::DeflatedPart> deflated_;
};

}  // namespace codebot::store
