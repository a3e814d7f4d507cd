#!/usr/bin/python3
"""smtpd.py -- the ordinary SMTP server of the bats suites (aiosmtpd).

Run with /usr/bin/python3 (Debian's python3-aiosmtpd):

  smtpd.py --port-file F --out DIR [--mode plain|starttls|tls]
           [--cert C --key K] [--auth USER:PASS] [--require-auth]
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

    def __init__(self, out, credentials):
        self.out = out
        self.credentials = credentials
        self.count = 0

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
    p.add_argument("--smtputf8", action="store_true")
    p.add_argument("--data-limit", type=int, default=None,
                   help="largest DATA accepted (aiosmtpd: 32 MiB)")
    args = p.parse_args()
    if args.mode != "plain" and not (args.cert and args.key):
        p.error("--mode %s needs --cert and --key" % args.mode)

    os.makedirs(args.out, exist_ok=True)
    creds = tuple(args.auth.split(":", 1)) if args.auth else None
    handler = Recorder(args.out, creds)
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
