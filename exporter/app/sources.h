// The explicit list of built-in sources: which collector runs for which section of the config.
// Adding a source means adding it here (no static registration: the linker would drop it).
#pragma once

#include <string>
#include <vector>

#include "exporter/collect/scheduler.h"
#include "exporter/config/config.h"

namespace codebot::app {

// Every source the config enables, in a fixed order.
std::vector<collect::SourceSpec> BuildSources(const config::Config& config);

// True when the named source's settings differ between two configs (or it was added/removed),
// so that a reload restarts only what changed.
bool SourceChanged(const std::string& name, const config::Config& before,
                   const config::Config& after);

}  // namespace codebot::app
