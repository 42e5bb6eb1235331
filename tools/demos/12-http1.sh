# Lab 12, the live demo. First the HTTP/1.1 codec on its own, no socket: http-parse feeds bytes to
# it as a server feeds what it reads (one request byte by byte, pipelined requests, the smuggling
# attempts it refuses). Then httpd on lab 11's reactor: curl -v, one connection kept for several
# requests, pipelining by hand, and a slowloris client cut with 408. Run it with: make demo LAB=12
source "$SYSLAB_ROOT/tools/demos/lib.sh"

PARSE="$DEMO_BIN/http-parse"
export PARSE

# Writes a request file from printf-style text: req NAME 'FORMAT'.
req() { printf "$2" > "$DEMO_TMP/$1"; }

req simple 'GET /search?q=llhttp HTTP/1.1\r\nHost: demo.test\r\nAccept: text/html\r\naccept: text/plain\r\n\r\n'
req pipelined 'GET /one HTTP/1.1\r\nHost: a\r\n\r\nPOST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: a\r\n\r\n'
req chunked 'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nChecksum: abc\r\n\r\n'
req cl-te 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG'
req obs-fold 'GET / HTTP/1.1\r\nHost: a\r\nX-Note: one\r\n two\r\n\r\n'
req space-colon 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'
req bare-lf 'GET / HTTP/1.1\nHost: a\r\n\r\n'
req gzip 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'
req big-chunks 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n6789a\r\n0\r\n\r\n'

say "http-parse: bytes in, requests out. The codec under it has no socket: what a server reads
from a connection, it feeds to the codec, in whatever pieces the reads gave."

step "one request, fed whole" \
  "the target split into path and query; both Accept fields kept, in order, with their case" \
  "$PARSE" "$DEMO_TMP/simple"

step "the same bytes, one byte per read (--split 1)" \
  "exactly the same request: llhttp reported names and values in pieces, the codec appended them" \
  "$PARSE" --split 1 "$DEMO_TMP/simple"

step "four requests in one read; the third says Connection: close" \
  "three requests, the third marked (then close); /never is not parsed: the connection ends" \
  "$PARSE" "$DEMO_TMP/pipelined"

step "a chunked body with an extension and a trailer, in 3-byte reads" \
  "body 'hello, world' from two chunks; Checksum is a trailer, kept apart from the headers" \
  "$PARSE" --split 3 "$DEMO_TMP/chunked"

say "Request smuggling: a proxy that trusts Content-Length and a server that trusts chunked see
different requests in the same bytes. The codec refuses every ambiguity with a status."

step_fails "CL.TE: Content-Length: 6 and Transfer-Encoding: chunked, the body '0\\r\\n\\r\\nG'" \
  "400, refused by llhttp itself (lenient flags off); --respond shows the answer, Connection: close" \
  "$PARSE" --respond "$DEMO_TMP/cl-te"

step_fails "obs-fold: a field line that starts with a space (llhttp accepts it)" \
  "400 from the codec's LineChecker (RFC 9112 §5.2)" \
  "$PARSE" "$DEMO_TMP/obs-fold"

step_fails "Host : a — whitespace before the colon (llhttp passes the name 'Host ')" \
  "400 (RFC 9112 §5.1)" \
  "$PARSE" "$DEMO_TMP/space-colon"

step_fails "a bare LF after the request line (llhttp accepts it there)" \
  "400: this server's documented choice, CRLF everywhere (RFC 9112 §2.2 allows either)" \
  "$PARSE" "$DEMO_TMP/bare-lf"

step_fails "Transfer-Encoding: gzip, chunked" \
  "501: chunked is last, so the body could be framed, but gzip is a coding the server lacks" \
  "$PARSE" "$DEMO_TMP/gzip"

step_fails "--max-body 10 and a chunked body of 6 + 5 bytes" \
  "413 at the second chunk's size line: refused before its data is read" \
  "$PARSE" --max-body 10 "$DEMO_TMP/big-chunks"

say "Part 2 puts this codec on lab 11's reactor: httpd serves a directory and the test routes."

HTTPD="$DEMO_BIN/httpd"
mkdir -p "$DEMO_TMP/www"
printf '<h1>syslab</h1>\n' > "$DEMO_TMP/www/index.html"
background bash -c "exec '$HTTPD' --root '$DEMO_TMP/www' --header-timeout 1000 \
  --access-log '$DEMO_TMP/access.log' > '$DEMO_TMP/httpd.out'"
wait_for "httpd to listen" "grep -q '^listening on' '$DEMO_TMP/httpd.out'"
PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$DEMO_TMP/httpd.out")
export PORT

step "curl -v: one request, the whole exchange" \
  "the request curl sends, then 200 OK with Date, Server, ETag, Content-Length" \
  curl -sv --max-time 5 "http://127.0.0.1:$PORT/"

step "two URLs in one curl: %{num_connects} says how many connections each needed" \
  "1 then 0: the second request went over the kept-alive connection" \
  curl -s --max-time 5 -o /dev/null -o /dev/null -w '%{num_connects}\n' \
  "http://127.0.0.1:$PORT/" "http://127.0.0.1:$PORT/status/204"

step_sh "keep-alive seen by the kernel: one connection, several requests, then ss -tni" \
  "one ESTAB socket to the server's port while the connection idles, its segs_in/segs_out
   counting the requests it carried; after --keepalive-timeout it would be gone" \
  'exec 3<>/dev/tcp/127.0.0.1/$PORT
   for i in 1 2 3; do
     printf "GET /status/204 HTTP/1.1\r\nHost: d\r\n\r\n" >&3
     timeout 5 head -1 <&3
   done
   ss -tni state established "( sport = :$PORT )" | grep -E -A1 "^[0-9]+ +[0-9]+ " |
     grep -o -w -E "127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:[0-9]+|segs_(in|out):[0-9]+" | paste -sd " "'

step_sh "pipelining by hand: a slow request, then a quick one, in one write" \
  "the delayed answer comes first: responses go out in the order of the requests" \
  'exec 3<>/dev/tcp/127.0.0.1/$PORT
   printf "GET /delay?ms=300 HTTP/1.1\r\nHost: d\r\n\r\nGET /status/200 HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n" >&3
   timeout 5 cat <&3 | grep -a -E "^HTTP|^waited|^200 OK"'

step_sh "slowloris: half a request head, then nothing (httpd runs with --header-timeout 1000)" \
  "after a second: 408 Request Timeout, and the connection closed" \
  'exec 3<>/dev/tcp/127.0.0.1/$PORT
   printf "GET / HTTP/1.1\r\nHost: d\r\nX-Slow: " >&3
   timeout 5 head -1 <&3'

step "the access log: common log format plus the time each request took, in µs" \
  "one line per request, the 408 included" \
  cat "$DEMO_TMP/access.log"
