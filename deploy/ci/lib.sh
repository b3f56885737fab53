# Helpers shared by the deploy tests; source after setting TEST (the script's name), START (epoch
# seconds) and TIMEOUT (the overall limit in seconds).
log() { printf '\n== [%4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
fail() { echo "$TEST: FAILED: $*" >&2; exit 1; }
remaining() { local r=$(( START + TIMEOUT - $(date +%s) )); [ "$r" -gt 0 ] && echo "$r" || echo 1; }
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 2 s until it succeeds, at most
# SECONDS (and never past the overall deadline).
wait_for() {
  local limit=$1 what=$2; shift 2
  local left; left=$(remaining); [ "$limit" -gt "$left" ] && limit=$left
  local until=$(( $(date +%s) + limit ))
  while ! "$@"; do
    [ "$(date +%s)" -ge $(( START + TIMEOUT )) ] && fail "$what: not reached before the overall limit (${TIMEOUT}s)"
    [ "$(date +%s)" -ge "$until" ] && fail "$what: not reached within ${limit}s"
    sleep 2
  done
  echo "ok: $what ($(( $(date +%s) - START ))s)"
}

# Installs what a deploy test needs (Docker, docker-compose, debootstrap for the base image, and
# each extra command named, whose Debian package has its name) and starts dockerd when none
# answers. Sets DOCKERD_PID, empty when a daemon was already running (the caller's cleanup stops
# only one it started).
ensure_docker() {
  local need=() cmd
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v docker-compose >/dev/null || need+=(docker-compose)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null || need+=("$cmd")
  done
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
}
