#!/usr/bin/python3
"""faultserver.py -- a scripted, misbehaving SMTP server for the tests.

Shares no code with src/: plain sockets and the ssl module.

  faultserver.py --port-file F --script S --log DIR [--cert C --key K]

Listens on 127.0.0.1 (port 0; the port is written to F through a rename)
and serves one connection after another until SIGTERM.  It records the
client's command lines exactly as received, line ends included, in
DIR/transcript.log (AUTH and its continuation lines too), the DATA bytes
received (as on the wire: still dot-stuffed, without the final ".")
appended to DIR/data.eml and, per transaction, DIR/data-N.eml (N counts
over all connections), and the TLS server name sent in DIR/sni.log.

Like a real server it answers DATA with 503 when MAIL failed and 554 when
no RCPT was accepted (a pipelining client sends DATA before it knows), and
RCPT with 503 after a failed MAIL, unless the script says otherwise.

The script has one directive a line ("#" starts a comment); TEXT may use
the escapes \\r \\n \\t \\\\ and \\xHH:

  greeting CODE TEXT      the greeting (default: 220 faultserver ESMTP)
  capa NAME...            EHLO keywords, as listed (one line each; may be
                          repeated).  Default: PIPELINING 8BITMIME
                          SIZE 10485760 STARTTLS AUTH PLAIN LOGIN, with
                          STARTTLS only before TLS and AUTH only after.
                          STARTTLS is never offered once TLS is up.
  no-esmtp                EHLO gets 500; HELO works
  reply CMD CODE TEXT     CMD is EHLO HELO STARTTLS AUTH MAIL RCPT DATA
                          DOT QUIT RSET NOOP.  Repeated lines apply to the
                          1st, 2nd, ... occurrence; for RCPT counted in the
                          transaction (later ones get 250), for the others
                          in the connection (the last one repeats).
  reply RCPT-AFTER N CODE TEXT
                          every RCPT after the first N of a transaction
  close-after CMD         drop the connection right after receiving CMD,
                          no reply; CMD may also be GREETING (after
                          sending it), DATA-MIDDLE (after some body bytes)
  silent                  accept, never answer, read until the client goes
  slow                    send every reply one byte a second
  delay CMD SECS          wait before answering CMD
  garbage CMD TEXT        send TEXT and CRLF instead of the reply
  longline CMD N          answer with one reply line of N bytes (CRLF
                          not counted)
  endless CMD             a multi-line reply that never ends ("250-x"
                          lines) until the client closes
  tls implicit|starttls   implicit TLS from the first byte, or STARTTLS
                          (the default when --cert is given)
  inject-after STARTTLS TEXT
                          send the 220 and TEXT (plus CRLF) in one write,
                          then start the handshake
  scram PASSWORD [MODE]   AUTH SCRAM-SHA-256 (RFC 5802/7677) checks the
                          client's proof against PASSWORD (any user):
                          535 when wrong.  MODE: ok (default: v= right,
                          then the scripted AUTH reply), bad-signature
                          (a wrong v=, then the scripted reply whatever
                          the client says), error (e=other-error), no-final
                          (the scripted reply right after client-final)
  (AUTH CRAM-MD5 gets the RFC 2195 challenge; the answer is recorded.)
  token TOKEN             AUTH XOAUTH2 / OAUTHBEARER: the bearer token
                          expected; any other gets the mechanism's 334
                          error challenge, then 535 after the client's
                          answer
CMD for garbage, longline, endless, delay may also be GREETING.

POP3 (RFC 1939/2449/2595), when the script's first directive is
"protocol pop3": one mailbox served to any USER/PASS (or AUTH PLAIN),
each message's lines recorded in DIR/transcript.log like SMTP commands.
  protocol pop3           serve POP3 instead of SMTP
  message TEXT            a message in the mailbox (escapes as above;
                          LF line ends, sent as CRLF and dot-stuffed)
  bigline N               a message with one body line of N bytes
  capa NAME...            CAPA lines (default: USER UIDL TOP PIPELINING
                          SASL PLAIN, and STLS before TLS)
  pop3-reply CMD TEXT     the status line for CMD (GREETING CAPA STLS
                          USER PASS AUTH STAT LIST UIDL RETR TOP DELE
                          QUIT), e.g. "pop3-reply RETR -ERR [SYS/PERM] no"
  close-after CMD         as for SMTP; RETR-MIDDLE drops the connection
                          half way through the first message
  silent, delay, tls implicit|starttls as for SMTP
  inject-after STLS TEXT  the +OK to STLS and TEXT in one write
  bearer-file FILE        AUTH XOAUTH2 / OAUTHBEARER: the bearer token
                          must be one of FILE's lines (read at each AUTH,
                          so oauthd.py's access_tokens can be it); an
                          accepted one is appended to DIR/bearer.log as
                          "MECH USER TOKEN", a refused one gets the RFC
                          7628 error challenge, then -ERR [AUTH]
Either protocol:
  concurrent              serve each connection in its own thread (a
                          client's second connection, such as the probe
                          of a silent implicit-TLS port, is answered
                          while the first waits)
"""

import argparse
import base64
import hashlib
import hmac
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time

DEFAULT_CAPA = ["PIPELINING", "8BITMIME", "SIZE 10485760", "STARTTLS",
                "AUTH PLAIN LOGIN"]
DEFAULT_CODES = {"GREETING": 220, "EHLO": 250, "HELO": 250, "STARTTLS": 220,
                 "AUTH": 235, "MAIL": 250, "RCPT": 250, "DATA": 354,
                 "DOT": 250, "QUIT": 221, "RSET": 250, "NOOP": 250}
DEFAULT_TEXT = {"GREETING": "faultserver ESMTP", "EHLO": "faultserver",
                "HELO": "faultserver", "STARTTLS": "2.0.0 Ready to start TLS",
                "AUTH": "2.7.0 Authentication successful",
                "MAIL": "2.1.0 Ok", "RCPT": "2.1.5 Ok",
                "DATA": "End data with <CR><LF>.<CR><LF>",
                "DOT": "2.0.0 Ok: queued", "QUIT": "2.0.0 Bye",
                "RSET": "2.0.0 Ok", "NOOP": "2.0.0 Ok"}


class Dropped(Exception):
    """The connection is over (closed by either side, or a drop)."""


def unescape(text):
    def sub(m):
        s = m.group(1)
        return {"r": "\r", "n": "\n", "t": "\t", "\\": "\\"}.get(
            s, chr(int(s[1:], 16)) if s.startswith("x") else s)
    return re.sub(r"\\(x[0-9a-fA-F]{2}|.)", sub, text).encode("latin-1")


class Script:
    def __init__(self, path):
        self.greeting = None
        self.capa = None
        self.no_esmtp = False
        self.replies = {}
        self.rcpt_after = None
        self.close_after = set()
        self.silent = False
        self.slow = False
        self.delay = {}
        self.garbage = {}
        self.longline = {}
        self.endless = set()
        self.tls = None
        self.inject = None
        self.scram = None
        self.token = None
        self.pop3 = False
        self.messages = []
        self.pop3_replies = {}
        self.bearer_file = None
        self.concurrent = False
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                try:
                    self.directive(line.split(None, 1)[0], line)
                except (ValueError, IndexError, KeyError) as e:
                    sys.exit("%s:%d: bad directive: %s (%s)" % (
                        path, n, line, e))

    def directive(self, word, line):
        def rest(n):
            parts = line.split(None, n)
            return parts[n] if len(parts) > n else ""
        words = line.split()
        if word == "greeting":
            self.greeting = (int(words[1]), rest(2))
        elif word == "capa":
            self.capa = (self.capa or []) + [w for w in words[1:]]
            # "capa AUTH PLAIN LOGIN" style: keep AUTH's mechanisms with it.
            self.capa = join_auth(self.capa)
        elif word == "no-esmtp":
            self.no_esmtp = True
        elif word == "reply" and words[1].upper() == "RCPT-AFTER":
            self.rcpt_after = (int(words[2]), int(words[3]), rest(4))
        elif word == "reply":
            cmd = words[1].upper()
            if cmd not in DEFAULT_CODES or cmd == "GREETING":
                raise ValueError("unknown command " + cmd)
            self.replies.setdefault(cmd, []).append(
                (int(words[2]), rest(3)))
        elif word == "close-after":
            self.close_after.add(words[1].upper())
        elif word == "silent":
            self.silent = True
        elif word == "slow":
            self.slow = True
        elif word == "delay":
            self.delay[words[1].upper()] = float(words[2])
        elif word == "garbage":
            self.garbage[words[1].upper()] = unescape(rest(2))
        elif word == "longline":
            self.longline[words[1].upper()] = int(words[2])
        elif word == "endless":
            self.endless.add(words[1].upper())
        elif word == "tls":
            if words[1] not in ("implicit", "starttls"):
                raise ValueError("tls implicit|starttls")
            self.tls = words[1]
        elif word == "inject-after":
            if words[1].upper() not in ("STARTTLS", "STLS"):
                raise ValueError("inject-after STARTTLS or STLS only")
            self.inject = unescape(rest(2))
        elif word == "scram":
            mode = words[2] if len(words) > 2 else "ok"
            if mode not in ("ok", "bad-signature", "error", "no-final"):
                raise ValueError("scram PASSWORD [MODE]")
            self.scram = (words[1], mode)
        elif word == "token":
            self.token = words[1]
        elif word == "protocol":
            self.pop3 = words[1] == "pop3"
        elif word == "message":
            self.messages.append(unescape(rest(1)))
        elif word == "bigline":
            self.messages.append(b"Subject: big\n\n" +
                                 b"x" * int(words[1]) + b"\n")
        elif word == "bearer-file":
            self.bearer_file = rest(1)
        elif word == "concurrent":
            self.concurrent = True
        elif word == "pop3-reply":
            self.pop3_replies[words[1].upper()] = unescape(rest(2))
        else:
            raise ValueError("unknown directive")


def join_auth(words):
    """["AUTH", "PLAIN", "LOGIN", "8BITMIME"] -> ["AUTH PLAIN LOGIN", ...]"""
    out = []
    for w in words:
        if out and out[-1].upper().startswith(("AUTH", "SASL")) and \
                w.upper() in ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2",
                              "SCRAM-SHA-256", "OAUTHBEARER"):
            out[-1] += " " + w
        elif out and out[-1].upper().startswith("SIZE") and w.isdigit():
            out[-1] += " " + w
        elif out and out[-1].split()[0].upper() in (
                "LOGIN-DELAY", "EXPIRE") and (
                w.isdigit() or w.upper() in ("NEVER", "USER")):
            out[-1] += " " + w
        else:
            out.append(w)
    return out


class Session:
    transactions = 0    # DATA phases so far, over all connections
    def __init__(self, sock, script, logdir, ctx):
        self.sock = sock
        self.s = script
        self.logdir = logdir
        self.ctx = ctx
        self.buf = b""
        self.tls = False
        self.counts = {}
        self.new_transaction()

    # -- I/O ---------------------------------------------------------
    def record(self, name, data):
        with open(os.path.join(self.logdir, name), "ab") as f:
            f.write(data)

    def send(self, data):
        try:
            if self.s.slow:
                for i in range(len(data)):
                    self.sock.sendall(data[i:i + 1])
                    time.sleep(1)
            else:
                self.sock.sendall(data)
        except (OSError, ssl.SSLError) as e:
            raise Dropped() from e

    def recv(self):
        try:
            data = self.sock.recv(65536)
        except (OSError, ssl.SSLError) as e:
            raise Dropped() from e
        if not data:
            raise Dropped()
        return data

    def readline(self):
        while b"\n" not in self.buf:
            self.buf += self.recv()
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def drop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise Dropped()

    # -- replies -----------------------------------------------------
    def reply(self, cmd, code, text, lines=None):
        """Sends the reply to cmd, unless the script says otherwise."""
        if cmd in self.s.delay:
            time.sleep(self.s.delay[cmd])
        if cmd in self.s.garbage:
            return self.send(self.s.garbage[cmd] + b"\r\n")
        if cmd in self.s.longline:
            n = self.s.longline[cmd]
            return self.send(b"%d " % code + b"x" * max(0, n - 4) + b"\r\n")
        if cmd in self.s.endless:
            self.send(b"%d-endless reply follows\r\n" % code)
            block = (b"%d-x\r\n" % code) * 200
            while True:
                self.send(block)
        lines = [text] + (lines or [])
        out = b""
        for i, t in enumerate(lines):
            sep = b" " if i == len(lines) - 1 else b"-"
            out += b"%d" % code + sep + t.encode("utf-8") + b"\r\n"
        self.send(out)

    def scripted(self, cmd):
        """(code, text) for the n-th occurrence of cmd."""
        n = self.counts.get(cmd, 0)
        self.counts[cmd] = n + 1
        lst = self.s.replies.get(cmd)
        if cmd == "RCPT":
            self.rcpts += 1
            if lst and self.rcpts <= len(lst):
                return lst[self.rcpts - 1]
            if self.s.rcpt_after and self.rcpts > self.s.rcpt_after[0]:
                return self.s.rcpt_after[1:]
        elif lst:
            return lst[min(n, len(lst) - 1)]
        return DEFAULT_CODES[cmd], DEFAULT_TEXT[cmd]

    def capabilities(self):
        if self.s.capa is not None:
            caps = list(self.s.capa)
        else:
            caps = [c for c in DEFAULT_CAPA
                    if not (c.startswith("AUTH") and not self.tls)]
        return [c for c in caps if not (self.tls and c == "STARTTLS")]

    # -- the dialogue ------------------------------------------------
    def run(self):
        if self.s.tls == "implicit":
            self.handshake()
        if self.s.silent:
            while True:
                self.record("transcript.log", self.readline())
        code, text = self.s.greeting or (220, DEFAULT_TEXT["GREETING"])
        self.reply("GREETING", code, text)
        if "GREETING" in self.s.close_after:
            self.drop()
        while True:
            line = self.readline()
            self.record("transcript.log", line)
            words = line.decode("latin-1").strip().split(None, 1)
            cmd = words[0].upper() if words else ""
            arg = words[1] if len(words) > 1 else ""
            if cmd in self.s.close_after:
                self.drop()
            handler = getattr(self, "on_" + cmd, None)
            if handler is None:
                self.send(b"500 5.5.2 Command not recognized\r\n")
            else:
                handler(cmd, arg)

    def on_EHLO(self, cmd, arg):
        if self.s.no_esmtp and "EHLO" not in self.s.replies:
            return self.send(b"500 5.5.1 Command unrecognized: EHLO\r\n")
        code, text = self.scripted(cmd)
        self.reply(cmd, code, text, self.capabilities() if code == 250 else [])

    def on_HELO(self, cmd, arg):
        self.reply(cmd, *self.scripted(cmd))

    def on_MAIL(self, cmd, arg):
        self.new_transaction()
        code, text = self.scripted(cmd)
        self.mail_ok = code < 400
        self.reply(cmd, code, text)

    def on_RCPT(self, cmd, arg):
        if not self.mail_ok and "RCPT" not in self.s.replies:
            return self.send(b"503 5.5.1 Error: need MAIL command\r\n")
        code, text = self.scripted(cmd)
        if code < 400:
            self.rcpt_ok += 1
        self.reply(cmd, code, text)

    def on_RSET(self, cmd, arg):
        self.new_transaction()
        self.reply(cmd, *self.scripted(cmd))

    def new_transaction(self):
        self.rcpts = 0
        self.rcpt_ok = 0
        self.mail_ok = False

    def on_NOOP(self, cmd, arg):
        self.reply(cmd, *self.scripted(cmd))

    def on_QUIT(self, cmd, arg):
        self.reply(cmd, *self.scripted(cmd))
        self.drop()

    def on_STARTTLS(self, cmd, arg):
        code, text = self.scripted(cmd)
        if code == 220 and (self.tls or not self.ctx or
                            "STARTTLS" not in self.capabilities()):
            return self.send(b"454 4.7.0 TLS not available\r\n")
        if code != 220:
            return self.reply(cmd, code, text)
        if self.s.inject is not None:
            self.send(b"220 " + text.encode() + b"\r\n" +
                      self.s.inject + b"\r\n")
        else:
            self.reply(cmd, code, text)
        self.buf = b""
        self.handshake()
        self.counts = {}
        self.new_transaction()

    def on_AUTH(self, cmd, arg):
        if not any(c.upper().startswith("AUTH") for c in self.capabilities()):
            return self.send(b"503 5.5.1 AUTH not available\r\n")
        words = arg.split()
        mech = words[0].upper() if words else ""
        if mech == "PLAIN":
            if len(words) < 2:
                self.send(b"334 \r\n")
                self.record("transcript.log", self.readline())
        elif mech == "LOGIN":
            if len(words) < 2:
                self.send(b"334 VXNlcm5hbWU6\r\n")
                self.record("transcript.log", self.readline())
            self.send(b"334 UGFzc3dvcmQ6\r\n")
            self.record("transcript.log", self.readline())
        elif mech == "CRAM-MD5" and len(words) < 2:
            self.challenge(b"<1896.697170952@faultserver>")
        elif mech == "SCRAM-SHA-256" and self.s.scram:
            ir = words[1] if len(words) > 1 else self.challenge(b"")
            return self.scram(ir)
        elif mech in ("XOAUTH2", "OAUTHBEARER") and self.s.token:
            ir = words[1] if len(words) > 1 else self.challenge(b"")
            return self.oauth(mech, ir)
        else:
            return self.send(b"504 5.5.4 Unrecognized mechanism\r\n")
        self.reply(cmd, *self.scripted(cmd))

    # -- SASL mechanisms that need more than a canned challenge --------
    def challenge(self, data):
        """Sends 334 with data in base64; the client's answer (str)."""
        self.send(b"334 " + base64.b64encode(data) + b"\r\n")
        line = self.readline()
        self.record("transcript.log", line)
        return line.decode("latin-1").strip()

    def scram(self, ir):
        """RFC 5802 server side, SHA-256, no channel binding."""
        password, mode = self.s.scram
        try:
            cfirst = base64.b64decode(ir, validate=True).decode()
        except ValueError:
            return self.send(b"501 5.5.2 Bad base64\r\n")
        if not cfirst.startswith("n,,"):
            return self.send(b"535 5.7.8 Bad GS2 header\r\n")
        bare = cfirst[3:]
        attrs = dict(a.split("=", 1) for a in bare.split(","))
        nonce = attrs["r"] + base64.b64encode(os.urandom(12)).decode()
        salt = os.urandom(16)
        iters = 4096
        sfirst = "r=%s,s=%s,i=%d" % (nonce, base64.b64encode(salt).decode(),
                                     iters)
        answer = self.challenge(sfirst.encode())
        if answer == "*":
            return self.send(b"501 5.7.0 Authentication cancelled\r\n")
        cfinal = base64.b64decode(answer).decode()
        without_proof, _, proof = cfinal.rpartition(",p=")
        if without_proof != "c=biws,r=" + nonce:
            return self.send(b"535 5.7.8 Bad client-final\r\n")
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt,
                                     iters)
        authmsg = ",".join((bare, sfirst, without_proof)).encode()
        ckey = hmac.new(salted, b"Client Key", "sha256").digest()
        stored = hashlib.sha256(ckey).digest()
        csig = hmac.new(stored, authmsg, "sha256").digest()
        got = bytes(a ^ b for a, b in zip(base64.b64decode(proof), csig))
        if hashlib.sha256(got).digest() != stored:
            return self.send(b"535 5.7.8 Authentication credentials "
                             b"invalid\r\n")
        if mode == "no-final":
            return self.reply("AUTH", *self.scripted("AUTH"))
        skey = hmac.new(salted, b"Server Key", "sha256").digest()
        ssig = hmac.new(skey, authmsg, "sha256").digest()
        if mode == "bad-signature":
            ssig = bytes([ssig[0] ^ 1]) + ssig[1:]
        sfinal = "e=other-error" if mode == "error" else \
            "v=" + base64.b64encode(ssig).decode()
        answer = self.challenge(sfinal.encode())
        if answer == "*" and mode != "bad-signature":
            return self.send(b"501 5.7.0 Authentication cancelled\r\n")
        self.reply("AUTH", *self.scripted("AUTH"))

    def oauth(self, mech, ir):
        """XOAUTH2 and OAUTHBEARER (RFC 7628): the token is checked."""
        raw = base64.b64decode(ir).decode("latin-1")
        if ("auth=Bearer %s\x01" % self.s.token) in raw:
            return self.reply("AUTH", *self.scripted("AUTH"))
        err = b'{"status":"invalid_token","schemes":"bearer"}'
        self.challenge(err)
        self.send(b"535 5.7.8 Authentication credentials invalid\r\n")

    def on_DATA(self, cmd, arg):
        # As a real server: no DATA without a sender and a recipient (a
        # pipelining client sends DATA before it knows; RFC 2920 3.1).
        if "DATA" not in self.s.replies:
            if not self.mail_ok:
                return self.send(b"503 5.5.1 Error: need MAIL command\r\n")
            if not self.rcpt_ok:
                return self.send(b"554 5.5.1 Error: no valid recipients\r\n")
        code, text = self.scripted(cmd)
        self.reply(cmd, code, text)
        if code != 354:
            return
        Session.transactions += 1
        n = Session.transactions
        body = b""
        try:
            if "DATA-MIDDLE" in self.s.close_after:
                while not body:
                    body += self.buf or self.recv()
                    self.buf = b""
                self.drop()
            while True:
                line = self.readline()
                if line in (b".\r\n", b".\n"):
                    break
                body += line
        finally:
            self.record("data.eml", body)
            self.record("data-%d.eml" % n, body)
        self.new_transaction()
        if "DOT" in self.s.close_after:
            self.drop()
        self.reply("DOT", *self.scripted("DOT"))

    def handshake(self):
        if not self.ctx:
            self.drop()
        try:
            self.sock = self.ctx.wrap_socket(self.sock, server_side=True)
        except (OSError, ssl.SSLError) as e:
            raise Dropped() from e
        self.tls = True


class Pop3Session(Session):
    """One POP3 connection over the scripted mailbox."""
    def __init__(self, sock, script, logdir, ctx):
        super().__init__(sock, script, logdir, ctx)
        self.deleted = set()

    def status(self, cmd, default):
        if cmd in self.s.close_after and cmd != "GREETING":
            self.drop()
        if cmd in self.s.delay:
            time.sleep(self.s.delay[cmd])
        line = self.s.pop3_replies.get(cmd, default)
        if isinstance(line, str):
            line = line.encode()
        self.send(line + b"\r\n")
        return line.startswith(b"+")

    def wire(self, msg):
        out = b""
        for line in msg.split(b"\n")[:-1] if msg.endswith(b"\n") \
                else msg.split(b"\n"):
            if line.startswith(b"."):
                line = b"." + line
            out += line + b"\r\n"
        return out

    def pop3_challenge(self, data):
        """Sends "+ " and data in base64 (RFC 5034 4); the answer."""
        self.send(b"+ " + base64.b64encode(data) + b"\r\n")
        line = self.readline()
        self.record("transcript.log", line)
        return line.decode("latin-1").strip()

    def bearer_ok(self, token):
        try:
            with open(self.s.bearer_file) as f:
                return token in (x.strip() for x in f)
        except FileNotFoundError:
            return False

    def pop3_bearer(self, mech, ir):
        """XOAUTH2 ("user=U^Aauth=Bearer T^A^A") and OAUTHBEARER
        (RFC 7628: "n,a=U,^A...^Aauth=Bearer T^A^A")."""
        try:
            text = base64.b64decode(ir, validate=True).decode("latin-1")
        except ValueError:
            return self.send(b"-ERR bad base64\r\n")
        tok = re.search(r"auth=Bearer ([^\x01]*)", text)
        user = re.search(r"(?:^|\x01)user=([^\x01]*)|^n,a=([^,]*),", text)
        token = tok.group(1) if tok else ""
        who = (user.group(1) or user.group(2)) if user else ""
        if token and self.bearer_ok(token):
            self.record("bearer.log", ("%s %s %s\n" % (
                mech, who, token)).encode())
            return self.status("AUTH", "+OK logged in")
        self.record("bearer-refused.log", ("%s %s %s\n" % (
            mech, who, token)).encode())
        self.pop3_challenge(b'{"status":"invalid_token",'
                            b'"schemes":"bearer"}')
        self.send(b"-ERR [AUTH] invalid token\r\n")

    def run(self):
        if self.s.tls == "implicit":
            self.handshake()
        if self.s.silent:
            while True:
                self.recv()
        self.status("GREETING", "+OK faultserver POP3 ready <1.2@fault>")
        if "GREETING" in self.s.close_after:
            self.drop()
        while True:
            line = self.readline()
            self.record("transcript.log", line)
            words = line.decode("latin-1").split()
            cmd = words[0].upper() if words else ""
            arg = words[1:]
            msgs = self.s.messages
            if cmd == "CAPA":
                caps = self.s.capa or ["USER", "UIDL", "TOP",
                                       "PIPELINING", "SASL PLAIN"]
                if not self.tls and self.ctx and not self.s.capa:
                    caps = caps + ["STLS"]
                if self.status("CAPA", "+OK"):
                    self.send(b"".join(c.encode() + b"\r\n"
                                       for c in caps) + b".\r\n")
            elif cmd == "STLS":
                if self.s.inject is not None:
                    self.send(b"+OK go\r\n" + self.s.inject + b"\r\n")
                    self.handshake()
                elif self.status("STLS", "+OK begin TLS"):
                    self.handshake()
            elif cmd in ("USER", "PASS", "APOP", "NOOP", "RSET"):
                self.status(cmd, "+OK")
            elif cmd == "AUTH" and self.s.bearer_file and arg and \
                    arg[0].upper() in ("XOAUTH2", "OAUTHBEARER"):
                ir = arg[1] if len(arg) > 1 else self.pop3_challenge(b"")
                self.pop3_bearer(arg[0].upper(), ir)
            elif cmd == "AUTH":
                self.status("AUTH", "+OK logged in")
            elif cmd == "STAT":
                self.status("STAT", "+OK %d %d" % (
                    len(msgs), sum(len(self.wire(m)) for m in msgs)))
            elif cmd in ("LIST", "UIDL"):
                if self.status(cmd, "+OK"):
                    body = b""
                    for i, m in enumerate(msgs, 1):
                        if i in self.deleted:
                            continue
                        v = len(self.wire(m)) if cmd == "LIST" else \
                            hashlib.sha1(m).hexdigest()[:16]
                        body += b"%d %s\r\n" % (i, str(v).encode())
                    self.send(body + b".\r\n")
            elif cmd in ("RETR", "TOP"):
                n = int(arg[0])
                if not self.status(cmd, "+OK message follows"):
                    continue
                data = self.wire(msgs[n - 1])
                if cmd == "TOP":
                    data = data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
                if "RETR-MIDDLE" in self.s.close_after:
                    self.send(data[:len(data) // 2])
                    self.drop()
                self.send(data + b".\r\n")
            elif cmd == "DELE":
                if self.status("DELE", "+OK deleted"):
                    self.deleted.add(int(arg[0]))
            elif cmd == "QUIT":
                self.status("QUIT", "+OK bye")
                if self.deleted:
                    self.record("deleted.log", b"".join(
                        b"%d\n" % i for i in sorted(self.deleted)))
                self.drop()
            else:
                self.send(b"-ERR unknown command\r\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--script", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    args = p.parse_args()
    script = Script(args.script)
    os.makedirs(args.log, exist_ok=True)

    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)

        def sni(sslobj, name, context):
            with open(os.path.join(args.log, "sni.log"), "a") as f:
                f.write("%s\n" % name)
        ctx.sni_callback = sni

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    os.rename(tmp, args.port_file)

    def serve(conn):
        try:
            (Pop3Session if script.pop3 else Session)(
                conn, script, args.log, ctx).run()
        except Dropped:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    while True:
        conn, _ = lsock.accept()
        # A bound on every wait, so a stuck client cannot wedge the server.
        conn.settimeout(120)
        if script.concurrent:
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
        else:
            serve(conn)


if __name__ == "__main__":
    main()
