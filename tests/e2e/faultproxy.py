#!/usr/bin/env python3
"""faultproxy.py - an HTTP/1.1 proxy on loopback that injects the faults a real server
cannot be made to produce, in front of a real Azurite.

    faultproxy.py --upstream HOST:PORT --port-file F --log F --every N --faults LIST
                  [--stall-seconds S] [--methods GET,PUT,...] [--max-faults M]

Every request is passed on byte for byte (path, query, headers and body as the client
sent them), one request per connection.  Of the requests whose method is in --methods,
numbers N, 2N, 3N, ... get a fault instead, the kinds taken from --faults in turn:

    503    answered 503 with Retry-After: 1, not passed on
    429    answered 429, not passed on
    500    answered 500, not passed on
    reset  the connection is reset (RST) once the request is read, not passed on
    trunc  passed on; the answer's head goes back whole, then half its body and a close
           (an answer without a body is reset instead, after it was passed on)
    stall  nothing is sent back for --stall-seconds, then a close; not passed on

Each fault is one line "KIND METHOD PATH" in --log.  The port it listens on is written
to --port-file once it listens.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

lock = threading.Lock()
count = 0
injected = 0


def read_head(sock):
    """Reads up to the blank line; returns (head bytes, rest already read) or None."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
        if len(buf) > 1 << 20:
            return None
    i = buf.index(b"\r\n\r\n") + 4
    return buf[:i], buf[i:]


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def read_exact(sock, have, n):
    while len(have) < n:
        chunk = sock.recv(min(65536, n - len(have)))
        if not chunk:
            raise ConnectionError("client closed mid-body")
        have += chunk
    return have


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def answer(sock, status, reason, extra):
    body = (b'<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code>'
            b"<Message>injected by faultproxy</Message></Error>" % reason.encode())
    sock.sendall(b"HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\n"
                 b"x-ms-error-code: %s\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n"
                 % (status, reason.encode(), reason.encode(), extra, len(body)) + body)
    sock.close()


def forward(opts, head, body):
    """Sends the request upstream with Connection: close; returns the whole answer."""
    lines = head.split(b"\r\n")
    kept = [l for l in lines[1:] if l and not l.lower().startswith(b"connection:")]
    req = b"\r\n".join([lines[0]] + kept + [b"Connection: close", b"", b""]) + body
    host, port = opts.upstream.rsplit(":", 1)
    up = socket.create_connection((host, int(port)), timeout=60)
    try:
        up.sendall(req)
        out = b""
        while True:
            chunk = up.recv(65536)
            if not chunk:
                return out
            out += chunk
    finally:
        up.close()


def serve(opts, sock):
    global count, injected
    try:
        got = read_head(sock)
        if got is None:
            sock.close()
            return
        head, rest = got
        method, path = head.split(b" ", 2)[:2]
        n = int(header(head, b"content-length") or b"0")
        body = read_exact(sock, rest, n)[:n]
        fault = None
        with lock:
            if method.decode() in opts.methods:
                count += 1
                if count % opts.every == 0 and (opts.max_faults < 0 or injected < opts.max_faults):
                    fault = opts.faults[injected % len(opts.faults)]
                    injected += 1
        if fault is not None:
            with open(opts.log, "a") as f:
                f.write("%s %s %s\n" % (fault, method.decode(), path.decode("latin-1")))
        if fault == "503":
            answer(sock, 503, "ServerBusy", b"Retry-After: 1\r\n")
        elif fault == "429":
            answer(sock, 429, "TooManyRequests", b"")
        elif fault == "500":
            answer(sock, 500, "InternalError", b"")
        elif fault == "reset":
            reset(sock)
        elif fault == "stall":
            time.sleep(opts.stall_seconds)
            sock.close()
        else:
            try:
                resp = forward(opts, head, body)
            except OSError as e:
                answer(sock, 502, "BadGateway", b"")
                print("faultproxy: upstream: %s" % e, file=sys.stderr)
                return
            i = resp.find(b"\r\n\r\n")
            if fault == "trunc":
                rbody = resp[i + 4:] if i >= 0 else b""
                if i < 0 or len(rbody) == 0:
                    reset(sock)
                    return
                sock.sendall(resp[:i + 4] + rbody[:len(rbody) // 2])
                sock.close()
                return
            sock.sendall(resp)
            sock.close()
    except OSError:
        try:
            sock.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--every", type=int, default=5)
    ap.add_argument("--faults", default="503,429,500,reset,trunc,stall")
    ap.add_argument("--stall-seconds", type=float, default=30)
    ap.add_argument("--methods", default="GET,HEAD,PUT,DELETE,POST")
    ap.add_argument("--max-faults", type=int, default=-1)
    opts = ap.parse_args()
    opts.faults = [f for f in opts.faults.split(",") if f]
    bad = [f for f in opts.faults if f not in ("503", "429", "500", "reset", "trunc", "stall")]
    if bad or opts.every < 1:
        ap.error("unknown fault kinds: %s" % ",".join(bad) if bad else "--every must be >= 1")
    opts.methods = set(opts.methods.split(","))
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(128)
    tmp = opts.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, opts.port_file)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(opts, c), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
