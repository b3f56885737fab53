#!/usr/bin/env python3
"""Static checks of the Grafana files (Grafana itself is not installable here: no registry, and
it is not packaged in Debian bookworm).

  check-grafana.py deploy/grafana            checks provisioning YAML and every dashboard JSON
  check-grafana.py --queries DASHBOARD.json  prints each panel query, with Grafana's variables
                                             replaced, one a line (to run against Prometheus)
"""
import glob
import json
import os
import sys

import yaml

VARIABLES = {"$__rate_interval": "1m", "$__interval": "10s", "$__range": "1h", "$component": ".*"}


def panels(dashboard):
    for p in dashboard.get("panels", []):
        yield p
        yield from p.get("panels", [])


def queries(dashboard):
    for p in panels(dashboard):
        for t in p.get("targets", []):
            expr = t["expr"]
            for k, v in VARIABLES.items():
                expr = expr.replace(k, v)
            yield expr


def check(root):
    errors = []
    datasources = yaml.safe_load(open(os.path.join(root, "provisioning/datasources/prometheus.yml")))
    uids = {d["uid"] for d in datasources["datasources"]}
    providers = yaml.safe_load(open(os.path.join(root, "provisioning/dashboards/pin.yml")))
    assert providers["providers"][0]["options"]["path"], "dashboard provider without a path"
    files = sorted(glob.glob(os.path.join(root, "dashboards/*.json")))
    if not files:
        errors.append("no dashboards")
    for f in files:
        d = json.load(open(f))
        for key in ("uid", "title", "panels", "schemaVersion"):
            if key not in d:
                errors.append(f"{f}: no {key}")
        ids = [p["id"] for p in panels(d)]
        if len(ids) != len(set(ids)):
            errors.append(f"{f}: duplicate panel ids")
        ds_var = [v for v in d.get("templating", {}).get("list", []) if v["type"] == "datasource"]
        for v in ds_var:
            if v["current"]["value"] not in uids:
                errors.append(f"{f}: datasource variable points at unknown uid {v['current']['value']}")
        for p in panels(d):
            if p["type"] == "row":
                continue
            g = p["gridPos"]
            if g["x"] + g["w"] > 24:
                errors.append(f"{f}: panel {p['title']} is wider than the grid")
            if not p.get("description"):
                errors.append(f"{f}: panel {p['title']} has no description")
            if not p.get("targets"):
                errors.append(f"{f}: panel {p['title']} has no query")
            uid = p["datasource"]["uid"]
            if uid not in uids and not uid.startswith("$"):
                errors.append(f"{f}: panel {p['title']} uses unknown datasource {uid}")
        print(f"{f}: {sum(1 for p in panels(d) if p['type'] != 'row')} panels, "
              f"{sum(1 for _ in queries(d))} queries")
    if errors:
        sys.exit("\n".join(errors))
    print("grafana provisioning and dashboards: ok")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--queries":
        for q in queries(json.load(open(sys.argv[2]))):
            print(q)
    elif len(sys.argv) == 2:
        check(sys.argv[1])
    else:
        sys.exit(__doc__)
