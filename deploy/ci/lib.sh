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
