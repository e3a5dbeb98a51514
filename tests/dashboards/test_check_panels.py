#!/usr/bin/env python3
"""Unit tests of check_panels.py, and its structural check of the shipped dashboards.

    python3 tests/dashboards/test_check_panels.py

No Prometheus needed: the live check is check_panels.py itself, run by the integration test.
"""
import argparse
import copy
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_panels  # noqa: E402

DASHBOARDS = os.path.join(HERE, "..", "..", "dashboards")
SEL = 'job=~"$job", instance=~"$instance"'


def args(**overrides):
    values = dict(rate_interval=60, interval=15, range=3600)
    values.update(overrides)
    return argparse.Namespace(**values)


def minimal_dashboard(uid="x", exprs=("up{%s}" % SEL,)):
    ds = {"type": "prometheus", "uid": "${datasource}"}
    return {
        "uid": uid, "title": uid, "schemaVersion": 37,
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus"},
            {"name": "job", "type": "query", "datasource": ds, "includeAll": True,
             "query": {"query": "label_values(codebot_exporter_build_info, job)"}},
            {"name": "instance", "type": "query", "datasource": ds, "includeAll": True,
             "query": 'label_values(codebot_exporter_build_info{job=~"$job"}, instance)'},
        ]},
        "panels": [{"id": i + 1, "type": "timeseries", "title": f"p{i}", "datasource": ds,
                    "gridPos": {"h": 4, "w": 6, "x": 6 * i % 24, "y": 4 * (6 * i // 24)},
                    "targets": [{"refId": "A", "datasource": ds, "expr": e}]}
                   for i, e in enumerate(exprs)],
    }


class SelectorLint(unittest.TestCase):
    def test_filtered_selectors_pass(self):
        for expr in [
            f"sum by (operation) (rate(codebot_requests_total{{{SEL}}}[$__rate_interval]))",
            f"a{{{SEL}}} / on (x) group_left (y) b{{{SEL}}}",
            f'label_replace(a{{{SEL}}}, "g", "$1", "rule_group", ".*;(.*)")',
            f"count(a{{{SEL}}} > time()) or vector(0)",
            'x{job=~"${job}", instance=~"${instance:regex}"}',
            f"histogram_quantile(0.95, sum without (instance) (rate(h_bucket{{{SEL}}}[5m])))",
        ]:
            self.assertEqual(check_panels.lint_selectors(expr), [], expr)

    def test_unfiltered_selectors_fail(self):
        for expr, culprit in [
            ("sum by (job) (rate(foo[5m]))", "foo"),
            ('rate(foo{job=~"$job"}[5m])', "instance"),
            ('foo{job="bot", instance=~"$instance"}', 'job=~"$job"'),
            (f"topk(5, sum without (a) (up)) / x{{{SEL}}}", "up"),
            ('{__name__="x"}', "__name__"),
            ("a:b:c offset 5m", "a:b:c"),
        ]:
            messages = check_panels.lint_selectors(expr)
            self.assertEqual(len(messages), 1, expr)
            self.assertIn(culprit, messages[0])


class Interpolation(unittest.TestCase):
    def interp(self, mode_values, **var_fields):
        interp = check_panels.Interpolator(args(), now=1_000_000)
        for name, selected in mode_values.items():
            var = {"name": name, "type": "query", "includeAll": True}
            var.update(var_fields.get(name, {}))
            interp.set(var, selected)
        return interp

    def test_builtins(self):
        interp = self.interp({})
        self.assertEqual(interp("rate(x[$__rate_interval]) [${__interval}] $__range $__range_s"),
                         "rate(x[1m]) [15s] 3600s 3600")
        self.assertEqual(interp.unresolved(interp("x[$__nonsense]")), ["$__nonsense"])

    def test_all_value_and_escaping(self):
        interp = self.interp(
            {"job": "$__all", "instance": ["10.0.0.1:9877"], "op": "$__all"},
            job={"allValue": None, "_all_values": ["a.b", "c"]},
            op={"allValue": ".*"})
        self.assertEqual(interp('{job=~"$job", instance=~"${instance}", op=~"[[op]]"}'),
                         r'{job=~"(a\\.b|c)", instance=~"10\\.0\\.0\\.1:9877", op=~".*"}')

    def test_single_value_variable_is_not_regex_escaped(self):
        interp = self.interp({"v": ["a.b"]}, v={"includeAll": False, "multi": False})
        self.assertEqual(interp('x{l="$v"}'), 'x{l="a.b"}')


class Results(unittest.TestCase):
    def test_has_data(self):
        ok = check_panels.has_data
        self.assertTrue(ok({"resultType": "vector", "result": [{"value": [1, "0"]}]})[0])
        self.assertFalse(ok({"resultType": "vector", "result": []})[0])
        self.assertEqual(ok({"resultType": "vector", "result": [{"value": [1, "NaN"]}]})[1],
                         "only NaN (1 values)")
        self.assertTrue(ok({"resultType": "vector",
                            "result": [{"value": [1, "NaN"]}, {"value": [1, "2"]}]})[0])
        self.assertTrue(ok({"resultType": "matrix", "result": [{"values": [[1, "3"]]}]})[0])
        self.assertTrue(ok({"resultType": "scalar", "result": [1, "0"]})[0])


class Structure(unittest.TestCase):
    def problems(self, *dashboards):
        return [str(p) for p in check_panels.check_structure(
            [(f"{d['uid']}.json", d) for d in dashboards])]

    def test_minimal_dashboard_passes(self):
        self.assertEqual(self.problems(minimal_dashboard()), [])

    def test_each_rule(self):
        cases = []
        d = minimal_dashboard(exprs=("a{%s}" % SEL, "b{%s}" % SEL))
        d["panels"][1]["id"] = 1
        cases.append((d, "panel id 1 also used"))
        d = minimal_dashboard(exprs=("a{%s}" % SEL, "b{%s}" % SEL))
        d["panels"][1]["gridPos"] = dict(d["panels"][0]["gridPos"], x=3)
        cases.append((d, "overlaps"))
        d = minimal_dashboard()
        del d["panels"][0]["gridPos"]
        cases.append((d, "gridPos missing"))
        d = minimal_dashboard()
        d["panels"][0]["targets"][0]["expr"] = " "
        cases.append((d, "has no expr"))
        d = minimal_dashboard()
        d["panels"][0]["datasource"] = {"type": "prometheus", "uid": "abc123"}
        cases.append((d, "is not ${datasource}"))
        d = minimal_dashboard()
        d["templating"]["list"] = d["templating"]["list"][1:]
        cases.append((d, "no 'datasource' template variable"))
        d = minimal_dashboard()
        d["templating"]["list"] = d["templating"]["list"][:2]
        cases.append((d, "no 'instance' template variable"))
        d = minimal_dashboard()
        d["__inputs"] = []
        cases.append((d, "__inputs"))
        d = minimal_dashboard(exprs=("up",))
        cases.append((d, "lacks job"))
        for dashboard, expected in cases:
            problems = self.problems(dashboard)
            self.assertTrue(any(expected in p for p in problems), (expected, problems))

    def test_duplicate_uid(self):
        a = minimal_dashboard("same")
        problems = self.problems(a, copy.deepcopy(a))
        self.assertTrue(any("also used by" in p for p in problems), problems)


class ShippedDashboards(unittest.TestCase):
    def test_structure(self):
        dashboards, problems = check_panels.load_dashboards(DASHBOARDS)
        problems += check_panels.check_structure(dashboards)
        self.assertEqual([str(p) for p in problems], [])

    def test_the_guides_links_and_the_other_uids_exist(self):
        dashboards, _ = check_panels.load_dashboards(DASHBOARDS)
        uids = {d["uid"] for _, d in dashboards}
        self.assertLessEqual({"main", "errors", "latency", "perf", "github", "postgres", "sidecar"}, uids)

    def test_files_are_plain_json(self):
        for name in os.listdir(DASHBOARDS):
            if name.endswith(".json"):
                with open(os.path.join(DASHBOARDS, name), encoding="utf-8") as f:
                    self.assertIsInstance(json.load(f).get("panels"), list, name)


if __name__ == "__main__":
    unittest.main()
