#include "exporter/template/prometheus.h"

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "exporter/core/duration.h"
#include "exporter/core/log.h"
#include "exporter/core/url_escape.h"
#include "exporter/go/regexp.h"
#include "exporter/go/strconv.h"
#include "exporter/go/time.h"
#include "exporter/template/format.h"
#include "exporter/template/text.h"

namespace codebot::tmpl {
namespace {

constexpr std::string_view kSampleType = "*template.sample";
constexpr std::string_view kQueryResultType = "template.queryResult";
constexpr std::string_view kTimeType = "*time.Time";
constexpr std::string_view kAlertDataType =
    "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; "
    "Value float64 }";
constexpr std::string_view kAlertDefs =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}{{$value := .Value}}";
// What Go's runtime says when a function dereferences a nil pointer (promtool's nil external
// URL, a nil *sample).
constexpr std::string_view kNilDereference =
    "runtime error: invalid memory address or nil pointer dereference";

std::atomic<uint64_t> g_expansions{0};
std::atomic<uint64_t> g_parse_failures{0};
std::atomic<uint64_t> g_execution_failures{0};

const Param kString = Param::Of(ParamType::kString);
const Param kAny = Param::Of(ParamType::kAny);

Param SampleParam() { return Param::Named(std::string(kSampleType)); }
Param QueryResultParam() { return Param::Named(std::string(kQueryResultType)); }

using Call = std::function<CallResult(std::vector<Value>&)>;

Function Fn(std::vector<Param> params, Call call) {
  return Function{std::move(params), std::nullopt, std::move(call)};
}

// string -> string, the shape of title, toUpper, stripPort, ...
Function StringFn(std::function<std::string(std::string_view)> f) {
  return Fn({kString}, [f = std::move(f)](std::vector<Value>& args) {
    return CallResult::Ok(Value::String(f(args[0].AsString())));
  });
}

// Prometheus' convertToFloat (2.42): float64, string, and the integer types.
bool ConvertToFloat(const Value& v, double* out, std::string* error) {
  switch (v.kind()) {
    case Value::Kind::kFloat:
      *out = v.AsFloat();
      return true;
    case Value::Kind::kInt:
      *out = static_cast<double>(v.AsInt());
      return true;
    case Value::Kind::kString:
      if (v.TypeName() == "string") return go::ParseFloat(v.AsString(), out, error);
      break;
    default:
      break;
  }
  *error = "can't convert " + v.TypeName() + " to float";
  return false;
}

// A function of one interface{} argument converted to float64.
Function FloatFn(std::function<CallResult(double)> f) {
  return Fn({kAny}, [f = std::move(f)](std::vector<Value>& args) {
    double v = 0;
    std::string error;
    if (!ConvertToFloat(args[0], &v, &error)) return CallResult::Error(error);
    return f(v);
  });
}

std::string G4(double v, std::string_view suffix = {}) {
  return go::FormatFloat(v, 'g', 4) + std::string(suffix);
}

// Go's float64 -> int64 conversion on amd64: out-of-range values and NaN give INT64_MIN.
int64_t GoInt64(double v) {
  if (std::isnan(v) || v >= 9223372036854775808.0 || v < -9223372036854775808.0) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(v);
}

CallResult Humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return CallResult::Ok(Value::String(G4(v)));
  if (std::fabs(v) >= 1) {
    std::string_view prefix;
    for (std::string_view p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return CallResult::Ok(Value::String(G4(v, prefix)));
  }
  std::string_view prefix;
  for (std::string_view p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return CallResult::Ok(Value::String(G4(v, prefix)));
}

CallResult Humanize1024(double v) {
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) {
    return CallResult::Ok(Value::String(G4(v)));
  }
  std::string_view prefix;
  for (std::string_view p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return CallResult::Ok(Value::String(G4(v, prefix)));
}

CallResult HumanizeDuration(double v) {
  if (std::isnan(v) || std::isinf(v)) return CallResult::Ok(Value::String(G4(v)));
  if (v == 0) return CallResult::Ok(Value::String(G4(v, "s")));
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    const int64_t duration = GoInt64(v);
    const int64_t seconds = duration % 60;
    const int64_t minutes = (duration / 60) % 60;
    const int64_t hours = (duration / 60 / 60) % 24;
    const int64_t days = duration / 60 / 60 / 24;
    auto s = [](int64_t n) { return std::to_string(n); };
    if (days != 0) {
      return CallResult::Ok(Value::String(sign + s(days) + "d " + s(hours) + "h " + s(minutes) +
                                          "m " + s(seconds) + "s"));
    }
    if (hours != 0) {
      return CallResult::Ok(
          Value::String(sign + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s"));
    }
    if (minutes != 0) {
      return CallResult::Ok(Value::String(sign + s(minutes) + "m " + s(seconds) + "s"));
    }
    return CallResult::Ok(Value::String(sign + G4(v, "s")));
  }
  std::string prefix;
  for (std::string_view p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return CallResult::Ok(Value::String(G4(v, prefix + "s")));
}

// Prometheus' floatToTime: seconds to a UTC time truncated to the millisecond (model.Time).
bool FloatToTime(double v, go::Time* t, std::string* error, bool* nan_or_inf) {
  *nan_or_inf = false;
  if (std::isnan(v) || std::isinf(v)) {
    *nan_or_inf = true;
    *error = "value is NaN or Inf";
    return false;
  }
  const double timestamp = v * 1e9;
  if (timestamp > 9223372036854775807.0 || timestamp < -9223372036854775808.0) {
    *error = go::FormatFloat(v, 'g', -1) +
             " cannot be represented as a nanoseconds timestamp since it overflows int64";
    return false;
  }
  const int64_t ms = GoInt64(timestamp) / 1000000;
  int64_t sec = ms / 1000;
  int64_t nsec = (ms % 1000) * 1000000;
  if (nsec < 0) {
    nsec += 1000000000;
    --sec;
  }
  t->sec = sec;
  t->nsec = static_cast<int32_t>(nsec);
  return true;
}

std::shared_ptr<const MethodSet> TimeMethods() {
  static const std::shared_ptr<const MethodSet> kMethods = [] {
    auto m = std::make_shared<MethodSet>();
    auto time_of = [](const Value& receiver) {
      const auto& s = receiver.AsStruct();
      return go::Time{s.Field("sec")->AsInt(), static_cast<int32_t>(s.Field("nsec")->AsInt())};
    };
    m->by_name["Unix"] = Fn({}, [time_of](std::vector<Value>& args) {
      return CallResult::Ok(Value::Int(time_of(args[0]).sec));
    });
    m->by_name["UnixMilli"] = Fn({}, [time_of](std::vector<Value>& args) {
      const go::Time t = time_of(args[0]);
      return CallResult::Ok(Value::Int(t.sec * 1000 + t.nsec / 1000000));
    });
    m->by_name["UnixNano"] = Fn({}, [time_of](std::vector<Value>& args) {
      const go::Time t = time_of(args[0]);
      return CallResult::Ok(Value::Int(t.sec * 1000000000 + t.nsec));
    });
    m->by_name["String"] = Fn({}, [time_of](std::vector<Value>& args) {
      return CallResult::Ok(Value::String(go::FormatTimeString(time_of(args[0]))));
    });
    m->by_name["Format"] = Fn({kString}, [time_of](std::vector<Value>& args) {
      return CallResult::Ok(
          Value::String(go::FormatTimeLayout(time_of(args[0]), args[1].AsString())));
    });
    m->by_name["UTC"] = Fn({}, [](std::vector<Value>& args) { return CallResult::Ok(args[0]); });
    return m;
  }();
  return kMethods;
}

// A *time.Time; its unexported sec/nsec fields carry the instant for the methods.
Value MakeTime(const go::Time& t) {
  return Value::Struct({{"sec", Value::Int(t.sec)}, {"nsec", Value::Int(t.nsec)}},
                       std::string(kTimeType), true, go::FormatTimeString(t), TimeMethods());
}

// net.SplitHostPort.
bool SplitHostPort(std::string_view hostport, std::string* host, std::string* port) {
  const size_t i = hostport.rfind(':');
  if (i == std::string_view::npos) return false;
  size_t j = 0;
  size_t k = 0;
  if (!hostport.empty() && hostport[0] == '[') {
    const size_t end = hostport.find(']');
    if (end == std::string_view::npos) return false;
    if (end + 1 == hostport.size() || end + 1 != i) return false;
    *host = std::string(hostport.substr(1, end - 1));
    j = 1;
    k = end + 1;
  } else {
    *host = std::string(hostport.substr(0, i));
    if (host->find(':') != std::string::npos) return false;
  }
  if (hostport.substr(j).find('[') != std::string_view::npos) return false;
  if (hostport.substr(k).find(']') != std::string_view::npos) return false;
  *port = std::string(hostport.substr(i + 1));
  return true;
}

// net.ParseIP accepts dotted IPv4 and IPv6 without a zone.
bool IsIp(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string StripPort(std::string_view host_port) {
  std::string host;
  std::string port;
  if (!SplitHostPort(host_port, &host, &port)) return std::string(host_port);
  return host;
}

std::string StripDomain(std::string_view host_port) {
  std::string host;
  std::string port;
  if (!SplitHostPort(host_port, &host, &port)) {
    host = std::string(host_port);
    port.clear();
  }
  if (IsIp(host)) return std::string(host_port);
  host = host.substr(0, host.find('.'));
  if (!port.empty()) {
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
    return host + ":" + port;
  }
  return host;
}

// regexp's quote(): backquoted when strconv.CanBackquote allows it.
std::string RegexpQuote(std::string_view s) {
  if (go::CanBackquote(s)) return "`" + std::string(s) + "`";
  return go::Quote(s);
}

// The path of a URL (net/url's URL.Path, percent-decoded).
std::string UrlPath(std::string_view url) {
  size_t start = 0;
  if (const size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    start = url.find('/', scheme + 3);
    if (start == std::string_view::npos) return "";
  }
  const size_t end = url.find_first_of("?#", start);
  const std::string_view raw = url.substr(start, end == std::string_view::npos ? end : end - start);
  std::string path;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
      path.push_back(static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2])));
      i += 2;
      continue;
    }
    path.push_back(raw[i]);
  }
  return path;
}

FuncMap ContextFunctions(const PrometheusContext& ctx) {
  FuncMap m;
  m["query"] = Fn({kString}, [query = ctx.query](std::vector<Value>& args) {
    if (!query) return CallResult::Error("query function not available");
    std::vector<QuerySample> samples;
    std::string error;
    if (!query(args[0].AsString(), &samples, &error)) return CallResult::Error(error);
    return CallResult::Ok(MakeQueryResult(samples));
  });
  m["externalURL"] = Fn({}, [url = ctx.external_url](std::vector<Value>&) {
    if (!url) return CallResult::Error(std::string(kNilDereference));
    return CallResult::Ok(Value::String(*url));
  });
  m["pathPrefix"] = Fn({}, [url = ctx.external_url](std::vector<Value>&) {
    if (!url) return CallResult::Error(std::string(kNilDereference));
    return CallResult::Ok(Value::String(UrlPath(*url)));
  });
  return m;
}

FuncMap StaticFunctions() {
  FuncMap m;
  m["first"] = Fn({QueryResultParam()}, [](std::vector<Value>& args) {
    if (!args[0].is_nil() && !args[0].AsList().items.empty()) {
      return CallResult::Ok(args[0].AsList().items.front());
    }
    return CallResult::Error("first() called on vector with no elements");
  });
  m["label"] = Fn({kString, SampleParam()}, [](std::vector<Value>& args) {
    if (args[1].is_nil()) return CallResult::Error(std::string(kNilDereference));
    const Value& labels = *args[1].AsStruct().Field("Labels");
    const auto& entries = labels.AsMap().entries;
    auto it = entries.find(args[0].AsString());
    return CallResult::Ok(it != entries.end() ? it->second : Value::String(""));
  });
  m["value"] = Fn({SampleParam()}, [](std::vector<Value>& args) {
    if (args[0].is_nil()) return CallResult::Error(std::string(kNilDereference));
    return CallResult::Ok(*args[0].AsStruct().Field("Value"));
  });
  m["strvalue"] = Fn({SampleParam()}, [](std::vector<Value>& args) {
    if (args[0].is_nil()) return CallResult::Error(std::string(kNilDereference));
    const auto& entries = args[0].AsStruct().Field("Labels")->AsMap().entries;
    auto it = entries.find("__value__");
    return CallResult::Ok(it != entries.end() ? it->second : Value::String(""));
  });
  m["args"] = Function{{}, kAny, [](std::vector<Value>& args) {
                         std::map<std::string, Value> result;
                         for (size_t i = 0; i < args.size(); ++i) {
                           result.emplace("arg" + std::to_string(i), args[i]);
                         }
                         return CallResult::Ok(Value::Map(std::move(result)));
                       }};
  m["reReplaceAll"] = Fn({kString, kString, kString}, [](std::vector<Value>& args) {
    std::string error;
    auto re = go::Regexp::CompileCached(args[0].AsString(), &error);
    // regexp.MustCompile panics; the template engine reports the panic text.
    if (!re) {
      return CallResult::Error("regexp: Compile(" + RegexpQuote(args[0].AsString()) +
                               "): " + error);
    }
    return CallResult::Ok(
        Value::String(re->ReplaceAllString(args[2].AsString(), args[1].AsString())));
  });
  m["safeHtml"] = Fn({kString}, [](std::vector<Value>& args) {
    return CallResult::Ok(Value::String(args[0].AsString(), "template.HTML"));
  });
  m["match"] = Fn({kString, kString}, [](std::vector<Value>& args) {
    std::string error;
    auto re = go::Regexp::CompileCached(args[0].AsString(), &error);
    if (!re) return CallResult::Error(error);
    return CallResult::Ok(Value::Bool(re->MatchString(args[1].AsString())));
  });
  m["title"] = StringFn([](std::string_view s) { return text::Title(s); });
  m["toUpper"] = StringFn([](std::string_view s) { return text::ToUpper(s); });
  m["toLower"] = StringFn([](std::string_view s) { return text::ToLower(s); });
  m["graphLink"] = StringFn(
      [](std::string_view expr) { return "/graph?g0.expr=" + QueryEscape(expr) + "&g0.tab=0"; });
  m["tableLink"] = StringFn(
      [](std::string_view expr) { return "/graph?g0.expr=" + QueryEscape(expr) + "&g0.tab=1"; });
  m["sortByLabel"] = Fn({kString, QueryResultParam()}, [](std::vector<Value>& args) {
    if (args[1].is_nil()) return CallResult::Ok(args[1]);
    const std::string& label = args[0].AsString();
    const auto& list = args[1].AsList();
    std::vector<Value> items = list.items;
    auto label_of = [&label](const Value& sample) -> std::string_view {
      if (sample.is_nil()) return {};
      const auto& entries = sample.AsStruct().Field("Labels")->AsMap().entries;
      auto it = entries.find(label);
      return it != entries.end() ? std::string_view(it->second.AsString()) : std::string_view();
    };
    std::stable_sort(items.begin(), items.end(), [&label_of](const Value& a, const Value& b) {
      return label_of(a) < label_of(b);
    });
    return CallResult::Ok(Value::List(std::move(items), list.type_name, list.methods));
  });
  m["humanize"] = FloatFn(Humanize);
  m["humanize1024"] = FloatFn(Humanize1024);
  m["humanizeDuration"] = FloatFn(HumanizeDuration);
  m["humanizePercentage"] =
      FloatFn([](double v) { return CallResult::Ok(Value::String(G4(v * 100, "%"))); });
  m["humanizeTimestamp"] = FloatFn([](double v) {
    go::Time t;
    std::string error;
    bool nan_or_inf = false;
    if (!FloatToTime(v, &t, &error, &nan_or_inf)) {
      if (nan_or_inf) return CallResult::Ok(Value::String(G4(v)));
      return CallResult::Error(error);
    }
    return CallResult::Ok(Value::String(go::FormatTimeString(t)));
  });
  m["toTime"] = FloatFn([](double v) {
    go::Time t;
    std::string error;
    bool nan_or_inf = false;
    if (!FloatToTime(v, &t, &error, &nan_or_inf)) return CallResult::Error(error);
    return CallResult::Ok(MakeTime(t));
  });
  m["parseDuration"] = Fn({kString}, [](std::vector<Value>& args) {
    const auto d = ParseDuration(args[0].AsString());
    if (!d) {
      return CallResult::Error("not a valid duration string: " + go::Quote(args[0].AsString()));
    }
    return CallResult::Ok(Value::Float(static_cast<double>(d->count()) / 1000.0));
  });
  m["stripPort"] = StringFn(StripPort);
  m["stripDomain"] = StringFn(StripDomain);
  return m;
}

std::string AlertTemplateName(std::string_view alert_name) {
  return "__alert_" + std::string(alert_name);
}

// Rule texts do not change between evaluations, so each (alert, text) is parsed once; parsing
// costs several times what executing does. Bounded: cleared when it grows past the limit.
class ParseCache {
 public:
  ParseResult Get(const std::string& name, std::string_view text) {
    std::string key = name;
    key.push_back('\0');
    key.append(text);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = entries_.find(key); it != entries_.end()) return it->second;
    }
    std::string full(kAlertDefs);
    full += text;
    ParseResult parsed =
        Template::Parse(name, full, DefaultPrometheusFunctions(), MissingKey::kZero);
    std::lock_guard<std::mutex> lock(mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.emplace(std::move(key), parsed);
    return parsed;
  }

 private:
  static constexpr size_t kMaxEntries = 4096;
  std::mutex mu_;
  std::unordered_map<std::string, ParseResult> entries_;
};

ParseCache& GlobalParseCache() {
  static ParseCache cache;
  return cache;
}

}  // namespace

Value MakeQueryResult(const std::vector<QuerySample>& samples) {
  std::vector<Value> items;
  items.reserve(samples.size());
  for (const auto& s : samples) {
    items.push_back(
        Value::Struct({{"Labels", Value::FromLabels(s.labels)}, {"Value", Value::Float(s.value)}},
                      std::string(kSampleType), true));
  }
  return Value::List(std::move(items), std::string(kQueryResultType));
}

std::shared_ptr<const FuncMap> DefaultPrometheusFunctions() {
  static const std::shared_ptr<const FuncMap> kFuncs = [] {
    FuncMap m = StaticFunctions();
    for (auto& [name, fn] : ContextFunctions(PrometheusContext{})) m[name] = std::move(fn);
    return std::make_shared<const FuncMap>(std::move(m));
  }();
  return kFuncs;
}

FuncMap PrometheusFunctions(const PrometheusContext& ctx) {
  FuncMap m = *DefaultPrometheusFunctions();
  for (auto& [name, fn] : ContextFunctions(ctx)) m[name] = std::move(fn);
  return m;
}

AlertTemplateExpander::AlertTemplateExpander(std::string_view alert_name, const Labels& labels,
                                             double value, const Labels& external_labels,
                                             const PrometheusContext& ctx)
    : name_(AlertTemplateName(alert_name)), alert_name_(alert_name) {
  const std::string external_url =
      ctx.external_url_value.empty() ? ctx.external_url.value_or("") : ctx.external_url_value;
  data_ = Value::Struct({{"Labels", Value::FromLabels(labels)},
                         {"ExternalLabels", Value::FromLabels(external_labels)},
                         {"ExternalURL", Value::String(external_url)},
                         {"Value", Value::Float(value)}},
                        std::string(kAlertDataType));
  funcs_ = ContextFunctions(ctx);
}

bool AlertTemplateExpander::TryExpand(std::string_view text, std::string* out) const {
  g_expansions.fetch_add(1, std::memory_order_relaxed);
  const ParseResult parsed = GlobalParseCache().Get(name_, text);
  std::string error;
  if (!parsed.ok()) {
    g_parse_failures.fetch_add(1, std::memory_order_relaxed);
    error = "error parsing template " + name_ + ": " + parsed.error;
  } else {
    ExecResult result = parsed.tmpl->Execute(data_, &funcs_);
    if (result.ok()) {
      *out = std::move(result.output);
      return true;
    }
    g_execution_failures.fetch_add(1, std::memory_order_relaxed);
    error = "error executing template " + name_ + ": " + result.error;
  }
  log::Warn("Expanding alert template failed", {{"alert", alert_name_}, {"err", error}});
  *out = "<error expanding template: " + error + ">";
  return false;
}

std::string AlertTemplateExpander::Expand(std::string_view text) const {
  std::string out;
  TryExpand(text, &out);
  return out;
}

std::string ExpandAlertTemplate(std::string_view text, std::string_view alert_name,
                                const Labels& labels, double value, const Labels& external_labels,
                                const PrometheusContext& ctx) {
  return AlertTemplateExpander(alert_name, labels, value, external_labels, ctx).Expand(text);
}

std::string CheckAlertTemplate(std::string_view alert_name, std::string_view text) {
  std::string full(kAlertDefs);
  full += text;
  const ParseResult parsed = Template::Parse(AlertTemplateName(alert_name), full,
                                             DefaultPrometheusFunctions(), MissingKey::kZero);
  return parsed.error;
}

ExpansionStats GetExpansionStats() {
  return ExpansionStats{g_expansions.load(std::memory_order_relaxed),
                        g_parse_failures.load(std::memory_order_relaxed),
                        g_execution_failures.load(std::memory_order_relaxed)};
}

}  // namespace codebot::tmpl
