#!/usr/bin/env python3
"""Assembles the seed corpus of every fuzz target from files already in the repository.

    fuzz/corpus.py OUT_DIR [SHARED_DIR]

Writes OUT_DIR/<target>/<sha1> files (one input each), read at run time from:
  - fuzz/seeds/<target>/            small hand-written seeds (committed)
  - tests/data, examples/, rules/   the project's own data, configs, rule files and rule tests
  - tests/unit/**/*_test.cc         the string literals of the parsers' own unit tests
  - SHARED_DIR/conformance          Prometheus' PromQL .test files and promtool rule tests,
    SHARED_DIR/reference            and Alertmanager's captured payloads (read from there,
                                    never copied into the repository)
Nothing is downloaded; a missing SHARED_DIR only makes the corpus smaller.
"""

import hashlib
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

try:  # optional: finer seeds (expressions, templates, values) from YAML files
    import yaml
except ImportError:  # pragma: no cover - the whole files still go in
    yaml = None


class Corpus:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.counts = {}

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        if not data or len(data) > 64 * 1024:
            return
        folder = os.path.join(self.out_dir, target)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, hashlib.sha1(data).hexdigest())
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            self.counts[target] = self.counts.get(target, 0) + 1


def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


def files(folder, suffixes):
    if not os.path.isdir(folder):
        return []
    found = []
    for root, _, names in os.walk(folder):
        for name in sorted(names):
            if name.endswith(suffixes):
                found.append(os.path.join(root, name))
    return sorted(found)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'",
            "a": "\a", "b": "\b", "f": "\f", "v": "\v", "?": "?"}


def unescape_c(text):
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 == len(text):
            out.append(c)
            i += 1
            continue
        e = text[i + 1]
        if e == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", text[i + 2:])
            digits = m.group(0) if m else ""
            out.append(chr(int(digits, 16)) if digits else "x")
            i += 2 + len(digits)
        elif e in "01234567":
            m = re.match(r"[0-7]{1,3}", text[i + 1:])
            out.append(chr(int(m.group(0), 8)))
            i += 1 + len(m.group(0))
        else:
            out.append(_ESCAPES.get(e, e))
            i += 2
    return "".join(out)


_RAW = re.compile(r'R"([^(\s]{0,16})\((.*?)\)\1"', re.S)
_PLAIN = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def cpp_strings(path):
    """The string literals of a C++ file: raw ones, and runs of adjacent plain ones joined."""
    text = read(path)
    strings = [m.group(2) for m in _RAW.finditer(text)]
    text = _RAW.sub('""', text)
    for line_run in re.finditer(r'(?:"(?:[^"\\\n]|\\.)*"\s*)+', text):
        parts = _PLAIN.findall(line_run.group(0))
        strings.append("".join(unescape_c(p) for p in parts))
    return [s for s in strings if s]


def yaml_docs(path):
    if yaml is None:
        return []
    try:
        return [d for d in yaml.safe_load_all(read(path)) if d is not None]
    except Exception:  # a deliberately broken fixture
        return []


def walk_values(node, keys):
    """Yields (key, value) for every scalar value under a key in `keys`, anywhere in node."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in keys and isinstance(v, (str, int, float)):
                yield k, str(v)
            elif k in keys and isinstance(v, dict):
                for inner in v.values():
                    if isinstance(inner, str):
                        yield k, inner
            yield from walk_values(v, keys)
    elif isinstance(node, list):
        for item in node:
            yield from walk_values(item, keys)


def promql_test_file(corpus, path):
    """Prometheus' .test format: `load <step>` blocks of series lines, `eval ... <expr>`."""
    in_load = False
    for line in read(path).splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            in_load = False
            continue
        if stripped.startswith("load "):
            in_load = True
            corpus.add("duration", stripped.split()[1])
            continue
        m = re.match(r"eval(?:_fail|_ordered)?\s+instant\s+at\s+(\S+)\s+(.*)$", stripped)
        if m:
            in_load = False
            corpus.add("duration", m.group(1))
            corpus.add("promql", m.group(2))
            continue
        if line[:1] in (" ", "\t"):
            corpus.add("series_notation", stripped)
            if not in_load:  # an expected result: a series and its value
                corpus.add("series_notation", stripped.rsplit(None, 1)[0])


def rule_file(corpus, path):
    corpus.add("rule_file", read(path))
    for doc in yaml_docs(path):
        for key, value in walk_values(doc, {"expr", "for", "interval", "keep_firing_for",
                                            "annotations", "labels"}):
            if key == "expr":
                corpus.add("promql", value)
            elif key in ("annotations", "labels"):
                corpus.add("template", value)
            else:
                corpus.add("duration", value)


def rule_test_file(corpus, path):
    text = read(path)
    # The fuzz target runs next to rules.yml plus the repository's alerts.yml and the shared
    # bot-alerts.rules.yml, all in one folder: point the test at them by base name.
    text = re.sub(r"(^\s*-\s*)(\S*/)?([\w.-]+\.ya?ml)\s*$", r"\1\3", text, flags=re.M)
    corpus.add("rule_tests", text)
    for doc in yaml_docs(path):
        for key, value in walk_values(doc, {"expr", "values", "series", "labels", "eval_time",
                                            "interval", "evaluation_interval", "exp_annotations"}):
            if key == "expr":
                corpus.add("promql", value)
            elif key in ("values", "series", "labels"):
                corpus.add("series_notation", value)
            elif key == "exp_annotations":
                corpus.add("template", value)
            else:
                corpus.add("duration", value)


def main():
    out_dir = sys.argv[1]
    shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(REPO), "shared")
    corpus = Corpus(out_dir)
    r = lambda *p: os.path.join(REPO, *p)

    # Hand-written seeds.
    seeds = r("fuzz", "seeds")
    if os.path.isdir(seeds):
        for target in sorted(os.listdir(seeds)):
            for path in files(os.path.join(seeds, target), ("",)):
                with open(path, "rb") as f:
                    corpus.add(target, f.read())

    # Exposition format and JSON documents.
    for path in files(r("tests", "data"), (".prom", ".txt")):
        corpus.add("expfmt", read(path))
    for path in files(r("tests", "data"), (".json",)):
        corpus.add("json_mapper", read(path))
        corpus.add("webhook_payload", read(path))
    for path in files(os.path.join(shared, "reference", "alertmanager-0.25"), (".json",)):
        corpus.add("json_mapper", read(path))
        corpus.add("webhook_payload", read(path))

    # Configuration, rule files, rule tests.
    for path in files(r("examples"), (".yml", ".yaml")):
        corpus.add("config", read(path))
    for path in files(r("rules"), (".yml", ".yaml")):
        if "/tests/" in path:
            rule_test_file(corpus, path)
        else:
            rule_file(corpus, path)
            corpus.add("config", read(path))
    conformance = os.path.join(shared, "conformance")
    for path in files(os.path.join(conformance, "rules"), (".yml", ".yaml")):
        if path.endswith("_test.yml"):
            rule_test_file(corpus, path)
        else:
            rule_file(corpus, path)
    for path in files(os.path.join(conformance, "promql"), (".test",)):
        promql_test_file(corpus, path)

    # The parsers' own unit tests: their literals are the inputs they were written against.
    unit = lambda *p: files(r("tests", "unit", *p), ("_test.cc",))
    by_target = {
        "expfmt": unit("expfmt") + unit("store"),
        "json_mapper": unit("collect_bot"),
        "config": unit("config"),
        "promql": unit("promql"),
        "series_notation": unit("promql"),
        "template": unit("template"),
        "duration": unit("core"),
        "webhook_payload": unit("alerts_webhook"),
    }
    for target, paths in by_target.items():
        for path in paths:
            for s in cpp_strings(path):
                corpus.add(target, s)
    for path in unit("rules"):
        for s in cpp_strings(path):
            if "groups:" in s:
                corpus.add("rule_file", s)
            elif "tests:" in s:
                corpus.add("rule_tests", s)
            else:
                corpus.add("promql", s)
                corpus.add("template", s)

    for target in sorted(corpus.counts):
        print(f"{target}: {corpus.counts[target]} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
