#include "exporter/collect/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace codebot::collect {
namespace {

struct Stat {
  double utime_ticks = 0;
  double stime_ticks = 0;
  double start_ticks = 0;
  double vsize_bytes = 0;
  double rss_pages = 0;
};

Stat ReadStat() {
  Stat stat;
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return stat;
  // The command name (field 2) may contain spaces; the fields after its ')' are positional.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return stat;
  std::istringstream fields(line.substr(close + 2));
  std::string field;
  for (int index = 3; fields >> field; ++index) {
    switch (index) {
      case 14:
        stat.utime_ticks = std::stod(field);
        break;
      case 15:
        stat.stime_ticks = std::stod(field);
        break;
      case 22:
        stat.start_ticks = std::stod(field);
        break;
      case 23:
        stat.vsize_bytes = std::stod(field);
        break;
      case 24:
        stat.rss_pages = std::stod(field);
        break;
      default:
        break;
    }
  }
  return stat;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double count = 0;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the descriptor opendir itself holds
}

prometheus::MetricFamily Gauge(const char* name, const char* help, double value,
                               prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

}  // namespace

ProcessMetrics::ProcessMetrics() {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  start_time_seconds_ = BootTimeSeconds() + ReadStat().start_ticks / ticks;
}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  const Stat stat = ReadStat();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  struct rlimit limit {};
  getrlimit(RLIMIT_NOFILE, &limit);
  return {
      Gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
            (stat.utime_ticks + stat.stime_ticks) / ticks, prometheus::MetricType::Counter),
      Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
            stat.rss_pages * page),
      Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", stat.vsize_bytes),
      Gauge("process_open_fds", "Number of open file descriptors.", OpenFds()),
      Gauge("process_max_fds", "Maximum number of open file descriptors.",
            static_cast<double>(limit.rlim_cur)),
      Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
            start_time_seconds_),
  };
}

}  // namespace codebot::collect
