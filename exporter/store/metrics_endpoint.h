// GET /metrics: the sidecar's own metrics (its registry, the process metrics and the HTTP server's
// connection counters), serialised per request because they are few, followed by the cached text
// of every exposed source, which is sent by reference and never re-rendered or waited for on the
// request path. With Accept-Encoding: gzip, the own part is compressed per request and joined to
// the cached part's deflate stream, compressed once per change, into one gzip member.
#pragma once

#include <prometheus/collectable.h>

#include <vector>

#include "exporter/http/server.h"
#include "exporter/store/exposition_cache.h"

namespace codebot::store {

// The collectables and the cache are not owned and must outlive the server.
void RegisterMetricsEndpoint(http::Server& server,
                             std::vector<const prometheus::Collectable*> own_metrics,
                             const ExpositionCache& exposition);

}  // namespace codebot::store
