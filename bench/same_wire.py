"""Checks that two builds answer the same requests with the same bytes: status line,
headers and body, for a set of requests (whole archives, HEAD, ranges, conditions,
redirects, errors, malformed requests) against the same folders. For refactors that
must not change a byte on the wire. Both services run on loopback and are stopped at
the end; exits 1 and prints the first differing lines if any answer differs.

    python3 bench/same_wire.py BEFORE.jar AFTER.jar [ROOT]     # ROOT defaults to test_photos
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

FIRST_PORT = 18580


def start(jar, root, port, log):
    process = subprocess.Popen(["java", "-jar", jar, "--path", root, "--host", "127.0.0.1", "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit(f"{jar} did not start on port {port}")


def exchange(port, raw):
    """Sends raw request bytes, returns everything the server sent until it closed (or 5 s of silence).
    The write side stays open: a half-closed connection is closed by the server before it answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(raw)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except socket.timeout:
            chunks.append(b"<timeout>")
        return b"".join(chunks)


def requests(folders, etag):
    def get(path, *headers, method="GET", version="HTTP/1.1", host="127.0.0.1"):
        lines = [f"{method} {path} {version}"] + ([f"Host: {host}"] if host is not None else [])
        lines += list(headers) + ["Connection: close", "", ""]
        return "\r\n".join(lines).encode()

    cases = {"index": get("/"), "health": get("/healthz"), "missing": get("/archive/nope/"),
             "no-slash": get("/archive/" + folders[0] + "?x=1"), "dot-dot": get("/archive/../"),
             "post": get("/archive/" + folders[0] + "/", method="POST"),
             "http10-no-host": get("/archive/" + folders[0] + "/", version="HTTP/1.0", host=None),
             "two-hosts": get("/", "Host: other"), "bad-host": get("/", host="a b"),
             "absolute-form": get("http://127.0.0.1/archive/" + folders[0] + "/"),
             "http2": get("/", version="HTTP/2.0"), "garbage": b"\x16\x03\x01 hello\r\n\r\n",
             "long-url": get("/archive/" + "a" * 5000 + "/"), "big-header": get("/", "X-Big: " + "b" * 9000),
             "pipelined": get("/healthz").replace(b"Connection: close\r\n", b"") + get("/")}
    for folder in folders:
        path = "/archive/" + folder + "/"
        cases |= {
            f"{folder} get": get(path), f"{folder} head": get(path, method="HEAD"),
            f"{folder} range start": get(path, "Range: bytes=0-99"),
            f"{folder} range open": get(path, "Range: bytes=1000-"),
            f"{folder} range suffix": get(path, "Range: bytes=-500"),
            f"{folder} range inside": get(path, "Range: bytes=40000-90000"),
            f"{folder} ranges": get(path, "Range: bytes=0-9,20-29"),
            f"{folder} range past end": get(path, "Range: bytes=999999999-"),
            f"{folder} range empty": get(path, "Range: bytes=0-0"),
            f"{folder} if-none-match": get(path, "If-None-Match: " + etag[folder]),
            f"{folder} if-match other": get(path, 'If-Match: "other"'),
            f"{folder} if-range etag": get(path, "If-Range: " + etag[folder], "Range: bytes=10-20"),
            f"{folder} if-range date": get(path, "If-Range: Tue, 01 Dec 2026 00:00:00 GMT", "Range: bytes=10-20"),
            f"{folder} if-modified-since": get(path, "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"),
            f"{folder} if-unmodified-since": get(path, "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT"),
        }
    return cases


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    before, after = sys.argv[1], sys.argv[2]
    root = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else "test_photos")
    folders = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and not d.startswith("."))
    with tempfile.TemporaryFile() as log_a, tempfile.TemporaryFile() as log_b:
        a = start(before, root, FIRST_PORT, log_a)
        b = start(after, root, FIRST_PORT + 1, log_b)
        try:
            etag = {}
            for folder in folders:
                head = exchange(FIRST_PORT, f"HEAD /archive/{folder}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                etag[folder] = re.search(rb"(?i)etag: (\S+)", head).group(1).decode()
            different = 0
            cases = requests(folders, etag)
            for name, raw in cases.items():
                one, two = exchange(FIRST_PORT, raw), exchange(FIRST_PORT + 1, raw)
                if one != two:
                    different += 1
                    print(f"DIFFERENT {name}:\n  before: {one[:300]!r}\n  after:  {two[:300]!r}")
            print(f"{len(cases) - different} same, {different} different ({len(cases)} requests, folders {folders})")
            return 1 if different else 0
        finally:
            for process in (a, b):
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
