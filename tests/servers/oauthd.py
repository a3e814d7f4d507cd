#!/usr/bin/python3
"""oauthd.py — a small OAuth2 authorization server for the tests, over
HTTPS on 127.0.0.1 (a port the kernel picks, written to --port-file).

usage: oauthd.py --port-file F --dir D --cert C --key K [--client-id ID]
                 [--refresh-token RT] [--rotate] [--expires-in N]
                 [--device-script pending,slow_down,ok] [--interval N]

  GET  /authorize  checks client_id, PKCE S256 and redirect_uri, and
                   answers 302 to redirect_uri?code=...&state=...
  POST /token      grant_type authorization_code (PKCE verified),
                   refresh_token (with --rotate a new refresh token each
                   time, the old one then invalid), and
                   urn:ietf:params:oauth:grant-type:device_code (answers
                   from --device-script, one word per poll, then ok)
  POST /device     a device code, user code ABCD-EFGH and verification_uri

Files in D: requests.log (one JSON object a line: method, path,
grant_type; no secrets), access_tokens (every access token issued, one a
line: smtpd.py --bearer-file reads it), refresh_tokens (the valid ones).
The file D/revoked, when it exists, makes every refresh_token grant fail
with invalid_grant; D/fail5xx makes /token answer 503.
"""

import argparse
import base64
import hashlib
import http.server
import json
import os
import secrets
import signal
import ssl
import sys
import threading
import urllib.parse

LOCK = threading.Lock()


class State:
    def __init__(self, args):
        self.args = args
        self.codes = {}         # code -> (challenge, redirect_uri)
        self.device = {}        # device_code -> remaining script words
        self.dir = args.dir

    def path(self, name):
        return os.path.join(self.dir, name)

    def append(self, name, line):
        with open(self.path(name), "a") as f:
            f.write(line + "\n")

    def refresh_valid(self):
        try:
            with open(self.path("refresh_tokens")) as f:
                return set(x.strip() for x in f if x.strip())
        except FileNotFoundError:
            return set()

    def set_refresh(self, tokens):
        tmp = self.path("refresh_tokens.tmp")
        with open(tmp, "w") as f:
            for t in sorted(tokens):
                f.write(t + "\n")
        os.rename(tmp, self.path("refresh_tokens"))

    def issue(self, with_refresh):
        at = "at-" + secrets.token_urlsafe(16)
        self.append("access_tokens", at)
        body = {"access_token": at, "token_type": "Bearer",
                "expires_in": self.args.expires_in}
        if with_refresh:
            rt = "rt-" + secrets.token_urlsafe(16)
            self.set_refresh(self.refresh_valid() | {rt})
            body["refresh_token"] = rt
        return body


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, code, body=None, headers=()):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def record(self, grant=None):
        self.server.state.append("requests.log", json.dumps(
            {"method": self.command, "path": self.path.split("?")[0],
             "grant_type": grant}))

    def do_GET(self):
        st = self.server.state
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        self.record()
        if u.path != "/authorize":
            return self.reply(404, {"error": "not_found"})
        if (q.get("client_id") != st.args.client_id or
                q.get("response_type") != "code" or
                q.get("code_challenge_method") != "S256" or
                not q.get("code_challenge") or not q.get("state") or
                not q.get("redirect_uri", "").startswith(
                    "http://127.0.0.1:")):
            return self.reply(400, {"error": "invalid_request"})
        code = "code-" + secrets.token_urlsafe(12)
        with LOCK:
            st.codes[code] = (q["code_challenge"], q["redirect_uri"])
        loc = q["redirect_uri"] + "?" + urllib.parse.urlencode(
            {"code": code, "state": q["state"]})
        self.reply(302, None, [("Location", loc)])

    def do_POST(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(n).decode()))
        grant = form.get("grant_type")
        self.record(grant)
        if form.get("client_id") != st.args.client_id:
            return self.reply(401, {"error": "invalid_client"})
        if self.path == "/device":
            dc = "dc-" + secrets.token_urlsafe(12)
            with LOCK:
                st.device[dc] = [w for w in
                                 st.args.device_script.split(",") if w]
            return self.reply(200, {
                "device_code": dc, "user_code": "ABCD-EFGH",
                "verification_uri": "https://127.0.0.1/device",
                "expires_in": 600, "interval": st.args.interval})
        if self.path != "/token":
            return self.reply(404, {"error": "not_found"})
        if os.path.exists(st.path("fail5xx")):
            return self.reply(503, {"error": "temporarily_unavailable"})
        with LOCK:
            if grant == "authorization_code":
                entry = st.codes.pop(form.get("code", ""), None)
                if entry is None:
                    return self.reply(400, {"error": "invalid_grant"})
                challenge, redirect = entry
                digest = hashlib.sha256(
                    form.get("code_verifier", "").encode()).digest()
                mine = base64.urlsafe_b64encode(digest).rstrip(b"=")
                if (mine.decode() != challenge or
                        form.get("redirect_uri") != redirect):
                    return self.reply(400, {"error": "invalid_grant"})
                return self.reply(200, st.issue(True))
            if grant == "refresh_token":
                rt = form.get("refresh_token", "")
                valid = st.refresh_valid()
                if os.path.exists(st.path("revoked")) or rt not in valid:
                    return self.reply(400, {"error": "invalid_grant"})
                if st.args.rotate:
                    st.set_refresh(valid - {rt})
                    return self.reply(200, st.issue(True))
                return self.reply(200, st.issue(False))
            if grant == "urn:ietf:params:oauth:grant-type:device_code":
                words = st.device.get(form.get("device_code", ""))
                if words is None:
                    return self.reply(400, {"error": "invalid_grant"})
                if words:
                    w = words.pop(0)
                    if w != "ok":
                        return self.reply(400, {"error": w})
                del st.device[form["device_code"]]
                return self.reply(200, st.issue(True))
        return self.reply(400, {"error": "unsupported_grant_type"})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--client-id", default="outbox-test")
    p.add_argument("--refresh-token", action="append", default=[])
    p.add_argument("--rotate", action="store_true")
    p.add_argument("--expires-in", type=int, default=3600)
    p.add_argument("--device-script", default="pending,slow_down")
    p.add_argument("--interval", type=int, default=1)
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    state = State(args)
    if args.refresh_token:
        state.set_refresh(set(args.refresh_token))

    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = state
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    port = srv.server_address[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
