"""The minimal ASGI app that make bench's seed section runs under Hypercorn (tools/kit/bench_seed.py).

It answers GET of one path with the bytes of one file, read once at start-up, and GET
/delay?ms=N with the same bytes after N ms (as httpd's route): what is measured is Hypercorn's
HTTP/1.1 and HTTP/2 on asyncio, not a framework. Run by hand:
    SYSLAB_BENCH_FILE=www/small.html hypercorn --bind 127.0.0.1:8000 tools/bench/asgi_app.py:app
then `curl http://127.0.0.1:8000/small.html` or `h2load -n 100 http://127.0.0.1:8000/small.html`
(make bench gives Hypercorn its listening socket instead: see bench_seed.hypercorn_command).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

FILE = Path(os.environ.get("SYSLAB_BENCH_FILE", "small.html"))
BODY = FILE.read_bytes() if FILE.is_file() else b""
PATH = "/" + FILE.name
FOUND = [(b"content-type", b"text/html"), (b"content-length", str(len(BODY)).encode())]
NOT_FOUND = [(b"content-type", b"text/plain"), (b"content-length", b"10")]


async def app(scope, receive, send):
    """200 with the file's bytes for GET of its path, 404 for any other path (the lifespan
    protocol is declined: Hypercorn goes on without it)."""
    if scope["type"] != "http":
        raise RuntimeError(f"asgi_app: no {scope['type']} here")
    while (await receive()).get("more_body"):
        pass  # the request's body, read to its end (a GET has none)
    if scope["path"] == "/delay":
        await send_after_wait(scope, send)
        return
    found = scope["path"] == PATH and BODY
    await send({"type": "http.response.start", "status": 200 if found else 404,
                "headers": FOUND if found else NOT_FOUND})
    await send({"type": "http.response.body", "body": BODY if found else b"not found\n"})


async def send_after_wait(scope, send):
    """GET /delay?ms=N (N up to 10000, as httpd's route): 200 with the file's bytes after N ms,
    the loop free meanwhile (the same bytes as the file: make bench counts bodies by their size)."""
    query = dict(part.partition("=")[::2] for part in scope.get("query_string", b"").decode().split("&"))
    try:
        milliseconds = int(query.get("ms", "1000"))
    except ValueError:
        milliseconds = -1
    if not 0 <= milliseconds <= 10000:
        await send({"type": "http.response.start", "status": 400, "headers": NOT_FOUND[:1]})
        await send({"type": "http.response.body", "body": b"bad ms\n"})
        return
    await asyncio.sleep(milliseconds / 1000)
    await send({"type": "http.response.start", "status": 200, "headers": FOUND})
    await send({"type": "http.response.body", "body": BODY})
