#!/usr/bin/env bash
# Deploys deploy/swarm/stack.yml on a one-node Docker Swarm and checks that it converges:
#   1. dockerd (started if none answers), images (built if missing, as in compose-test.sh);
#   2. `docker swarm init` when this engine is not in a swarm (left again at the end);
#   3. `docker stack deploy --resolve-image never` with the local Prometheus image and Grafana at
#      0 replicas (its image cannot be pulled here);
#   4. every service reaches its replica count and every task's container is healthy (gRPC health
#      probe); HealthProbe from the host through the published ports (ingress routing mesh, or
#      host mode where the kernel lacks IPVS); from a container on
#      the stack's overlay network, tasks.reward-service resolves to 3 addresses and each is
#      SERVING; Prometheus lists every task as an up target (3 reward targets); the orchestrator's
#      reward channel (deploy/ci/RoundRobinCheck.java) spreads 30 calls over all 3 tasks;
#   5. always (trap): `docker stack rm`, wait until its containers and network are gone, leave the
#      swarm if this script joined it, stop dockerd if this script started it.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
STACK="${PIN_SWARM_STACK:-pinswarm}"
TIMEOUT="${PIN_SWARM_TEST_TIMEOUT:-600}"
START=$(date +%s)
WORK="$(mktemp -d /tmp/pin-swarm-test.XXXXXX)"
export PIN_BASE_IMAGE="${PIN_BASE_IMAGE:-pin/jre:17-r2}"
export PIN_PROMETHEUS_IMAGE="${PIN_PROMETHEUS_IMAGE:-pin/prometheus:local}"
export PIN_GRAFANA_REPLICAS=0 PIN_REWARD_REPLICAS=3

TEST=swarm-test
# shellcheck source=deploy/ci/lib.sh
. deploy/ci/lib.sh  # the script has cd-ed to the repository root

log "docker engine and images"
DOCKERD_PID=""
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || fail "no Docker engine: run deploy/ci/compose-test.sh first (it installs one)"
  dockerd >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  wait_for 60 "dockerd answers" docker info
fi
SWARM_JOINED=""
cleanup() {
  local rc=$?
  set +e
  if [ $rc -ne 0 ]; then
    echo "--- services / tasks (failure) ---"
    docker stack services "$STACK"
    docker stack ps --no-trunc "$STACK" | sed -n 1,30p
    for s in $(docker stack services -q "$STACK" 2>/dev/null); do docker service logs --tail 20 "$s" 2>&1 | tail -20; done
  fi
  log "teardown: docker stack rm $STACK"
  docker stack rm "$STACK" >/dev/null 2>&1
  local until=$(( $(date +%s) + 90 ))
  while [ -n "$(docker ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ] \
        || docker network inspect "${STACK}_pin" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$until" ] && { echo "stack $STACK not gone after 90s"; break; }
    sleep 2
  done
  docker volume ls -q --filter "label=com.docker.stack.namespace=$STACK" | xargs -r docker volume rm >/dev/null
  if [ -n "$SWARM_JOINED" ]; then echo "leaving the swarm"; docker swarm leave --force >/dev/null; fi
  if [ -n "$DOCKERD_PID" ]; then kill "$DOCKERD_PID"; wait "$DOCKERD_PID" 2>/dev/null; fi
  rm -rf "$WORK"
  echo "swarm-test finished in $(( $(date +%s) - START ))s with status $rc"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for img in pin/orchestrator pin/policy pin/reward pin/scorer "$PIN_PROMETHEUS_IMAGE"; do
  docker image inspect "$img" >/dev/null 2>&1 && continue
  echo "image $img missing: building the images"
  deploy/base-image.sh
  docker-compose -f deploy/docker-compose.yml build -q policy-service reward-service scorer-service orchestrator
  docker build -q -t pin/prometheus:local --build-arg BASE_IMAGE="$PIN_BASE_IMAGE" deploy/prometheus >/dev/null
  break
done

log "swarm"
if [ "$(docker info -f '{{.Swarm.LocalNodeState}}')" != active ]; then
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  SWARM_JOINED=1
fi
docker node ls

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { local p=$1; while port_busy "$p"; do p=$(( p + 1000 )); done; echo "$p"; }
for spec in PIN_ORCHESTRATOR_HOST_PORT=50050 PIN_POLICY_HOST_PORT=50051 PIN_SCORER_HOST_PORT=50053 PIN_PROMETHEUS_HOST_PORT=9090 PIN_ORCHESTRATOR_METRICS_HOST_PORT=9450 PIN_POLICY_METRICS_HOST_PORT=9451 PIN_SCORER_METRICS_HOST_PORT=9453 PIN_GRAFANA_HOST_PORT=3000; do
  export "${spec%=*}=$(pick_port "${spec#*=}")"
done
PROM="http://127.0.0.1:$PIN_PROMETHEUS_HOST_PORT"

# The ingress routing mesh needs IPVS; without the ip_vs kernel module (this sandbox's kernel has
# none) publish in host mode instead.
if [ -z "${PIN_PUBLISH_MODE:-}" ]; then
  if [ -d /proc/sys/net/ipv4/vs ] || modprobe ip_vs 2>/dev/null; then export PIN_PUBLISH_MODE=ingress
  else export PIN_PUBLISH_MODE=host; echo "no IPVS in this kernel: publishing ports in host mode"; fi
fi

log "docker stack deploy -c deploy/swarm/stack.yml $STACK"
docker stack deploy --resolve-image never -c deploy/swarm/stack.yml "$STACK"

# converged: every service at its desired replica count, every running task's container healthy.
converged() {
  local want have id status n=0
  while read -r _ have want; do
    [ "$have" = "$want" ] || return 1
  done < <(docker service ls --filter "label=com.docker.stack.namespace=$STACK" \
             --format '{{.Name}} {{.Replicas}}' | sed 's|/| |' | awk '{print $1, $2, $3}')
  for id in $(docker ps -q --filter "label=com.docker.stack.namespace=$STACK"); do
    status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
    [ "$status" = healthy ] || return 1
    n=$(( n + 1 ))
  done
  [ "$n" -eq 7 ]   # orchestrator, policy, scorer, prometheus, 3 × reward
}
wait_for 300 "stack converged: all services at their replica count, all 7 tasks healthy" converged
docker stack services "$STACK"

log "gRPC health from the host through the published ports ($PIN_PUBLISH_MODE mode)"
CP="$ROOT/app/target/app-0.1.0-SNAPSHOT.jar:$ROOT/app/target/lib/*"
health_from_host() {
  java -cp "$CP" dev.pin.kit.client.HealthProbe "localhost:$PIN_ORCHESTRATOR_HOST_PORT" pin.v1.Orchestrator \
    && java -cp "$CP" dev.pin.kit.client.HealthProbe "localhost:$PIN_POLICY_HOST_PORT" pin.v1.Policy \
    && java -cp "$CP" dev.pin.kit.client.HealthProbe "localhost:$PIN_SCORER_HOST_PORT" pin.v1.Scorer
}
# Published ports (the routing mesh especially) may need a moment after the tasks are healthy.
wait_for 60 "orchestrator, policy, scorer SERVING through the published ports" health_from_host

log "reward replicas (endpoint_mode dnsrr) from inside the overlay network"
docker run --rm --network "${STACK}_pin" --entrypoint bash pin/orchestrator -c '
  ips=$(getent ahostsv4 reward-service | awk "{print \$1}" | sort -u)
  echo "reward-service resolves to:" $ips
  [ "$(echo "$ips" | wc -w)" -eq 3 ] || { echo "expected 3 addresses"; exit 1; }
  for ip in $ips; do
    java -XX:TieredStopAtLevel=1 -cp "app.jar:lib/*" dev.pin.kit.client.HealthProbe "$ip:50052" pin.v1.Reward || exit 1
  done'

targets_up() {
  curl -fsS "$PROM/api/v1/targets?state=active" | python3 -c '
import json, sys
want = dict(a.split("=") for a in sys.argv[1:])
have = {}
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    if t["health"] != "up":
        sys.exit(1)
    have[t["labels"]["job"]] = have.get(t["labels"]["job"], 0) + 1
sys.exit(0 if all(have.get(j, 0) == int(n) for j, n in want.items()) else 1)
' "$@"
}
log "Prometheus targets (tasks.<service> DNS discovery)"
wait_for 90 "Prometheus scrapes every task, 3 reward targets, all up" \
  targets_up orchestrator=1 policy=1 reward=3 scorer=1 prometheus=1
curl -fsS "$PROM/api/v1/targets?state=active" | python3 -c '
import json, sys
for t in sorted(json.load(sys.stdin)["data"]["activeTargets"], key=lambda t: (t["labels"]["job"], t["scrapeUrl"])):
    print("  %-13s %-32s %s" % (t["labels"]["job"], t["scrapeUrl"], t["health"]))'

# The orchestrator's reward channel (dns:///reward-service:50052, round_robin; RoundRobinCheck
# reads the same PIN_* setting the stack gives the orchestrator) spreads calls over all 3 tasks.
if command -v javac >/dev/null; then
  log "client-side round-robin over the 3 reward tasks"
  mkdir -p "$WORK/check"
  javac -d "$WORK/check" -cp "$CP" deploy/ci/RoundRobinCheck.java
  chmod a+x "$WORK" && chmod -R a+rX "$WORK/check"
  docker run --rm --network "${STACK}_pin" -v "$WORK/check:/check:ro" \
    -e PIN_ORCHESTRATOR_REWARD_ADDRESS=dns:///reward-service:50052 \
    --entrypoint java pin/orchestrator -cp 'app.jar:lib/*:/check' RoundRobinCheck 30
  replicas_served() {
    local n
    n=$(curl -fsS --get "$PROM/api/v1/query" --data-urlencode \
      'query=sum by (instance) (grpc_server_processing_duration_seconds_count{component="reward", method="DescribeTask"}) > 0' \
      | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]["result"]))')
    [ "$n" -eq 3 ]
  }
  wait_for 60 "every reward task served some of the calls (Prometheus, per instance)" replicas_served
else
  echo "(no javac: skipping the round-robin check)"
fi

log "swarm-test passed"
