#!/usr/bin/env python3
"""Checks that the dashboards query metrics the services really export (deploy/ci/compose-test.sh
runs it after a training run, while the ensemble is up).

  check-dashboards.py --prometheus URL --metrics URL [--metrics URL ...] [--run RUN_ID] \\
      DASHBOARD.json CONSOLE.html
  check-dashboards.py --list DASHBOARD.json CONSOLE.html     the expressions and their metric names

Expressions come from the Grafana dashboard (every panel target, Grafana's variables replaced) and
from the Prometheus console template (the template's `query "..."` / `printf "..."` strings and the
JSON chart specs in <script id="chart-specs">). For each one:
  1. every metric name it selects must appear in the /metrics text of at least one of the given
     endpoints (the services themselves, not Prometheus, so a typo cannot hide behind a series that
     happens to exist), apart from `up`, which Prometheus makes itself;
  2. Prometheus must accept it and return at least one series (a panel with no data is a panel
     nobody can read), unless it has a negative matcher (errors: statusCode!="OK" may be none);
  3. every label its legend names (Grafana `{{label}}`, the console's label list) must be on the
     series it returns;
  4. with --run, a legend keyed by `run` must show that run.
With --wait SECONDS, an expression with no data yet is queried again until it has some or the time
is up: rate(x[1m]) of a series born in the last scrape or two (the reward service's counters appear
with the run's first Score call) has fewer than the two samples rate needs.
Exit status 1 with one line per problem.
"""
import argparse
import json
import re
import sys
import time
import urllib.parse
import urllib.request

GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "10s", "$__range": "1h",
                     "$component": ".*"}
# PromQL words that look like metric names: aggregation operators, keywords and modifiers.
KEYWORDS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
            "bottomk", "topk", "quantile", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"}
# Series Prometheus makes itself for every target.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


def metric_names(expr):
    """The metric names an expression selects (a small PromQL tokenizer, enough for dashboards)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)   # string literals
    e = re.sub(r"\{[^}]*\}", " ", e)                                     # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                                    # range selectors
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if rest.startswith("(") or word.lower() in KEYWORDS:
            continue                                                    # a function or keyword
        if m.start() > 0 and (e[m.start() - 1].isdigit() or e[m.start() - 1] == "."):
            continue                                                    # 1e3, 0.5s
        names.add(word)
    return names


def grafana_queries(path):
    """(where, expr, legend labels) for every target of every panel."""
    dashboard = json.load(open(path))
    panels = []
    for p in dashboard.get("panels", []):
        panels.append(p)
        panels.extend(p.get("panels", []))
    for p in panels:
        for t in p.get("targets", []):
            expr = t["expr"]
            for k, v in GRAFANA_VARIABLES.items():
                expr = expr.replace(k, v)
            labels = re.findall(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}", t.get("legendFormat", ""))
            yield f"grafana panel '{p['title']}' ({t.get('refId', '?')})", expr, labels


def console_queries(path):
    """(where, expr, legend labels, runnable) for the template's queries and the chart specs."""
    html = open(path).read()
    for m in re.finditer(r'\{\{[^}]*?\b(query|printf)\s+"((?:[^"\\]|\\.)*)"', html):
        expr = m.group(2).replace('\\"', '"')
        if re.fullmatch(r"%[-+ #0-9.]*[a-zA-Z]", expr):
            continue                                                    # a number format
        # printf formats hold %s placeholders: their metric names are checked, they are not run.
        yield f"console template {m.group(1)} \"{expr}\"", expr, [], "%" not in expr
    specs = re.search(r'<script type="application/json" id="chart-specs">(.*?)</script>', html, re.S)
    if not specs:
        yield "console", "", [], False
        return
    for section, title, _desc, expr, labels in json.loads(specs.group(1)):
        yield f"console chart '{section}: {title}'", expr, labels, True


def exported_names(urls):
    names = set()
    for url in urls:
        with urllib.request.urlopen(url, timeout=10) as r:
            for line in r.read().decode().splitlines():
                if line and not line.startswith("#"):
                    names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    return names


def prometheus_query(base, expr):
    url = base.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        body = json.load(e)
    if body.get("status") != "success":
        raise ValueError(body.get("error", "query failed"))
    return [s["metric"] for s in body["data"]["result"]]


def all_queries(dashboard, console):
    for where, expr, labels in grafana_queries(dashboard):
        yield where, expr, labels, True
    yield from console_queries(console)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--prometheus")
    ap.add_argument("--metrics", action="append", default=[])
    ap.add_argument("--run")
    ap.add_argument("--wait", type=float, default=0,
                    help="seconds to keep re-querying expressions that have no data yet")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("dashboard")
    ap.add_argument("console")
    args = ap.parse_args()

    queries = list(all_queries(args.dashboard, args.console))
    if args.list:
        for where, expr, labels, _ in queries:
            print(f"{where}: {expr}  -> {sorted(metric_names(expr))} legend {labels}")
        return
    if not args.prometheus or not args.metrics:
        sys.exit("--prometheus and --metrics are needed (or --list)")

    exported = exported_names(args.metrics)
    deadline = time.monotonic() + args.wait
    problems = []
    used = set()
    for where, expr, labels, runnable in queries:
        if not expr:
            problems.append(f"{where}: no <script id=\"chart-specs\"> block")
            continue
        names = metric_names(expr)
        used |= names
        if not names:
            problems.append(f"{where}: selects no metric: {expr}")
        for n in sorted(names - exported - SYNTHETIC):
            stem = re.sub(r"_(total|count|sum|bucket|max)$", "", n)
            near = sorted(e for e in exported if e.startswith(stem))[:4]
            problems.append(f"{where}: metric {n} is not exported by any service"
                            + (f" (exported: {', '.join(near)})" if near else "") + f": {expr}")
        if not runnable:
            continue
        try:
            series = prometheus_query(args.prometheus, expr)
            while not series and time.monotonic() < deadline and not re.search(r"!=|!~", expr):
                time.sleep(5)
                series = prometheus_query(args.prometheus, expr)
        except ValueError as e:
            problems.append(f"{where}: Prometheus rejects it ({e}): {expr}")
            continue
        if not series:
            # A negative matcher (statusCode!="OK") selects the exceptional case: no errors is
            # no data, not a wrong metric (whose name check above still applies).
            if not re.search(r"!=|!~", expr):
                problems.append(f"{where}: no data in Prometheus: {expr}")
            continue
        for label in labels:
            if not any(label in s for s in series):
                problems.append(f"{where}: legend label '{label}' is on none of its series "
                                f"(labels: {sorted(set().union(*series))}): {expr}")
        if args.run and "run" in labels and not any(s.get("run") == args.run for s in series):
            problems.append(f"{where}: run {args.run} is not among its series: {expr}")
    print(f"{len(queries)} expressions, {len(used)} metric names, checked against "
          f"{len(exported)} names exported by {len(args.metrics)} endpoints")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print("every dashboard and console expression selects exported metrics and shows data")


if __name__ == "__main__":
    main()
