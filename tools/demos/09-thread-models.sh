# Lab 09, the live demo: echo-server with threads. Thread per connection: the threads follow the
# clients in /proc/PID/task. A pool: the thread count stays fixed. Back-pressure with one worker
# and a queue of one: reject answers busy, wait leaves the client in the listen backlog. A
# graceful stop that waits for a client, and a second signal that stops it now.
# Run it with: make demo LAB=09
source "$SYSLAB_ROOT/tools/demos/lib.sh"

SERVER="$DEMO_BIN/echo-server"
# Lab 07's client, from the same side (solutions/ or labs/) of the same build.
CLIENT="$(dirname "$DEMO_BIN")/07-echo-server/echo-client"
if [[ ! -x "$CLIENT" ]]; then
  side=solution
  [[ "$DEMO_BIN" == */labs/* ]] && side=learner
  ninja -C "$(dirname "$(dirname "$DEMO_BIN")")" "lab-07-echo-server-$side" >/dev/null
fi

# The port from a server's "listening on ADDRESS:PORT" line in file $1.
port_of() { sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$1"; }

# Starts echo-server with the given options; sets SERVER_PID and PORT.
start_server() {
  local out="$DEMO_TMP/server-$#-$RANDOM.out"
  background bash -c "exec '$SERVER' --host 127.0.0.1 --port 0 $* > '$out'"
  SERVER_PID=${DEMO_PIDS[-1]}
  wait_for "the server to listen" "grep -q '^listening on' '$out'"
  PORT=$(port_of "$out")
}

# A client held open: its input is a fifo that the demo keeps open on fd HELD[name]; it sends
# its name as the first line. end_client closes the fifo: the client sends EOF and leaves.
declare -A HELD
hold_client() {
  local name=$1
  mkfifo "$DEMO_TMP/$name.in"
  # The new client must not keep the other clients' fifos open (their EOF would never come).
  local others='' held
  for held in "${HELD[@]}"; do others+=" $held>&-"; done
  background bash -c "exec$others; exec '$CLIENT' 127.0.0.1 $PORT < '$DEMO_TMP/$name.in' > '$DEMO_TMP/$name.out' 2>&1"
  local fd
  exec {fd}>"$DEMO_TMP/$name.in"
  HELD[$name]=$fd
  echo "$name" >&"$fd"
}
end_client() {
  local fd=${HELD[$1]}
  exec {fd}>&-
  unset "HELD[$1]"
}

# Tries a new client until one is refused (the listener is closed), for at most 5 s.
wait_refused() {
  local tries
  for ((tries = 0; tries < 100; tries++)); do
    if ! "$CLIENT" --bytes 1 127.0.0.1 "$PORT" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  echo "new clients were still accepted after 5 s" >&2
  return 1
}

# The listen backlog of 127.0.0.1:$1 (rx_queue of its LISTEN line in /proc/net/tcp).
backlog_of() {
  local hexport _ local_address state queues
  hexport=$(printf '%04X' "$1")
  while read -r _ local_address _ state queues _; do
    if [[ $local_address == *:$hexport && $state == 0A ]]; then
      echo $((16#${queues#*:}))
      return
    fi
  done </proc/net/tcp
}
# How many clients are connected to 127.0.0.1:$1 (their ends, ESTABLISHED, in /proc/net/tcp).
clients_of() {
  local hexport _ remote_address state count=0
  hexport=$(printf '%04X' "$1")
  while read -r _ _ remote_address state _; do
    [[ $remote_address == *:$hexport && $state == 01 ]] && count=$((count + 1))
  done </proc/net/tcp
  echo "$count"
}
export -f backlog_of clients_of

say "Thread per connection: every client gets a thread, joined as soon as the client leaves."
start_server --model=threads
for name in alice bob carol; do hold_client "$name"; done
wait_for "three echoes" "grep -q alice '$DEMO_TMP/alice.out' && grep -q bob '$DEMO_TMP/bob.out' && grep -q carol '$DEMO_TMP/carol.out'"
step_sh "Three clients connected: the server's threads" \
  "Threads: 4 (main and one per client); one directory per thread in /proc/PID/task" \
  "grep Threads /proc/$SERVER_PID/status; ls /proc/$SERVER_PID/task"
if command -v ps >/dev/null; then
  step "The same with ps: one line per thread (LWP: the thread id)" \
    "the first LWP is the pid: the main thread" \
    ps -L -o pid,lwp,nlwp,stat,comm -p "$SERVER_PID"
fi
end_client alice
end_client bob
wait_for "two threads to be joined" "awk '/^Threads:/ { exit \$2 != 2 }' /proc/$SERVER_PID/status"
step_sh "Two clients left" \
  "Threads: 2: their threads were joined at once, not kept until exit" \
  "grep Threads /proc/$SERVER_PID/status"

say "A graceful stop: SIGTERM with carol still connected. New clients are refused, carol is still
served, and the server exits 0 when she leaves."
stop_gracefully() {
  kill -TERM "$SERVER_PID"
  wait_refused
  echo "a new client: refused"
  echo "still-here" >&"${HELD[carol]}"
  until grep -q still-here "$DEMO_TMP/carol.out"; do sleep 0.05; done
  echo "carol got:"; cat "$DEMO_TMP/carol.out"
  grep Threads "/proc/$SERVER_PID/status"
  end_client carol
  local status=0
  wait "$SERVER_PID" || status=$?
  echo "echo-server exit status $status"
  DEMO_PIDS=()
  return "$status"
}
step "SIGTERM with carol connected" \
  "refused for the new client; carol's echo after the SIGTERM; Threads: 2 meanwhile; exit status 0" \
  stop_gracefully

say "A pool: three workers, whatever the load."
start_server --model=pool --threads 3 --queue 8
for i in 1 2 3 4 5 6; do  # one after the other: the queue keeps their order
  hold_client "c$i"
  wait_for "c$i to connect" "[ \"\$(clients_of $PORT)\" = $i ]"
done
wait_for "three clients served" "grep -q c1 '$DEMO_TMP/c1.out' && grep -q c2 '$DEMO_TMP/c2.out' && grep -q c3 '$DEMO_TMP/c3.out'"
step_sh "Six clients, three workers" \
  "Threads: 4 (main and 3 workers); c1-c3 have their echo, c4-c6 wait in the queue (empty .out)" \
  "grep Threads /proc/$SERVER_PID/status; for i in 1 2 3 4 5 6; do printf 'c%s: %s\n' \$i \"\$(cat $DEMO_TMP/c\$i.out)\"; done"
end_client c1
wait_for "c4's echo" "grep -q c4 '$DEMO_TMP/c4.out'"
step_sh "c1 leaves: its worker takes c4 from the queue" \
  "c4 has its echo now; still Threads: 4" \
  "grep Threads /proc/$SERVER_PID/status; cat $DEMO_TMP/c4.out"
for i in 2 3 4 5 6; do end_client "c$i"; done
_demo_stop

say "Back-pressure. One worker, a queue of one: the first client is served, the second waits in
the queue. What happens to the third is the server's decision: --when-full=reject answers busy."
start_server --model=pool --threads 1 --queue 1 --when-full=reject
hold_client r-first
wait_for "the first echo" "grep -q r-first '$DEMO_TMP/r-first.out'"
hold_client r-second
wait_for "the second client to be accepted" \
  "[ \"\$(clients_of $PORT)\" = 2 ] && [ \"\$(backlog_of $PORT)\" = 0 ]"
step_sh "A third client, with the worker busy and the queue full" \
  "busy: every worker is taken, try again later — then the server closes the connection" \
  "timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$PORT; cat <&3'"
end_client r-first
wait_for "the second echo" "grep -q r-second '$DEMO_TMP/r-second.out'"
step "The first client left: the second is served from the queue" \
  "r-second" \
  cat "$DEMO_TMP/r-second.out"
end_client r-second
_demo_stop

say "--when-full=wait: while the queue is full the server does not accept. The third client's
connect succeeds (the kernel does the handshake) and it waits in the listen backlog."
start_server --model=pool --threads 1 --queue 1 --when-full=wait
hold_client first
wait_for "the first echo" "grep -q first '$DEMO_TMP/first.out'"
hold_client second
wait_for "the second client to be accepted" \
  "[ \"\$(clients_of $PORT)\" = 2 ] && [ \"\$(backlog_of $PORT)\" = 0 ]"
hold_client third
wait_for "the third client in the backlog" "[ \"\$(backlog_of $PORT)\" = 1 ]"
if command -v ss >/dev/null; then
  step_sh "The listener, seen by ss" \
    "Recv-Q 1 on the listener: the third, done by the kernel, not accepted; 6 ESTABLISHED: both ends of all three" \
    "ss -ltn | grep -E 'State|:$PORT '; ss -tn state established | grep -c ':$PORT ' || true"
else
  step "The listener in /proc/net/tcp" \
    "state 0A (LISTEN), rx_queue 00000001: the third client waits in the backlog" \
    grep -i ":$(printf '%04X' "$PORT") 00000000:0000 0A" /proc/net/tcp
fi
end_client first
end_client second
wait_for "the third echo" "grep -q third '$DEMO_TMP/third.out'"
step "Two clients left: the third was accepted and served" \
  "third" \
  cat "$DEMO_TMP/third.out"

say "Ctrl-C twice: the first SIGINT (or SIGTERM) waits for the clients, a second one stops the
threads now, through their stop tokens."
stop_now() {
  kill -TERM "$SERVER_PID"
  wait_refused
  echo "after SIGTERM: refused for new clients; the third client is still connected"
  kill -INT "$SERVER_PID"
  local status=0
  wait "$SERVER_PID" || status=$?
  echo "after SIGINT: echo-server exit status $status"
  DEMO_PIDS=("${DEMO_PIDS[@]:1}")
  return "$status"
}
step "SIGTERM, then SIGINT, with a client connected" "exit status 0 while the third client was still connected: its thread was stopped" \
  stop_now
end_client third

say "Try it yourself: echo-server --model=threads, then clients in other terminals, and
watch -n0.5 ls /proc/PID/task."
