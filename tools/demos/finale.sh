# The finale: the finished server and its demo page. httpd (lab 14's with two workers when it is
# built, else lab 13's) serves tools/demo-page in clear text and over TLS with the kit's
# self-signed certificate, announces the page's script in a 103 Early Hints and pushes it over
# HTTP/2. The demo prints the URLs, the commands to try and where the benchmark charts are; then
# it runs those commands. In a terminal httpd serves until Ctrl-C; unattended (make test,
# DEMO_AUTO=1) each command's output is checked, httpd is stopped and nothing may be left.
# Run it with: make demo (no LAB). DEMO_PORT and DEMO_TLS_PORT choose the ports (default: any).
source "$SYSLAB_ROOT/tools/demos/lib.sh"

HTTPD="$DEMO_BIN/httpd"
CERT="$DEMO_CERT_DIR/tls-cert.pem"
KEY="$DEMO_CERT_DIR/tls-key.pem"
PAGE="tools/demo-page"
AUTO=${DEMO_AUTO:-0}
read -r -a FLAGS <<< "${DEMO_HTTPD_FLAGS:-}"
export CERT
SHOWN_CERT=${CERT#"$PWD"/}  # as the audience would type it, from the repository's root

# Fails the demo, naming the check, when the last step's output lacks what it must show.
check() {
  local what=$1 pattern=$2 file=$3
  if ! grep -qE -- "$pattern" "$file"; then
    printf 'demo: %s: no "%s" in the output\n' "$what" "$pattern" >&2
    exit 1
  fi
}

# 103 and push came with lab 13's --preload; a server without them still gives the rest.
HINTS=0
PRELOAD=()
if [[ "$("$HTTPD" --help)" == *--early-hints* ]]; then
  HINTS=1
  PRELOAD=(--preload /waterfall.js --early-hints --push)
fi

# Started like background does (and stopped by its cleanup), with its output kept for the checks.
ARGS=(--root "$PAGE" --port "${DEMO_PORT:-0}" --tls-port "${DEMO_TLS_PORT:-0}" --cert "$CERT"
      --key "$KEY" "${PRELOAD[@]}" "${FLAGS[@]}"
      --access-log "$DEMO_TMP/access.log")
printf '%s$ %s &%s\n' "$_dim" "$(_command_line "$HTTPD" "${ARGS[@]}")" "$_off"
"$HTTPD" "${ARGS[@]}" > "$DEMO_TMP/httpd.out" 2> "$DEMO_TMP/httpd.err" &
HTTPD_PID=$!
DEMO_PIDS+=("$HTTPD_PID")
wait_for "httpd to listen" "grep -q '^listening on' '$DEMO_TMP/httpd.out'"
PORT=$(sed -n 's/^listening on .*:\([0-9]*\) and .*$/\1/p' "$DEMO_TMP/httpd.out")
TLS_PORT=$(sed -n 's/^listening on .* and .*:\([0-9]*\) (TLS)$/\1/p' "$DEMO_TMP/httpd.out")
export PORT TLS_PORT

cat <<TEXT

${_b}syslab's httpd (${DEMO_SERVER_LAB:-13-http2}${DEMO_HTTPD_FLAGS:+, ${DEMO_HTTPD_FLAGS}}) is serving the demo page${_off}
  clear text (HTTP/1.1, h2c):  http://127.0.0.1:$PORT/
  TLS (h2 or http/1.1 by ALPN): https://localhost:$TLS_PORT/
      self-signed: $SHOWN_CERT (a browser warns; curl takes --cacert)
  the page fires 24 fetches at once and draws their waterfall; a 103 Early Hints preloads
  its script (--early-hints) and HTTP/2 clients that allow it get the script pushed (--push)

${_b}try${_off}
  curl -v --http1.1 http://127.0.0.1:$PORT/                    103 Early Hints, then 200
  curl -v --http2-prior-knowledge http://127.0.0.1:$PORT/      the same over h2c
  curl -v --cacert $SHOWN_CERT https://localhost:$TLS_PORT/
  nghttp -v -a http://127.0.0.1:$PORT/                         PUSH_PROMISE, the pushed stream
  nghttp -v --no-push http://127.0.0.1:$PORT/                  SETTINGS_ENABLE_PUSH 0: no push
  nghttp -ns -m 24 'http://127.0.0.1:$PORT/delay?ms=300'       24 streams on one connection
  h2load -n 2000 -c 10 -m 5 http://127.0.0.1:$PORT/            a load, as make bench runs it
  python3 $PAGE/browse.py https://127.0.0.1:$TLS_PORT/ --cert $SHOWN_CERT --screenshot page.png

${_b}the benchmarks${_off}
  charts:  $(cd "$SYSLAB_ROOT" && ls slides/img/bench-*.png 2>/dev/null | tr '\n' ' ')
  tables:  docs/benchmarks.md (make bench runs them again; the lab 13 deck explains them)
TEXT

OUT="$DEMO_TMP/step.out"

if [[ $HINTS == 1 ]]; then
  step_sh "HTTP/1.1: the 103 Early Hints, then the page" \
    "< HTTP/1.1 103 Early Hints with its Link field, then < HTTP/1.1 200 OK: two heads, one request" \
    "curl -sv --max-time 5 --http1.1 http://127.0.0.1:$PORT/ -o /dev/null 2>&1 |
       grep -E '^< (HTTP|Link)' | tee '$OUT'"
  check "the 103 over HTTP/1.1" "^< HTTP/1.1 103 Early Hints" "$OUT"
  check "the Link field" "^< Link: </waterfall.js>; rel=preload; as=script" "$OUT"
  check "the page over HTTP/1.1" "^< HTTP/1.1 200" "$OUT"

  step_sh "HTTP/2 (h2c): the same 103, a HEADERS frame of its own before the response's" \
    "< HTTP/2 103 and its link, then < HTTP/2 200" \
    "curl -sv --max-time 5 --http2-prior-knowledge http://127.0.0.1:$PORT/ -o /dev/null 2>&1 |
       grep -E '^< (HTTP|link)' | tee '$OUT'"
  check "the 103 over HTTP/2" "^< HTTP/2 103" "$OUT"
  check "the page over HTTP/2" "^< HTTP/2 200" "$OUT"

  step_sh "server push: nghttp -v -a takes what the server pushes" \
    "PUSH_PROMISE on the page's stream 13 promising stream 2 (:path /waterfall.js), then stream 2's
     HEADERS and DATA: the script came without being asked for" \
    "nghttp -v -a --timeout=5 http://127.0.0.1:$PORT/ |
       grep -E 'PUSH_PROMISE|promised_stream_id|:path: /waterfall.js|stream_id=2\\) :status|DATA frame.*stream_id=2>' |
       tee '$OUT'"
  check "the PUSH_PROMISE" "recv PUSH_PROMISE frame" "$OUT"
  check "the pushed stream's body" "recv DATA frame .*stream_id=2>" "$OUT"

  step_sh "a client that says no: SETTINGS_ENABLE_PUSH 0 (every browser since Chrome 106)" \
    "ENABLE_PUSH(0x02):0 in the client's SETTINGS, and no PUSH_PROMISE at all" \
    "nghttp -v --no-push --timeout=5 http://127.0.0.1:$PORT/ |
       grep -E 'ENABLE_PUSH|PUSH_PROMISE|:status' | tee '$OUT'"
  check "the client's refusal" "SETTINGS_ENABLE_PUSH\\(0x02\\):0" "$OUT"
  if grep -q "recv PUSH_PROMISE" "$OUT"; then
    echo "demo: httpd pushed to a client that had said SETTINGS_ENABLE_PUSH 0" >&2
    exit 1
  fi
else
  say "(this httpd has no --early-hints or --push: the 103 and push steps are left out)"
fi

step_sh "TLS: ALPN agrees on h2, the certificate is the kit's" \
  "ALPN: server accepted h2, then HTTP/2 103 and 200" \
  "curl -sv --max-time 5 --cacert '$SHOWN_CERT' --resolve localhost:$TLS_PORT:127.0.0.1 \
     https://localhost:$TLS_PORT/ -o /dev/null 2>&1 | grep -E 'ALPN|^< HTTP' | tee '$OUT'"
check "ALPN over TLS" "ALPN: server accepted h2" "$OUT"

step_sh "24 requests at once on one connection: what the demo page does" \
  "every /delay?ms=300 answered 200, in about 300 ms all together, not 24 x 300 ms" \
  "nghttp -ns -m 24 --timeout=10 'http://127.0.0.1:$PORT/delay?ms=300' | tee '$OUT' | tail -4"
check "the 24 streams" " 200 " "$OUT"

step_sh "the process tree serving it" \
  "with lab 14's --workers 2: a master and two workers on the same ports; lab 13: one process" \
  "ps -o pid,ppid,nlwp,args --pid $HTTPD_PID --ppid $HTTPD_PID | cut -c1-110"

if command -v chromium > /dev/null; then
  step_sh "the page in headless Chromium, over TLS" \
    "protocol h2, 24 fetches with more than six in flight, and preload early-hints: the
     script came by the 103 (push: none, Chromium refuses it)" \
    "python3 '$PAGE/browse.py' https://127.0.0.1:$TLS_PORT/ --cert '$SHOWN_CERT' \
       --screenshot '$DEMO_TMP/page.png' | tee '$OUT'"
  check "the page's protocol" "^protocol h2$" "$OUT"
  check "the page's fetches" "^count 24$" "$OUT"
  if [[ $HINTS == 1 ]]; then check "the script's arrival" "^preload early-hints$" "$OUT"; fi
else
  say "(no chromium here: apt-get install chromium, and this demo loads the page in it too)"
fi

if [[ "$AUTO" != 1 ]]; then
  say "${_b}httpd serves on until Ctrl-C${_off}: open http://127.0.0.1:$PORT/ or https://localhost:$TLS_PORT/
in a browser (accept the self-signed certificate), or try the commands above. The access log
is $DEMO_TMP/access.log."
  trap 'echo; exit 0' INT  # Ctrl-C is how this demo ends: a success; the cleanup stops httpd
  wait "$HTTPD_PID" || true
  exit 0
fi

# Unattended: stop it as an operator would, and check that nothing is left behind.
step_sh "SIGTERM: httpd stops gracefully" \
  "exit status 0, and no process or listening port left" \
  "kill -TERM $HTTPD_PID
   for i in \$(seq 50); do kill -0 $HTTPD_PID 2>/dev/null || break; sleep 0.1; done
   ! kill -0 $HTTPD_PID 2>/dev/null
   cat '$DEMO_TMP/httpd.err'"
wait "$HTTPD_PID" && status=0 || status=$?
DEMO_PIDS=()
if [[ $status -ne 0 ]]; then
  echo "demo: httpd exited with status $status after SIGTERM" >&2
  exit 1
fi
if pgrep -P $$ > /dev/null; then
  echo "demo: processes left behind: $(pgrep -P $$ | tr '\n' ' ')" >&2
  exit 1
fi
for port in "$PORT" "$TLS_PORT"; do
  if ss -ltnH "sport = :$port" | grep -q .; then
    echo "demo: port $port is still listening" >&2
    exit 1
  fi
done
say "httpd exited 0; no child, no listening port left."
