#include "exporter/core/build_info.h"

#ifndef CODEBOT_VERSION
#define CODEBOT_VERSION "unknown"
#endif
#ifndef CODEBOT_REVISION
#define CODEBOT_REVISION "unknown"
#endif

namespace codebot {

std::string_view BuildVersion() { return CODEBOT_VERSION; }
std::string_view BuildRevision() { return CODEBOT_REVISION; }
std::string_view BuildCompiler() { return "g++ " __VERSION__; }

}  // namespace codebot
