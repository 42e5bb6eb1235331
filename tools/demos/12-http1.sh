# Lab 12 (part 1), the live demo: the HTTP/1.1 codec on its own, no socket. http-parse feeds bytes
# to it as a server feeds what it reads: one request byte by byte, pipelined requests, and the
# smuggling attempts it refuses, each with its status and the rule. Run it with: make demo LAB=12
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

say "Part 2 puts this codec on lab 11's reactor: httpd, keep-alive and pipelining on sockets."
