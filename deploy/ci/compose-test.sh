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
#   4. From the host: dev.pin.platform.client.HealthProbe against every published gRPC port, for
#      the server ("") and for its pin.v1 service; Prometheus' /api/v1/targets lists every target
#      up, and the gRPC server metrics of all four components are in Prometheus; with .ci/run's
#      reflection client installed, real RPCs through the published ports (reflection, health, one
#      INVALID_ARGUMENT call per service) and Prometheus counting them per component; every query
#      of the Grafana dashboard is valid PromQL there, and the console template renders.
#   5. `--scale reward-service=3`: three healthy replicas, each SERVING from the host, and
#      Prometheus scrapes three reward targets (DNS service discovery); the orchestrator's reward
#      channel (dns:///, round_robin, built by the production Channels.open from the orchestrator
#      service's environment; deploy/ci/RoundRobinCheck.java) spreads 30 calls over all three.
#   6. Always (trap): `docker-compose down -v`, and dockerd stopped if this script started it.
# Everything stays on this machine: published ports bind 127.0.0.1, containers talk over a
# docker bridge network. Run from anywhere: deploy/ci/compose-test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
COMPOSE_FILE="$ROOT/deploy/docker-compose.yml"
PROJECT="${PIN_COMPOSE_PROJECT:-pinci}"
TIMEOUT="${PIN_COMPOSE_TEST_TIMEOUT:-900}"
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
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
DOCKERD_PID=""
if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (log: $WORK/dockerd.log)"
  dockerd >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  docker_up() { docker info >/dev/null 2>&1 || { kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -20 "$WORK/dockerd.log"; fail "dockerd exited"; }; false; }; }
  wait_for 60 "dockerd answers" docker_up
fi
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
CP="$ROOT/orchestrator/target/orchestrator-0.1.0-SNAPSHOT.jar:$ROOT/orchestrator/target/lib/*"
jars_present() {
  local m
  for m in orchestrator policy-service reward-service scorer-service; do
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

log "service images (docker-compose build) and $PIN_PROMETHEUS_IMAGE"
timeout "$(remaining)" docker-compose -f "$COMPOSE_FILE" build -q \
  policy-service reward-service scorer-service orchestrator
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

log "docker-compose up -d ${SERVICES[*]}"
dc down -v --remove-orphans >/dev/null 2>&1 || true   # leftovers of an interrupted run
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
  java -cp "$CP" dev.pin.platform.client.HealthProbe "localhost:$1" \
    && java -cp "$CP" dev.pin.platform.client.HealthProbe "localhost:$1" "$2"
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

# --- 5. Scale out --------------------------------------------------------------------------------
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

log "compose-test passed"
