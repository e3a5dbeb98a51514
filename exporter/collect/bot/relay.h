// Source "bot": fetches the bot's metrics endpoint and relays what it says — the Prometheus text
// format with the bot's names, labels and values unchanged, or JSON mapped to metrics.
#pragma once

#include <memory>

#include "exporter/collect/collector.h"
#include "exporter/config/config.h"

namespace codebot::collect::bot {

std::unique_ptr<Collector> NewRelay(const config::BotSource& config);

}  // namespace codebot::collect::bot
