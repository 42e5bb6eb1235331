# Lab 07, the live demo: an iterative TCP echo server. The kernel's port for port 0, the client's
# two modes, a second client that waits for the first, a graceful stop with a client connected,
# TIME_WAIT and a restart on the same port, IPv6, and the system calls behind it.
# Run it with: make demo LAB=07
source "$SYSLAB_ROOT/tools/demos/lib.sh"

SERVER="$DEMO_BIN/echo-server"
CLIENT="$DEMO_BIN/echo-client"

# The port from a server's "listening on ADDRESS:PORT" line in file $1.
port_of() { sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$1"; }

say "echo-server listens on port 0: the kernel chooses a free port, and the server says which."

# Its stdout goes to a file, so that the demo can read the port from it.
background bash -c "exec '$SERVER' --host 127.0.0.1 --port 0 > '$DEMO_TMP/server.out'"
SERVER_PID=${DEMO_PIDS[-1]}
wait_for "the server to listen" "grep -q '^listening on' '$DEMO_TMP/server.out'"
PORT=$(port_of "$DEMO_TMP/server.out")

step "The line the server printed" \
  "listening on 127.0.0.1:PORT: the real port, which tests and clients read" \
  cat "$DEMO_TMP/server.out"

if command -v ss >/dev/null; then
  step_sh "Who listens on it" \
    "state LISTEN, the port, and (as root) users:((\"echo-server\",pid=...)); Send-Q is the backlog" \
    "ss -ltnp | grep -E 'State|:$PORT '"
fi

step_sh "The client, line by line" \
  "each line comes back as it was sent" \
  "printf 'hello\nsockets\n' | '$CLIENT' 127.0.0.1 $PORT"

step "16 MiB of pseudo-random bytes, sent and read at the same time" \
  "all 16777216 bytes match; exit status 0" \
  "$CLIENT" --bytes 16777216 127.0.0.1 "$PORT"

say "The server is iterative: one client at a time. Client A holds its connection for two seconds;
client B connects meanwhile (the kernel completes its handshake) but waits for its echo."

step_sh "Two clients at once" \
  "the listener's Recv-Q is 1 (B waits in the backlog); B has nothing after 0.5 s, its echo after A left" \
  "cd '$DEMO_TMP'
   ( echo from-A; sleep 2 ) | '$CLIENT' 127.0.0.1 $PORT > a.out &
   until grep -q from-A a.out 2>/dev/null; do sleep 0.05; done
   start=\$(date +%s%N)
   echo from-B | '$CLIENT' 127.0.0.1 $PORT > b.out &
   sleep 0.5
   ss -ltn | grep -E 'State|:$PORT ' || true
   echo \"B after 0.5 s: '\$(cat b.out)'\"
   wait
   echo \"B got '\$(cat b.out)' after \$(( (\$(date +%s%N) - start) / 1000000 )) ms\""

say "A graceful stop: with a client connected, SIGTERM makes the server close its listener at
once, finish the client it serves, and exit 0."

stop_with_client() {
  cd "$DEMO_TMP"
  (echo one; sleep 1.5; echo two) | "$CLIENT" 127.0.0.1 "$PORT" > c.out &
  local client=$!
  until grep -q one c.out 2>/dev/null; do sleep 0.05; done
  kill -TERM "$SERVER_PID"
  sleep 0.2
  echo "a new client now:"
  "$CLIENT" --bytes 10 127.0.0.1 "$PORT" || echo "(refused, exit status $?)"
  wait "$client"
  echo "the connected client got:"; cat c.out
  local status=0
  wait "$SERVER_PID" || status=$?
  echo "echo-server exit status $status"
  DEMO_PIDS=()
  return "$status"
}
step "SIGTERM with a client connected" \
  "'Connection refused' for the new client; 'one' and 'two' for the connected one; exit status 0" \
  stop_with_client

if command -v ss >/dev/null; then
  step_sh "TIME_WAIT: the side that closes first keeps the connection for 60 s" \
    "here the clients closed first (shutdown after their last line): TIME-WAIT on their ports, with $PORT as the peer" \
    "ss -tan state time-wait | grep -E ':$PORT ' | head -5 || true"
fi

say "A server restarted while it had clients is often the side that closed first; SO_REUSEADDR lets
it bind its port again at once all the same (Listen.ReuseAddressRestartsAtOnceDuringTimeWait puts
the server's side in TIME_WAIT and proves it). Here: a new server on the same port, at once."

background bash -c "exec '$SERVER' --host 127.0.0.1 --port $PORT > '$DEMO_TMP/again.out'"
wait_for "the restarted server" "grep -q '^listening on' '$DEMO_TMP/again.out'"
step "The restarted server, same port" \
  "listening on 127.0.0.1:$PORT, no 'Address already in use'" \
  cat "$DEMO_TMP/again.out"

if grep -q 00000000000000000000000000000001 /proc/net/if_inet6 2>/dev/null; then
  background bash -c "exec '$SERVER' --host ::1 --port 0 > '$DEMO_TMP/v6.out'"
  wait_for "the IPv6 server" "grep -q '^listening on' '$DEMO_TMP/v6.out'"
  V6PORT=$(port_of "$DEMO_TMP/v6.out")
  step_sh "IPv6: the same code on ::1" \
    "listening on [::1]:PORT; the client resolves ::1 with getaddrinfo and connects" \
    "cat '$DEMO_TMP/v6.out'; echo over-ipv6 | '$CLIENT' ::1 $V6PORT"
fi

if command -v strace >/dev/null; then
  # LeakSanitizer cannot run under ptrace: turn it off for this one run.
  step_sh "The client's system calls" \
    "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, ...), connect(...) = 0, shutdown(SHUT_WR)" \
    "ASAN_OPTIONS=detect_leaks=0 strace -e trace=network '$CLIENT' --bytes 10 127.0.0.1 $PORT 2>&1 \\
       | grep -E 'socket|connect|shutdown|match' || true"
else
  say "(strace is not installed: apt-get install strace shows socket, connect and shutdown)"
fi

say "Try it yourself: two echo-client 127.0.0.1 PORT in two terminals, type in both; the second
one's lines come back when the first ends (Ctrl-D)."
