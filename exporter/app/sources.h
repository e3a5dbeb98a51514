// The explicit list of built-in sources: which collector runs for which section of the config,
// plus the sidecar's own metrics as source "self". Adding a source means adding it here (no
// static registration: the linker would drop it). A reload restarts only the sources whose
// settings changed, decided by comparing the sections' values.
#pragma once

#include <prometheus/collectable.h>

#include <string>
#include <vector>

#include "exporter/collect/scheduler.h"
#include "exporter/config/config.h"

namespace codebot::app {

// What the "self" source reads: the app's registry and process metrics, and the port the
// sidecar listens on (its instance label).
struct SelfSource {
  std::vector<const prometheus::Collectable*> collectables;
  int port = 0;
};

// Starts what `after` enables and `before` didn't (or enabled with other settings), and stops
// what `after` no longer enables. before == nullptr at the first start.
void ApplySources(collect::Scheduler& scheduler, const config::Config* before,
                  const config::Config& after, const SelfSource& self);

}  // namespace codebot::app
