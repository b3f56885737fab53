#!/usr/bin/env bash
# Offline validation of deploy/k8s (no cluster is reachable here, so no server-side dry run):
#   1. `kubectl kustomize deploy/k8s` renders (kubectl from Debian's kubernetes-client, installed
#      if missing; skipped with a note when it cannot be installed);
#   2. every document parses as YAML and the cross-references hold: Deployment selectors match
#      their pod labels, every Service selects a Deployment and targets named container ports,
#      probes hit the gRPC container port, PVCs and ConfigMap keys referenced by pods exist, the
#      HPA targets a Deployment with CPU requests, images are pin/* or pinned, pods run as uid 10001;
#   3. the console template copy in deploy/k8s/consoles matches deploy/prometheus/consoles.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v kubectl >/dev/null; then
  apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null 2>&1 || true
fi
rendered="$(mktemp)"
trap 'rm -f "$rendered"' EXIT
if command -v kubectl >/dev/null; then
  kubectl kustomize deploy/k8s > "$rendered"
  echo "kubectl kustomize deploy/k8s: $(grep -c '^kind:' "$rendered") objects"
  extra=("$rendered")
else
  echo "(kubectl not available: checking the files without kustomize)"
  extra=()
fi
cmp -s deploy/prometheus/consoles/pin.html deploy/k8s/consoles/pin.html \
  || { echo "deploy/k8s/consoles/pin.html differs from deploy/prometheus/consoles/pin.html: copy it" >&2; exit 1; }

python3 - deploy/k8s "${extra[@]}" <<'EOF'
import glob, sys, yaml
folder = sys.argv[1]
errors = []
def err(m): errors.append(m)

# The files themselves (kustomization.yaml excepted) and, when given, the kustomize output.
docs = []
for f in sorted(glob.glob(folder + "/*.yaml")):
    if f.endswith("kustomization.yaml"):
        continue
    for d in yaml.safe_load_all(open(f)):
        if d:
            for key in ("apiVersion", "kind", "metadata"):
                if key not in d: err(f"{f}: a document without {key}")
            docs.append(d)
if len(sys.argv) > 2:
    docs = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d]
    ns = {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"}
    if ns != {"pin"}: err(f"rendered objects in namespaces {ns}, expected pin")

by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
deployments = by_kind.get("Deployment", {})
pvcs = set(by_kind.get("PersistentVolumeClaim", {}))
configmaps = by_kind.get("ConfigMap", {})
def cm_exists(name):
    return name in configmaps or any(n.startswith(name + "-") for n in configmaps)  # generator hash

for name, d in deployments.items():
    spec = d["spec"]; tpl = spec["template"]
    sel = spec["selector"]["matchLabels"]; labels = tpl["metadata"]["labels"]
    if any(labels.get(k) != v for k, v in sel.items()):
        err(f"Deployment {name}: selector {sel} does not match pod labels {labels}")
    pod = tpl["spec"]
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    for v in vols.values():
        if "persistentVolumeClaim" in v and v["persistentVolumeClaim"]["claimName"] not in pvcs:
            err(f"Deployment {name}: PVC {v['persistentVolumeClaim']['claimName']} not defined")
        if "configMap" in v and not cm_exists(v["configMap"]["name"]):
            err(f"Deployment {name}: ConfigMap {v['configMap']['name']} not defined")
    for c in pod["containers"]:
        image = c["image"]
        if not (image.startswith("pin/") or ":" in image.split("/")[-1]):
            err(f"Deployment {name}: image {image} is not pinned")
        for m in c.get("volumeMounts", []):
            if m["name"] not in vols: err(f"Deployment {name}: volumeMount {m['name']} has no volume")
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("configMapKeyRef")
            if ref:
                cm = configmaps.get(ref["name"])
                if cm is None or ref["key"] not in cm.get("data", {}):
                    err(f"Deployment {name}: ConfigMap key {ref['name']}/{ref['key']} not defined")
        ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            p = c.get(probe)
            if p is None:
                if name != "prometheus": err(f"Deployment {name}: no {probe}")
                continue
            if "grpc" in p and p["grpc"]["port"] != ports.get("grpc"):
                err(f"Deployment {name}: {probe} port {p['grpc']['port']} is not the grpc port")
        if name != "prometheus":
            if pod.get("securityContext", {}).get("runAsUser") != 10001:
                err(f"Deployment {name}: pods should run as uid 10001 (the images' user pin)")
            if "cpu" not in c.get("resources", {}).get("requests", {}):
                err(f"Deployment {name}: no CPU request (the HPA needs one)")

for name, s in by_kind.get("Service", {}).items():
    sel = s["spec"]["selector"]
    targets = [d for d in deployments.values()
               if all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in sel.items())]
    if not targets:
        err(f"Service {name}: selects no Deployment"); continue
    cports = {p["name"] for c in targets[0]["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
    for p in s["spec"]["ports"]:
        if isinstance(p["targetPort"], str) and p["targetPort"] not in cports:
            err(f"Service {name}: targetPort {p['targetPort']} is not a container port name")

headless = {n for n, s in by_kind.get("Service", {}).items() if s["spec"].get("clusterIP") == "None"}
for n in ("reward-service", "policy-service", "scorer-service"):
    if n not in headless: err(f"Service {n} should be headless for client-side load balancing")
for name, h in by_kind.get("HorizontalPodAutoscaler", {}).items():
    ref = h["spec"]["scaleTargetRef"]
    if ref["kind"] != "Deployment" or ref["name"] not in deployments:
        err(f"HPA {name}: target {ref} not defined")

# Environment addresses point at defined Services.
services = set(by_kind.get("Service", {}))
for name, d in deployments.items():
    for c in d["spec"]["template"]["spec"]["containers"]:
        for e in c.get("env", []):
            v = e.get("value", "")
            if v.startswith("dns:///"):
                host = v[len("dns:///"):].split(":")[0]
                if host not in services: err(f"Deployment {name}: {e['name']} points at unknown Service {host}")

if errors:
    sys.exit("\n".join(errors))
print("k8s manifests: %d objects (%s) consistent" % (len(docs), ", ".join(
    f"{len(v)} {k}" for k, v in sorted(by_kind.items()))))
EOF

# 4. The lock-down overlay (deploy/k8s-lockdown) renders over the base with secrets made by
#    deploy/lockdown/make-secrets.sh (in a temporary copy), and every pin Deployment then requires
#    mutual TLS and tokens, mounts the secret and sends its probes to the plaintext health port.
if command -v kubectl >/dev/null && command -v openssl >/dev/null; then
  work="$(mktemp -d)"
  mkdir -p "$work/deploy"
  cp -r deploy/k8s deploy/k8s-lockdown "$work/deploy/"
  deploy/lockdown/make-secrets.sh "$work/deploy/k8s-lockdown/secrets" ci >/dev/null
  kubectl kustomize "$work/deploy/k8s-lockdown" > "$work/lockdown.yaml"
  python3 - "$work/lockdown.yaml" <<'EOF'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
errors = []
secrets = [d["metadata"]["name"] for d in docs if d["kind"] == "Secret"]
if not any(s.startswith("pin-lockdown") for s in secrets):
    errors.append("no pin-lockdown Secret rendered")
pin = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] != "prometheus"]
for d in pin:
    name = d["metadata"]["name"]
    spec = d["spec"]["template"]["spec"]
    c = spec["containers"][0]
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    for key, want in (("PIN_TLS_CLIENT_AUTH", "require"), ("PIN_AUTH_OPEN", "none")):
        if env.get(key) != want:
            errors.append(f"{name}: {key} is {env.get(key)!r}, not {want!r}")
    for key in ("PIN_TLS_CERT", "PIN_TLS_KEY", "PIN_TLS_CA", "PIN_AUTH_TOKENS_FILE", "PIN_AUTH_TOKEN_FILE"):
        if not (env.get(key) or "").startswith("/run/pin-secrets/"):
            errors.append(f"{name}: {key} does not point into the mounted secret")
    health = [v for k, v in env.items() if k.endswith("_HEALTH_PORT")]
    if health != ["8081"]:
        errors.append(f"{name}: no plaintext health port 8081 ({health})")
    for probe in ("livenessProbe", "readinessProbe"):
        p = c.get(probe)
        if p is not None and p.get("grpc", {}).get("port") != 8081:
            errors.append(f"{name}: {probe} does not go to the health port 8081: {p}")
    if "/run/pin-secrets" not in [m["mountPath"] for m in c.get("volumeMounts", [])]:
        errors.append(f"{name}: the lock-down secret is not mounted at /run/pin-secrets")
if len(pin) != 4:
    errors.append(f"expected the 4 pin Deployments, rendered {len(pin)}")
if errors:
    sys.exit("\n".join(errors))
print(f"k8s lock-down overlay: {len(docs)} objects; {len(pin)} services on mutual TLS and tokens, probes on the health port")
EOF
  rm -rf "$work"
else
  echo "(kubectl or openssl not available: the lock-down overlay was not rendered)"
fi
