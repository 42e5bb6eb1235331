# Lab 08, the live demo: process models. Fork per connection (a child per client, reaped when it
# leaves), then prefork: three workers before any client, all on one listening socket; a worker
# killed and replaced; SIGHUP replacing every worker while an old one finishes its client;
# SIGTERM stopping them all. The master logs every event on stderr, shown after each step.
# Run it with: make demo LAB=08
source "$SYSLAB_ROOT/tools/demos/lib.sh"

SERVER="$DEMO_BIN/echo-server"

# The port from a server's "listening on ADDRESS:PORT" line in file $1.
port_of() { sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$1"; }
# The children of $1, one pid a line.
children() { ps --ppid "$1" -o pid= | tr -d ' '; }
# A client made of bash alone (/dev/tcp): connects to 127.0.0.1:$1, sends each word after $2 as
# a line, prints the line that comes back, and waits $2 seconds between words; then closes.
talk() {
  local port=$1 pause=$2 line i
  shift 2
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  for ((i = 1; i <= $#; i++)); do
    ((i == 1)) || sleep "$pause"
    printf '%s\n' "${!i}" >&3
    IFS= read -r -t 5 line <&3
    printf '%s\n' "$line"
  done
  exec 3<&-
}
export -f children talk

# Sends SIGTERM to server $1 and waits for it (it is our child: only we can reap it); its log $2.
stop_server() {
  local status=0
  kill -TERM "$1"
  wait "$1" || status=$?
  DEMO_PIDS=()
  tail -"$3" "$2"
  ps --ppid "$1" -o pid,comm || echo "(no children left)"
  echo "echo-server exit status $status"
  return "$status"
}

say "Fork per connection: the master accepts, and each client gets a child of its own."

background bash -c "exec '$SERVER' --model=fork --port 0 > '$DEMO_TMP/fork.out' 2> '$DEMO_TMP/fork.log'"
FORK_PID=${DEMO_PIDS[-1]}
wait_for "the fork server to listen" "grep -q '^listening on' '$DEMO_TMP/fork.out'"
FORK_PORT=$(port_of "$DEMO_TMP/fork.out")

step_sh "Two clients connected: two children" \
  "one echo-server child per client (state S); once the clients leave, none is left, not even a zombie (Z)" \
  "cd '$DEMO_TMP'
   talk $FORK_PORT 1 from-A bye-A > a.out &
   talk $FORK_PORT 1 from-B bye-B > b.out &
   until grep -q from-A a.out 2>/dev/null && grep -q from-B b.out 2>/dev/null; do sleep 0.05; done
   ps --ppid $FORK_PID -o pid,ppid,stat,comm
   wait
   for i in \$(seq 50); do [ -z \"\$(children $FORK_PID)\" ] && break; sleep 0.1; done
   echo 'after the clients left:'; ps --ppid $FORK_PID -o pid,ppid,stat,comm || echo '(no children)'
   echo 'the master says:'; cat fork.log"

step "Stop the fork server" \
  "got SIGTERM; stopped; exit status 0" \
  stop_server "$FORK_PID" "$DEMO_TMP/fork.log" 2

say "Prefork: the master listens, forks three workers, and from then on never accepts. The
workers accept on the socket they share; the master only handles signals (Gunicorn's arbiter)."

background bash -c "exec '$SERVER' --model=prefork --workers 3 --port 0 > '$DEMO_TMP/pre.out' 2> '$DEMO_TMP/pre.log'"
MASTER=${DEMO_PIDS[-1]}
wait_for "the prefork server to listen" "grep -q '^listening on' '$DEMO_TMP/pre.out'"
PORT=$(port_of "$DEMO_TMP/pre.out")

step_sh "Three workers before the first client" \
  "three children of the master; the log says 'worker PID started (generation 1, slot N)' for slots 0, 1 and 2" \
  "ps --ppid $MASTER -o pid,ppid,stat,comm; cat '$DEMO_TMP/pre.log'"

step_sh "One listening socket, in every process" \
  "the same socket:[INODE] in the master and in each worker: one socket, four fds" \
  "for pid in $MASTER \$(children $MASTER); do
     echo \"\$pid: \$(ls -l /proc/\$pid/fd | grep -o 'socket:\[[0-9]*\]' | tr '\n' ' ')\"
   done"

step_sh "A client" \
  "served by one of the workers; the master has no connection fd" \
  "talk $PORT 0 'hello, prefork'"

VICTIM=$(children "$MASTER" | head -1)
step_sh "Kill worker $VICTIM with SIGKILL" \
  "'killed by SIGKILL unexpectedly; replacing it', then a new worker: three children again" \
  "kill -KILL $VICTIM
   for i in \$(seq 50); do
     [ \"\$(children $MASTER | wc -l)\" = 3 ] && ! children $MASTER | grep -qx $VICTIM && break
     sleep 0.1
   done
   ps --ppid $MASTER -o pid,ppid,stat,comm; tail -2 '$DEMO_TMP/pre.log'"

say "SIGHUP: a new generation of three workers starts, then the old ones get SIGTERM. Client C is
connected to an old worker meanwhile: that worker finishes C before it exits."

step_sh "SIGHUP with a client connected" \
  "four children for a moment (three new, one old busy with C); C gets 'one' and 'two'; then three" \
  "cd '$DEMO_TMP'
   talk $PORT 1.5 one two > c.out &
   until grep -q one c.out 2>/dev/null; do sleep 0.05; done
   kill -HUP $MASTER
   for i in \$(seq 50); do [ \"\$(children $MASTER | wc -l)\" = 4 ] && break; sleep 0.1; done
   echo 'during the reload:'; ps --ppid $MASTER -o pid,ppid,stat,comm
   wait
   echo 'C got:'; cat c.out
   for i in \$(seq 50); do [ \"\$(children $MASTER | wc -l)\" = 3 ] && break; sleep 0.1; done
   echo 'after C left:'; ps --ppid $MASTER -o pid,ppid,stat,comm
   grep -E 'SIGHUP|generation 1, retired|generation 2' pre.log"

step "SIGTERM: a graceful stop" \
  "'got SIGTERM; stopping 3 workers', each worker 'exited 0', 'stopped'; exit status 0; no child left" \
  stop_server "$MASTER" "$DEMO_TMP/pre.log" 5

say "Try it yourself: echo-server --model=prefork --workers 2 in one terminal; three echo-clients:
the third one waits for a worker. strace -f -e trace=poll,accept4 shows the thundering herd."
