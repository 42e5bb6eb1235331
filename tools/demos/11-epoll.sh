# Lab 11, the live demo: the epoll echo server as the kernel sees it. Its fds (eventpoll, eventfd,
# timerfd, signalfd), the epoll interest list in /proc/PID/fdinfo, epoll_wait under strace, one
# loop per thread, the idle timeout, EMFILE without a busy loop, and a few thousand connections.
# Run it with: make demo LAB=11
source "$SYSLAB_ROOT/tools/demos/lib.sh"

SERVER="$DEMO_BIN/echo-server"

# The port from a server's "listening on ADDRESS:PORT" line in file $1.
port_of() { sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$1"; }

# Starts echo-server with the given arguments; sets PID and PORT.
start_server() {
  local out="$DEMO_TMP/server-$RANDOM.out"
  background bash -c "exec '$SERVER' --host 127.0.0.1 --port 0 $* > '$out'"
  PID=${DEMO_PIDS[-1]}
  wait_for "the server to listen" "grep -q '^listening on' '$out'"
  PORT=$(port_of "$out")
}

# A small client: clients.py PORT N [HOLD_SECONDS] opens N connections at once, echoes one line
# on each, and says how many came back and how many the server closed; holds them open meanwhile.
cat > "$DEMO_TMP/clients.py" <<'PY'
import resource, selectors, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
hold = float(sys.argv[3]) if len(sys.argv) > 3 else 0
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
conns = []
for i in range(n):
    conns.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    if i % 500 == 499: time.sleep(0.05)  # let the server accept: the backlog is 4096
echoed = closed = 0
for i, c in enumerate(conns):
    c.settimeout(2)
    try:
        c.sendall(b"line %d\n" % i)
        got = c.recv(64)
        if got: echoed += 1
        else: closed += 1
    except OSError:
        closed += 1
print(f"{n} connections: {echoed} echoed, {closed} closed by the server")
sys.stdout.flush()
time.sleep(hold)
PY
clients() { python3 "$DEMO_TMP/clients.py" "$@"; }

say "echo-server --model=epoll: one thread, one event loop on epoll."
start_server --model=epoll

step_sh "Its file descriptors" \
  "anon_inode:[eventpoll] (the epoll instance), [eventfd] (wake-ups), [timerfd] (timers), [signalfd] (SIGTERM), the listening socket, /dev/null (the spare fd for EMFILE)" \
  "ls -l /proc/$PID/fd | awk 'NR > 1 {print \$9, \$10, \$11}'"

EPFD=$(ls -l "/proc/$PID/fd" | awk '$NF == "anon_inode:[eventpoll]" {print $9}')
clients "$PORT" 3 3 > "$DEMO_TMP/three.out" &
CLIENTS=$!
wait_for "three clients" "[ -s '$DEMO_TMP/three.out' ]"
step_sh "The epoll interest list, as the kernel keeps it, with three clients connected" \
  "one tfd line per watched fd: eventfd, timerfd, listener, signalfd and the three connections; events 80000019 = EPOLLET | EPOLLHUP | EPOLLERR | EPOLLIN" \
  "cat $DEMO_TMP/three.out; cat /proc/$PID/fdinfo/$EPFD"
wait "$CLIENTS"

if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
  trace_it() {
    ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=epoll_wait,epoll_ctl,accept4 -o "$DEMO_TMP/trace" \
      "$SERVER" --model=epoll --port 0 > "$DEMO_TMP/traced.out" &
    local tracer=$!
    wait_for "the traced server" "grep -q '^listening on' '$DEMO_TMP/traced.out'"
    clients "$(port_of "$DEMO_TMP/traced.out")" 2
    kill -TERM "$(pgrep -P $tracer)" 2>/dev/null || true
    wait "$tracer" || true
    grep -v -- '---' "$DEMO_TMP/trace" | head -20
  }
  step "The system calls: two clients" \
    "epoll_ctl(ADD) once per fd, accept4 until EAGAIN, epoll_wait returning only the ready fds (= 1, = 2)" \
    trace_it
else
  say "(strace is not available here: strace -e epoll_wait,epoll_ctl shows one ADD per connection)"
fi

say "--model=epoll-threads --threads 3: an acceptor loop and three I/O loops, one per thread."
start_server --model=epoll-threads --threads 3
step_sh "Threads and epoll instances" \
  "Threads: 4; four anon_inode:[eventpoll], four eventfds, four timerfds: one of each per loop" \
  "grep Threads /proc/$PID/status; ls -l /proc/$PID/fd | awk 'NR > 1 {print \$11}' | sort | uniq -c"

say "--idle-timeout 1000: a connection quiet for a second is closed by the server."
start_server --model=epoll --idle-timeout 1000
quiet_client() {
  python3 - "$PORT" <<'PY'
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
start = time.monotonic()
c.sendall(b"hello\n"); print("echo:", c.recv(64))
print("EOF after %.1f s of silence" % (time.monotonic() - start) if c.recv(64) == b"" else "data?")
PY
}
step "A client that says one line, then nothing" \
  "the echo, then EOF about 1.0 s later: the connection's timer (a timerfd deadline) found it quiet" \
  quiet_client

say "EMFILE: a server with a soft RLIMIT_NOFILE of 16 (--max-fds 16), and 30 clients at once. With
no fd free, accept4 fails but the connection stays queued, and the listener stays readable."
start_server --model=epoll --trigger=level --max-fds 16
emfile() {
  local before after
  before=$(awk '{print $14 + $15}' "/proc/$PID/stat")
  clients "$PORT" 30
  sleep 1
  after=$(awk '{print $14 + $15}' "/proc/$PID/stat")
  echo "CPU time used by the server over those seconds: $((after - before)) clock ticks of $(getconf CLK_TCK) per second"
  grep 'Max open files' "/proc/$PID/limits"
}
step "30 clients against 16 fds" \
  "7 echoed (16 fds less the server's own 9), the other 23 closed at once (the spare fd), and the server's CPU time barely moves: no busy loop" \
  emfile

say "C10K in small: 2,000 connections at once on the epoll-threads server."
start_server --model=epoll-threads --threads 2
many() {
  clients "$PORT" 2000 3 > "$DEMO_TMP/many.out" &
  local client=$!
  wait_for "2,000 echoes" "[ -s '$DEMO_TMP/many.out' ]" 60  # echoed; held open 3 s more
  cat "$DEMO_TMP/many.out"
  echo "server fds now: $(ls /proc/$PID/fd | wc -l) ($(awk '/Max open files/ {print "soft limit", $4}' /proc/$PID/limits))"
  if command -v ss >/dev/null; then ss -s | head -2; fi
  wait "$client"
}
step "2,000 clients, each echoing one line" \
  "2000 echoed, 0 closed; the server holds 2,000 sockets (it raised its soft limit at start); ss -s counts the TCP sockets" \
  many

say "Try it yourself: build/solutions/11-epoll/echo-server --model=epoll-threads --threads 2, then
cat /proc/PID/fdinfo/N for each anon_inode:[eventpoll] while clients connect."
