// Small pure helpers on the http(s) URLs the sources are configured with. They only look at the
// text: never resolve a name, open a connection or touch libcurl.
#pragma once

#include <string>
#include <string_view>

namespace codebot::http {

// "host:port" of an http(s) URL, the scheme's default port when none is given; user info, path,
// query and fragment are dropped. Collectors use it as their `instance` label. Text without
// "://" comes back unchanged.
std::string HostPort(std::string_view url);

}  // namespace codebot::http
