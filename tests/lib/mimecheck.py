#!/usr/bin/python3
"""mimecheck.py -- an independent check of a composed message.

Usage: /usr/bin/python3 tests/lib/mimecheck.py FILE   (FILE "-": stdin)

Reads the raw message (wire form: CRLF line ends, no dot-stuffing), checks
that every line ends in CRLF and holds at most 998 octets (RFC 5322 2.1.1),
parses it with Python's email package under policy=email.policy.strict
and prints a JSON summary on stdout:

  headers      subject, date, message_id, and from/to/cc as [name, addr]
  header_names every top-level field name, in order
  has_bcc      whether a Bcc field exists
  defects      defects found, "field: defect" ("part: ..." for the
               parser's); outbox writes none (attachment names are
               RFC 2231 in both Content-Type and Content-Disposition)
  body         the first inline text part: content_type, charset, cte,
               b64 (its decoded bytes, base64), text (decoded with the
               declared charset, or null when the codec is unknown)
  attachments  per attachment: filename (decoded), name (Content-Type),
               content_type, charset, cte, size and sha256 of the bytes
  max_line     longest line, CRLF excluded
  structure    the part tree as text: "multipart/mixed(multipart/related(
               multipart/alternative(text/plain,text/html),image/png),
               application/pdf)"
  related_type the type= parameter of the first multipart/related, or null
  parts        every leaf part in order: content_type, disposition,
               content_id, filename, charset, cte, size, sha256, text
               (text/* decoded with its charset, else null)
  html         the first text/html part: charset, cte, text

The decoded bytes of a 7bit, 8bit or quoted-printable text part are given
in the local form, line ends LF (a reader's choice: RFC 2045 2.10 lines
end in CRLF on the wire); base64 parts are given byte for byte.
Exit status: 0, or 1 with the reason on stderr when a line check fails
or the parser refuses the message.
"""
import base64
import codecs
import email
import email.header
import email.policy
import email.utils
import hashlib
import json
import sys


def fail(why):
    sys.stderr.write("mimecheck: %s\n" % why)
    sys.exit(1)


def check_lines(raw):
    if raw and not raw.endswith(b"\r\n"):
        fail("the message does not end in CRLF")
    longest = 0
    for no, line in enumerate(raw.split(b"\r\n")[:-1], 1):
        if b"\r" in line or b"\n" in line:
            fail("line %d: bare CR or LF" % no)
        if len(line) > 998:
            fail("line %d: %d octets (over 998)" % (no, len(line)))
        longest = max(longest, len(line))
    return longest


def addresses(msg, legacy, name):
    h = msg[name]
    if h is None:
        return None
    pairs = [[a.display_name, a.addr_spec] for a in h.addresses]
    # The strict parser keeps the white space between adjacent encoded
    # words of a phrase, which RFC 2047 section 6.2 says to drop; names
    # with encoded words are decoded by email.header instead.
    old = email.utils.getaddresses(legacy.get_all(name, []))
    if len(old) == len(pairs):
        for p, (n, _) in zip(pairs, old):
            if "=?" in n:
                p[0] = str(email.header.make_header(
                    email.header.decode_header(n)))
    return pairs


def decoded(part):
    data = part.get_payload(decode=True) or b""
    cte = part.get("content-transfer-encoding", "7bit").lower()
    if part.get_content_maintype() == "text" and cte != "base64":
        data = data.replace(b"\r\n", b"\n")
    return data, cte


def as_text(data, charset):
    if not charset:
        return None
    try:
        codecs.lookup(charset)
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return None


def structure(part):
    if not part.is_multipart():
        return part.get_content_type()
    return "%s(%s)" % (part.get_content_type(),
                       ",".join(structure(p) for p in part.get_payload()))


def leaf(part):
    data, cte = decoded(part)
    cs = part.get_content_charset()
    cid = part["content-id"]
    return {
        "content_type": part.get_content_type(),
        "disposition": part.get_content_disposition(),
        "content_id": None if cid is None else str(cid),
        "filename": part.get_filename(),
        "charset": cs,
        "cte": cte,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "text": as_text(data, cs or "us-ascii")
        if part.get_content_maintype() == "text" else None,
    }


def main():
    if len(sys.argv) != 2:
        fail("usage: mimecheck.py FILE")
    if sys.argv[1] == "-":
        raw = sys.stdin.buffer.read()
    else:
        with open(sys.argv[1], "rb") as fp:
            raw = fp.read()
    longest = check_lines(raw)
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.strict)
        legacy = email.message_from_bytes(raw)
        defects = []
        heads = {}
        for k in ("subject", "date", "message-id"):
            v = msg[k]
            heads[k.replace("-", "_")] = None if v is None else str(v)
            if v is not None:
                defects += ["%s: %s" % (k, d) for d in v.defects]
        for k in ("from", "to", "cc"):
            heads[k] = addresses(msg, legacy, k)
            if msg[k] is not None:
                defects += ["%s: %s" % (k, d) for d in msg[k].defects]
        body = None
        atts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            data, cte = decoded(part)
            cs = part.get_content_charset()
            if part.get_content_disposition() == "attachment":
                cd = part["content-disposition"]
                ct = part["content-type"]
                defects += ["content-disposition: %s" % d
                            for d in cd.defects]
                defects += ["content-type: %s" % d for d in ct.defects]
                atts.append({
                    "filename": cd.params.get("filename"),
                    "name": ct.params.get("name"),
                    "content_type": part.get_content_type(),
                    "charset": cs,
                    "cte": cte,
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                })
            elif body is None and part.get_content_type() == "text/plain":
                body = {
                    "content_type": part.get_content_type(),
                    "charset": cs,
                    "cte": cte,
                    "b64": base64.b64encode(data).decode("ascii"),
                    "text": as_text(data, cs),
                }
        defects += ["part: %s" % d for p in msg.walk() for d in p.defects]
        leaves = [leaf(p) for p in msg.walk() if not p.is_multipart()]
        html = next(({"charset": x["charset"], "cte": x["cte"],
                      "text": x["text"]} for x in leaves
                     if x["content_type"] == "text/html"), None)
        related = next((p.get_param("type") for p in msg.walk()
                        if p.get_content_type() == "multipart/related"),
                       None)
        tree = structure(msg)
    except Exception as e:  # the strict policy raises on any defect
        fail("parse: %s: %s" % (type(e).__name__, e))
    print(json.dumps({
        "headers": heads,
        "header_names": list(msg.keys()),
        "has_bcc": msg["bcc"] is not None,
        "defects": defects,
        "body": body,
        "attachments": atts,
        "max_line": longest,
        "structure": tree,
        "related_type": related,
        "parts": leaves,
        "html": html,
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
