# Lab 13, the TLS part of the live demo: httpd with a second port that speaks TLS, where ALPN
# (in the handshake, before any HTTP byte) decides between HTTP/2 and HTTP/1.1. openssl s_client
# shows the agreement itself, curl -v the same from a client's view for h2 and for http/1.1, and
# nghttp the HTTP/2 frames inside the encrypted connection. Run it with:
#   make demo LAB=13 (when the lab's demo calls it), or, after building lab 13:
#   SYSLAB_ROOT=$PWD DEMO_BIN=build/solutions/13-http2 bash tools/demos/13-http2-tls.sh
source "$SYSLAB_ROOT/tools/demos/lib.sh"

HTTPD="$DEMO_BIN/httpd"
CERT="$DEMO_BIN/tls-cert.pem"
KEY="$DEMO_BIN/tls-key.pem"
mkdir -p "$DEMO_TMP/www"
printf '<h1>syslab over TLS</h1>\n' > "$DEMO_TMP/www/index.html"

say "httpd listens twice: its clear-text port as before, and --tls-port with the kit's
self-signed certificate for localhost (made by the build: $CERT). One set of loops serves both."

background bash -c "exec '$HTTPD' --root '$DEMO_TMP/www' --tls-port 0 --cert '$CERT' \
  --key '$KEY' --quiet > '$DEMO_TMP/httpd.out' 2> '$DEMO_TMP/httpd.err'"
wait_for "httpd to listen" "grep -q '^listening on' '$DEMO_TMP/httpd.out'"
# "listening on 127.0.0.1:PORT and 127.0.0.1:TLSPORT (TLS)"
TLS_PORT=$(sed -n 's/^listening on .* and .*:\([0-9]*\) (TLS)$/\1/p' "$DEMO_TMP/httpd.out")
export CERT TLS_PORT

step "the line httpd prints: both ports" \
  "the second address is the TLS one; a test finds it the same way" \
  cat "$DEMO_TMP/httpd.out"

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
   cat "$DEMO_TMP/httpd.err"'

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
