#!/usr/bin/python3
"""smtpd.py -- the ordinary SMTP server of the bats suites (aiosmtpd).

Run with /usr/bin/python3 (Debian's python3-aiosmtpd):

  smtpd.py --port-file F --out DIR [--mode plain|starttls|tls]
           [--cert C --key K] [--auth USER:PASS] [--require-auth]
           [--bearer-file FILE]
           [--smtputf8] [--data-limit BYTES]

Listens on 127.0.0.1, port chosen by the kernel; the port is written to F
(through a temporary name and a rename) once the server accepts
connections.  Every accepted message is kept as DIR/N.eml (the DATA bytes
as received, dot-stuffing removed, CRLF kept) and DIR/N.json (envelope,
options, authenticated user, size).  DIR/commands.log has every command
line received (AUTH with its argument: this is the server's side);
DIR/connections.log one line per TCP connection accepted (a STARTTLS
upgrade is not a new one); DIR/sni.log the server name each TLS client
sent.  SIGTERM stops it.
"""

import argparse
import asyncio
import base64
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

COMMANDS = ("HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT",
            "STARTTLS", "AUTH", "VRFY", "HELP", "EXPN")


class Recorder:
    """aiosmtpd handler: stores each message and the session's facts."""

    def __init__(self, out, credentials, bearer_file=None):
        self.out = out
        self.credentials = credentials
        self.bearer_file = bearer_file
        self.count = 0

    def bearer_ok(self, token):
        """--bearer-file: the tokens accepted, one a line (read on each
        AUTH, so the OAuth2 test server can add the ones it issues)."""
        try:
            with open(self.bearer_file) as f:
                return token in (x.strip() for x in f)
        except FileNotFoundError:
            return False

    def log(self, name, text):
        with open(os.path.join(self.out, name), "a", encoding="utf-8",
                  errors="backslashreplace") as f:
            f.write(text + "\n")

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword) or not self.credentials:
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if (user, password) == self.credentials:
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out, str(self.count))
        raw = envelope.original_content
        with open(base + ".eml.tmp", "wb") as f:
            f.write(raw)
        os.rename(base + ".eml.tmp", base + ".eml")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "rcpt_options": envelope.rcpt_options,
            "auth_user": session.auth_data if session.authenticated else None,
            "size": len(raw),
        }
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=1)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 2.0.0 Ok: queued as %d" % self.count


def logged(name):
    async def method(self, arg):
        line = name if arg is None or arg == "" else name + " " + arg
        self.event_handler.log("commands.log", line)
        return await getattr(SMTP, "smtp_" + name)(self, arg)
    method.__name__ = "smtp_" + name
    return method


class LoggingSMTP(SMTP):
    """aiosmtpd's SMTP with every command written to commands.log and
    every connection to connections.log."""

    def connection_made(self, transport):
        # aiosmtpd calls this again once STARTTLS is up: not a new one.
        if getattr(self, "_original_transport", None) is None:
            self.event_handler.log("connections.log", "connect %s:%s" %
                                   transport.get_extra_info("peername")[:2])
        super().connection_made(transport)


for _name in COMMANDS:
    setattr(LoggingSMTP, "smtp_" + _name, logged(_name))


async def _bearer(self, args, mech):
    """XOAUTH2 ("user=U^Aauth=Bearer T^A^A") and OAUTHBEARER (RFC 7628:
    "n,a=U,^Ahost=..^Aport=..^Aauth=Bearer T^A^A"): the token must be
    one of --bearer-file's.  Accepted tokens go to bearer.log."""
    handler = self.event_handler
    if len(args) > 1:
        try:
            text = base64.b64decode(args[1], validate=True).decode()
        except Exception:
            await self.push("501 5.5.2 Can't decode base64")
            return AuthResult(success=False, handled=True)
    else:
        data = await self.challenge_auth("")
        if not isinstance(data, bytes):
            return AuthResult(success=False, handled=True)
        text = data.decode("utf-8", "replace")
    fields = text.split("\x01")
    user, token = None, None
    if mech == "OAUTHBEARER":
        gs2 = fields[0].split(",")
        user = next((x[2:] for x in gs2 if x.startswith("a=")), None)
    for fld in fields:
        if fld.startswith("user="):
            user = fld[5:]
        elif fld.startswith("auth=Bearer "):
            token = fld[12:]
    if token is not None and handler.bearer_ok(token):
        handler.log("bearer.log", "%s %s %s" % (mech, user, token))
        return AuthResult(success=True, auth_data=user)
    handler.log("bearer.log", "%s %s refused" % (mech, user))
    return AuthResult(success=False, handled=False)


async def auth_XOAUTH2(self, server, args):
    return await _bearer(self, args, "XOAUTH2")


async def auth_OAUTHBEARER(self, server, args):
    return await _bearer(self, args, "OAUTHBEARER")


LoggingSMTP.auth_XOAUTH2 = auth_XOAUTH2
LoggingSMTP.auth_OAUTHBEARER = auth_OAUTHBEARER


def tls_context(args, handler):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)

    def sni(sslobj, name, context):
        handler.log("sni.log", name if name is not None else "(none)")
        return None
    ctx.sni_callback = sni
    return ctx


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--mode", choices=("plain", "starttls", "tls"),
                   default="plain")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth", help="USER:PASS")
    p.add_argument("--require-auth", action="store_true")
    p.add_argument("--bearer-file",
                   help="offer XOAUTH2 and OAUTHBEARER, accepting the "
                   "tokens in this file")
    p.add_argument("--smtputf8", action="store_true")
    p.add_argument("--data-limit", type=int, default=None,
                   help="largest DATA accepted (aiosmtpd: 32 MiB)")
    args = p.parse_args()
    if args.mode != "plain" and not (args.cert and args.key):
        p.error("--mode %s needs --cert and --key" % args.mode)

    os.makedirs(args.out, exist_ok=True)
    creds = tuple(args.auth.split(":", 1)) if args.auth else None
    handler = Recorder(args.out, creds, args.bearer_file)
    ctx = tls_context(args, handler) if args.mode != "plain" else None

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        return LoggingSMTP(
            handler,
            hostname="smtpd.test",
            enable_SMTPUTF8=args.smtputf8,
            **({"data_size_limit": args.data_limit}
               if args.data_limit is not None else {}),
            decode_data=False,
            tls_context=ctx if args.mode == "starttls" else None,
            require_starttls=args.mode == "starttls",
            # Implicit TLS: the whole session is protected already.
            auth_require_tls=args.mode != "tls",
            auth_required=args.require_auth,
            authenticator=handler.authenticate,
            auth_exclude_mechanism=(() if args.bearer_file else
                                    ("XOAUTH2", "OAUTHBEARER")),
            timeout=60,
            loop=loop)

    server = loop.run_until_complete(loop.create_server(
        factory, host="127.0.0.1", port=0,
        ssl=ctx if args.mode == "tls" else None))
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)

    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(0))
    loop.run_until_complete(stop)
    server.close()
    loop.run_until_complete(server.wait_closed())
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
