#!/usr/bin/env python3
"""faultproxy.py - an HTTP/1.1 proxy on loopback that injects the faults a real server
cannot be made to produce, in front of a real Azurite.

    faultproxy.py --upstream HOST:PORT --port-file F --log F --every N --faults LIST
                  [--stall-seconds S] [--methods GET,PUT,...] [--max-faults M]
                  [--no-keepalive] [--stats F] [--delay-ms D] [--peak F]

Every request is passed on byte for byte: request line (path and query exactly as sent,
no re-encoding), headers (Authorization and Host included) and body (Content-Length or
chunked, the chunked framing passed on as is).  One exception: "Expect: 100-continue" is
answered by the proxy itself and not passed on (it is not part of Azure's signature).
The answer is streamed back as it comes (framed by Content-Length, chunked, or the close
of the upstream connection).  Each request goes upstream on a fresh connection; the client
connection is kept open between requests (keep-alive) unless the client or the upstream
asked for a close, or --no-keepalive is given (then every answer carries
"Connection: close" and the connection is closed after it).

Of the requests whose method is in --methods (default: all), numbers N, 2N, 3N, ... get
a fault, the kinds taken from --faults in turn, at most --max-faults in all:

    503    answered 503 ServerBusy with Retry-After: 1, not passed on; the connection stays
    429    answered 429 TooManyRequests, not passed on; the connection stays
    500    answered 500 InternalError, not passed on; the connection stays
    reset  the request is read whole, then the connection is reset (RST); not passed on
    trunc  passed on; the answer's status line and headers go back unchanged, then half
           its body (at least one byte short) and a close.  An answer without a body
           (HEAD, Content-Length: 0, 204, 304) is reset instead, after it was passed on
    stall  the request is read whole, nothing is sent for --stall-seconds, then a close;
           not passed on
    dribble  passed on; the answer (head and body) goes back 2 bytes a second, for at
           most --stall-seconds, then a close
    flip   one byte in the middle of a blob's data is changed on the way: the body of
           a Put Blob or Put Block (request), else the answer's body of a Get Blob.  When
           flip's turn falls on another request (a listing, a block list, HEAD, a copy),
           that one gets the next kind instead and the flip waits for the next request
           that carries blob data

With --delay-ms D, every request is held D milliseconds before it is answered or passed
on: the round trip to a storage account far away, which Azurite on loopback does not
have (benchmarks of how many reads a tool keeps in flight; --max-faults 0 for no fault).
With --peak F, the most requests in flight at once (read whole, not yet answered) is
written to F, atomically, each time it grows; removing F starts the count again.

Note on keep-alive: libcurl silently retries a request on a fresh connection when a
reused connection dies before any byte of the answer arrived, so a "reset" on a reused
connection is absorbed by libcurl and not seen by the caller.  Use --no-keepalive where a
test counts the client's own retries per fault.

Each fault is one line "KIND METHOD PATH" appended to --log (flushed at once); nothing
else goes there.  The port it listens on is written to --port-file (atomically) once it
listens.  With --stats, the number of requests seen so far (faulted or not) is written to
that file (atomically) after each one.  Runs until SIGTERM or SIGINT.
"""
import argparse
import os
import signal
import socket
import struct
import sys
import threading
import time

KINDS = ("503", "429", "500", "reset", "trunc", "stall", "dribble", "flip")
MAX_HEAD = 1 << 20
BUF = 65536

lock = threading.Lock()
count = 0
injected = 0
turn = 0
flip_pending = False
seen = 0


def warn(msg):
    try:
        sys.stderr.write("faultproxy: %s\n" % msg)
        sys.stderr.flush()
    except Exception:
        pass


class Closed(Exception):
    """The peer went away (cleanly or not) where more bytes were needed."""


class Reader:
    """Buffered reading from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        chunk = self.sock.recv(BUF)
        if not chunk:
            return False
        self.buf += chunk
        return True

    def head(self):
        """Up to and including the blank line; None on a clean close before any byte."""
        start = 0
        while True:
            i = self.buf.find(b"\r\n\r\n", start)
            if i >= 0:
                h, self.buf = self.buf[:i + 4], self.buf[i + 4:]
                return h
            if len(self.buf) > MAX_HEAD:
                raise Closed("head too large")
            start = max(0, len(self.buf) - 3)
            if not self.fill():
                if self.buf:
                    raise Closed("closed mid-head")
                return None

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                ln, self.buf = self.buf[:i + 2], self.buf[i + 2:]
                return ln
            if len(self.buf) > MAX_HEAD:
                raise Closed("line too long")
            if not self.fill():
                raise Closed("closed mid-line")

    def some(self, n):
        """Up to n bytes (at least 1); raises Closed at the end of the stream."""
        if not self.buf and not self.fill():
            raise Closed("closed mid-body")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def rest(self):
        """Whatever comes until the peer closes, chunk by chunk."""
        if self.buf:
            out, self.buf = self.buf, b""
            yield out
        while True:
            chunk = self.sock.recv(BUF)
            if not chunk:
                return
            yield chunk


def body_chunks(rd, framing):
    """Yields the raw bytes of a body as they arrive, framing included (chunked bodies are
    passed on as chunked).  framing: ("length", n), ("chunked",) or ("close",)."""
    if framing[0] == "length":
        left = framing[1]
        while left > 0:
            b = rd.some(min(left, BUF))
            left -= len(b)
            yield b
    elif framing[0] == "chunked":
        while True:
            ln = rd.line()
            yield ln
            size = int(ln.split(b";", 1)[0].strip() or b"x", 16)
            if size == 0:
                while True:  # trailers, up to the blank line
                    t = rd.line()
                    yield t
                    if t == b"\r\n":
                        return
            left = size + 2  # the data and its CRLF
            while left > 0:
                b = rd.some(min(left, BUF))
                left -= len(b)
                yield b
    else:
        yield from rd.rest()


def parse_head(head):
    """(first line parts, list of (name lowercased, value) pairs)."""
    lines = head[:-4].split(b"\r\n")
    first = lines[0].split(b" ", 2)
    hdrs = []
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        hdrs.append((k.strip().lower(), v.strip()))
    return first, hdrs


def get(hdrs, name):
    for k, v in hdrs:
        if k == name:
            return v
    return None


def tokens(hdrs, name):
    out = set()
    for k, v in hdrs:
        if k == name:
            out.update(t.strip().lower() for t in v.split(b","))
    return out


def request_framing(hdrs):
    if b"chunked" in tokens(hdrs, b"transfer-encoding"):
        return ("chunked",)
    n = get(hdrs, b"content-length")
    return ("length", int(n) if n else 0)


def response_framing(method, status, hdrs):
    if method == b"HEAD" or status in (204, 304) or 100 <= status < 200:
        return ("length", 0)
    if b"chunked" in tokens(hdrs, b"transfer-encoding"):
        return ("chunked",)
    n = get(hdrs, b"content-length")
    if n is not None:
        return ("length", int(n))
    return ("close",)


def reset(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def error_answer(status, reason, code, extra=b"", close=False):
    body = (b'<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code>'
            b"<Message>injected by faultproxy</Message></Error>" % code)
    return (b"HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nx-ms-error-code: %s\r\n"
            b"%s%sContent-Length: %d\r\n\r\n"
            % (status, reason, code, extra, b"Connection: close\r\n" if close else b"",
               len(body)) + body)


def flip_target(method, path, body_len):
    """Where a flip would land: "request", "response" or None (not blob data)."""
    query = path.partition(b"?")[2]
    comp = [q for q in query.split(b"&") if q.startswith(b"comp=")]
    if method == b"PUT" and body_len > 0 and (not comp or comp == [b"comp=block"]):
        return "request"
    if method == b"GET" and not comp:
        return "response"
    return None


def note_request(opts):
    global seen
    if not opts.stats:
        return
    with lock:
        seen += 1
        tmp = "%s.tmp" % opts.stats
        with open(tmp, "w") as f:
            f.write("%d\n" % seen)
        os.rename(tmp, opts.stats)


class InFlight:
    """Counts a request as in flight from the moment it was read whole to the end of its
    answer; with --peak, the most at once is written to that file (atomically) each
    time it grows, counted again from the next request once the file is removed."""
    now = 0
    peak = 0

    def __init__(self, opts):
        self.opts = opts

    def __enter__(self):
        with lock:
            InFlight.now += 1
            if self.opts.peak and not os.path.exists(self.opts.peak):
                InFlight.peak = 0   # the file removed: counted again from here
            if InFlight.now > InFlight.peak:
                InFlight.peak = InFlight.now
                if self.opts.peak:
                    tmp = "%s.tmp" % self.opts.peak
                    with open(tmp, "w") as f:
                        f.write("%d\n" % InFlight.peak)
                    os.rename(tmp, self.opts.peak)
        return self

    def __exit__(self, *exc):
        with lock:
            InFlight.now -= 1
        return False


def pick_fault(opts, method, flippable):
    global count, injected, turn, flip_pending
    with lock:
        if opts.methods is not None and method not in opts.methods:
            return None
        count += 1
        if opts.max_faults >= 0 and injected >= opts.max_faults:
            return None
        if flip_pending and flippable:
            flip_pending = False
            injected += 1
            return "flip"
        if count % opts.every:
            return None
        kind = opts.faults[turn % len(opts.faults)]
        turn += 1
        if kind == "flip" and not flippable:
            flip_pending = True
            kind = opts.faults[turn % len(opts.faults)]
            turn += 1
            if kind == "flip":
                return None
        injected += 1
        return kind


def flip_byte(data):
    """data with its middle byte changed."""
    if not data:
        return data
    i = len(data) // 2
    return data[:i] + bytes([data[i] ^ 0x20]) + data[i + 1:]


def log_fault(opts, kind, method, path):
    with lock:
        with open(opts.log, "ab") as f:
            f.write(b"%s %s %s\n" % (kind.encode(), method, path))
            f.flush()


def drop_close_header(head):
    """The head with its Connection headers dropped and Connection: close added."""
    lines = head[:-4].split(b"\r\n")
    kept = [ln for ln in lines[1:] if ln.partition(b":")[0].strip().lower() != b"connection"]
    return b"\r\n".join([lines[0]] + kept + [b"Connection: close", b"", b""])


def forward(opts, client, head, method, body, fault, closing):
    """Passes one request on and its answer back.  Returns True when the client
    connection may stay open."""
    host, port = opts.upstream.rsplit(":", 1)
    try:
        up = socket.create_connection((host, int(port)), timeout=opts.upstream_timeout)
    except OSError as e:
        warn("upstream connect: %s" % e)
        client.sendall(error_answer(502, b"Bad Gateway", b"BadGateway", close=True))
        return False
    try:
        try:
            up.sendall(head)
            for b in body:
                up.sendall(b)
            urd = Reader(up)
            while True:
                rhead = urd.head()
                if rhead is None:
                    raise Closed("upstream closed without an answer")
                first, rhdrs = parse_head(rhead)
                status = int(first[1])
                if status >= 200 or status == 101:
                    break
                # an interim 1xx: the proxy already said 100 Continue itself; drop it
            framing = response_framing(method, status, rhdrs)
        except (OSError, Closed, ValueError, IndexError) as e:
            warn("upstream: %s" % e)
            client.sendall(error_answer(502, b"Bad Gateway", b"BadGateway", close=True))
            return False

        keep = not closing and b"close" not in tokens(rhdrs, b"connection") \
            and framing[0] != "close" and not first[0].endswith(b"/1.0")
        if fault == "dribble":
            raw = rhead + b"".join(body_chunks(urd, framing))
            end = time.monotonic() + opts.stall_seconds
            for i in range(len(raw)):
                if time.monotonic() >= end:
                    break
                client.sendall(raw[i:i + 1])
                time.sleep(0.5)
            client.close()
            return False
        if fault == "flip-response" and framing[0] == "length" and framing[1] > 0:
            data = flip_byte(b"".join(body_chunks(urd, framing)))
            if opts.no_keepalive or closing:
                rhead = drop_close_header(rhead)
                keep = False
            client.sendall(rhead + data)
            return keep
        if fault == "trunc":
            if framing == ("length", 0):
                reset(client)
                return False
            client.sendall(rhead)
            if framing[0] == "length":
                half = framing[1] // 2
                sent = 0
                for b in body_chunks(urd, framing):
                    if sent + len(b) > half:
                        b = b[:half - sent]
                    if b:
                        client.sendall(b)
                    sent += len(b)
                    if sent >= half:
                        break
            else:
                raw = b"".join(body_chunks(urd, framing))
                if not raw or raw.startswith(b"0\r\n") or raw.startswith(b"0;"):
                    reset(client)
                    return False
                client.sendall(raw[:len(raw) // 2])
            client.close()
            return False
        if opts.no_keepalive or (closing and b"close" not in tokens(rhdrs, b"connection")):
            rhead = drop_close_header(rhead)
            keep = False
        client.sendall(rhead)
        try:
            for b in body_chunks(urd, framing):
                client.sendall(b)
        except (Closed, socket.timeout) as e:
            # the upstream failed mid-answer: the head is gone already, so cut the client
            warn("upstream mid-answer: %s" % e)
            reset(client)
            return False
        return keep
    finally:
        up.close()


def serve(opts, client):
    rd = Reader(client)
    try:
        while True:
            head = rd.head()
            if head is None:
                return
            first, hdrs = parse_head(head)
            if len(first) < 3:
                client.sendall(error_answer(400, b"Bad Request", b"BadRequest", close=True))
                return
            method, path, version = first
            framing = request_framing(hdrs)
            closing = b"close" in tokens(hdrs, b"connection") or version == b"HTTP/1.0"
            if b"100-continue" in tokens(hdrs, b"expect"):
                # answer it here (the body is read before anything goes upstream) and
                # do not pass it on, so that the upstream sends no interim answer
                lines = head[:-4].split(b"\r\n")
                head = b"\r\n".join([lines[0]] + [
                    ln for ln in lines[1:]
                    if ln.partition(b":")[0].strip().lower() != b"expect"] + [b"", b""])
                client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = list(body_chunks(rd, framing))
            note_request(opts)
            with InFlight(opts):
                if opts.delay_ms > 0:
                    time.sleep(opts.delay_ms / 1000.0)
                target = flip_target(method, path, sum(len(b) for b in body)) \
                    if framing[0] == "length" else None
                fault = pick_fault(opts, method.decode("latin-1"), target is not None)
                if fault is not None:
                    log_fault(opts, fault, method, path)
                if fault == "flip":
                    if target == "request":
                        body = [flip_byte(b"".join(body))]
                    else:
                        fault = "flip-response"
                if fault in ("503", "429", "500"):
                    status, reason, code, extra = {
                        "503": (503, b"Service Unavailable", b"ServerBusy", b"Retry-After: 1\r\n"),
                        "429": (429, b"Too Many Requests", b"TooManyRequests", b""),
                        "500": (500, b"Internal Server Error", b"InternalError", b""),
                    }[fault]
                    close = closing or opts.no_keepalive
                    client.sendall(error_answer(status, reason, code, extra, close))
                    if close:
                        return
                    continue
                if fault == "reset":
                    reset(client)
                    return
                if fault == "stall":
                    time.sleep(opts.stall_seconds)
                    return
                if not forward(opts, client, head, method, body, fault, closing):
                    return
    except (OSError, Closed, ValueError, IndexError):
        pass  # the client went away or sent garbage: drop the connection
    except Exception as e:
        warn("unexpected: %r" % e)
    finally:
        try:
            client.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description="HTTP/1.1 fault-injecting proxy for tests")
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the real server")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--every", type=int, default=5)
    ap.add_argument("--faults", default=",".join(KINDS))
    ap.add_argument("--stall-seconds", type=float, default=30)
    ap.add_argument("--methods", default=None, help="comma list; default: all methods")
    ap.add_argument("--max-faults", type=int, default=-1, help="default: no limit")
    ap.add_argument("--no-keepalive", action="store_true",
                    help="close the client connection after every answer")
    ap.add_argument("--stats", default=None, help="file for the count of requests seen")
    ap.add_argument("--peak", default=None,
                    help="file for the most requests in flight at once")
    ap.add_argument("--delay-ms", type=float, default=0,
                    help="hold every request this long before answering it")
    ap.add_argument("--upstream-timeout", type=float, default=120, help=argparse.SUPPRESS)
    opts = ap.parse_args()
    opts.faults = [f.strip() for f in opts.faults.split(",") if f.strip()]
    bad = [f for f in opts.faults if f not in KINDS]
    if bad:
        ap.error("unknown fault kinds: %s" % ",".join(bad))
    if not opts.faults:
        ap.error("--faults is empty")
    if opts.every < 1:
        ap.error("--every must be >= 1")
    if opts.methods is not None:
        opts.methods = {m.strip().upper() for m in opts.methods.split(",") if m.strip()}

    # both handled in the main thread only (a background job from a shell has SIGINT
    # ignored, so it is set explicitly); the worker threads start with them blocked
    stop = {signal.SIGTERM, signal.SIGINT}
    for sig in stop:
        signal.signal(sig, lambda *_: sys.exit(0))
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(256)
    tmp = "%s.tmp.%d" % (opts.port_file, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, opts.port_file)
    while True:
        try:
            c, _ = ls.accept()
        except OSError as e:
            warn("accept: %s" % e)
            time.sleep(0.05)
            continue
        try:
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        signal.pthread_sigmask(signal.SIG_BLOCK, stop)
        try:
            threading.Thread(target=serve, args=(opts, c), daemon=True).start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, SystemExit):
        pass
    sys.exit(0)
