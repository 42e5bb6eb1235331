# Lab 14, the live demo: the whole kit in one process tree. httpd --workers 2 --threads 2: lab
# 08's master keeps two workers, each lab 13's httpd on two event loops of lab 11, on one shared
# listening socket (clear text and TLS). Then a reload with a client sending all along (no request
# fails), a worker killed and replaced, the same with --reuseport (a socket per worker slot), and a
# graceful stop. The master logs every event on stderr, shown after the steps that make them.
# Run it with: make demo LAB=14
source "$SYSLAB_ROOT/tools/demos/lib.sh"

HTTPD="$DEMO_BIN/httpd"
CERT="$DEMO_BIN/tls-cert.pem"
KEY="$DEMO_BIN/tls-key.pem"
mkdir -p "$DEMO_TMP/www"
printf 'hello from the workers\n' > "$DEMO_TMP/www/index.html"

# The children of $1, one pid a line.
children() { ps --ppid "$1" -o pid= | tr -d ' '; }
# Each process of the tree under $1: pid, parent, threads, what it is.
tree() { ps -o pid,ppid,nlwp,args --pid "$1" --ppid "$1" | cut -c1-110; }
# Requests GET / over and over until the file $2 exists, one line per answer in $3 ("200", or
# "000" when no answer came): half on new connections, half on one keep-alive connection.
steady_client() {
  local port=$1 stop=$2 out=$3
  until [[ -e $stop ]]; do
    curl -s -o /dev/null -o /dev/null -w '%{http_code}\n' --max-time 5 "http://127.0.0.1:$port/" \
      "http://127.0.0.1:$port/" >> "$out" || true
  done
}
export -f children tree steady_client

# Sends SIGTERM to the master $1 and waits for it (our child: only we can reap it); its log $2.
stop_master() {
  local status=0
  kill -TERM "$1"
  wait "$1" || status=$?
  DEMO_PIDS=()
  tail -5 "$2"
  echo "httpd exit status $status"
  return "$status"
}

say "One command, the whole course: a master (lab 08) keeps 2 workers; each is lab 13's httpd
(HTTP/1.1 and HTTP/2, clear text and TLS) on 2 I/O loops of lab 11 plus its base loop."

background bash -c "exec '$HTTPD' --workers 2 --threads 2 --root '$DEMO_TMP/www' --quiet \
  --tls-port 0 --cert '$CERT' --key '$KEY' > '$DEMO_TMP/httpd.out' 2> '$DEMO_TMP/httpd.log'"
MASTER=${DEMO_PIDS[-1]}
wait_for "httpd to listen" "grep -q '^listening on' '$DEMO_TMP/httpd.out'"
# "listening on 127.0.0.1:PORT and 127.0.0.1:TLSPORT (TLS)"
PORT=$(sed -n 's/^listening on [^ ]*:\([0-9]*\) and .*$/\1/p' "$DEMO_TMP/httpd.out")
TLS_PORT=$(sed -n 's/^listening on .* and .*:\([0-9]*\) (TLS)$/\1/p' "$DEMO_TMP/httpd.out")
export MASTER PORT TLS_PORT CERT

step_sh "The process tree: the master and its workers" \
  "NLWP (threads): 1 for the master, which only manages; 3 for each worker (2 I/O loops + the
   loop that accepts); the log says 'worker PID started (generation 1, slot N)' for slots 0 and 1" \
  'tree $MASTER; cat "$DEMO_TMP/httpd.log"'

step_sh "Two listening sockets (clear text and TLS), each shared by every process" \
  "the same two socket:[INODE] in the master and in both workers: the kernel queues each new
   connection once, and whichever worker accepts first takes it" \
  'for pid in $MASTER $(children $MASTER); do
     echo "$pid: $(ls -l /proc/$pid/fd | grep -o "socket:\[[0-9]*\]" | sort -u | tr "\n" " ")"
   done'

step_sh "Every protocol of the course through the workers" \
  "HTTP/1.1, h2c (prior knowledge), and h2 over TLS agreed by ALPN: 1.1, 2, 2" \
  'curl -s --max-time 5 -w " %{http_version}\n" --http1.1 http://127.0.0.1:$PORT/
   curl -s --max-time 5 -w " %{http_version}\n" --http2-prior-knowledge http://127.0.0.1:$PORT/
   curl -s --max-time 5 -w " %{http_version}\n" --http2 --cacert "$CERT" \
     --resolve localhost:$TLS_PORT:127.0.0.1 https://localhost:$TLS_PORT/'

say "SIGHUP reloads: the master starts a new generation first, then sends SIGTERM to the old
one. The listening sockets stay open in the master, so nobody is refused; old workers answer
what they have in flight (Connection: close, or GOAWAY) and exit. A client sends all along."

step_sh "kill -HUP the master twice while a client keeps sending" \
  "every answer 200 (a 000 would be a failed request); the pids of the workers changed twice" \
  'cd "$DEMO_TMP"; rm -f stop; : > answers
   steady_client $PORT stop answers & CLIENT=$!
   until [[ $(wc -l < answers 2>/dev/null || echo 0) -ge 20 ]]; do sleep 0.05; done
   echo "workers before: $(children $MASTER | tr "\n" " ")"
   for gen in 2 3; do
     kill -HUP $MASTER
     until [[ $(grep -c "generation $((gen - 1)), retired" httpd.log) -ge 2 ]]; do sleep 0.05; done
   done
   echo "workers after:  $(children $MASTER | tr "\n" " ")"
   touch stop; wait $CLIENT
   sort answers | uniq -c'

step "The master's log of the two reloads" \
  "got SIGHUP; starting generation 2; two started; the old two 'exited 0 (generation 1, retired)'" \
  grep -E "SIGHUP|started|retired" "$DEMO_TMP/httpd.log"

step_sh "kill -9 one worker" \
  "'worker PID killed by SIGKILL unexpectedly; replacing it', and a new pid beside the other" \
  'victim=$(children $MASTER | head -1); kill -KILL $victim
   until grep -q "$victim killed by SIGKILL" "$DEMO_TMP/httpd.log"; do sleep 0.05; done
   until [[ $(children $MASTER | wc -l) -eq 2 ]]; do sleep 0.05; done
   tail -2 "$DEMO_TMP/httpd.log"; tree $MASTER'

step "SIGTERM: every worker stops gracefully, then the master" \
  "'got SIGTERM; stopping 2 workers', both retired, 'stopped', exit status 0" \
  stop_master "$MASTER" "$DEMO_TMP/httpd.log"

say "--reuseport: one listening socket per worker slot (SO_REUSEPORT), opened by the master, each
worker serving its slot's; the kernel picks one for each new connection by a hash of its addresses
and ports: no herd of workers woken for one connection. The sockets are the master's: a worker's
successor (after a reload or a crash) takes over the same socket and what waits in its queue."

background bash -c "exec '$HTTPD' --workers 2 --threads 1 --reuseport --root '$DEMO_TMP/www' \
  --quiet > '$DEMO_TMP/reuse.out' 2> '$DEMO_TMP/reuse.log'"
wait_for "httpd --reuseport to listen" "grep -q '^listening on' '$DEMO_TMP/reuse.out'"
RPORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$DEMO_TMP/reuse.out")
export RPORT

step_sh "ss -ltnp: one LISTEN socket per worker slot, on the same port" \
  "two lines for :$RPORT, each held by the master and one worker (two pids in users:...)" \
  'ss -ltnp "sport = :$RPORT"'

step_sh "40 connections, and where they went" \
  "each worker holds some of them: the kernel spread them (the counts differ from run to run)" \
  'fds=()
   for i in $(seq 40); do
     exec {fd}<>/dev/tcp/127.0.0.1/$RPORT; fds+=($fd)
     printf "GET / HTTP/1.1\r\nHost: demo\r\n\r\n" >&$fd
   done
   until [[ $(ss -Htn state established "sport = :$RPORT" | wc -l) -ge 40 ]]; do sleep 0.05; done
   ss -tnp state established "sport = :$RPORT" | grep -o "pid=[0-9]*" | sort | uniq -c
   for fd in "${fds[@]}"; do exec {fd}>&-; done'
