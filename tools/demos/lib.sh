# The narrated live demo. A demo script sources this file, then calls:
#   say  "text"                          narration between steps
#   step "what we do" "what to look at" command args...
#   step_sh "what we do" "what to look at" 'shell pipeline'   (for pipes, redirections, &)
#   step_fails "what we do" "what to look at" command args... (a step that must fail: EMFILE, ENOENT...)
#   background command args...           start a process for the demo; it is killed at the end
#   wait_for "what we wait for" 'shell condition' [seconds]   (e.g. until a server listens)
# In a terminal each step waits for Enter before it runs (q quits; DEMO_PAUSE=0 turns the pause
# off); with no terminal, as in make test, the demo runs straight through and fails on the first
# failing step, naming it. The reference programs are in $DEMO_BIN (build/solutions/NN-name), and
# $DEMO_TMP is a scratch directory removed at the end. The demo runs in the repository root, so a
# command shows as build/solutions/NN-name/prog: the audience can type exactly what they see.
set -euo pipefail

: "${SYSLAB_ROOT:?run demos with make demo LAB=NN}"
: "${DEMO_BIN:?run demos with make demo LAB=NN}"
if [[ ! -d "$DEMO_BIN" ]]; then
  echo "demo: $DEMO_BIN does not exist: run demos with make demo LAB=NN, which builds it" >&2
  exit 1
fi
DEMO_TMP=$(mktemp -d "${TMPDIR:-/tmp}/syslab-demo-XXXXXX")
export SYSLAB_ROOT DEMO_BIN DEMO_TMP
DEMO_STEP=0
DEMO_PIDS=()

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  _b=$'\e[1m' _dim=$'\e[2m' _cyan=$'\e[36m' _yellow=$'\e[33m' _red=$'\e[31m' _off=$'\e[0m'
else
  _b='' _dim='' _cyan='' _yellow='' _red='' _off=''
fi

# A process and everything it forked (a prefork server's workers), children first listed last.
_demo_tree() {
  local child
  printf '%s\n' "$1"
  for child in $(pgrep -P "$1" 2>/dev/null); do _demo_tree "$child"; done
}

# Stops what background started, with everything it forked: TERM first (a server may want to
# shut down cleanly), KILL after two seconds, so the end of a demo never hangs on a process that
# ignores TERM, and no worker is left behind when its master dies first.
_demo_stop() {
  local pid tries
  local -a pids=()
  for pid in "${DEMO_PIDS[@]}"; do mapfile -t -O "${#pids[@]}" pids < <(_demo_tree "$pid"); done
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for ((tries = 0; tries < 20; tries++)); do
    kill -0 "${pids[@]}" 2>/dev/null || break  # fails only when every one of them is gone
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  for pid in "${DEMO_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  DEMO_PIDS=()
}

_demo_cleanup() {
  local status=$?
  _demo_stop 2>/dev/null  # not bash's "Killed" notices: stopping them is the plan
  rm -rf "$DEMO_TMP"
  if [[ $status -eq 0 ]]; then
    printf '\n%s── end of the demo%s\n' "$_b" "$_off"
  fi
  exit "$status"
}
trap _demo_cleanup EXIT
trap 'echo; exit 130' INT
trap 'exit 143' TERM

_pause() {
  local answer=''
  if [[ -t 0 && -t 1 && "${DEMO_PAUSE:-1}" != 0 ]]; then
    read -r -p "${_dim}  (Enter to run, q to quit)${_off}" answer || true
    if [[ "$answer" == q* ]]; then
      exit 0
    fi
  fi
}

say() { printf '\n%s\n' "$*"; }

_header() {
  DEMO_STEP=$((DEMO_STEP + 1))
  printf '\n%s── step %d: %s%s\n' "$_b" "$DEMO_STEP" "$1" "$_off"
}

# One word as a shell would need it typed; plain words stay plain, so the line stays readable.
# Paths under the current directory (the repository root) are shown relative to it.
_quote() {
  local word=${1#"$PWD"/}
  if [[ "$word" =~ ^[A-Za-z0-9_./=:,+@%^-]+$ ]]; then
    printf '%s' "$word"
  elif [[ "$word" != *\'* ]]; then
    printf "'%s'" "$word"
  else
    printf '%q' "$word"
  fi
}

_command_line() {
  local line='' word
  for word in "$@"; do line+="${line:+ }$(_quote "$word")"; done
  printf '%s' "$line"
}

_show_command() { printf '%s$ %s%s\n' "$_cyan" "$(_command_line "$@")" "$_off"; }

_look_at() { printf '%s   look at: %s%s\n' "$_yellow" "$1" "$_off"; }

_step_failed() {
  local status=$1
  printf '%sdemo: step %d (%s) failed with exit status %d%s\n' \
    "$_red" "$DEMO_STEP" "$DEMO_TITLE" "$status" "$_off" >&2
  exit "$status"
}

step() {
  local title=$1 look=$2
  shift 2
  DEMO_TITLE=$title
  _header "$title"
  _show_command "$@"
  _pause
  "$@" || _step_failed $?
  _look_at "$look"
}

step_sh() {
  local title=$1 look=$2 script=$3
  DEMO_TITLE=$title
  _header "$title"
  printf '%s$ %s%s\n' "$_cyan" "${script//"$PWD/"/}" "$_off"
  _pause
  bash -euo pipefail -c "$script" || _step_failed $?
  _look_at "$look"
}

# A step whose point is the failure (EMFILE, an exec error, SIGPIPE): the demo fails if it succeeds.
step_fails() {
  local title=$1 look=$2 status=0
  shift 2
  DEMO_TITLE=$title
  _header "$title"
  _show_command "$@"
  _pause
  "$@" || status=$?
  if [[ $status -eq 0 ]]; then
    printf '%sdemo: step %d (%s) should have failed, but succeeded%s\n' \
      "$_red" "$DEMO_STEP" "$title" "$_off" >&2
    exit 1
  fi
  printf '%s   (exit status %d, as expected)%s\n' "$_dim" "$status" "$_off"
  _look_at "$look"
}

background() {
  printf '%s$ %s &%s\n' "$_dim" "$(_command_line "$@")" "$_off"
  "$@" &
  DEMO_PIDS+=("$!")
}

# Polls a shell condition (e.g. 'ss -ltn | grep -q :8080') every 0.1 s, for at most `seconds`.
wait_for() {
  local what=$1 condition=$2 seconds=${3:-10} tries
  for ((tries = 0; tries < seconds * 10; tries++)); do
    if bash -c "$condition" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  printf '%sdemo: gave up waiting %d s for %s%s\n' "$_red" "$seconds" "$what" "$_off" >&2
  exit 1
}
