# The narrated live demo. A demo script sources this file, then calls:
#   say  "text"                          narration between steps
#   step "what we do" "what to look at" command args...
#   step_sh "what we do" "what to look at" 'shell pipeline'   (for pipes, redirections, &)
#   background command args...           start a process for the demo; it is killed at the end
# In a terminal each step waits for Enter before it runs (DEMO_PAUSE=0 turns that off); with no
# terminal, as in make test, the demo runs straight through and fails on the first failing step.
# The reference programs are in $DEMO_BIN (build/solutions/NN-name), and $DEMO_TMP is a scratch
# directory removed at the end.
set -euo pipefail

: "${SYSLAB_ROOT:?run demos with make demo LAB=NN}"
: "${DEMO_BIN:?run demos with make demo LAB=NN}"
DEMO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/syslab-demo-XXXXXX")
export SYSLAB_ROOT DEMO_BIN DEMO_TMP
DEMO_STEP=0
DEMO_PIDS=()

if [[ -t 1 ]]; then
  _b=$'\e[1m' _dim=$'\e[2m' _cyan=$'\e[36m' _yellow=$'\e[33m' _off=$'\e[0m'
else
  _b='' _dim='' _cyan='' _yellow='' _off=''
fi

_demo_cleanup() {
  local pid
  for pid in "${DEMO_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$DEMO_TMP"
}
trap _demo_cleanup EXIT

_pause() {
  if [[ -t 0 && -t 1 && "${DEMO_PAUSE:-1}" != 0 ]]; then
    read -r -p "${_dim}  (Enter to run)${_off}" _ || true
  fi
}

say() { printf '\n%s\n' "$*"; }

_header() {
  DEMO_STEP=$((DEMO_STEP + 1))
  printf '\n%s── step %d: %s%s\n' "$_b" "$DEMO_STEP" "$1" "$_off"
}

_look_at() { printf '%s   look at: %s%s\n' "$_yellow" "$1" "$_off"; }

step() {
  local title=$1 look=$2
  shift 2
  _header "$title"
  printf '%s$ %s%s\n' "$_cyan" "$*" "$_off"
  _pause
  "$@"
  _look_at "$look"
}

step_sh() {
  local title=$1 look=$2 script=$3
  _header "$title"
  printf '%s$ %s%s\n' "$_cyan" "$script" "$_off"
  _pause
  bash -euo pipefail -c "$script"
  _look_at "$look"
}

background() {
  "$@" &
  DEMO_PIDS+=("$!")
}
