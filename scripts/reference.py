#!/usr/bin/env python3
"""docs/contract.md §1 and §2 written plainly in Python: an oracle for logcount's numbers.

    python3 scripts/reference.py PATHS... [--log-format NAME] [--client-field PATH]

prints JSON shaped like logcount's report; compare with

    logcount PATHS --json | jq '{files, errors, skipped, summary}'

(error messages are worded like logcount's where that is easy; compare `errors` by path).

Clarity over speed: every file is read whole into memory, decompressed whole, split into
lines, and each line is judged on its own by a small parser per format. Python 3 standard
library only; zstd needs the `zstandard` module and is an error for the file without it.
"""
import bz2
import json
import lzma
import os
import stat
import sys
import zlib

# ---------------------------------------------------------------------------------------------
# Lines
# ---------------------------------------------------------------------------------------------

WS = b" \t\r\x0b\x0c"  # ASCII whitespace: a line of only these (or empty) is blank

# A line is judged by its first 64 KiB (without its `\n` and one trailing `\r`).
MAX_LINE = 64 * 1024

# Detection samples at most this many non-blank lines, among those starting in the first
# SAMPLE_BYTES bytes of text.
SAMPLE_LINES = 100
SAMPLE_BYTES = 64 * 1024


def is_blank(line):
    return all(b in WS for b in line)


def view(line):
    """What a parser sees of a line given without its `\\n`: None when blank, else the line
    without one trailing `\\r`, cut at MAX_LINE bytes."""
    if is_blank(line):
        return None
    if line.endswith(b"\r"):
        line = line[:-1]
    return line[:MAX_LINE]


def lines_of(text):
    """The lines of a text: split at `\\n`; the last may lack its `\\n` (an empty piece after a
    final `\\n` is no line, and would be blank anyway)."""
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


# ---------------------------------------------------------------------------------------------
# A cursor over a line: every step consumes what it expects or raises NoParse.
# ---------------------------------------------------------------------------------------------


class NoParse(Exception):
    """The line is not a request in the format being tried."""


DIGITS = b"0123456789"
HEX = b"0123456789abcdefABCDEF"


class Cursor:
    def __init__(self, s, i=0):
        self.s = s
        self.i = i

    def rest(self):
        return self.s[self.i:]

    def at_end(self):
        return self.i >= len(self.s)

    def peek(self):
        return self.s[self.i] if self.i < len(self.s) else None

    def byte(self, b):
        """Consumes the one byte `b` (an int)."""
        if self.peek() != b:
            raise NoParse
        self.i += 1

    def literal(self, text):
        if not self.s.startswith(text, self.i):
            raise NoParse
        self.i += len(text)

    def field(self, sep, to_end):
        """A non-empty run of bytes up to (not including) the next `sep` (an int); up to the
        end of the line only when `to_end`."""
        j = self.s.find(bytes([sep]), self.i)
        if j == -1:
            if not to_end:
                raise NoParse
            j = len(self.s)
        if j == self.i:
            raise NoParse
        value = self.s[self.i:j]
        self.i = j
        return value

    def token(self):
        """A non-empty token that a space ends (the space is not consumed)."""
        return self.field(ord(" "), False)

    def until(self, end):
        """The bytes up to the next `end` (an int), which must come; `end` is consumed."""
        j = self.s.find(bytes([end]), self.i)
        if j == -1:
            raise NoParse
        value = self.s[self.i:j]
        self.i = j + 1
        return value

    def quoted(self):
        """A `"`-quoted string; a quote after an odd number of backslashes does not end it."""
        self.byte(ord('"'))
        start = self.i
        q = start
        while True:
            q = self.s.find(b'"', q)
            if q == -1:
                raise NoParse
            backslashes = 0
            while q - backslashes - 1 >= start and self.s[q - backslashes - 1] == ord("\\"):
                backslashes += 1
            if backslashes % 2 == 0:
                self.i = q + 1
                return self.s[start:q]
            q += 1

    def digits(self, n):
        """Exactly `n` ASCII digits."""
        d = self.s[self.i:self.i + n]
        if len(d) != n or not all(b in DIGITS for b in d):
            raise NoParse
        self.i += n
        return d

    def number(self):
        """One or more ASCII digits."""
        j = self.i
        while j < len(self.s) and self.s[j] in DIGITS:
            j += 1
        if j == self.i:
            raise NoParse
        value = self.s[self.i:j]
        self.i = j
        return value

    def end_or_space(self):
        """The end of the line, or a space (consumed) before more fields."""
        if not self.at_end():
            self.byte(ord(" "))


def iso_timestamp(c):
    """Consumes `YYYY-MM-DDTHH:MM:SS`, an optional `.fraction` and an optional zone (`Z`,
    `+HH:MM`, `-HHMM`)."""
    c.digits(4)
    c.byte(ord("-"))
    c.digits(2)
    c.byte(ord("-"))
    c.digits(2)
    c.byte(ord("T"))
    c.digits(2)
    c.byte(ord(":"))
    c.digits(2)
    c.byte(ord(":"))
    c.digits(2)
    if c.peek() == ord("."):
        c.i += 1
        c.number()
    if c.peek() == ord("Z"):
        c.i += 1
    elif c.peek() in (ord("+"), ord("-")):
        c.i += 1
        c.digits(2)
        if c.peek() == ord(":"):
            c.i += 1
        c.digits(2)


def try_iso_timestamp(c):
    """iso_timestamp if one is there (True), else the cursor is left as it was (False)."""
    at = c.i
    try:
        iso_timestamp(c)
        return True
    except NoParse:
        c.i = at
        return False


# ---------------------------------------------------------------------------------------------
# Client addresses
# ---------------------------------------------------------------------------------------------


def is_canonical_v4(b):
    """A dotted quad as an IPv4 address is canonically written: 0-255, no leading zeros."""
    parts = b.split(b".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not p or not all(x in DIGITS for x in p):
            return False
        if len(p) > 1 and p[0] == ord("0"):
            return False
        if int(p) > 255:
            return False
    return True


def unbracket(field):
    """`[2001:db8::1]` → `2001:db8::1`; anything else as it is."""
    if len(field) >= 2 and field[:1] == b"[" and field[-1:] == b"]":
        return field[1:-1]
    return field


def strip_port(field):
    """An `ip:port` field without its port (and brackets): None when it has no `:digits`."""
    colon = field.rfind(b":")
    if colon == -1:
        return None
    address, port = field[:colon], field[colon + 1:]
    if not port or not all(b in DIGITS for b in port) or not address:
        return None
    return unbracket(address)


def clean_address(field):
    """A JSON client field: a port or brackets taken off only where the shape is unambiguous
    (a dotted quad with `:port`; a bracketed IPv6 address with or without one)."""
    if field[:1] == b"[":
        stripped = strip_port(field)
        return stripped if stripped is not None else unbracket(field)
    address = strip_port(field)
    if address is not None and is_canonical_v4(address):
        return address
    return field


# ---------------------------------------------------------------------------------------------
# combined and vhost (NCSA)
# ---------------------------------------------------------------------------------------------


def host_list_end(line):
    """Where a HOST field starting at 0 ends: at the first space, unless the token before it
    ends with a comma (an X-Forwarded-For list `a, b`), when the list goes on after it."""
    end = line.find(b" ")
    if end == -1:
        raise NoParse
    while end > 0 and line[end - 1] == ord(","):
        nxt = end + 1
        end = line.find(b" ", nxt)
        if end == -1 or end == nxt:  # no end, or two spaces: not a list
            raise NoParse
    if end == 0:
        raise NoParse
    return end


def host(line):
    """The client of the HOST field at the start of `line`, and where HOST ends."""
    end = host_list_end(line)
    first = line[:end].split(b",")[0]
    if not first:
        raise NoParse
    return unbracket(first), end


def after_host(c):
    """` IDENT USER [TIME] "REQUEST" STATUS BYTES`, then the end or a space and anything."""
    c.byte(ord(" "))
    c.token()  # IDENT
    c.byte(ord(" "))
    c.token()  # USER
    c.literal(b" [")
    if not c.until(ord("]")):  # TIME
        raise NoParse
    c.byte(ord(" "))
    c.quoted()  # REQUEST
    c.byte(ord(" "))
    c.digits(3)  # STATUS
    c.byte(ord(" "))
    if c.peek() == ord("-"):  # BYTES
        c.i += 1
    else:
        c.number()
    c.end_or_space()


def parse_combined(line):
    client, end = host(line)
    after_host(Cursor(line, end))
    return client


def parse_vhost(line):
    c = Cursor(line)
    c.token()  # VHOST[:PORT]
    c.byte(ord(" "))
    rest = c.rest()
    client, end = host(rest)
    after_host(Cursor(rest, end))
    return client


# ---------------------------------------------------------------------------------------------
# json
# ---------------------------------------------------------------------------------------------

DEFAULT_FIELDS = [
    "client_ip",
    "remote_ip",
    "remote_addr",
    "ClientHost",
    "ClientAddr",
    "request.client_ip",
    "request.remote_ip",
    "request.remote_addr",
    "http.client_ip",
    "clientip",
    "client",
]

MAX_DEPTH = 32  # nesting deeper than this is not an access log line
JSON_WS = b" \t\r\n"


def unescape(raw):
    """The bytes a JSON string's contents (already checked) stand for, as UTF-8; a lone
    surrogate becomes U+FFFD."""
    out = bytearray()
    i = 0
    simple = {ord("b"): 8, ord("f"): 12, ord("n"): 10, ord("r"): 13, ord("t"): 9}
    while i < len(raw):
        b = raw[i]
        if b != ord("\\"):
            out.append(b)
            i += 1
            continue
        e = raw[i + 1]
        if e == ord("u"):
            code = int(raw[i + 2:i + 6], 16)
            i += 6
            if 0xD800 <= code < 0xDC00 and raw[i:i + 2] == b"\\u":
                low = int(raw[i + 2:i + 6], 16)
                if 0xDC00 <= low < 0xE000:
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
            if 0xD800 <= code < 0xE000:
                code = 0xFFFD
            out += chr(code).encode("utf-8")
            continue
        out.append(simple.get(e, e))  # `\"`, `\\`, `\/` stand for themselves
        i += 2
    return bytes(out)


class JsonLine:
    """Checks that a line is one JSON object (without building it) and finds the string
    values at the wanted paths; a path is a list of key segments, followed through objects
    only. The first occurrence of a path is the one kept."""

    def __init__(self, s, paths):
        self.s = s
        self.i = 0
        self.paths = paths
        self.found = [None] * len(paths)

    def peek(self):
        return self.s[self.i] if self.i < len(self.s) else None

    def ws(self):
        while self.peek() is not None and self.peek() in JSON_WS:
            self.i += 1

    def eat(self, b):
        if self.peek() != ord(b):
            raise NoParse
        self.i += 1

    def string(self):
        """A string: its raw contents and whether they hold escapes (which are checked)."""
        self.eat('"')
        start = self.i
        escaped = False
        while True:
            b = self.peek()
            if b is None:
                raise NoParse
            if b == ord('"'):
                raw = self.s[start:self.i]
                self.i += 1
                return raw, escaped
            if b == ord("\\"):
                escaped = True
                self.i += 1
                e = self.peek()
                if e is None:
                    raise NoParse
                if e in b'"\\/bfnrt':
                    self.i += 1
                elif e == ord("u"):
                    h = self.s[self.i + 1:self.i + 5]
                    if len(h) != 4 or not all(x in HEX for x in h):
                        raise NoParse
                    self.i += 5
                else:
                    raise NoParse
            else:
                self.i += 1

    def obj(self, wanted, depth, nesting):
        """An object; `wanted` are the indices of the paths whose first `depth` segments led
        here."""
        if nesting > MAX_DEPTH:
            raise NoParse
        self.eat("{")
        self.ws()
        if self.peek() == ord("}"):
            self.i += 1
            return
        while True:
            self.ws()
            key, key_escaped = self.string()
            self.ws()
            self.eat(":")
            self.ws()
            ending, deeper = [], []
            if not key_escaped:  # a key written with escapes never matches
                for p in wanted:
                    path = self.paths[p]
                    if depth < len(path) and path[depth] == key:
                        (ending if len(path) == depth + 1 else deeper).append(p)
            b = self.peek()
            if b == ord('"') and ending:
                raw, escaped = self.string()
                value = unescape(raw) if escaped else raw
                for p in ending:
                    if self.found[p] is None:
                        self.found[p] = value
            elif b == ord("{"):
                self.obj(deeper, depth + 1, nesting + 1)
            else:
                self.value(nesting + 1)
            self.ws()
            b = self.peek()
            if b == ord(","):
                self.i += 1
            elif b == ord("}"):
                self.i += 1
                return
            else:
                raise NoParse

    def array(self, nesting):
        if nesting > MAX_DEPTH:
            raise NoParse
        self.eat("[")
        self.ws()
        if self.peek() == ord("]"):
            self.i += 1
            return
        while True:
            self.ws()
            self.value(nesting + 1)
            self.ws()
            b = self.peek()
            if b == ord(","):
                self.i += 1
            elif b == ord("]"):
                self.i += 1
                return
            else:
                raise NoParse

    def value(self, nesting):
        b = self.peek()
        if b is None:
            raise NoParse
        if b == ord("{"):
            self.obj([], 0, nesting)
        elif b == ord("["):
            self.array(nesting)
        elif b == ord('"'):
            self.string()
        elif b in b"tfn":
            for word in (b"true", b"false", b"null"):
                if self.s.startswith(word, self.i):
                    self.i += len(word)
                    return
            raise NoParse
        elif b == ord("-") or b in DIGITS:
            self.number()
        else:
            raise NoParse

    def digits(self):
        start = self.i
        while self.peek() is not None and self.peek() in DIGITS:
            self.i += 1
        return self.i - start

    def number(self):
        if self.peek() == ord("-"):
            self.i += 1
        b = self.peek()
        if b == ord("0"):
            self.i += 1
        elif b is not None and b in b"123456789":
            self.digits()
        else:
            raise NoParse
        if self.peek() == ord("."):
            self.i += 1
            if self.digits() == 0:
                raise NoParse
        if self.peek() in (ord("e"), ord("E")):
            self.i += 1
            if self.peek() in (ord("+"), ord("-")):
                self.i += 1
            if self.digits() == 0:
                raise NoParse


def parse_json(line, paths):
    j = JsonLine(line, paths)
    j.ws()
    j.obj(list(range(len(paths))), 0, 0)
    j.ws()
    if j.i != len(line):
        raise NoParse
    # The first path, in order of preference, holding a non-empty string.
    for value in j.found:
        if value is not None:
            client = clean_address(value)
            if client:
                return client
    raise NoParse


# ---------------------------------------------------------------------------------------------
# alb, elb (AWS load balancers)
# ---------------------------------------------------------------------------------------------

ALB_TYPES = [b"http", b"https", b"h2", b"grpcs", b"ws", b"wss"]


def request_after(c, n):
    """`n` space-separated tokens, then a space, a quoted request, and the end or a space."""
    for _ in range(n):
        c.byte(ord(" "))
        c.token()
    c.byte(ord(" "))
    c.quoted()
    c.end_or_space()


def lb_client(address):
    client = strip_port(address)
    if client is None:
        raise NoParse
    return client


def parse_alb(line):
    """`type time elb client:port target:port t1 t2 t3 status status bytes bytes "request" ...`"""
    c = Cursor(line)
    if c.token() not in ALB_TYPES:
        raise NoParse
    c.byte(ord(" "))
    iso_timestamp(c)
    c.byte(ord(" "))
    c.token()  # the load balancer
    c.byte(ord(" "))
    address = c.token()
    request_after(c, 8)
    return lb_client(address)


def parse_elb(line):
    """`time elb client:port backend:port t1 t2 t3 status status bytes bytes "request" ...`"""
    c = Cursor(line)
    iso_timestamp(c)
    c.byte(ord(" "))
    c.token()  # the load balancer
    c.byte(ord(" "))
    address = c.token()
    request_after(c, 8)
    return lb_client(address)


# ---------------------------------------------------------------------------------------------
# haproxy
# ---------------------------------------------------------------------------------------------

HAPROXY_HEADER_MAX = 256  # how far into a line the `]: ` that ends a syslog header may be


def haproxy_body(line):
    """`IP:PORT [TIME] FRONTEND BACKEND/SERVER TIMERS STATUS BYTES`, then the end or more."""
    c = Cursor(line)
    address = strip_port(c.token())
    if address is None:
        raise NoParse
    c.literal(b" [")
    if not c.until(ord("]")):
        raise NoParse
    c.byte(ord(" "))
    c.token()  # frontend
    c.byte(ord(" "))
    if b"/" not in c.token():  # backend/server
        raise NoParse
    c.byte(ord(" "))
    if not all(b in b"0123456789/-+" for b in c.token()):  # timers
        raise NoParse
    c.byte(ord(" "))
    status = c.token()
    if not ((len(status) == 3 and all(b in DIGITS for b in status)) or status == b"-1"):
        raise NoParse
    c.byte(ord(" "))
    if c.peek() == ord("+"):
        c.i += 1
    c.number()  # bytes read
    c.end_or_space()
    return address


def parse_haproxy(line):
    """The body at the line's start, or after a header ending `]: ` (`haproxy[PID]: `)."""
    try:
        return haproxy_body(line)
    except NoParse:
        pass
    tag_end = line[:HAPROXY_HEADER_MAX].find(b"]: ")
    if tag_end == -1:
        raise NoParse
    return haproxy_body(line[tag_end + 3:])


# ---------------------------------------------------------------------------------------------
# w3c and cloudfront: directives, and the `#Fields:` in force
# ---------------------------------------------------------------------------------------------


class Columns:
    def __init__(self, count, client, date, time, edge):
        self.count = count  # 0: any number (CloudFront's default columns)
        self.client = client
        self.date = date
        self.time = time
        self.edge = edge  # names x-edge-location (CloudFront)


def parse_fields(directive):
    """The columns of a `#Fields:` line; None without a `c-ip`."""
    names = directive[len(b"#Fields:"):].replace(b"\t", b" ").split(b" ")
    names = [n for n in names if n]

    def at(name):
        return names.index(name) if name in names else None

    if at(b"c-ip") is None:
        return None
    return Columns(len(names), at(b"c-ip"), at(b"date"), at(b"time"), at(b"x-edge-location") is not None)


# Before any `#Fields:`, CloudFront's standard columns: date time x-edge-location sc-bytes c-ip
CLOUDFRONT_DEFAULT = Columns(0, 4, 0, 1, True)

W3C_DIRECTIVES = [b"#Version:", b"#Software:", b"#Date:", b"#Start-Date:", b"#End-Date:", b"#Remark:"]
CLOUDFRONT_DIRECTIVES = [b"#Version:"]


def is_date(v):
    c = Cursor(v)
    try:
        c.digits(4)
        c.byte(ord("-"))
        c.digits(2)
        c.byte(ord("-"))
        c.digits(2)
    except NoParse:
        return False
    return c.at_end()


def is_time(v):
    c = Cursor(v)
    try:
        c.digits(2)
        c.byte(ord(":"))
        c.digits(2)
        c.byte(ord(":"))
        c.digits(2)
        if c.peek() == ord("."):
            c.i += 1
            c.number()
    except NoParse:
        return False
    return c.at_end()


class W3c:
    """The state of one file read as `w3c` or `cloudfront`: the `#Fields:` in force.

    Every `#` line is a directive: neither a request nor malformed. The ones this format knows
    ("directive") are evidence of it for detection; any other ("comment") is not. The last
    `#Fields:` line met is the one in force; one that names no `c-ip` (or, for CloudFront, not
    CloudFront's `x-edge-location`) leaves no client to count, and the lines after it are
    malformed until the next."""

    UNUSABLE = "unusable"

    def __init__(self, cloudfront):
        self.cloudfront = cloudfront
        self.columns = None  # no #Fields: yet

    def line(self, line):
        """("request", client), ("directive"|"comment"|"malformed", None)."""
        if line[:1] == b"#":
            return self.directive(line)
        columns = self.columns
        if columns is None:
            if not self.cloudfront:
                return ("malformed", None)
            columns = CLOUDFRONT_DEFAULT
        if columns is W3c.UNUSABLE:
            return ("malformed", None)
        sep = b"\t" if self.cloudfront else b" "
        values = line.split(sep)
        for n, value in enumerate(values):
            if not value:
                return ("malformed", None)
            if n == columns.date and not is_date(value):
                return ("malformed", None)
            if n == columns.time and not is_time(value):
                return ("malformed", None)
        if columns.count != 0 and len(values) != columns.count:
            return ("malformed", None)
        if columns.client >= len(values):
            return ("malformed", None)
        return ("request", unbracket(values[columns.client]))

    def directive(self, line):
        if line.startswith(b"#Fields:"):
            columns = parse_fields(line)
            if columns is not None and (not self.cloudfront or columns.edge):
                self.columns = columns
                return ("directive", None)
            self.columns = W3c.UNUSABLE
            return ("comment", None)
        known = CLOUDFRONT_DIRECTIVES if self.cloudfront else W3C_DIRECTIVES
        if any(line.startswith(d) for d in known):
            return ("directive", None)
        return ("comment", None)


# ---------------------------------------------------------------------------------------------
# Prefixes: CRI container logs, syslog headers
# ---------------------------------------------------------------------------------------------

MONTHS = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"]


def strip_cri(line):
    """`2023-10-06T00:17:09.669794202Z stdout F ` (timestamp, stream, F or P) → the rest."""
    c = Cursor(line)
    iso_timestamp(c)
    c.byte(ord(" "))
    if c.s.startswith(b"stdout ", c.i):
        c.i += 7
    else:
        c.literal(b"stderr ")
    if c.peek() not in (ord("F"), ord("P")):
        raise NoParse
    c.i += 1
    c.byte(ord(" "))
    return c.rest()


def strip_syslog(line):
    """RFC 5424 `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD `, or RFC 3164 with an optional
    `<PRI>`: `Mmm dd hh:mm:ss HOST TAG: ` (or an ISO timestamp for the date) → the message."""
    c = Cursor(line)
    if c.peek() == ord("<"):
        c.i += 1
        if len(c.number()) > 3:
            raise NoParse
        c.byte(ord(">"))
        if c.s.startswith(b"1 ", c.i):
            c.i += 2
            return rfc5424(c)
    # RFC 3164: the date, the host, the tag up to `: `.
    if not try_iso_timestamp(c):
        if c.s[c.i:c.i + 3] not in MONTHS:
            raise NoParse
        c.i += 3
        c.byte(ord(" "))
        if c.peek() == ord(" "):
            c.i += 1
            c.digits(1)
        else:
            c.digits(2)
        c.byte(ord(" "))
        c.digits(2)
        c.byte(ord(":"))
        c.digits(2)
        c.byte(ord(":"))
        c.digits(2)
    c.byte(ord(" "))
    c.token()  # host
    c.byte(ord(" "))
    tag = c.field(ord(":"), False)
    if b" " in tag:
        raise NoParse
    c.literal(b": ")
    return c.rest()


def rfc5424(c):
    if not try_iso_timestamp(c):
        c.byte(ord("-"))
    for _ in range(4):  # HOSTNAME APP-NAME PROCID MSGID
        c.byte(ord(" "))
        c.token()
    c.byte(ord(" "))
    # STRUCTURED-DATA: `-`, or `[...]` elements (a `]` after an odd number of `\` is escaped)
    if c.peek() == ord("-"):
        c.i += 1
    else:
        while c.peek() == ord("["):
            while True:
                c.until(ord("]"))
                backslashes = 0
                while c.i - 2 - backslashes >= 0 and c.s[c.i - 2 - backslashes] == ord("\\"):
                    backslashes += 1
                if backslashes % 2 == 0:
                    break
    if c.at_end():
        return b""
    c.byte(ord(" "))
    if c.s.startswith(b"\xef\xbb\xbf", c.i):  # an optional BOM before the message
        c.i += 3
    return c.rest()


# ---------------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------------

BODIES = ["combined", "vhost", "json", "alb", "elb", "cloudfront", "w3c", "haproxy"]
PREFIXES = ["cri", "syslog"]
STRIP = {"cri": strip_cri, "syslog": strip_syslog}


def candidates():
    """What `auto` tries, in the order that breaks ties: each body in the table's order, bare,
    then with a CRI prefix, then with a syslog header."""
    for body in BODIES:
        for prefix in (None, "cri", "syslog"):
            yield (prefix, body)


def format_name(fmt):
    prefix, body = fmt
    return body if prefix is None else prefix + "+" + body


def parse_format_name(name):
    """`combined`, `cri+combined`, `classic`, ...; raises ValueError."""
    prefix, _, body = name.rpartition("+")
    if "+" in name:
        if prefix not in PREFIXES:
            raise ValueError("unknown prefix `%s` (known: cri, syslog)" % prefix)
    else:
        prefix, body = None, name
    if body == "classic":
        if prefix is not None:
            raise ValueError("`classic` counts every line as it is: it takes no prefix")
        return (None, "classic")
    if body not in BODIES:
        raise ValueError("unknown log format `%s` (known: auto, %s, classic)" % (body, ", ".join(BODIES)))
    return (prefix, body)


class Parser:
    """Reads the lines of one file in one format (not classic)."""

    def __init__(self, fmt, json_paths):
        self.prefix, self.body = fmt
        self.json_paths = json_paths
        self.w3c = W3c(self.body == "cloudfront") if self.body in ("w3c", "cloudfront") else None

    def line(self, line):
        """("request", client bytes), or ("malformed"|"directive"|"comment", None), for a
        view."""
        try:
            body = STRIP[self.prefix](line) if self.prefix else line
        except NoParse:
            return ("malformed", None)
        if self.w3c is not None:
            return self.w3c.line(body)
        try:
            if self.body == "combined":
                client = parse_combined(body)
            elif self.body == "vhost":
                client = parse_vhost(body)
            elif self.body == "json":
                client = parse_json(body, self.json_paths)
            elif self.body == "alb":
                client = parse_alb(body)
            elif self.body == "elb":
                client = parse_elb(body)
            elif self.body == "haproxy":
                client = parse_haproxy(body)
            else:
                raise AssertionError(self.body)
        except NoParse:
            return ("malformed", None)
        return ("request", client)


# ---------------------------------------------------------------------------------------------
# Detection and counting
# ---------------------------------------------------------------------------------------------


def sample(text):
    """The views of the first SAMPLE_LINES non-blank lines among those starting in the first
    SAMPLE_BYTES bytes of text."""
    views = []
    start = 0
    for line in lines_of(text):
        if start >= SAMPLE_BYTES or len(views) >= SAMPLE_LINES:
            break
        v = view(line)
        if v is not None:
            views.append(v)
        start += len(line) + 1
    return views


def detect(text, json_paths):
    """("format", fmt), ("empty", None) or ("not a log", reason)."""
    views = sample(text)
    if not views:
        return ("empty", None)
    best, best_read = None, -1
    for fmt in candidates():
        parser = Parser(fmt, json_paths)
        # Requests, and directives the format knows, are what it parses.
        read = sum(1 for v in views if parser.line(v)[0] in ("request", "directive"))
        if read > best_read:  # ties go to the earlier candidate
            best, best_read = fmt, read
    if best_read * 10 < len(views):
        return ("not a log", "not an access log (%d of %d sampled lines parse in any format)" % (best_read, len(views)))
    return ("format", best)


def count(text, fmt, json_paths):
    """(total, malformed, set of client keys) of a text read in `fmt` (None: no format, every
    non-blank line malformed)."""
    parser = Parser(fmt, json_paths) if fmt is not None else None
    total, malformed, keys = 0, 0, set()
    for line in lines_of(text):
        v = view(line)
        if v is None:
            continue
        kind, client = parser.line(v) if parser else ("malformed", None)
        if kind == "request":
            total += 1
            keys.add(client)
        elif kind == "malformed":
            malformed += 1
    return total, malformed, keys


def keys_of(data):
    """The classic rule (the original teaching example's), exactly as it always was."""
    total, keys = 0, set()
    for line in data.split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        stripped = line.lstrip(WS)
        if not stripped:
            continue
        total += 1
        end = len(stripped)
        for sep in (b" ", b"\t", b","):
            i = stripped.find(sep)
            if i != -1:
                end = min(end, i)
        keys.add(stripped[:end])
    return total, keys


# ---------------------------------------------------------------------------------------------
# Compression, by content
# ---------------------------------------------------------------------------------------------


def sniff(data):
    """The codec the first bytes say, or None for plain text."""
    if data.startswith(b"\x1f\x8b\x08"):
        return "gzip"
    if data.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    # zstd: a frame's magic, or a skippable frame (0x184D2A5? little-endian) before one
    if data.startswith(b"\x28\xb5\x2f\xfd") or (len(data) >= 4 and data[0] & 0xF0 == 0x50 and data[1:4] == b"\x2a\x4d\x18"):
        return "zstd"
    # bzip2: "BZh", a block size digit, then a block's or the end-of-stream's 48-bit magic
    if (
        data.startswith(b"BZh")
        and len(data) >= 10
        and data[3] in b"123456789"
        and data[4:10] in (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90")
    ):
        return "bzip2"
    return None


class Unreadable(Exception):
    """An error for the file: its message."""


def zstd_decoder():
    try:
        import zstandard
    except ImportError:
        raise Unreadable("zstd needs the zstandard module")
    return zstandard.ZstdDecompressor().decompressobj()


DECODERS = {
    "gzip": lambda: zlib.decompressobj(wbits=16 + zlib.MAX_WBITS),  # one gzip member
    "bzip2": bz2.BZ2Decompressor,
    "xz": lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ),
    "zstd": zstd_decoder,
}


def decompress(codec, data):
    """The text of compressed bytes: one or more streams (gzip members, bzip2 streams, xz
    streams, zstd frames) one after the other, and nothing else (xz allows null padding between
    and after its streams); a stream cut short or damaged is an error."""
    out = []
    try:
        while data:
            decoder = DECODERS[codec]()
            out.append(decoder.decompress(data))
            if not decoder.eof:
                raise Unreadable("compressed data ends early (%s stream cut short)" % codec)
            data = decoder.unused_data
            if codec == "xz":
                padding = len(data) - len(data.lstrip(b"\0"))
                if padding % 4 == 0:
                    data = data[padding:]
    except Unreadable:
        raise
    except Exception as e:  # zlib.error, OSError, lzma.LZMAError, zstandard.ZstdError
        raise Unreadable("corrupt compressed data (%s: %s)" % (codec, e))
    return b"".join(out)


def text_of(name_bytes, data):
    """The text of a file: decompressed by what its bytes say, whatever its name, except that
    a name ending `.gz` over bytes that are not gzip is an error (an empty file is empty)."""
    codec = sniff(data)
    if name_bytes.endswith(b".gz") and len(name_bytes) > 3 and data and codec != "gzip":
        raise Unreadable("named like gzip data, but its bytes are not gzip")
    if codec is None:
        return data
    return decompress(codec, data)


# ---------------------------------------------------------------------------------------------
# Inputs: arguments, walks
# ---------------------------------------------------------------------------------------------


def shown(path):
    """A path as reports show it (bytes → text; bytes that are not UTF-8 kept as escapes)."""
    return os.fsdecode(path)


def kind_of(st):
    m = st.st_mode
    if stat.S_ISFIFO(m):
        return "FIFO"
    if stat.S_ISSOCK(m):
        return "socket"
    if stat.S_ISCHR(m):
        return "character device"
    if stat.S_ISBLK(m):
        return "block device"
    return "special file"


def os_message(e):
    return "%s (os error %d)" % (e.strerror, e.errno) if e.errno else str(e)


class Run:
    def __init__(self):
        self.inputs = []  # (path bytes, named)
        self.errors = []  # (path bytes, message)
        self.skipped = []  # (path bytes, reason)
        self.seen = set()  # (device, inode) of the files already taken

    def add_file(self, path, st, named):
        if (st.st_dev, st.st_ino) in self.seen:
            return  # the same file reached twice is counted once
        self.seen.add((st.st_dev, st.st_ino))
        self.inputs.append((path, named))

    def argument(self, arg):
        if arg == b"-":
            if (-1, -1) not in self.seen:
                self.seen.add((-1, -1))
                self.inputs.append((arg, True))
            return
        try:
            st = os.stat(arg)
        except OSError as e:
            self.errors.append((arg, os_message(e)))
            return
        if stat.S_ISDIR(st.st_mode):
            self.walk(arg, {(st.st_dev, st.st_ino): arg})
        elif stat.S_ISREG(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            self.add_file(arg, st, True)
        else:
            self.errors.append((arg, "not a regular file, FIFO or directory (%s)" % kind_of(st)))

    def walk(self, directory, ancestors):
        """Recursively, in sorted order (by name, bytewise), following symbolic links, hidden
        entries left out; files found are not named (a non-log among them is skipped)."""
        try:
            names = sorted(os.listdir(directory))
        except OSError as e:
            self.errors.append((directory, os_message(e)))
            return
        for name in names:
            if name.startswith(b"."):
                continue
            path = os.path.join(directory, name)
            try:
                st = os.stat(path)
            except OSError as e:
                self.errors.append((path, os_message(e)))
                continue
            if stat.S_ISDIR(st.st_mode):
                ancestor = ancestors.get((st.st_dev, st.st_ino))
                if ancestor is not None:  # a link back up: a directory loop
                    message = "File system loop found: %s points to an ancestor %s"
                    self.errors.append((path, message % (shown(path), shown(ancestor))))
                    continue
                self.walk(path, {**ancestors, (st.st_dev, st.st_ino): path})
            elif stat.S_ISREG(st.st_mode):
                self.add_file(path, st, False)
            else:
                self.skipped.append((path, "%s, not a regular file" % kind_of(st)))


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def usage(message):
    print("reference.py: %s" % message, file=sys.stderr)
    print("usage: reference.py PATHS... [--log-format NAME] [--client-field PATH]", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    paths, log_format, client_field = [], "auto", None
    i = 0
    while i < len(argv):
        a = argv[i]
        for flag in ("--log-format", "--client-field"):
            if a == flag or a.startswith(flag + "="):
                if a == flag:
                    if i + 1 >= len(argv):
                        usage("%s needs a value" % flag)
                    value = argv[i + 1]
                    i += 1
                else:
                    value = a[len(flag) + 1:]
                if flag == "--log-format":
                    log_format = value
                else:
                    client_field = value
                break
        else:
            if a.startswith("-") and a != "-":
                usage("unknown option %s" % a)
            paths.append(os.fsencode(a))
        i += 1
    if not paths:
        usage("give files or directories")
    fmt = None  # auto
    if log_format != "auto":
        try:
            fmt = parse_format_name(log_format)
        except ValueError as e:
            usage(str(e))
    json_paths = [[s.encode() for s in f.split(".")] for f in DEFAULT_FIELDS]
    if client_field is not None:
        if fmt is not None and fmt[1] != "json":
            usage("--client-field is for JSON logs, and --log-format %s is not" % log_format)
        if not client_field or "" in client_field.split("."):
            usage("`%s` is not a field path: give names joined by dots, e.g. request.client_ip" % client_field)
        json_paths = [[os.fsencode(s) for s in client_field.split(".")]]
    return paths, fmt, json_paths


def read_input(path):
    if path == b"-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def main(argv):
    paths, fmt, json_paths = parse_args(argv)
    run = Run()
    for arg in paths:
        run.argument(arg)

    files, union = {}, set()
    for path, named in run.inputs:
        try:
            text = text_of(os.path.basename(path), read_input(path))
        except OSError as e:
            run.errors.append((path, os_message(e)))
            continue
        except Unreadable as e:
            run.errors.append((path, str(e)))
            continue
        if fmt == (None, "classic"):
            total, keys = keys_of(text)
            malformed, name = 0, "classic"
        else:
            chosen = fmt
            if chosen is None:
                what, found = detect(text, json_paths)
                if what == "not a log":
                    if named:
                        run.errors.append((path, found + "; if it is one, name its format with --log-format"))
                    else:
                        run.skipped.append((path, found))
                    continue
                chosen = found  # None for a file without a line: every line malformed
            total, malformed, keys = count(text, chosen, json_paths)
            name = format_name(chosen) if chosen is not None else None
        files[path] = {"total": total, "ip": len(keys), "bytes": len(text), "malformed": malformed, "format": name}
        union |= keys

    for path, message in sorted(run.errors, key=lambda e: e[0]):
        print("reference.py: %s: %s" % (shown(path).encode("unicode_escape").decode(), message), file=sys.stderr)
    report = {
        "files": {shown(p): files[p] for p in sorted(files)},
        "errors": [{"path": shown(p), "error": m} for p, m in sorted(run.errors, key=lambda e: e[0])],
        "skipped": [{"path": shown(p), "reason": r} for p, r in sorted(run.skipped, key=lambda e: e[0])],
        "summary": {
            "files": len(files),
            "total": sum(f["total"] for f in files.values()),
            "ip": len(union),
            "bytes": sum(f["bytes"] for f in files.values()),
            "malformed": sum(f["malformed"] for f in files.values()),
            "errors": len(run.errors),
            "skipped": len(run.skipped),
        },
    }
    print(json.dumps(report, indent=2))
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
