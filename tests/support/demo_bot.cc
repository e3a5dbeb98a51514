#include "tests/support/demo_bot.h"

namespace codebot::testing {

bool DemoBot::Available() {
  return HaveProgram(kPython) && RunCommand({kPython, "-c", "import prometheus_client"}, nullptr,
                                            "", std::chrono::seconds(30)) == 0;
}

bool DemoBot::Start(const std::vector<std::string>& extra_args, std::string* error) {
  port_ = FreePort();
  std::vector<std::string> argv = {kPython,
                                   SourceDir() + "/examples/demo_bot.py",
                                   "--listen-address",
                                   "127.0.0.1",
                                   "--port",
                                   std::to_string(port_)};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_.Start(argv, dir_.File("demo_bot.log"));
  const bool up = WaitFor(
      [&] {
        if (!process_.Running()) return true;
        auto response = HttpGet(Url("/metrics"), 1000);
        return response.transport_ok() && response.status == 200;
      },
      std::chrono::seconds(30));
  if (!up || !process_.Running()) {
    *error = "the demo bot did not come up:\n" + Logs();
    return false;
  }
  return true;
}

bool DemoBot::Misbehave(const std::string& modes, const std::string& operations) {
  std::string path = "/misbehave?mode=" + modes;
  if (!operations.empty()) path += "&operations=" + operations;
  auto response = HttpPost(Url(path), "", "text/plain");
  return response.transport_ok() && response.status == 200;
}

std::string DemoBot::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

}  // namespace codebot::testing
