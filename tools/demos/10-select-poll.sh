# Lab 10, the live demo: one thread serves every client. The select and poll models seen from
# /proc (one thread, blocked in pselect6 or poll), their system calls in strace, the soft limit
# raised, select's FD_SETSIZE wall met by 1030 clients (refused from fd 1024 on, the others
# served) while poll serves them all, and a graceful stop with clients connected.
# Run it with: make demo LAB=10
source "$SYSLAB_ROOT/tools/demos/lib.sh"

SERVER="$DEMO_BIN/echo-server"

# The port from a server's "listening on ADDRESS:PORT" line in file $1.
port_of() { sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$1"; }

# Starts echo-server --model=$1 with its stdout in $DEMO_TMP/$1.out and its stderr in
# $DEMO_TMP/$1.err; sets PID and PORT.
start_server() {
  local model=$1
  background bash -c "exec '$SERVER' --model=$model > '$DEMO_TMP/$model.out' 2> '$DEMO_TMP/$model.err'"
  PID=${DEMO_PIDS[-1]}
  wait_for "the $model server to listen" "grep -q '^listening on' '$DEMO_TMP/$model.out'"
  PORT=$(port_of "$DEMO_TMP/$model.out")
}

# One line through a bash /dev/tcp connection: sends $2, prints what comes back.
echo_line() {
  local port=$1 line=$2 fd reply=''
  exec {fd}<>"/dev/tcp/127.0.0.1/$port"
  printf '%s\n' "$line" >&"$fd"
  read -r -t 5 reply <&"$fd" || true
  exec {fd}>&-
  printf '%s\n' "$reply"
}
export -f echo_line

say "echo-server --model=select: one process, one thread, an event loop on select(2)."
start_server select
export PID PORT

step_sh "One thread, and its descriptors" \
  "Threads: 1; fd 3 the signalfd (the stop request), fd 4 the listener; no anon_inode:[eventpoll]" \
  "grep Threads /proc/$PID/status; ls -l /proc/$PID/fd | sed -n '2,\$p' | awk '{print \$(NF-2), \$(NF-1), \$NF}'"

step_sh "Where it waits" \
  "the first number of /proc/PID/syscall: 270 is pselect6 on x86-64 (glibc's select), 7 would be poll" \
  "cut -d' ' -f1 /proc/$PID/syscall"

step_sh "Two clients, served by the one thread" \
  "each line comes back; no thread or process was made for them" \
  "echo_line $PORT 'hello from one'; echo_line $PORT 'hello from two'; grep Threads /proc/$PID/status"

if command -v strace >/dev/null; then
  trace_one_client() {
    strace -e trace=select,pselect6,poll,accept4 -p "$PID" -o "$DEMO_TMP/trace.txt" 2>/dev/null &
    local tracer=$!
    sleep 0.5  # strace attaches
    echo_line "$PORT" 'traced' >/dev/null
    sleep 0.2
    kill -INT "$tracer"
    wait "$tracer" 2>/dev/null || true
    sed -E 's/(.{150}).*/\1 .../' "$DEMO_TMP/trace.txt" | head -8
  }
  step "strace -p: the calls behind one client" \
    "pselect6(nfds = highest fd + 1, [read set], [write set] ...): every watched fd, on every call" \
    trace_one_client
else
  say "(strace is not installed: apt-get install strace shows pselect6 and poll with their fd lists)"
fi

step_sh "The soft limit of open files" \
  "ulimit -n in this shell, and the server's Max open files: raised to the hard limit at start" \
  "ulimit -n; grep 'Max open files' /proc/$PID/limits"

# 1030 clients from bash: each exec {fd}<>/dev/tcp/... is one connection. The function runs in a
# subshell: the clients stay connected while we look, and all close when it returns.
many_clients() (
  local model=$1 count=1030 i fd tries
  ulimit -n 2048
  for ((i = 0; i < count; i++)); do exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"; done
  # Until the server has accepted every one: the listener's Recv-Q (the backlog) is 0.
  for ((tries = 0; tries < 50; tries++)); do
    [[ $(ss -ltnH "( sport = :$PORT )" | awk '{print $2}') == 0 ]] && break
    sleep 0.1
  done
  sleep 0.2  # the last accepted ones are added to the poller (or refused)
  echo "$count clients connected; the server holds $(ls "/proc/$PID/fd" | wc -l) fds," \
    "the highest is fd $(ls "/proc/$PID/fd" | sort -n | tail -1)"
  echo "refused by the server: $(grep -c 'refused' "$DEMO_TMP/$model.err" || true)"
  grep -m 1 'refused' "$DEMO_TMP/$model.err" || true
  echo "one more client now gets back: '$(echo_line "$PORT" 'still served?')'"
)

if (($(ulimit -Hn) >= 2048)); then
  say "select's wall: an fd_set has 1024 bits (FD_SETSIZE). 1030 clients push the server's fds
past 1023; each one at 1024 is refused with one line on stderr, and the server goes on."
  step "1030 clients against the select server" \
    "fds 0..1023 in use; each client at fd 1024 refused by name ('select cannot watch fd 1024'), one more too (''): the wall holds while the others stay" \
    many_clients select
  step_sh "The server after the wall" \
    "still running, and serving: the clients have left, their fds are free again" \
    "sleep 0.5; echo_line $PORT 'after the wall'; ls /proc/$PID/fd | wc -l"

  start_server poll
  export PID PORT
  step "The same 1030 clients against the poll server" \
    "no refusal: poll takes an array of pollfd, any fd number; the highest fd is past 1030, and one more client is echoed" \
    many_clients poll
else
  say "(the hard limit of open files is $(ulimit -Hn): too low for the FD_SETSIZE step, which needs 2048)"
  start_server poll
  export PID PORT
fi

say "A graceful stop: with a client connected, SIGTERM closes the listener at once; the connected
client keeps its echo until it leaves; then the server exits 0."

stop_with_client() {
  local fd reply status=0
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'before\n' >&"$fd"
  read -r -t 5 reply <&"$fd"
  echo "connected client: $reply"
  kill -TERM "$PID"
  wait_for "the listener to close" "! ss -ltn | grep -q ':$PORT '" 5
  echo "a new client now: $( (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>&1 | sed 's/.*: //' | head -1)"
  printf 'after the stop\n' >&"$fd"
  read -r -t 5 reply <&"$fd"
  echo "connected client: $reply"
  exec {fd}>&-
  wait "$PID" || status=$?
  echo "echo-server exit status $status; its stderr ends with: $(tail -1 "$DEMO_TMP/poll.err")"
  local pid others=()
  for pid in "${DEMO_PIDS[@]}"; do [[ $pid == "$PID" ]] || others+=("$pid"); done
  DEMO_PIDS=("${others[@]}")
  return "$status"
}
step "SIGTERM with a client connected" \
  "'Connection refused' for a new client; 'after the stop' still echoed; exit status 0" \
  stop_with_client

say "Try it yourself: strace -e trace=pselect6,poll -p PID while clients come and go; the nfds of
select follows the highest fd, the pollfd array follows the number of clients."
