#!/usr/bin/env python3
"""docs/contract.md §1 and §2 written plainly in Python: an oracle for logcount's numbers.

    python3 scripts/reference.py PATHS... [--log-format NAME|TEMPLATE] [--client-field PATH|VARIABLE]
                                          [--trusted-proxy CIDR|@FILE]...

prints JSON shaped like logcount's report; compare with

    logcount PATHS --json | jq '{files, errors, skipped, summary}'

(error messages are worded like logcount's where that is easy; compare `errors` by path).

Clarity over speed: every file is read whole into memory, decompressed whole, split into
lines, and each line is judged on its own by a small parser per format. Python 3 standard
library only; zstd needs the `zstandard` module and is an error for the file without it.

Beyond the named formats: `--log-format` may be an nginx `log_format` or Apache `LogFormat`
template (`$remote_addr - ...`, `%h %l ...`, `nginx:...`, `apache:...`, with `cri+`/`syslog+`
before it), read as literal text with values between (`--client-field` then names a template
variable); `--trusted-proxy` walks forwarded chains (X-Forwarded-For, then the peer) from the
right past trusted proxies; a client field of `-` or nothing is a request without a client.

The named formats (src/format/), in the order `auto` breaks ties: combined, vhost, json, alb,
elb, cloudfront, w3c, haproxy, s3, envoy, squid, ssl_request (each bare, then behind `cri+`,
then `syslog+`); classic only when named.
"""
import bz2
import json
import lzma
import os
import re
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


def no_client(client):
    """A client field of `-` or nothing names no client: the request counts, no address does."""
    return client is None or client in (b"", b"-")


# ---------------------------------------------------------------------------------------------
# Forwarded chains and --trusted-proxy
# ---------------------------------------------------------------------------------------------

# What an entry is trimmed of: spaces, tabs, and IIS's `+` (IIS writes a space in a value as
# `+`: `203.0.113.9,+10.0.0.2`).
LIST_TRIM = b" \t+"


def list_entries(value):
    """The entries of an X-Forwarded-For value: split at `,`, each trimmed of spaces, tabs and
    `+`, empty entries dropped; a value that is exactly `-` has none (an entry `-` is kept: it
    names no client)."""
    if value == b"-":
        return []
    entries = [e.strip(LIST_TRIM) for e in value.split(b",")]
    return [e for e in entries if e]


def parse_cidr(text):
    """`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7` (one address); host bits beyond the length
    are allowed and ignored. Raises ValueError."""
    import ipaddress

    address, slash, length = text.partition("/")
    ip = ipaddress.ip_address(address)  # ValueError for anything that is not an address
    if not slash:
        length = str(ip.max_prefixlen)
    if not length or not all(ch in "0123456789" for ch in length) or int(length) > ip.max_prefixlen:
        raise ValueError(text)
    return ipaddress.ip_network((ip, int(length)), strict=False)


def is_trusted(entry, trusted):
    """Whether `clean_address(entry)` is an IP address inside one of the trusted networks (an
    IPv4-mapped IPv6 address also matches the IPv4 ones)."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(clean_address(entry).decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return False
    candidates = [ip]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    return any(a.version == n.version and a in n for a in candidates for n in trusted)


def chain_client(chain, trusted):
    """The client of a chain (X-Forwarded-For entries, then the peer) under --trusted-proxy:
    walking right to left, the first entry that is not trusted (port and brackets off); when
    every entry is trusted, the left-most."""
    for entry in reversed(chain):
        if not is_trusted(entry, trusted):
            return clean_address(entry)
    return clean_address(chain[0])


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
    """The HOST field at the start of `line` (one token, or an unquoted X-Forwarded-For list
    `a, b`), where it ends, and its client: a list's first piece as written up to its first
    comma (port and brackets off), else the field (brackets off); that must not be empty."""
    end = host_list_end(line)
    field = line[:end]
    client = clean_address(field.split(b",")[0]) if b"," in field else unbracket(field)
    if not client:
        raise NoParse
    return field, end, client


def forwarded_then_peer(line):
    """`LIST PEER IDENT USER [...`: LIST a double-quoted value (up to the next `"`: `"a, b"`,
    `"-"`, `""`) or an unquoted list that holds a comma (`a, b`); PEER one token. Returns the
    list's value and the peer (port and brackets off)."""
    if line[:1] == b'"':
        close = line.find(b'"', 1)
        if close == -1:
            raise NoParse
        value, end = line[1:close], close + 1
    else:
        end = host_list_end(line)
        value = line[:end]
        if b"," not in value:
            raise NoParse
    c = Cursor(line, end)
    c.byte(ord(" "))
    peer = c.token()
    after_host(c)
    return value, clean_address(peer)


def ncsa_client(line, trusted):
    """The client of `HOST IDENT USER [TIME] "REQUEST" STATUS BYTES ...` in its shapes, tried
    in this order (the first that reads the line is its shape):

    - `HOST IDENT USER [...`: one address (the client, brackets off; no chain to walk), or a
      list `a, b` (the chain, with no separate peer; without --trusted-proxy the client is its
      first piece as written up to the comma, port and brackets off);
    - `"a, b" PEER IDENT USER [...` or `a, b PEER IDENT USER [...`: a quoted X-Forwarded-For
      value (`"-"`, `""` too) or a list, then the peer: the chain is the value's entries, then
      the peer; without --trusted-proxy the client is its first entry (port and brackets off).

    With --trusted-proxy, a chain is walked. A line that starts with an ISO 8601 timestamp and
    a space is in no shape: that is a container's or syslog's prefix
    (`2023-10-06T00:17:09.669794202Z stdout F `), never a HOST."""
    if starts_with_timestamp(line):
        raise NoParse
    try:
        field, end, client = host(line)
        after_host(Cursor(line, end))
    except NoParse:
        pass
    else:
        if trusted and b"," in field:
            return chain_client(list_entries(field), trusted)
        return client
    value, peer = forwarded_then_peer(line)
    chain = list_entries(value) + [peer]
    if trusted:
        return chain_client(chain, trusted)
    return clean_address(chain[0])


# Fields a line may hold between its `[TIME]` and its request, at most (`(0 s)`, a virtual
# host, a request id: what hosting providers and custom formats put there).
EXTRA_FIELDS = 4


def after_host(c):
    """` IDENT USER [TIME]`, then at most EXTRA_FIELDS fields (tokens or quoted strings), then
    the request: the first quoted field after the time that ` STATUS BYTES` follows (three
    digits; digits or `-`; then the end or a space and anything)."""
    c.byte(ord(" "))
    if c.token().endswith(b","):  # IDENT: never a forwarded list after the peer
        raise NoParse
    c.byte(ord(" "))
    c.token()  # USER
    c.literal(b" [")
    if not c.until(ord("]")):  # TIME
        raise NoParse
    for _ in range(EXTRA_FIELDS + 1):
        c.byte(ord(" "))
        if c.peek() == ord('"'):
            c.quoted()  # the REQUEST, if STATUS BYTES follow; else one more field
            if status_and_bytes(Cursor(c.s, c.i)):
                return
        else:
            c.token()  # a field that is no request
    raise NoParse


def starts_with_timestamp(line):
    """Whether `line` starts with an ISO 8601 timestamp and a space."""
    c = Cursor(line)
    return try_iso_timestamp(c) and c.peek() == ord(" ")


def status_and_bytes(c):
    """Whether ` STATUS BYTES` (three digits; digits or `-`) and the end or a space follow."""
    try:
        c.byte(ord(" "))
        c.digits(3)  # STATUS
        c.byte(ord(" "))
        if c.peek() == ord("-"):  # BYTES
            c.i += 1
        else:
            c.number()
        c.end_or_space()
    except NoParse:
        return False
    return True


def parse_combined(line, trusted=None):
    return ncsa_client(line, trusted)


def parse_vhost(line, trusted=None):
    c = Cursor(line)
    c.token()  # VHOST[:PORT]
    c.byte(ord(" "))
    return ncsa_client(c.rest(), trusted)


def parse_ssl_request(line):
    """Apache mod_ssl's `ssl_request_log`: `[TIME] HOST PROTOCOL CIPHER "REQUEST" BYTES`, then
    the end or a space and anything; the client is HOST (brackets off)."""
    c = Cursor(line)
    c.byte(ord("["))
    if not c.until(ord("]")):  # TIME
        raise NoParse
    c.byte(ord(" "))
    host = c.token()
    c.byte(ord(" "))
    c.token()  # PROTOCOL
    c.byte(ord(" "))
    c.token()  # CIPHER
    c.byte(ord(" "))
    c.quoted()  # REQUEST
    c.byte(ord(" "))
    if c.peek() == ord("-"):  # BYTES
        c.i += 1
    else:
        c.number()
    c.end_or_space()
    return unbracket(host)


# ---------------------------------------------------------------------------------------------
# json
# ---------------------------------------------------------------------------------------------

# Where clients stand in JSON logs, in order of preference (src/format/json.rs DEFAULT_FIELDS,
# exactly): nginx, Caddy and Traefik's names, Datadog, Elastic Common Schema, Google Cloud,
# Cloudflare, Envoy (with its port), IIS-style `c-ip`, then generic names.
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
    "network.client.ip",
    "client.ip",
    "source.ip",
    "source.address",
    "httpRequest.remoteIp",
    "httpRequest.clientIp",
    "properties.clientIp",
    "properties.clientIP",
    "ClientIP",
    "cliIP",
    "downstream_remote_address",
    "remote_address",
    "sourceIp",
    "c-ip",
    "clientip",
    "client",
    "ip",
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


# Where a JSON line keeps the X-Forwarded-For header beside the client (top-level names; the
# last is Traefik's): the first present string is the line's forwarded value.
FORWARDED_FIELDS = [b"http_x_forwarded_for", b"x_forwarded_for", b"X-Forwarded-For", b"request_X-Forwarded-For"]


def parse_json(line, paths, trusted=None):
    """The client: the first path, in order of preference, holding a string that is neither
    empty nor `-` once its port and brackets are off (clean_address). A line where client
    fields hold strings but each is empty or `-` is a request without a client (None); a line
    with no client field holding a string is malformed."""
    forwarded_paths = [[f] for f in FORWARDED_FIELDS]
    j = JsonLine(line, paths + forwarded_paths)
    j.ws()
    j.obj(list(range(len(j.paths))), 0, 0)
    j.ws()
    if j.i != len(line):
        raise NoParse
    found, forwarded = j.found[:len(paths)], j.found[len(paths):]
    present = [v for v in found if v is not None]
    if not present:
        raise NoParse
    cleaned = [clean_address(v) for v in present]
    value = next((v for v in cleaned if v not in (b"", b"-")), b"")  # b"": no client
    forwarded = [v for p, v in zip(forwarded_paths, forwarded) if v is not None and p not in paths]
    if trusted and forwarded:
        # The chain: the forwarded entries, then the client field's value (none there is an
        # unknown peer: never trusted, so no client).
        return chain_client(list_entries(forwarded[0]) + [value], trusted)
    return value


# ---------------------------------------------------------------------------------------------
# alb, elb (AWS load balancers), s3
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


def parse_s3(line):
    """S3 server access logs: `OWNER BUCKET [TIME] REMOTE_IP REQUESTER REQUEST_ID OPERATION KEY
    "REQUEST_URI" STATUS ERROR_CODE BYTES_SENT`, then the end or a space and anything
    (OPERATION holds a `.`; STATUS three digits or `-`; BYTES_SENT digits or `-`); the client is
    REMOTE_IP as written (`-`: none)."""
    c = Cursor(line)
    c.token()  # the bucket owner
    c.byte(ord(" "))
    c.token()  # the bucket
    c.literal(b" [")
    if not c.until(ord("]")):  # TIME
        raise NoParse
    c.byte(ord(" "))
    remote = c.token()
    c.byte(ord(" "))
    c.token()  # the requester
    c.byte(ord(" "))
    c.token()  # the request id
    c.byte(ord(" "))
    if b"." not in c.token():  # the operation
        raise NoParse
    c.byte(ord(" "))
    c.token()  # the key
    c.byte(ord(" "))
    c.quoted()  # the request URI
    c.byte(ord(" "))
    if c.peek() == ord("-"):  # the status
        c.i += 1
    else:
        c.digits(3)
    c.byte(ord(" "))
    c.token()  # the error code
    c.byte(ord(" "))
    if c.peek() == ord("-"):  # the bytes sent
        c.i += 1
    else:
        c.number()
    c.end_or_space()
    return remote


# ---------------------------------------------------------------------------------------------
# haproxy
# ---------------------------------------------------------------------------------------------

HAPROXY_HEADER_MAX = 256  # how far into a line the `]: ` that ends a syslog header may be
HAPROXY_STATE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-"  # a termination state's two bytes


def haproxy_client(address):
    """The client of an `IP:PORT` field without its port; none (None) where it is no address
    (`unix:...`, `-:PORT`, `-`). HAProxy writes an IP there: hex digits, `.` and `:` alone."""
    if address.startswith(b"unix:") or address.startswith(b"-:") or address == b"-":
        return None
    client = strip_port(address)
    if client is None or not re.fullmatch(rb"[0-9A-Fa-f.:]+", client):
        raise NoParse
    return client


def haproxy_bytes(c):
    """A byte count (`+` before it when cut short), then the end or a space."""
    if c.peek() == ord("+"):
        c.i += 1
    c.number()
    c.end_or_space()


def haproxy_http_tail(c):
    """`option httplog`: `STATUS BYTES` (STATUS three digits or `-1`), then the end or more."""
    try:
        status = c.token()
        if not ((len(status) == 3 and all(b in DIGITS for b in status)) or status == b"-1"):
            return False
        c.byte(ord(" "))
        haproxy_bytes(c)
    except NoParse:
        return False
    return True


def haproxy_tcp_tail(c):
    """`option tcplog`: `BYTES STATE` (two of [A-Za-z-], `--` for a normal end), then the end
    or a space."""
    try:
        haproxy_bytes(c)
    except NoParse:
        return False
    rest = c.rest()
    return (
        len(rest) >= 2
        and rest[0] in HAPROXY_STATE
        and rest[1] in HAPROXY_STATE
        and (len(rest) == 2 or rest[2] == ord(" "))
    )


def haproxy_logged(line):
    """`CLIENT [TIME] FRONTEND BACKEND/SERVER TIMERS`, then the HTTP tail (`STATUS BYTES`) or
    the TCP tail (`BYTES STATE`)."""
    c = Cursor(line)
    address = c.token()
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
    if not (haproxy_http_tail(Cursor(c.s, c.i)) or haproxy_tcp_tail(Cursor(c.s, c.i))):
        raise NoParse
    return haproxy_client(address)


def haproxy_connect(rest):
    """The default format after `Connect from `: `CLIENT to ADDR:PORT (FRONTEND/MODE)` and
    nothing after the `)`."""
    c = Cursor(rest)
    address = c.token()
    c.literal(b" to ")
    if strip_port(c.token()) is None:
        raise NoParse
    c.literal(b" (")
    if b"/" not in c.until(ord(")")):
        raise NoParse
    if not c.at_end():
        raise NoParse
    return haproxy_client(address)


def haproxy_body(line):
    """A line that starts `Connect from ` is the default format, or nothing; any other the
    httplog or tcplog format."""
    if line.startswith(b"Connect from "):
        return haproxy_connect(line[len(b"Connect from "):])
    return haproxy_logged(line)


def parse_haproxy(line):
    """The body at the line's start, or after a header ending `]: ` (`haproxy[PID]: `) within
    its first HAPROXY_HEADER_MAX bytes, or after a bare `<PRI>` (one to three digits:
    `log stdout format short`)."""
    try:
        return haproxy_body(line)
    except NoParse:
        pass
    tag_end = line[:HAPROXY_HEADER_MAX].find(b"]: ")
    if tag_end != -1:
        try:
            return haproxy_body(line[tag_end + 3:])
        except NoParse:
            pass
    m = re.match(rb"<([0-9]{1,3})>", line)
    if m is None:
        raise NoParse
    return haproxy_body(line[m.end():])


# ---------------------------------------------------------------------------------------------
# envoy
# ---------------------------------------------------------------------------------------------


def envoy_counts(c):
    """Whether four counts follow (bytes received, bytes sent, duration, upstream service
    time: digits or `-`), each followed by a space."""
    try:
        for _ in range(4):
            if c.peek() == ord("-"):
                c.i += 1
            else:
                c.number()
            c.byte(ord(" "))
    except NoParse:
        return False
    return True


def envoy_peer(c):
    """Istio's DOWNSTREAM_REMOTE_ADDRESS, the fourth field after the quoted ones, port and
    brackets off; None where it is missing or `-`."""
    try:
        for _ in range(3):  # upstream cluster, upstream local address, downstream local address
            c.token()
            c.byte(ord(" "))
        peer = c.field(ord(" "), True)
    except NoParse:
        return None
    return None if peer == b"-" else clean_address(peer)


def parse_envoy(line, trusted=None):
    """Envoy's default format: `[START_TIME] "REQUEST" CODE FLAGS RECEIVED SENT DURATION
    UPSTREAM_TIME "X-FORWARDED-FOR" "USER-AGENT" "REQUEST-ID" "AUTHORITY" "UPSTREAM_HOST"`, then
    the end or a space and anything (START_TIME ISO 8601, CODE 1 to 3 digits, the counts digits
    or `-`). Istio's has `DETAILS TERMINATION "FAILURE_REASON"` between FLAGS and the counts,
    and its downstream peer is part of the chain. The client is the chain's: the forwarded
    entries, then Istio's peer; walked under --trusted-proxy, else its first entry; an empty
    chain is a request without a client."""
    c = Cursor(line)
    c.byte(ord("["))
    t = Cursor(c.until(ord("]")))
    iso_timestamp(t)
    if not t.at_end():
        raise NoParse
    c.byte(ord(" "))
    c.quoted()  # the request
    c.byte(ord(" "))
    if len(c.number()) > 3:  # the response code
        raise NoParse
    c.byte(ord(" "))
    c.token()  # the response flags
    c.byte(ord(" "))
    at = c.i
    istio = not envoy_counts(c)
    if istio:
        c.i = at
        c.token()  # the response code details
        c.byte(ord(" "))
        c.token()  # the connection termination details
        c.byte(ord(" "))
        c.quoted()  # the upstream transport failure reason
        c.byte(ord(" "))
        if not envoy_counts(c):
            raise NoParse
    forwarded = c.quoted()
    for _ in range(4):  # user agent, request id, authority, upstream host
        c.byte(ord(" "))
        c.quoted()
    c.end_or_space()
    peer = envoy_peer(c) if istio else None
    chain = list_entries(forwarded) + ([peer] if peer is not None else [])
    if not chain:
        return None
    if trusted:
        return chain_client(chain, trusted)
    return clean_address(chain[0])


# ---------------------------------------------------------------------------------------------
# squid
# ---------------------------------------------------------------------------------------------

SQUID_RESULT = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"


def parse_squid(line):
    """Squid's native format: `SECONDS.MMM ELAPSED CLIENT RESULT/STATUS BYTES METHOD URL USER
    HIERARCHY/PEER`, then the end or a space and anything (one or more spaces before ELAPSED;
    RESULT of [A-Z_0-9], STATUS three digits); the client as written."""
    c = Cursor(line)
    c.number()
    c.byte(ord("."))
    c.digits(3)
    c.byte(ord(" "))
    while c.peek() == ord(" "):
        c.i += 1
    c.number()  # elapsed milliseconds
    c.byte(ord(" "))
    address = c.token()
    c.byte(ord(" "))
    result, slash, status = c.token().rpartition(b"/")
    if not slash or not result or not all(b in SQUID_RESULT for b in result):
        raise NoParse
    if len(status) != 3 or not all(b in DIGITS for b in status):
        raise NoParse
    c.byte(ord(" "))
    c.number()  # bytes
    c.byte(ord(" "))
    c.token()  # method
    c.byte(ord(" "))
    c.token()  # URL
    c.byte(ord(" "))
    c.token()  # user
    c.byte(ord(" "))
    if b"/" not in c.field(ord(" "), True):  # hierarchy/peer
        raise NoParse
    c.end_or_space()
    return address


# ---------------------------------------------------------------------------------------------
# w3c and cloudfront: directives, and the `#Fields:` in force
# ---------------------------------------------------------------------------------------------


class Columns:
    def __init__(self, count, client, date, time, edge, forwarded=None, numeric=()):
        self.count = count  # 0: any number (CloudFront's default columns)
        self.client = client
        self.date = date
        self.time = time
        self.edge = edge  # names x-edge-location (CloudFront)
        self.forwarded = forwarded  # the X-Forwarded-For column, if any
        self.numeric = numeric  # the columns that must be digits (IIS's defaults only)


# The X-Forwarded-For column's names, for both formats (compared without case): W3C/IIS logs a
# request header as `cs(Name)`, IIS enhanced logging's custom fields the bare name; IIS's
# documentation calls that field `OriginalIP`; CloudFront names its column `x-forwarded-for`.
FORWARDED_COLUMNS = [b"cs(x-forwarded-for)", b"x-forwarded-for", b"originalip", b"cs(originalip)"]


def parse_fields(directive):
    """The columns of a `#Fields:` line (names separated by spaces or tabs); None without a
    `c-ip`."""
    names = directive[len(b"#Fields:"):].replace(b"\t", b" ").split(b" ")
    names = [n for n in names if n]

    def at(name):
        return names.index(name) if name in names else None

    if at(b"c-ip") is None:
        return None
    forwarded = next((n for n, name in enumerate(names) if name.lower() in FORWARDED_COLUMNS), None)
    return Columns(len(names), at(b"c-ip"), at(b"date"), at(b"time"), at(b"x-edge-location") is not None, forwarded)


# Before any `#Fields:`, CloudFront's standard columns: date time x-edge-location sc-bytes c-ip
# ... (x-forwarded-for is the 20th, where a line has that many), tab-separated only.
CLOUDFRONT_DEFAULT = Columns(0, 4, 0, 1, True, 19)

# Before any `#Fields:`, W3C lines are read by the field lists IIS writes by default, the first
# that reads a line reading it (port, status and time-taken columns must be digits):
IIS_DEFAULTS = [
    # IIS 8.5 and later: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username
    # c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken
    Columns(15, 8, 0, 1, False, None, (6, 11, 12, 13, 14)),
    # IIS 7 and 7.5: the same without cs(Referer)
    Columns(14, 8, 0, 1, False, None, (6, 10, 11, 12, 13)),
    # IIS 6: date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username
    # c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status
    Columns(14, 9, 0, 1, False, None, (7, 11, 12, 13)),
]


def split_columns(line, tabs):
    """The values of a line's columns. Separators: one tab (`tabs`, CloudFront), else runs of
    spaces (leading and trailing ones too; a tab is then part of a value). A value that starts
    with `"` and has a closing quote (a `"` followed by a separator or the end of the line) is
    what is between the quotes, separators included; without one it is a plain value."""
    seps = b"\t" if tabs else b" "
    values = []
    i = 0
    if not tabs:
        while i < len(line) and line[i] in seps:
            i += 1
        if i == len(line):
            return values
    while True:
        close = None
        if line[i:i + 1] == b'"':
            q = line.find(b'"', i + 1)
            while q != -1:
                if q + 1 == len(line) or line[q + 1] in seps:
                    close = q
                    break
                q = line.find(b'"', q + 1)
        if close is not None:
            values.append(line[i + 1:close])
            i = close + 1
        else:
            j = i
            while j < len(line) and line[j] not in seps:
                j += 1
            values.append(line[i:j])
            i = j
        if i == len(line):
            return values
        i += 1  # the separator
        if not tabs:
            while i < len(line) and line[i] in seps:
                i += 1
            if i == len(line):
                return values


def w3c_request(line, columns, tabs, trusted):
    """The client of a line read by `columns`; raises NoParse unless it has exactly their
    number of columns (any, for CloudFront's default), a date and a time where they name them,
    digits where they must, and no empty value but perhaps the c-ip (a request without a
    client)."""
    values = split_columns(line, tabs)
    for n, value in enumerate(values):
        if not value and n != columns.client:
            raise NoParse
        if n == columns.date and not is_date(value):
            raise NoParse
        if n == columns.time and not is_time(value):
            raise NoParse
        if n in columns.numeric and not (value and all(b in DIGITS for b in value)):
            raise NoParse
    if columns.count != 0 and len(values) != columns.count:
        raise NoParse
    if columns.client >= len(values):
        raise NoParse
    client = unbracket(values[columns.client])
    if trusted and columns.forwarded is not None and columns.forwarded < len(values):
        return chain_client(list_entries(values[columns.forwarded]) + [client], trusted)
    return client


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
    malformed until the next. Before any `#Fields:`, W3C lines are read by IIS_DEFAULTS and
    CloudFront lines by CLOUDFRONT_DEFAULT."""

    UNUSABLE = "unusable"

    def __init__(self, cloudfront, trusted=None):
        self.cloudfront = cloudfront
        self.trusted = trusted
        self.columns = None  # no #Fields: yet

    def line(self, line):
        """("request", client), ("directive"|"comment"|"malformed", None)."""
        if line[:1] == b"#":
            return self.directive(line)
        if self.columns is W3c.UNUSABLE:
            return ("malformed", None)
        if self.columns is None and not self.cloudfront:
            candidates, tabs = IIS_DEFAULTS, False
        elif self.columns is None:
            candidates, tabs = [CLOUDFRONT_DEFAULT], True  # tabs only
        else:
            # CloudFront under a `#Fields:`: tabs, or runs of spaces in a line without a tab
            candidates, tabs = [self.columns], self.cloudfront and b"\t" in line
        for columns in candidates:
            try:
                return ("request", w3c_request(line, columns, tabs, self.trusted))
            except NoParse:
                pass
        return ("malformed", None)

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
# Templates: `--log-format` given as an nginx `log_format` or an Apache `LogFormat` string
# ---------------------------------------------------------------------------------------------

NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

# nginx: the peer variables in order of preference, the forwarded ones, the typed ones.
NGINX_PEERS = ["remote_addr", "realip_remote_addr"]
NGINX_FORWARDED = ["http_x_forwarded_for", "proxy_add_x_forwarded_for"]
NGINX_STATUS = ["status"]
NGINX_BYTES = ["body_bytes_sent", "bytes_sent", "request_length", "connection_requests"]

# Apache: the directive letters, and the same roles. A directive's identity is its letter and
# its `{ARG}` (header names compared without case); `<`/`>` and a status list do not count.
APACHE_LETTERS = "aABbCDefhHiklLmnopPqrRstTuUvVXIOS"
APACHE_HEADER_LETTERS = ["i", "o", "^ti", "^to"]
APACHE_PEERS = [("a", ""), ("h", ""), ("a", "c")]
APACHE_FORWARDED = [("i", "x-forwarded-for")]
APACHE_BYTES = "bBIOS"

TEMPLATE_WS = b" \t\n\r\x0b\x0c"  # what the template's own end loses


class Var:
    """One variable (nginx) or directive (Apache) of a template."""

    def __init__(self, key, text, kind):
        self.key = key  # nginx: the name; Apache: (letter, arg)
        self.text = text  # as written, for messages
        self.kind = kind  # "status", "bytes" or None


def nginx_var(name, text):
    kind = "status" if name in NGINX_STATUS else "bytes" if name in NGINX_BYTES else None
    return Var(name, text, kind)


def apache_key(letter, arg):
    arg = arg or ""
    return (letter, arg.lower() if letter in APACHE_HEADER_LETTERS else arg)


def parse_nginx_template(text):
    """The items (literal bytes, Var) of an nginx `log_format` string: `$name` or `${name}`;
    any other `$` is literal. Raises ValueError."""
    items = []
    i = 0
    while i < len(text):
        ch = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch == "$" and nxt == "{":
            close = text.find("}", i + 2)
            if close == -1:
                raise ValueError("unclosed `{` in the template `%s`" % text)
            name = text[i + 2:close]
            if not name or not all(x in NAME_CHARS for x in name):
                raise ValueError("`%s` in the template is not a variable" % text[i:close + 1])
            items.append(nginx_var(name, text[i:close + 1]))
            i = close + 1
        elif ch == "$" and nxt and nxt in NAME_CHARS:
            j = i + 1
            while j < len(text) and text[j] in NAME_CHARS:
                j += 1
            items.append(nginx_var(text[i + 1:j], text[i:j]))
            i = j
        else:
            items.append(os.fsencode(ch))
            i += 1
    return items


STATUS_LIST = re.compile(r"!?[0-9]+(?:,[0-9]+)*")  # `400,501` or `!200,304`
APACHE_ESCAPES = {'"': b'"', "\\": b"\\", "n": b"\n", "r": b"\r", "t": b"\t"}


def parse_apache_template(text):
    """The items of an Apache `LogFormat` string: literal text (`\\"`, `\\\\`, `\\n`, `\\r`,
    `\\t` escapes; another `\\x` stays two characters), `%%`, and directives
    `%[<>][STATUSES][{ARG}]LETTER`. A bare `%t` writes its time in brackets: literal `[`, the
    value, literal `]`. Raises ValueError."""
    items = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            items.append(APACHE_ESCAPES.get(text[i + 1], os.fsencode(text[i:i + 2])))
            i += 2
            continue
        if ch != "%":
            items.append(os.fsencode(ch))
            i += 1
            continue
        start = i
        i += 1
        if i >= n:
            raise ValueError("`%%` at the end of the template `%s`" % text)
        if text[i] == "%":
            items.append(b"%")
            i += 1
            continue
        if text[i] in "<>":
            i += 1
        statuses = STATUS_LIST.match(text, i)  # an optional status list
        if statuses:
            i = statuses.end()
        elif text.startswith("!", i):
            raise ValueError("`%s` in the template: `!` without a status list" % text[start:i + 1])
        arg = None
        if i < n and text[i] == "{":
            close = text.find("}", i + 1)
            if close == -1:
                raise ValueError("unclosed `{` in the template `%s`" % text)
            arg = text[i + 1:close]
            i = close + 1
        if i >= n:
            raise ValueError("`%s` at the end of the template is an unfinished directive" % text[start:])
        if text.startswith("^ti", i) or text.startswith("^to", i):
            letter = text[i:i + 3]
        elif text[i] in APACHE_LETTERS:
            letter = text[i]
        else:
            raise ValueError("`%s` in the template: unknown directive letter `%s`" % (text[start:i + 1], text[i]))
        i += len(letter)
        kind = "status" if letter == "s" else "bytes" if letter in APACHE_BYTES else None
        var = Var(apache_key(letter, arg), text[start:i], kind)
        if letter == "t" and not arg:
            items += [b"[", var, b"]"]
        else:
            items.append(var)
    return items


class Template:
    """A template, parsed: a leading literal, then groups of variables each followed by the
    literal that ends its value (None: the group takes the rest of the line). Adjacent
    variables form one group: one untyped value, none of them known on its own."""

    def __init__(self, flavor, text, items):
        self.flavor = flavor  # "nginx" or "apache"
        self.text = text
        merged = []  # bytes (literal) or list of Var
        for item in items:
            if isinstance(item, bytes):
                if merged and isinstance(merged[-1], bytes):
                    merged[-1] += item
                else:
                    merged.append(item)
            elif merged and isinstance(merged[-1], list):
                merged[-1].append(item)
            else:
                merged.append([item])
        if merged and isinstance(merged[-1], bytes):
            merged[-1] = merged[-1].rstrip(TEMPLATE_WS)
            if not merged[-1]:
                merged.pop()
        self.lead = merged.pop(0) if merged and isinstance(merged[0], bytes) else b""
        self.groups = []  # [(vars, literal after or None)]
        for k in range(0, len(merged), 2):
            self.groups.append((merged[k], merged[k + 1] if k + 1 < len(merged) else None))
        self.client = None  # the group index of the client's value
        self.client_is_peer = True  # False: a --client-field list
        self.forwarded = None  # the group index of an X-Forwarded-For value, beside a peer

    def alone(self, key):
        """The group index of the first occurrence of a variable that stands alone, or None."""
        for g, (vars, _) in enumerate(self.groups):
            if len(vars) == 1 and vars[0].key == key:
                return g
        return None

    def anywhere(self, key):
        return any(v.key == key for vars, _ in self.groups for v in vars)

    def choose_client(self, client_field):
        """Sets the client (and a forwarded value) from the template and --client-field.
        Raises ValueError."""
        if self.flavor == "nginx":
            peers, forwarded = NGINX_PEERS, NGINX_FORWARDED
        else:
            peers, forwarded = APACHE_PEERS, APACHE_FORWARDED
        if client_field is None:
            for key in peers:
                if self.alone(key) is not None:
                    self.client = self.alone(key)
                    break
            else:
                raise ValueError(
                    "the template `%s` has no client: it needs %s, or --client-field naming one of its variables"
                    % (self.text, " or ".join(("$" + p) if self.flavor == "nginx" else self.peer_text(p) for p in peers))
                )
        else:
            key = self.field_key(client_field)
            if key is None or not self.anywhere(key):
                raise ValueError("--client-field %s: the template `%s` has no such variable" % (client_field, self.text))
            self.client = self.alone(key)
            if self.client is None:
                raise ValueError(
                    "--client-field %s: in the template `%s` that variable stands next to another, so its value cannot be told apart"
                    % (client_field, self.text)
                )
            self.client_is_peer = key in peers
        if self.client_is_peer:
            self.forwarded = next((self.alone(k) for k in forwarded if self.alone(k) is not None), None)

    @staticmethod
    def peer_text(key):
        letter, arg = key
        return "%" + ("{%s}" % arg if arg else "") + letter

    def field_key(self, name):
        """The variable --client-field names: nginx `name`, `$name` or `${name}`; Apache a
        directive as written (`%{X-Forwarded-For}i`, `%a`), or the nginx spelling of a request
        header (`http_x_forwarded_for`: `http_` + the name lowercased, `-` as `_`)."""
        if self.flavor == "nginx":
            if name.startswith("${") and name.endswith("}"):
                name = name[2:-1]
            elif name.startswith("$"):
                name = name[1:]
            return name if name and all(x in NAME_CHARS for x in name) else None
        if name.startswith("%"):
            try:
                items = parse_apache_template(name)
            except ValueError:
                return None
            vars = [x for x in items if isinstance(x, Var)]
            if len(vars) != 1 or any(x not in (b"[", b"]") for x in items if not isinstance(x, Var)):
                return None
            return vars[0].key
        spelled = name[1:] if name.startswith("$") else name
        for vars, _ in self.groups:
            for v in vars:
                letter, arg = v.key
                if letter == "i" and spelled.lower() == "http_" + arg.replace("-", "_"):
                    return v.key
        return None

    def values(self, line):
        """The value of each group, in order; raises NoParse when the line is not the template's
        literal text with values between (each value ends at the first occurrence of the literal
        after it; when that literal starts with `"`, not at a `"` after an odd number of
        backslashes)."""
        line = line.rstrip(WS)
        if not line.startswith(self.lead):
            raise NoParse
        pos = len(self.lead)
        values = []
        for vars, literal in self.groups:
            if literal is None:
                end, after = len(line), len(line)
            else:
                end = find_literal(line, pos, literal)
                if end == -1:
                    raise NoParse
                after = end + len(literal)
            values.append(line[pos:end])
            pos = after
        if pos != len(line):
            raise NoParse
        return values

    def parse(self, line, trusted):
        values = self.values(line)
        for (vars, _), value in zip(self.groups, values):
            kind = vars[0].kind if len(vars) == 1 else None
            if kind == "status" and not (len(value) == 3 and all(b in DIGITS for b in value)):
                raise NoParse
            if kind == "bytes" and not (value == b"-" or (value and all(b in DIGITS for b in value))):
                raise NoParse
        value = values[self.client]
        if not self.client_is_peer:
            # A list: its first entry, or under --trusted-proxy the chain it is, walked.
            entries = list_entries(value)
            if not entries:
                return None
            if trusted:
                return chain_client(entries, trusted)
            return clean_address(entries[0])
        if not value or b" " in value or b"\t" in value:
            raise NoParse
        if trusted and self.forwarded is not None:
            return chain_client(list_entries(values[self.forwarded]) + [value], trusted)
        return value


def find_literal(line, start, literal):
    """Where `literal` first occurs in `line` at or after `start` (-1: nowhere); a literal that
    starts with `"` does not occur at a `"` after an odd number of backslashes (counted back
    to `start`)."""
    at = start
    while True:
        j = line.find(literal, at)
        if j == -1 or literal[:1] != b'"':
            return j
        backslashes = 0
        while j - backslashes - 1 >= start and line[j - backslashes - 1] == ord("\\"):
            backslashes += 1
        if backslashes % 2 == 0:
            return j
        at = j + 1


def parse_template(text):
    """A Template from a --log-format value without its prefix, or None when the value is no
    template (a format's name). Raises ValueError."""
    if text.startswith("nginx:"):
        flavor, body = "nginx", text[len("nginx:"):]
    elif text.startswith("apache:"):
        flavor, body = "apache", text[len("apache:"):]
    else:
        marks = [i for i in (text.find("$"), text.find("%")) if i != -1]
        if not marks:
            return None
        flavor, body = ("nginx" if text[min(marks)] == "$" else "apache"), text
    items = parse_nginx_template(body) if flavor == "nginx" else parse_apache_template(body)
    return Template(flavor, body, items)


# ---------------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------------

# The detected bodies, in the order that breaks ties (then `classic`, only named).
BODIES = [
    "combined",
    "vhost",
    "json",
    "alb",
    "elb",
    "cloudfront",
    "w3c",
    "haproxy",
    "s3",
    "envoy",
    "squid",
    "ssl_request",
]
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
    if isinstance(body, Template):
        body = body.flavor + ":custom"
    return body if prefix is None else prefix + "+" + body


def parse_format_name(name):
    """`combined`, `cri+combined`, `classic`, ..., or a template (`$remote_addr ...`,
    `cri+nginx:...`, `apache:%h ...`: the body is a Template); raises ValueError."""
    for prefix in PREFIXES:
        if name.startswith(prefix + "+"):
            template = parse_template(name[len(prefix) + 1:])
            if template is not None:
                return (prefix, template)
    template = parse_template(name)
    if template is not None:
        return (None, template)
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


class Options:
    """What the command line says about reading lines: the JSON client paths, and the
    trusted proxies' networks (None without --trusted-proxy)."""

    def __init__(self, json_paths, trusted=None):
        self.json_paths = json_paths
        self.trusted = trusted


class Parser:
    """Reads the lines of one file in one format (not classic)."""

    def __init__(self, fmt, opts):
        self.prefix, self.body = fmt
        self.json_paths = opts.json_paths
        self.trusted = opts.trusted
        self.w3c = W3c(self.body == "cloudfront", self.trusted) if self.body in ("w3c", "cloudfront") else None

    def line(self, line):
        """("request", client bytes or None: a request without a client), or
        ("malformed"|"directive"|"comment", None), for a view."""
        kind, client = self.parse(line)
        if kind == "request" and no_client(client):
            client = None
        return kind, client

    def parse(self, line):
        try:
            body = STRIP[self.prefix](line) if self.prefix else line
        except NoParse:
            return ("malformed", None)
        if self.w3c is not None:
            return self.w3c.line(body)
        try:
            if isinstance(self.body, Template):
                client = self.body.parse(body, self.trusted)
            elif self.body == "combined":
                client = parse_combined(body, self.trusted)
            elif self.body == "vhost":
                client = parse_vhost(body, self.trusted)
            elif self.body == "json":
                client = parse_json(body, self.json_paths, self.trusted)
            elif self.body == "alb":
                client = parse_alb(body)
            elif self.body == "elb":
                client = parse_elb(body)
            elif self.body == "haproxy":
                client = parse_haproxy(body)
            elif self.body == "s3":
                client = parse_s3(body)
            elif self.body == "envoy":
                client = parse_envoy(body, self.trusted)
            elif self.body == "squid":
                client = parse_squid(body)
            elif self.body == "ssl_request":
                client = parse_ssl_request(body)
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


def detect(text, opts):
    """("format", fmt), ("empty", None) or ("not a log", reason)."""
    views = sample(text)
    if not views:
        return ("empty", None)
    best, best_read = None, -1
    for fmt in candidates():
        parser = Parser(fmt, opts)
        # Requests, and directives the format knows, are what it parses.
        read = sum(1 for v in views if parser.line(v)[0] in ("request", "directive"))
        if read > best_read:  # ties go to the earlier candidate
            best, best_read = fmt, read
    if best_read * 10 < len(views):
        return ("not a log", "not an access log (%d of %d sampled lines parse in any format)" % (best_read, len(views)))
    return ("format", best)


def count(text, fmt, opts):
    """(total, malformed, set of client keys) of a text read in `fmt` (None: no format, every
    non-blank line malformed)."""
    parser = Parser(fmt, opts) if fmt is not None else None
    total, malformed, keys = 0, 0, set()
    for line in lines_of(text):
        v = view(line)
        if v is None:
            continue
        kind, client = parser.line(v) if parser else ("malformed", None)
        if kind == "request":
            total += 1
            if client is not None:
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


USAGE = "usage: reference.py PATHS... [--log-format NAME|TEMPLATE] [--client-field PATH|VARIABLE] [--trusted-proxy CIDR|@FILE]..."


def usage(message):
    print("reference.py: %s" % message, file=sys.stderr)
    print(USAGE, file=sys.stderr)
    sys.exit(2)


def trusted_networks(values):
    """The networks of the --trusted-proxy values: a CIDR, or `@FILE` (one a line; `#` starts a
    comment; blank lines skipped)."""
    networks = []
    for value in values:
        if value.startswith("@"):
            try:
                with open(value[1:], "rb") as f:
                    lines = f.read().decode("utf-8", "replace").split("\n")
            except OSError as e:
                usage("--trusted-proxy %s: %s" % (value, os_message(e)))
            entries = [line.split("#", 1)[0].strip() for line in lines]
            entries = [e for e in entries if e]
        else:
            entries = [value]
        for entry in entries:
            try:
                networks.append(parse_cidr(entry))
            except ValueError:
                usage("--trusted-proxy: `%s` is not an IP address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)" % entry)
    return networks


def parse_args(argv):
    paths, log_format, client_field, proxies = [], "auto", None, []
    i = 0
    while i < len(argv):
        a = argv[i]
        for flag in ("--log-format", "--client-field", "--trusted-proxy"):
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
                elif flag == "--client-field":
                    client_field = value
                else:
                    proxies.append(value)
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
    template = fmt[1] if fmt is not None and isinstance(fmt[1], Template) else None
    if template is not None:
        try:
            template.choose_client(client_field)  # --client-field names a template variable
        except ValueError as e:
            usage(str(e))
    json_paths = [[s.encode() for s in f.split(".")] for f in DEFAULT_FIELDS]
    if client_field is not None and template is None:
        if fmt is not None and fmt[1] != "json":
            usage("--client-field is for JSON logs and templates, and --log-format %s is neither" % log_format)
        if not client_field or "" in client_field.split("."):
            usage("`%s` is not a field path: give names joined by dots, e.g. request.client_ip" % client_field)
        json_paths = [[os.fsencode(s) for s in client_field.split(".")]]
    trusted = None
    if proxies:
        if fmt == (None, "classic"):
            usage("--trusted-proxy: classic has no forwarded chain")
        trusted = trusted_networks(proxies)
    return paths, fmt, Options(json_paths, trusted)


def read_input(path):
    if path == b"-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def main(argv):
    paths, fmt, opts = parse_args(argv)
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
                what, found = detect(text, opts)
                if what == "not a log":
                    if named:
                        run.errors.append((path, found + "; if it is one, name its format with --log-format"))
                    else:
                        run.skipped.append((path, found))
                    continue
                chosen = found  # None for a file without a line: every line malformed
            total, malformed, keys = count(text, chosen, opts)
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
