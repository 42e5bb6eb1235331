#!/usr/bin/env python3
"""Loads the demo page in headless Chromium and prints the page's own results.

    browse.py URL [--cert PEM] [--screenshot PNG] [--window W,H] [--deadline SECONDS]
              [--chromium PATH]

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: commands in on
fd 3, answers out on fd 4, each a JSON text ended by a NUL byte): no port, no WebSocket. It gets a
profile directory of its own, trusts the certificate given with --cert by its key's hash (and
nothing else that is not trusted already), and is killed at the deadline. Prints one line per
result, "protocol h2", "count 24", "fetched 24", "maxInFlight 24", "preload early-hints" (how
waterfall.js came: "early-hints", or the initiatorType of an ordinary request, "script"); exit status 0 once the page
says it is done (<body data-done>), 1 otherwise (with the reason on stderr).
"""
from __future__ import annotations

import argparse
import base64
import fcntl
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--remote-debugging-pipe"]


def spki_hash(cert: Path) -> str:
    """base64(sha256(SubjectPublicKeyInfo)): what --ignore-certificate-errors-spki-list takes."""
    der = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-pubkey"],
                         capture_output=True, check=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=der,
                          capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


class DevTools:
    """The DevTools protocol over Chromium's pipe: numbered commands, answers matched by id."""

    def __init__(self, to_browser: int, from_browser: int, deadline: float) -> None:
        self.to_browser, self.from_browser, self.deadline = to_browser, from_browser, deadline
        self.buffer = b""
        self.next_id = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        while True:  # events come in between: skip them
            answer = self.receive()
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]

    def receive(self) -> dict:
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_browser], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer before the deadline")
            chunk = os.read(self.from_browser, 65536)
            if not chunk:
                raise RuntimeError("Chromium closed its pipe (it exited)")
            self.buffer += chunk
        text, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(text)


def evaluate(tools: DevTools, session: str, expression: str):
    result = tools.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                        session)
    return result["result"].get("value")


def load_page(tools: DevTools, url: str, screenshot: Path | None) -> dict:
    """Opens url in a new tab, waits for <body data-done>, returns window.syslabResults."""
    target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    navigation = tools.send("Page.navigate", {"url": url}, session)
    if navigation.get("errorText"):  # no page at all: refused, TLS failed, no answer
        raise RuntimeError(f"Chromium cannot load {url}: {navigation['errorText']}")
    try:
        while evaluate(tools, session, "document.body?.dataset.done ?? ''") != "1":
            time.sleep(0.05)
    except TimeoutError:
        raise TimeoutError(f"the page at {url} was not done (no <body data-done>) before the "
                           "deadline") from None
    results = json.loads(evaluate(tools, session, "JSON.stringify(window.syslabResults)"))
    if screenshot:
        # The whole page, however tall, at twice the pixels (sharp on a slide).
        width = evaluate(tools, session, "document.documentElement.scrollWidth")
        height = evaluate(tools, session, "document.documentElement.scrollHeight")
        tools.send("Emulation.setDeviceMetricsOverride",
                   {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": False},
                   session)
        shot = tools.send("Page.captureScreenshot", {"format": "png"}, session)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
    return results


def high_pipe() -> tuple[int, int]:
    """A pipe whose ends are above 4, so that moving them to 3 and 4 in the child overwrites
    neither (close-on-exec, as os.pipe's)."""
    ends = os.pipe()
    high = tuple(fcntl.fcntl(end, fcntl.F_DUPFD_CLOEXEC, 10) for end in ends)
    for end in ends:
        os.close(end)
    return high


def run(args: argparse.Namespace) -> dict:
    deadline = time.monotonic() + args.deadline
    flags = [*FLAGS, f"--window-size={args.window}"]
    if args.cert:
        flags.append(f"--ignore-certificate-errors-spki-list={spki_hash(args.cert)}")
    with tempfile.TemporaryDirectory(prefix="syslab-browser-") as profile:
        commands_r, commands_w = high_pipe()
        answers_r, answers_w = high_pipe()
        # Chromium reads fd 3 and writes fd 4; the child gets them at those numbers.
        browser = subprocess.Popen(
            [args.chromium, *flags, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            pass_fds=(3, 4), preexec_fn=lambda: (os.dup2(commands_r, 3), os.dup2(answers_w, 4)))
        os.close(commands_r)
        os.close(answers_w)
        try:
            tools = DevTools(commands_w, answers_r, deadline)
            results = load_page(tools, args.url, args.screenshot)
            try:
                tools.send("Browser.close")
            except (RuntimeError, TimeoutError):
                pass  # it may close its pipe before it answers
            return results
        finally:
            os.close(commands_w)
            os.close(answers_r)
            try:
                browser.wait(timeout=max(deadline - time.monotonic(), 1))
            except subprocess.TimeoutExpired:
                browser.kill()
                browser.wait()
            browser.stderr.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--cert", type=Path, help="trust this certificate (PEM) by its key")
    parser.add_argument("--screenshot", type=Path, help="a PNG of the page once it is done")
    parser.add_argument("--window", default="900,640", help="the window's size (default 900,640)")
    parser.add_argument("--deadline", type=float, default=60.0, help="seconds (default 60)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    try:
        results = run(args)
    except (RuntimeError, TimeoutError, OSError, subprocess.CalledProcessError) as error:
        print(f"browse.py: {error}", file=sys.stderr)
        return 1
    for key in ("protocol", "fetched", "count", "maxInFlight", "preload"):
        print(key, results.get(key))
    return 0


if __name__ == "__main__":
    sys.exit(main())
