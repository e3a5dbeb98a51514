// Version and revision of this build, for --version and codebot_exporter_build_info.
#pragma once

#include <string_view>

namespace codebot {

std::string_view BuildVersion();
std::string_view BuildRevision();
std::string_view BuildCompiler();

}  // namespace codebot
