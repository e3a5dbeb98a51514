// GET /: a small HTML page linking the sidecar's endpoints, for a person who opens the port in a
// browser.
#pragma once

#include "exporter/http/server.h"

namespace codebot::app {

void RegisterLandingPage(http::Server& server);

}  // namespace codebot::app
