#!/usr/bin/env python3
"""Checks that every Grafana dashboard in a folder is well formed and that every query of every
panel returns data from a real Prometheus.

    check_panels.py --prometheus http://127.0.0.1:9090 dashboards/
    check_panels.py --prometheus URL --allow-empty 'codebot_exporter_notification' --wait 60 DIR

Structure (no Prometheus needed, also alone with --structure-only): unique uid across the files,
no `__inputs`, a schemaVersion, a `datasource` variable (type datasource, query prometheus), `job`
and `instance` query variables, unique panel ids, a gridPos inside the 24-column grid with no two
panels overlapping, a non-empty `expr` in every target, panels and targets on `${datasource}`, and
every metric selector of a panel query filtered by `job=~"$job"` and `instance=~"$instance"` (the
bot's series come relayed through the sidecar, so the Prometheus scrape labels are the only way
to tell two sidecars apart).

Queries: template variables are substituted as Grafana does it — `$var`, `${var}`, `${var:fmt}`,
`[[var]]`; `$__rate_interval`, `$__interval`, `$__range`, `$__range_s`, `$__range_ms`, … — once
with every multi-value variable on "All" (its allValue, `.*`) and once with every variable on the
first value its own query returns (`--var-mode`). Variable queries (`label_values`, `query_result`,
`metrics`) run too and must return values. A panel query fails when Prometheus answers an error,
returns nothing, or returns only NaN. `--allow-empty REGEX` (repeatable) lets a query whose raw
expression or "uid/panel title" matches come back empty, for panels over metrics a later stage
adds; such queries are listed, and so are allow-listed ones that already return data.

Exit status: 0 all good, 1 a check failed, 2 bad usage or Prometheus unreachable.
Python 3 standard library only.
"""
import argparse
import json
import math
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DATASOURCE_REFS = ("${datasource}", "$datasource", "[[datasource]]")
PANELS_WITHOUT_QUERIES = {"row", "text", "news", "dashlist", "alertlist", "annolist", "welcome"}


# --------------------------------------------------------------------------------------------
# Loading and structure.

class Problem:
    def __init__(self, where, message, expr=None):
        self.where, self.message, self.expr = where, message, expr

    def __str__(self):
        text = f"{self.where}: {self.message}"
        if self.expr is not None:
            text += "\n      expr: " + self.expr.replace("\n", "\n            ")
        return text


def load_dashboards(folder):
    files = sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".json"))
    dashboards, problems = [], []
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                dashboards.append((os.path.basename(path), json.load(f)))
        except (OSError, ValueError) as e:
            problems.append(Problem(os.path.basename(path), f"cannot load: {e}"))
    if not files:
        problems.append(Problem(folder, "no *.json dashboards found"))
    return dashboards, problems


def all_panels(dashboard):
    """Every panel, including those inside (collapsed) rows, with its row nesting flag."""
    for panel in dashboard.get("panels") or []:
        yield panel, False
        for child in panel.get("panels") or []:
            yield child, True


def panel_where(name, dashboard, panel):
    return f'{name} (uid {dashboard.get("uid")}) panel {panel.get("id")} "{panel.get("title", "")}"'


def is_datasource_ref(ds):
    if ds is None:
        return True  # inherits the panel's (or the dashboard's default)
    if isinstance(ds, str):
        return ds in DATASOURCE_REFS
    if isinstance(ds, dict):
        return ds.get("uid") in DATASOURCE_REFS
    return False


def check_structure(dashboards):
    problems = []
    uids = {}
    for name, d in dashboards:
        if not isinstance(d, dict):
            problems.append(Problem(name, "not a JSON object"))
            continue
        uid = d.get("uid")
        if not uid or not isinstance(uid, str):
            problems.append(Problem(name, "no uid"))
        elif uid in uids:
            problems.append(Problem(name, f"uid {uid!r} also used by {uids[uid]}"))
        else:
            uids[uid] = name
        if not d.get("title"):
            problems.append(Problem(name, "no title"))
        if "__inputs" in d or "__requires" in d:
            problems.append(Problem(name, "exported 'for sharing externally' (__inputs/__requires): "
                                          "use the ${datasource} variable instead"))
        if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 36:
            problems.append(Problem(name, f"schemaVersion {d.get('schemaVersion')!r}: Grafana 9+ needs >= 36"))
        problems += check_variables(name, d)
        problems += check_panels(name, d)
    return problems


def variables_of(d):
    return ((d.get("templating") or {}).get("list")) or []


def variable_query(var):
    query = var.get("query")
    if isinstance(query, dict):
        query = query.get("query")
    return query if isinstance(query, str) else ""


def check_variables(name, d):
    problems = []
    variables = {v.get("name"): v for v in variables_of(d)}
    ds = variables.get("datasource")
    if not ds:
        problems.append(Problem(name, "no 'datasource' template variable"))
    elif ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append(Problem(name, "variable 'datasource' must be of type datasource with query prometheus"))
    for required in ("job", "instance"):
        var = variables.get(required)
        if not var:
            problems.append(Problem(name, f"no '{required}' template variable"))
        elif var.get("type") != "query" or "label_values" not in variable_query(var):
            problems.append(Problem(name, f"variable '{required}' must be a label_values(...) query variable"))
    for var in variables_of(d):
        if var.get("type") == "query":
            if not is_datasource_ref(var.get("datasource")):
                problems.append(Problem(name, f"variable '{var.get('name')}' does not use ${{datasource}}"))
            if not variable_query(var).strip():
                problems.append(Problem(name, f"variable '{var.get('name')}' has no query"))
    return problems


def check_panels(name, d):
    problems = []
    ids = {}
    boxes = []
    for panel, nested in all_panels(d):
        where = panel_where(name, d, panel)
        pid = panel.get("id")
        if not isinstance(pid, int):
            problems.append(Problem(where, "panel id missing or not an integer"))
        elif pid in ids:
            problems.append(Problem(where, f"panel id {pid} also used by \"{ids[pid]}\""))
        else:
            ids[pid] = panel.get("title", "")
        if not panel.get("type"):
            problems.append(Problem(where, "no panel type"))
        pos = panel.get("gridPos")
        if not isinstance(pos, dict) or not all(isinstance(pos.get(k), int) for k in ("h", "w", "x", "y")):
            problems.append(Problem(where, "gridPos missing or incomplete (h, w, x, y)"))
        elif pos["w"] <= 0 or pos["h"] <= 0 or pos["x"] < 0 or pos["y"] < 0 or pos["x"] + pos["w"] > 24:
            problems.append(Problem(where, f"gridPos {pos} outside the 24-column grid"))
        elif not nested:
            for other_where, other in boxes:
                if (pos["x"] < other["x"] + other["w"] and other["x"] < pos["x"] + pos["w"] and
                        pos["y"] < other["y"] + other["h"] and other["y"] < pos["y"] + pos["h"]):
                    problems.append(Problem(where, f"gridPos overlaps {other_where}"))
            boxes.append((where, pos))
        if panel.get("type") in PANELS_WITHOUT_QUERIES:
            continue
        if not is_datasource_ref(panel.get("datasource")):
            problems.append(Problem(where, f"datasource {panel.get('datasource')!r} is not ${{datasource}}"))
        targets = panel.get("targets") or []
        if not targets:
            problems.append(Problem(where, "no targets"))
        refs = set()
        for target in targets:
            ref = target.get("refId")
            if not ref or ref in refs:
                problems.append(Problem(where, f"target refId {ref!r} missing or repeated"))
            refs.add(ref)
            if not is_datasource_ref(target.get("datasource")):
                problems.append(Problem(where, f"target {ref} datasource is not ${{datasource}}"))
            expr = target.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                problems.append(Problem(where, f"target {ref} has no expr"))
                continue
            for message in lint_selectors(expr):
                problems.append(Problem(f"{where} target {ref}", message, expr))
    return problems


# --------------------------------------------------------------------------------------------
# A small PromQL tokenizer, enough to find the metric selectors of an expression.

TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<var>\$\{[^}]*\}|\$\w+|\[\[\w+(?::\w+)?\]\])
  | (?P<number>(?:0[xX][0-9a-fA-F]+|\d*\.?\d+(?:[eE][+-]?\d+)?)(?:[a-zA-Z]+\d*)*)
  | (?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<open_brace>\{)
  | (?P<open_bracket>\[)
  | (?P<punct>==|!=|>=|<=|=~|!~|[-+*/%^<>=(),@])
""", re.VERBOSE)
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
OTHER_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2", "start", "end"}
JOB_FILTER = re.compile(r'\bjob\s*=~\s*"(\$job|\$\{job(:[a-z]+)?\})"')
INSTANCE_FILTER = re.compile(r'\binstance\s*=~\s*"(\$instance|\$\{instance(:[a-z]+)?\})"')


def tokenize(expr):
    tokens, i = [], 0
    while i < len(expr):
        if expr[i] in "{[":
            close = "}" if expr[i] == "{" else "]"
            j, in_string = i + 1, None
            while j < len(expr):
                c = expr[j]
                if in_string:
                    if c == "\\":
                        j += 1
                    elif c == in_string:
                        in_string = None
                elif c in "\"'`":
                    in_string = c
                elif c == close:
                    break
                j += 1
            tokens.append(("braces" if close == "}" else "brackets", expr[i:j + 1]))
            i = j + 1
            continue
        m = TOKEN.match(expr, i)
        if not m:
            tokens.append(("other", expr[i]))
            i += 1
            continue
        if m.lastgroup != "space":
            tokens.append((m.lastgroup, m.group()))
        i = m.end()
    return tokens


def lint_selectors(expr):
    """Messages for every metric selector not filtered by job=~"$job" and instance=~"$instance"."""
    tokens = tokenize(expr)
    messages = []
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else (None, None)
        if kind == "ident":
            word = text.lower()
            if word in LABEL_LIST_KEYWORDS:
                if nxt == ("punct", "("):
                    depth, i = 0, i + 1
                    while i < len(tokens):
                        if tokens[i] == ("punct", "("):
                            depth += 1
                        elif tokens[i] == ("punct", ")"):
                            depth -= 1
                            if depth == 0:
                                break
                        i += 1
                i += 1
                continue
            if word in OTHER_KEYWORDS:
                i += 1
                continue
            if nxt == ("punct", "(") or (nxt[0] == "ident" and nxt[1].lower() in ("by", "without")):
                i += 1  # a function or an aggregation
                continue
            matchers = nxt[1] if nxt[0] == "braces" else ""
            messages += selector_messages(text, matchers)
            i += 2 if matchers else 1
            continue
        if kind == "braces":
            messages += selector_messages("", text)
        i += 1
    return messages


def selector_messages(name, matchers):
    missing = []
    if not JOB_FILTER.search(matchers):
        missing.append('job=~"$job"')
    if not INSTANCE_FILTER.search(matchers):
        missing.append('instance=~"$instance"')
    if not missing:
        return []
    return [f"selector {name}{matchers} lacks {' and '.join(missing)}"]


# --------------------------------------------------------------------------------------------
# Template variables, as Grafana's Prometheus data source interpolates them.

VARIABLE = re.compile(r"\$(\w+)|\[\[(\w+)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}")
REGEX_SPECIAL = re.compile(r"[$^*{}\[\]'+?.()|\\]")


def regular_escape(value):
    return value.replace("\\", "\\\\").replace("'", "\\'")


def regex_escape(value):
    # Grafana's prometheusSpecialRegexEscape: a backslash before every regex metacharacter, itself
    # escaped for the PromQL string literal the value lands in.
    return REGEX_SPECIAL.sub(lambda m: "\\\\" + m.group(), value)


def duration_text(seconds):
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def parse_duration(text):
    m = re.fullmatch(r"((?:\d+[smhdwy])+|\d+)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r}")
    if text.isdigit():
        return int(text)
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smhdwy])", text))


class Interpolator:
    def __init__(self, args, now):
        rng = args.range
        self.builtins = {
            "__rate_interval": duration_text(args.rate_interval),
            "__rate_interval_ms": str(args.rate_interval * 1000),
            "__interval": duration_text(args.interval),
            "__interval_ms": str(args.interval * 1000),
            "__range": f"{rng}s",
            "__range_s": str(rng),
            "__range_ms": str(rng * 1000),
            "__from": str(int((now - rng) * 1000)),
            "__to": str(int(now * 1000)),
        }
        self.values = {}  # name -> (variable json, selected values list or "$__all")

    def set(self, var, selected):
        self.values[var["name"]] = (var, selected)

    def value_text(self, name, fmt):
        if name in self.builtins:
            return self.builtins[name]
        if name not in self.values:
            return None
        var, selected = self.values[name]
        if name == "datasource":
            return selected
        if selected == "$__all":
            if var.get("allValue"):
                return var["allValue"]  # Grafana uses a custom all value unescaped
            selected = var.get("_all_values", [])
        values = selected if isinstance(selected, list) else [selected]
        if fmt == "raw":
            return ",".join(values)
        if fmt == "queryparam":
            return "&".join(f"var-{name}={urllib.parse.quote(v)}" for v in values)
        if fmt in ("regex", None) and (var.get("multi") or var.get("includeAll") or fmt == "regex"):
            escaped = [regex_escape(v) for v in values]
            return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
        if fmt == "pipe":
            return "|".join(values)
        if fmt == "csv":
            return ",".join(values)
        return regular_escape(values[0]) if len(values) == 1 else "(" + "|".join(values) + ")"

    def __call__(self, text):
        def replace(m):
            name = m.group(1) or m.group(2) or m.group(4)
            fmt = m.group(3) or m.group(6)
            value = self.value_text(name, fmt)
            return m.group() if value is None else value
        return VARIABLE.sub(replace, text)

    def unresolved(self, text):
        """Built-in or dashboard variables still present after interpolation."""
        return sorted({m.group() for m in VARIABLE.finditer(text)
                       if (m.group(1) or m.group(2) or m.group(4) or "").startswith("__")})


# --------------------------------------------------------------------------------------------
# Prometheus.

class Prometheus:
    def __init__(self, url, timeout):
        self.base = url.rstrip("/")
        self.timeout = timeout

    def get(self, path, params):
        url = self.base + path + "?" + urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = json.load(response)
        except urllib.error.HTTPError as e:
            try:
                body = json.load(e)
            except ValueError:
                return None, f"HTTP {e.code}"
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise ConnectionError(f"{self.base}: {e}") from e
        if body.get("status") != "success":
            return None, f"{body.get('errorType', 'error')}: {body.get('error', body)}"
        return body.get("data"), None

    def query(self, expr, args, now):
        if args.query_type == "range":
            return self.get("/api/v1/query_range", {"query": expr, "start": now - args.lookback,
                                                    "end": now, "step": args.step})
        return self.get("/api/v1/query", {"query": expr, "time": now})


def has_data(data):
    """(True, "") when the result holds at least one number that is not NaN."""
    result_type, result = data.get("resultType"), data.get("result")
    if result_type in ("scalar", "string"):
        values = [result[1]]
    elif result_type == "vector":
        values = [sample["value"][1] for sample in result]
    elif result_type == "matrix":
        values = [point[1] for series in result for point in series.get("values", [])]
    else:
        return False, f"unexpected result type {result_type!r}"
    if not values:
        return False, "no data"
    if result_type == "string":
        return True, ""
    if all(math.isnan(float(v)) for v in values):
        return False, f"only NaN ({len(values)} values)"
    return True, ""


LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(?P<selector>.*)\s*,\s*)?(?P<label>\w+)\s*\)\s*$", re.S)
QUERY_RESULT = re.compile(r"^\s*query_result\((?P<expr>.*)\)\s*$", re.S)
METRICS = re.compile(r"^\s*metrics\((?P<regex>.*)\)\s*$", re.S)


def run_variable_query(prom, query, now, args):
    """The values of a query variable, or (None, error)."""
    m = LABEL_VALUES.match(query)
    if m:
        params = {"start": now - args.range, "end": now}
        if m.group("selector"):
            params["match[]"] = m.group("selector").strip()
        data, error = prom.get(f"/api/v1/label/{m.group('label')}/values", params)
        return (None, error) if error else (sorted(data or []), None)
    m = QUERY_RESULT.match(query)
    if m:
        data, error = prom.get("/api/v1/query", {"query": m.group("expr"), "time": now})
        if error:
            return None, error
        return [json.dumps(s["metric"], sort_keys=True) for s in data.get("result", [])], None
    m = METRICS.match(query)
    if m:
        data, error = prom.get("/api/v1/label/__name__/values", {})
        if error:
            return None, error
        pattern = re.compile(m.group("regex").strip())
        return [n for n in data if pattern.search(n)], None
    return None, f"unsupported variable query {query!r}"


def apply_variable_regex(var, values):
    regex = var.get("regex") or ""
    if not regex:
        return values
    pattern = re.compile(regex.strip("/"))
    out = []
    for v in values:
        m = pattern.search(v)
        if m:
            out.append(m.group(1) if m.groups() else v)
    return out


def sort_values(var, values):
    order = var.get("sort") or 0
    if order in (1, 2):
        return sorted(values, reverse=order == 2)
    if order in (3, 4):
        def key(v):
            m = re.search(r"-?\d+(\.\d+)?", v)
            return float(m.group()) if m else math.inf
        return sorted(values, key=key, reverse=order == 4)
    if order in (5, 6):
        return sorted(values, key=str.lower, reverse=order == 6)
    return values


# --------------------------------------------------------------------------------------------

def allowed_empty(patterns, expr, dashboard, panel_title):
    label = f"{dashboard.get('uid')}/{panel_title}"
    return any(p.search(expr) or p.search(label) for p in patterns)


def collect_queries(dashboards, prom, args, mode, now):
    """One entry per variable query and panel target of every dashboard, interpolated for mode."""
    checks = []
    for name, d in dashboards:
        interp = Interpolator(args, now)
        for var in variables_of(d):
            vname, vtype = var.get("name"), var.get("type")
            if vtype == "datasource":
                interp.set(var, "prometheus")
            elif vtype == "query":
                query = interp(variable_query(var))
                values, error = run_variable_query(prom, query, now, args)
                if values is not None:
                    values = sort_values(var, apply_variable_regex(var, values))
                checks.append({"where": f'{name} (uid {d.get("uid")}) variable "{vname}"',
                               "expr": query, "raw": variable_query(var), "title": f"${vname}",
                               "dashboard": d, "error": error,
                               "empty": values is not None and not values, "variable": True})
                var = dict(var, _all_values=values or [])
                if mode == "all" and var.get("includeAll"):
                    interp.set(var, "$__all")
                else:
                    interp.set(var, [values[0]] if values else ["<no value>"])
            elif vtype in ("custom", "constant", "interval", "textbox"):
                current = (var.get("current") or {}).get("value")
                if current in (None, "", [], "$__all", ["$__all"]):
                    options = [o.get("value") for o in var.get("options") or []]
                    current = options[0] if options else var.get("query", "")
                interp.set(var, current if isinstance(current, list) else [current])
        for panel, _ in all_panels(d):
            if panel.get("type") in PANELS_WITHOUT_QUERIES:
                continue
            for target in panel.get("targets") or []:
                raw = target.get("expr")
                if not isinstance(raw, str) or not raw.strip() or target.get("hide"):
                    continue
                checks.append({"where": f'{panel_where(name, d, panel)} target {target.get("refId")}',
                               "expr": interp(raw), "raw": raw, "title": panel.get("title", ""),
                               "dashboard": d, "variable": False,
                               "unresolved": interp.unresolved(interp(raw))})
    return checks


def run_checks(checks, prom, args, now, patterns):
    failures, allowed, allowed_but_data = [], [], []
    for c in checks:
        mode_note = f" [{c['mode']}]"
        if c.get("unresolved"):
            failures.append(Problem(c["where"] + mode_note, "unknown built-in variable(s) "
                                    + ", ".join(c["unresolved"]), c["expr"]))
            continue
        if c["variable"]:
            error, ok, why = c["error"], not c["empty"], "variable query returned no values"
        else:
            data, error = prom.query(c["expr"], args, now)
            ok, why = has_data(data) if error is None else (False, "")
        if error is not None:
            failures.append(Problem(c["where"] + mode_note, f"query error: {error}", c["expr"]))
            continue
        is_allowed = allowed_empty(patterns, c["raw"], c["dashboard"], c["title"])
        if ok:
            if is_allowed:
                allowed_but_data.append(c)
            continue
        if is_allowed:
            allowed.append(c)
            continue
        failures.append(Problem(c["where"] + mode_note, why, c["expr"]))
    return failures, allowed, allowed_but_data


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("dashboards", help="folder of Grafana dashboard JSON files")
    parser.add_argument("--prometheus", metavar="URL", help="Prometheus base URL, e.g. http://127.0.0.1:9090")
    parser.add_argument("--allow-empty", metavar="REGEX", action="append", default=[],
                        help="queries (raw expr) or panels (uid/title) matching may return no data")
    parser.add_argument("--var-mode", choices=("all", "first", "both"), default="both",
                        help="variables on All, on their first value, or both passes (default)")
    parser.add_argument("--rate-interval", type=parse_duration, default="1m", help="$__rate_interval (1m)")
    parser.add_argument("--interval", type=parse_duration, default="15s", help="$__interval (15s)")
    parser.add_argument("--range", type=parse_duration, default="1h",
                        help="dashboard time range, for $__range and variable queries (1h)")
    parser.add_argument("--query-type", choices=("instant", "range"), default="instant",
                        help="instant queries at now (default), or range queries over --lookback")
    parser.add_argument("--lookback", type=parse_duration, default="5m", help="range of --query-type range (5m)")
    parser.add_argument("--step", type=parse_duration, default="15s", help="step of --query-type range (15s)")
    parser.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                        help="re-run failing queries until they pass or this much time has gone")
    parser.add_argument("--timeout", type=float, default=10, help="per-request timeout in seconds")
    parser.add_argument("--structure-only", action="store_true", help="check the JSON, query nothing")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every query")
    args = parser.parse_args()

    patterns = [re.compile(p) for p in args.allow_empty]
    dashboards, problems = load_dashboards(args.dashboards)
    problems += check_structure(dashboards)
    if problems:
        print(f"FAIL: {len(problems)} structural problem(s):")
        for p in problems:
            print("  " + str(p))
        return 1
    panel_count = sum(1 for _, d in dashboards for p, _ in all_panels(d)
                      if p.get("type") not in PANELS_WITHOUT_QUERIES)
    print(f"structure OK: {len(dashboards)} dashboards, {panel_count} panels")
    if args.structure_only:
        return 0
    if not args.prometheus:
        parser.error("--prometheus is required unless --structure-only")

    prom = Prometheus(args.prometheus, args.timeout)
    modes = ("all", "first") if args.var_mode == "both" else (args.var_mode,)
    deadline = time.time() + args.wait
    while True:
        now = time.time()
        try:
            checks = []
            for mode in modes:
                for c in collect_queries(dashboards, prom, args, mode, now):
                    c["mode"] = mode
                    checks.append(c)
            failures, allowed, allowed_but_data = run_checks(checks, prom, args, now, patterns)
        except ConnectionError as e:
            print(f"cannot reach Prometheus: {e}", file=sys.stderr)
            if time.time() >= deadline:
                return 2
            time.sleep(2)
            continue
        if not failures or time.time() >= deadline:
            break
        if args.verbose:
            print(f"{len(failures)} failing, retrying …")
        time.sleep(2)

    if args.verbose:
        for c in checks:
            print(f"  [{c['mode']}] {c['where']}: {c['expr']}".replace("\n", " "))
    print(f"ran {len(checks)} queries ({len(checks) // len(modes)} per pass; variables: "
          f"{', '.join(modes)}) against {args.prometheus}")
    if allowed:
        print(f"allowed to be empty (--allow-empty), and empty: {len({c['where'] for c in allowed})}")
        for where in sorted({c["where"] for c in allowed}):
            print("  " + where)
    if allowed_but_data:
        print("allow-listed but returning data (the allow-list entry can go):")
        for where in sorted({c["where"] for c in allowed_but_data}):
            print("  " + where)
    if failures:
        print(f"FAIL: {len(failures)} queries failed:")
        for f in failures:
            print("  " + str(f))
        return 1
    print("OK: every query returned data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
