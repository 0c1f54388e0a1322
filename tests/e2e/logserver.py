#!/usr/bin/env python3
"""logserver.py — an HTTP server that writes down every request it gets, headers and all.

It stands for a host that must never see a credential: a record's src can name it, as a
plain server (path-style URLs) or as the HTTP proxy every other host is reached through
(account-style URLs such as http://ACCOUNT.blob.core.windows.net).  Every request is
answered 404 BlobNotFound; CONNECT (https through the proxy) is refused, so nothing but the
host name is seen of those.

With --account and --key it also plays the Blob service for that account: a request signed
with SharedKey is checked with this file's own implementation of the REST reference
("Authorize with Shared Key": the canonical resource is the account and the path exactly as
sent; query values decoded), the outcome logged as "signature: good" or "signature: bad",
and a good List Blobs request is answered with --listing's body.

    logserver.py --port-file F --log LOG [--account A --key B64 --listing XML]
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import sys
import threading
import urllib.parse

LOCK = threading.Lock()


def string_to_sign(method, path, query, headers, account):
    def h(name):
        return headers.get(name, "")
    length = h("Content-Length")
    if length == "0":
        length = ""
    lines = [method, h("Content-Encoding"), h("Content-Language"), length, h("Content-MD5"),
             h("Content-Type"), h("Date"), h("If-Modified-Since"), h("If-Match"),
             h("If-None-Match"), h("If-Unmodified-Since"), h("Range")]
    sts = "\n".join(lines) + "\n"
    xms = sorted((k.lower(), v.strip()) for k, v in headers.items() if k.lower().startswith("x-ms-"))
    sts += "".join("%s:%s\n" % kv for kv in xms)
    sts += "/" + account + path
    params = {}
    for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True):
        params.setdefault(k.lower(), []).append(v)
    for k in sorted(params):
        sts += "\n%s:%s" % (k, ",".join(sorted(params[k])))
    return sts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--account")
    ap.add_argument("--key")
    ap.add_argument("--listing")
    a = ap.parse_args()
    key = base64.b64decode(a.key) if a.key else None
    listing = open(a.listing, "rb").read() if a.listing else b""
    log = open(a.log, "a", encoding="utf-8", errors="backslashreplace")

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def note(self, extra=""):
            with LOCK:
                log.write("%s %s\n" % (self.command, self.path))
                for k, v in self.headers.items():
                    log.write("%s: %s\n" % (k, v))
                if extra:
                    log.write(extra + "\n")
                log.write("\n")
                log.flush()

        def reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def handle_any(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            # absolute-form when we are the proxy
            u = urllib.parse.urlsplit(self.path)
            auth = self.headers.get("Authorization", "")
            verdict = ""
            if key is not None and auth.startswith("SharedKey "):
                want = base64.b64encode(hmac.new(key, string_to_sign(
                    self.command, u.path, u.query, dict(self.headers.items()), a.account).encode(),
                    hashlib.sha256).digest()).decode()
                good = auth == "SharedKey %s:%s" % (a.account, want)
                verdict = "signature: " + ("good" if good else "bad")
                self.note(verdict)
                if not good:
                    return self.reply(403, b"", [("x-ms-error-code", "AuthenticationFailed")])
                if "/redirect" in u.path and "/redirected" not in u.path:
                    # a credential must not follow a redirect to another host
                    loc = "http://localhost:%d%s" % (self.server.server_address[1],
                                                     u.path.replace("/redirect", "/redirected"))
                    return self.reply(307, b"", [("Location", loc)])
                if "comp=list" in u.query:
                    return self.reply(200, listing, [("Content-Type", "application/xml")])
                return self.reply(404, b"", [("x-ms-error-code", "BlobNotFound")])
            self.note()
            self.reply(404, b"", [("x-ms-error-code", "BlobNotFound")])

        do_GET = do_HEAD = do_PUT = do_DELETE = do_POST = handle_any

        def do_CONNECT(self):
            self.note()
            self.reply(403)
            self.close_connection = True

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
