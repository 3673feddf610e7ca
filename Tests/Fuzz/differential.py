#!/usr/bin/env python3
"""Differential fuzzer: the same mutated requests through ringproxy and HAProxy 2.6.

Each lane runs one ringproxy and one haproxy with the same configuration, each in front of
its own recording origin. A case is one mutated request sent on a fresh client connection to
both proxies at once (then, by default, the client half-closes). What is compared:

  - what the client got: the status of each response, or a silent close / reset / nothing;
  - what reached the origin, request by request, read the way a strict server reads it
    (CRLF line endings only; Content-Length or chunked, chunks decoded; header names
    lower-cased, values trimmed), so HAProxy's re-chunking and lower-casing do not count,
    but a bare LF, a hidden second request or a changed header do.

Disagreements are grouped by kind and by a short signature; the first examples of each are
written (bytes escaped) to OUT/findings.jsonl, the totals to OUT/summary.json.

  python3 Tests/Fuzz/differential.py --ringproxy .build/release/ringproxy --cases 100000

Needs only Python 3.9+ and the two binaries. Lanes use ports 30000-32767 (outside the
kernel's ephemeral range and the tests' 20000-29999).
"""
import argparse
import asyncio
import collections
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

CONFIG = """global
    maxconn 200
    nbthread 1
{globals}
defaults
    mode http
    timeout connect 1s
    timeout client 2s
    timeout server 2s
    timeout http-request 1s
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    server s1 127.0.0.1:{origin}
"""

ORIGIN_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
ORIGIN_REFUSAL = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

# ---------------------------------------------------------------------------------------------
# Strict framing (what a naive server that only knows CRLF reads)


def find_crlf(b, start):
    i = b.find(b"\r\n", start)
    return i


def strict_message(b):
    """(length, message) of the first request in b; length None when incomplete; message
    None when it cannot be framed (garbage)."""
    head_end = b.find(b"\r\n\r\n")
    if head_end < 0:
        return None, None
    head = b[:head_end]
    lines = head.split(b"\r\n")
    request_line = lines[0]
    headers = []
    for line in lines[1:]:
        if b":" not in line:
            return len(b), ("garbage", [], b)
        n, v = line.split(b":", 1)
        headers.append((n.lower(), v.strip(b" \t")))
    pos = head_end + 4
    names = [n for n, _ in headers]
    body = b""
    if b"transfer-encoding" in names:
        trailers = []
        while True:
            e = find_crlf(b, pos)
            if e < 0:
                return None, None
            size_text = b[pos:e].split(b";", 1)[0].strip(b" \t")
            try:
                size = int(size_text, 16)
            except ValueError:
                return len(b), ("garbage", [], b)
            pos = e + 2
            if size == 0:
                while True:
                    e = find_crlf(b, pos)
                    if e < 0:
                        return None, None
                    if e == pos:
                        pos += 2
                        break
                    t = b[pos:e]
                    if b":" in t:
                        tn, tv = t.split(b":", 1)
                        trailers.append((tn.lower(), tv.strip(b" \t")))
                    pos = e + 2
                headers = headers + [(b"trailer:" + n, v) for n, v in trailers]
                break
            if len(b) < pos + size + 2:
                return None, None
            body += b[pos:pos + size]
            if b[pos + size:pos + size + 2] != b"\r\n":
                return len(b), ("garbage", [], b)
            pos += size + 2
    else:
        cls = [v for n, v in headers if n == b"content-length"]
        if cls:
            try:
                n = int(cls[0].split(b",")[0])
            except ValueError:
                return len(b), ("garbage", [], b)
            if len(b) < pos + n:
                return None, None
            body = b[pos:pos + n]
            pos += n
    return pos, (request_line, headers, body)


def canonical(messages):
    """A comparable, printable form of the messages an origin received. A message cut short
    (the client left in its body) is only `incomplete` and its first line: when it ends
    depends on timing, not on the proxy."""
    out = []
    for rl, headers, body in messages:
        if rl == "incomplete":
            first = bytes(body).split(b"\r\n", 1)[0]
            out.append("incomplete: %s" % first.decode("latin1"))
            continue
        if isinstance(rl, str):
            out.append("%s %r" % (rl, bytes(body[:120])))
            continue
        fields = []
        for n, v in headers:
            if n == b"content-length" and re.fullmatch(rb"\d+", v):
                v = b"%d" % int(v)                     # `007` and `7` frame alike
            fields.append("%s: %s" % (n.decode("latin1"), v.decode("latin1")))
        out.append("%s | %s%s" % (rl.decode("latin1"), " | ".join(fields), " | body %r" % body[:120] if body else ""))
    return out


def origin_difference(h, r):
    """A short name for how two canonical lists differ."""
    if len(h) != len(r):
        return "%d vs %d requests" % (len(h), len(r))
    for a, b in zip(h, r):
        if a == b:
            continue
        if a.startswith("incomplete") or b.startswith("incomplete") or a.startswith("garbage") or b.startswith("garbage"):
            return "framing (%s / %s)" % (a.split(" ")[0].rstrip(":"), b.split(" ")[0].rstrip(":"))
        pa, pb = a.split(" | "), b.split(" | ")
        if pa[0] != pb[0]:
            return "request line"
        ha = [x for x in pa[1:] if not x.startswith("body ")]
        hb = [x for x in pb[1:] if not x.startswith("body ")]
        if ha != hb:
            names = sorted({x.split(":")[0] for x in set(ha) ^ set(hb)})
            return "header " + ",".join(names[:3]) if names else "header order"
        return "body"
    return "same"


def client_responses(b, head_request=False):
    """Statuses of the responses in what the client received; 'garbage' at the end if the
    bytes cannot be read as responses. Responses to a HEAD request have no body (only the
    first request's method is known here)."""
    statuses = []
    while b:
        m = re.match(rb"HTTP/1\.[01] (\d{3})[^\r\n]*\r?\n", b)
        if not m:
            statuses.append("garbage")
            break
        status = int(m.group(1))
        end = re.search(rb"\r?\n\r?\n", b)
        if not end:
            statuses.append(status)
            break
        head = b[:end.end()].lower()
        rest = b[end.end():]
        statuses.append(status)
        cl = re.search(rb"\ncontent-length:\s*(\d+)", head)
        if 100 <= status < 200 or status in (204, 304) or (head_request and len(statuses) == 1):
            b = rest
        elif b"transfer-encoding" in head:
            k = rest.find(b"0\r\n\r\n")
            b = rest[k + 5:] if k >= 0 else b""
        elif cl:
            b = rest[int(cl.group(1)):]
        else:
            b = b""
    return statuses


# ---------------------------------------------------------------------------------------------
# Mutations

TOKENS = [
    b"GET", b"POST", b"HEAD", b"PUT", b"OPTIONS", b"CONNECT", b"get", b"G\x00T", b"GET ", b" GET",
    b"HTTP/1.1", b"HTTP/1.0", b"HTTP/1.2", b"HTTP/2.0", b"http/1.1", b"HTTP/1.1 ", b"HTTP/1.01", b"HTTP/1",
    b"/", b"*", b"http://x/", b"http://x:80/", b"https://x/", b"http://y/", b"x:443", b"/a b", b"/%00", b"/#f", b"//x",
    b"chunked", b"Chunked", b"chunked ", b" chunked", b"\tchunked", b"chunked,", b",chunked", b"gzip, chunked",
    b"chunked, identity", b"identity", b"chunked;q=1", b"\"chunked\"", b"chunk", b"chunked\x0b",
    b"0", b"5", b"00", b"+5", b"-1", b"5,5", b"5, 6", b"0,", b",", b"", b"0x5", b"5 5", b"99999999999999999999", b"5\t",
    b"close", b"keep-alive", b"Upgrade", b"close, keep-alive", b"100-continue",
]
HEADER_NAMES = [
    b"Host", b"Content-Length", b"Transfer-Encoding", b"Connection", b"Expect", b"Upgrade", b"Cookie",
    b"content-length", b"transfer-encoding", b"Content-Length ", b" Transfer-Encoding", b"Transfer_Encoding",
    b"X-A", b"Trailer", b"Keep-Alive", b"Proxy-Connection", b"Content-Length\x00",
]
BYTES = [0, 9, 10, 11, 12, 13, 32, 34, 35, 37, 44, 47, 58, 59, 63, 64, 92, 127, 128, 255]
CHUNK_LINES = [b"0", b"5", b"00000000000000005", b"ffffffffffffffff", b"5;ext", b"5 ;ext", b"5 ", b" 5", b"5\t",
               b"-5", b"0x5", b"5;a=\"b\"", b"fffffffffffffffff1", b"1;" + b"a" * 50, b"G"]
PIPELINED = [b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n", b"GPOST / HTTP/1.1\r\n\r\n", b"\r\n", b"0\r\n\r\n"]


def mutate(seed, rng):
    b = bytearray(seed)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        op = rng.randrange(14)
        lines = [m.start() for m in re.finditer(rb"\n", b)]
        if op == 0 and b:                                     # replace a byte
            b[rng.randrange(len(b))] = rng.choice(BYTES) if rng.random() < 0.7 else rng.randrange(256)
        elif op == 1:                                         # insert a byte
            b.insert(rng.randrange(len(b) + 1), rng.choice(BYTES) if rng.random() < 0.7 else rng.randrange(256))
        elif op == 2 and b:                                   # delete a few bytes
            i = rng.randrange(len(b))
            del b[i:i + rng.choice((1, 1, 2, 4))]
        elif op == 3 and lines:                               # change one line ending
            i = rng.choice(lines)
            crlf = i > 0 and b[i - 1] == 13
            if crlf:
                choice = rng.randrange(3)
                if choice == 0:
                    del b[i - 1]                              # CRLF -> LF
                elif choice == 1:
                    b[i] = 13; b.insert(i + 1, 32)            # CRLF -> CR CR SP
                else:
                    del b[i]                                  # CRLF -> CR
            else:
                b.insert(i, 13)                               # LF -> CRLF
        elif op == 4:                                         # insert a header line
            name = rng.choice(HEADER_NAMES)
            value = rng.choice(TOKENS)
            sep = rng.choice((b": ", b":", b" : ", b":\t", b": "))
            line = name + sep + value + rng.choice((b"\r\n", b"\r\n", b"\r\n", b"\n"))
            pos = rng.choice(lines) + 1 if lines else 0
            b[pos:pos] = line
        elif op == 5 and len(lines) > 2:                      # duplicate a header line
            k = rng.randrange(len(lines) - 1)
            line = bytes(b[lines[k] + 1:lines[k + 1] + 1])
            b[lines[k + 1] + 1:lines[k + 1] + 1] = line
        elif op == 6 and len(lines) > 2:                      # delete a line
            k = rng.randrange(len(lines) - 1)
            del b[lines[k] + 1:lines[k + 1] + 1]
        elif op == 7:                                         # replace a token by another
            words = [m for m in re.finditer(rb"[A-Za-z0-9/.:,*%-]+", b)]
            if words:
                w = rng.choice(words)
                b[w.start():w.end()] = rng.choice(TOKENS)
        elif op == 8 and lines:                               # obs-fold / leading blank
            pos = rng.choice(lines) + 1
            b[pos:pos] = rng.choice((b" ", b"\t", b" x\r\n"))
        elif op == 9:                                         # append a chunked body or a pipelined request
            if rng.random() < 0.5:
                body = rng.choice(CHUNK_LINES) + rng.choice((b"\r\n", b"\n")) + b"hello" + b"\r\n0\r\n\r\n"
                b += body
            else:
                b += rng.choice(PIPELINED)
        elif op == 10:                                        # space/tab around the colon
            colons = [m.start() for m in re.finditer(rb":", b)]
            if colons:
                i = rng.choice(colons)
                b[i:i] = rng.choice((b" ", b"\t", b"\x00"))
        elif op == 11 and b:                                  # truncate
            del b[rng.randrange(len(b)):]
        elif op == 12:                                        # a long field
            n = rng.choice((100, 1000, 8000, 15300, 16400))
            pos = rng.choice(lines) + 1 if lines else 0
            b[pos:pos] = b"X-Long: " + b"a" * n + b"\r\n"
        elif op == 13 and len(b) > 4:                         # duplicate a random range
            i = rng.randrange(len(b))
            j = min(len(b), i + rng.randrange(1, 40))
            b[j:j] = b[i:j]
    return bytes(b)


# ---------------------------------------------------------------------------------------------
# Processes, origins, lanes

USED_PORTS = set()


def free_port():
    while True:
        p = random.randrange(30000, 32767)
        if p in USED_PORTS:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            s.close()
        USED_PORTS.add(p)
        return p


class Origin:
    """Frames what arrives strictly, records each request in arrival order under the lane's
    current case, answers each one, and refuses (400, close) what it cannot frame."""

    def __init__(self):
        self.case = None
        self.log = collections.defaultdict(list)        # case -> [message]
        self.pending = {}                               # connection -> (case, unframed bytes)
        self.next_id = 0
        self.server = None
        self.port = None

    async def start(self):
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def handle(self, reader, writer):
        cid = self.next_id
        self.next_id += 1
        buf = b""
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                buf += data
                self.pending[cid] = (self.case, buf)
                while True:
                    n, m = strict_message(buf)
                    if n is None:
                        break
                    self.log[self.case].append(m)
                    buf = buf[n:]
                    self.pending[cid] = (self.case, buf)
                    if m[0] == "garbage":
                        writer.write(ORIGIN_REFUSAL)
                        await writer.drain()
                        return
                    writer.write(ORIGIN_REPLY)
                    await writer.drain()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            self.pending.pop(cid, None)
            writer.close()

    def take(self, case):
        """The messages of `case`, then what is left unframed on its connections."""
        out = self.log.pop(case, [])
        for cid, (c, buf) in list(self.pending.items()):
            if c == case and buf:
                out.append(("incomplete", [], buf[:200]))
                self.pending[cid] = (None, b"")
        return out


class Proxy:
    def __init__(self, name, binary, origin, globals_):
        self.name, self.binary, self.origin = name, binary, origin
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="difffuzz-")
        with open(os.path.join(self.dir, "proxy.cfg"), "w") as f:
            f.write(CONFIG.format(port=self.port, origin=origin.port, globals=globals_))
        self.proc = None

    def start(self):
        log = open(os.path.join(self.dir, "output.log"), "w")
        self.proc = subprocess.Popen([self.binary, "-f", os.path.join(self.dir, "proxy.cfg"), "-db"],
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited: %s" % (self.name, open(os.path.join(self.dir, "output.log")).read()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("%s does not listen on %d" % (self.name, self.port))

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


async def run_client(port, segments, half_close, timeout):
    start = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    except (OSError, asyncio.TimeoutError) as e:
        return {"end": "connect-failed", "bytes": b"", "ms": 0, "error": str(e)}
    out = b""
    end = "timeout"
    try:
        for k, seg in enumerate(segments):
            if k:
                await asyncio.sleep(0.005)
            writer.write(seg)
            await writer.drain()
        if half_close:
            writer.write_eof()
        deadline = start + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            data = await asyncio.wait_for(reader.read(65536), left)
            if not data:
                end = "eof"
                break
            out += data
    except asyncio.TimeoutError:
        pass
    except (ConnectionResetError, BrokenPipeError):
        end = "rst"
    except OSError:
        end = "rst"
    finally:
        writer.close()
    return {"end": end, "bytes": out, "ms": int((time.monotonic() - start) * 1000)}


def outcome(client, streams, head_request):
    statuses = client_responses(client["bytes"], head_request)
    if statuses:
        answer = "/".join(str(s) for s in statuses)
    else:
        answer = {"eof": "silent-close", "rst": "reset", "timeout": "no-answer"}.get(client["end"], client["end"])
    origin = canonical(streams)
    return {"answer": answer, "end": client["end"], "origin": origin, "ms": client["ms"]}


def refused(o):
    """A refusal: nothing forwarded, and a 4xx page, a reset or a silent close."""
    first = o["answer"].split("/")[0]
    return not o["origin"] and (first.startswith("4") or first in ("reset", "silent-close"))


def classify(h, r):
    """Kinds of disagreement between HAProxy's outcome h and ringproxy's r (empty: agree)."""
    kinds = []
    if bool(h["origin"]) != bool(r["origin"]):
        kinds.append("forwarded-by-haproxy-only" if h["origin"] else "forwarded-by-ringproxy-only")
    elif h["origin"] != r["origin"]:
        kinds.append("origin-received-differently")
    ha, ra = h["answer"].split("/"), r["answer"].split("/")
    if ha[0] != ra[0] and h["origin"] == r["origin"] and "reset" in (ha[0], ra[0]):
        # the same reached the server; one client's answers were lost to a reset (the proxy
        # closed with bytes unread)
        kinds.append("answers-lost-to-a-reset")
    elif ha[0] != ra[0]:
        # A page lost to a reset (the proxy closed with unread bytes) is still a refusal.
        if refused(h) and refused(r) and "reset" in (ha[0], ra[0]) and "silent-close" not in (ha[0], ra[0]):
            kinds.append("refused-both-one-reset")
        else:
            kinds.append("answer-differs")
    elif ha[1:] != ra[1:]:
        kinds.append("later-answer-differs")
    return kinds


def first_head(data):
    """The first head of `data` (up to its blank line, either line ending), or None."""
    d = data.lstrip(b"\r\n")
    m = re.search(rb"\r?\n\r?\n", d)
    return d[:m.end()] if m else None


def chunked_trailers(data):
    """The trailer section of the first request's chunked body (bytes after the last chunk up
    to the end), or None when the first request is not chunked."""
    head = first_head(data)
    if head is None or not re.search(rb"(?i)\ntransfer-encoding\s*:[^\n]*chunked", head):
        return None
    m = re.search(rb"(^|\n)0+(;[^\r\n]*)?\r?\n", data[data.find(head) + len(head):])
    if not m:
        return None
    return data[data.find(head) + len(head) + m.end():]


def later_heads(data):
    """The heads that follow the first one in `data` (pipelined requests), as far as they can
    be told apart without framing the bodies."""
    out = []
    for m in re.finditer(rb"\r?\n\r?\n", data):
        rest = data[m.end():]
        head = first_head(rest)
        if head is not None and re.match(rb"[A-Za-z]+ ", rest.lstrip(b"\r\n")):
            out.append(head)
    return out


def deliberate_head(head, forwarded):
    """The reason ringproxy refuses `head` on purpose where HAProxy may accept it (README,
    "Stricter where it matters"), or None. `forwarded`: HAProxy forwarded something."""
    fields = head.split(b"\n")[1:]
    if re.search(rb"\n[ \t]", head):
        return "deliberate: obs-fold (a header line starting with a blank)"
    if b"\x00" in head:
        return "deliberate: NUL in the head"
    if sum(1 for f in fields if re.match(rb"(?i)host\s*:", f)) > 1:
        return "deliberate: more than one Host header"
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    if b"\t" in line:
        return "deliberate: HTAB in the request line"
    parts = line.split(b" ")
    if parts and parts[-1].startswith(b"HTTP/") and parts[-1] not in (b"HTTP/1.0", b"HTTP/1.1"):
        return "deliberate: HTTP version other than 1.0 and 1.1"
    if re.match(rb"\S+ +[A-Za-z][A-Za-z0-9+.-]*://([^/@ ]*@)?(/| )", line):
        return "deliberate: empty authority in an absolute-form target"
    if re.search(rb"(?i)\ntransfer-encoding\s*:[^\n]*chunked", head) and forwarded:
        return "deliberate: chunked framing only a lenient reader accepts (bare LF, framing trailers)"
    if re.search(rb"(?i)\ncontent-length\s*:\s*\d{19,}", head):
        return "deliberate: Content-Length above 2^63"
    target = parts[1] if len(parts) > 2 else b""
    if any(c >= 0x7f for c in target):
        return "deliberate: DEL or non-ASCII byte in the request target (HAProxy's 4-byte scan passes some, by position)"
    bare_lf = len(re.findall(rb"(?<!\r)\n", head))
    if bare_lf and len(head) + bare_lf > 8192:
        return "deliberate: bare-LF head whose CRLF copy exceeds 8 KiB"
    return None


def explain(data, kind, h, r):
    """Why the two proxies differ, when it is one of the known reasons; None otherwise.
    `deliberate:` — ringproxy is stricter on purpose (README, "Stricter where it matters");
    `engine:` — the data plane's handling of a client's end of stream (issue 15, engine items);
    `benign:` — the same outcome seen differently by the client."""
    if kind == "answers-lost-to-a-reset":
        return "benign: one client's answers lost to a reset (the proxy closed with bytes unread)"
    head = first_head(data)
    ra, ha = r["answer"].split("/"), h["answer"].split("/")
    if ra[0] == "400" or (ra[0] == "reset" and not r["origin"]):
        why = deliberate_head(head, h["origin"]) if head is not None else None
        if why:
            return why
        trailers = chunked_trailers(data)
        if trailers is not None and re.search(rb"(^|\n)[^:\r\n]*[ \t]:", trailers):
            return "deliberate: blank before the colon of a trailer field (HAProxy forwards some, by length)"
    if ra[0] == "200" and ha[0] in ("400", "reset") and r["origin"] and not h["origin"]:
        trailers = chunked_trailers(data)
        if trailers is not None and len(trailers) > 15000:
            return "laxer: a trailer section too large for HAProxy's buffer (ringproxy streams it)"
    if kind in ("origin-received-differently", "later-answer-differs") and 0 < len(h["origin"]) < len(r["origin"]) \
            and r["origin"][:len(h["origin"])] == h["origin"] and len(ha) < len(ra):
        return "benign: pipelined requests before the client's EOF: HAProxy may close after the first answer, ringproxy answers each"
    if kind == "origin-received-differently" and origin_difference(h["origin"], r["origin"]) == "header connection" \
            and re.search(rb'(?i)\nconnection\s*:[^\n]*"[^\n]*close', data) and len(ha) > len(ra):
        return "benign: `close` after a stray quote in Connection: ringproxy honours it, HAProxy reads it as quoted and keeps the connection"
    if kind == "origin-received-differently" and origin_difference(h["origin"], r["origin"]) == "header connection" \
            and re.search(rb"(?i)\nconnection\s*:[^\n]*keep-alive\s*,", data):
        return "benign: HAProxy 2.6.12 garbles `Connection: keep-alive, X` (e.g. `Upgradeive, Upgrade`); ringproxy drops keep-alive cleanly"
    if r["answer"] == "silent-close" and not r["origin"] and chunked_trailers(data) is not None:
        # The engine found the chunk framing error after it had forwarded the head (the
        # request came in two reads): it closes without the 400 HAProxy sends.
        if h["origin"]:
            return "deliberate: chunked framing only a lenient reader accepts, found after the head was forwarded (no 400)"
        if ha[0] == "400":
            return "engine: a chunk framing error found after the head was forwarded closes without HAProxy's 400"
    if r["answer"] == "silent-close" and ha[0] == "400":
        return "engine: client EOF with an incomplete head gets no 400"
    if ra[0] == "400" and ha[0] in ("silent-close", "reset") and not h["origin"] and not r["origin"]:
        return "benign: both refuse; ringproxy with its 400 page"
    if kind == "later-answer-differs" and h["origin"] == r["origin"] and len(ra) > len(ha):
        return "benign: client EOF after a request: HAProxy may close after its first answer, ringproxy answers the bytes left (400)"
    if kind == "later-answer-differs" and h["origin"] == r["origin"]:
        return "engine: client EOF after a request: HAProxy answers the bytes left with 400, ringproxy closes"
    k = len(r["origin"])
    if kind in ("origin-received-differently", "later-answer-differs") and 0 < k < len(h["origin"]) \
            and h["origin"][:k] == r["origin"] and len(ra) > k and ra[k] == "400":
        # ringproxy answered the first requests as HAProxy did and refused a later one
        for later in later_heads(data):
            why = deliberate_head(later, True)
            if why:
                return why.replace("deliberate: ", "deliberate (a pipelined request): ", 1)
    if kind == "origin-received-differently" and len(h["origin"]) > len(r["origin"]):
        return "engine: a pipelined request received before the client's EOF is dropped"
    if kind == "later-answer-differs" and len(ha) > len(ra) and ha[1] == "200":
        return "engine: a pipelined request received before the client's EOF is dropped"
    if (ha[0], ra[0]) in (("silent-close", "504"), ("504", "silent-close")):
        return "engine: client EOF inside a body (issue 15 item 2)"
    return None


def signature(kind, h, r):
    if kind == "origin-received-differently":
        return origin_difference(h["origin"], r["origin"])
    def short(a):
        parts = a.split("/")
        return parts[0] if len(parts) == 1 else parts[0] + " then " + "/".join(parts[1:3])
    return "haproxy %s / ringproxy %s" % (short(h["answer"]), short(r["answer"]))


class Lane:
    def __init__(self, k, args):
        self.k = k
        self.args = args
        self.origins = {"haproxy": Origin(), "ringproxy": Origin()}
        self.proxies = {}

    async def start(self):
        for o in self.origins.values():
            await o.start()
        self.proxies = {
            "haproxy": Proxy("haproxy", self.args.haproxy, self.origins["haproxy"], self.args.globals),
            "ringproxy": Proxy("ringproxy", self.args.ringproxy, self.origins["ringproxy"], self.args.globals),
        }
        for p in self.proxies.values():
            await asyncio.get_running_loop().run_in_executor(None, p.start)

    def stop(self):
        for p in self.proxies.values():
            p.stop()

    async def run_case(self, case_id, data, segments):
        for o in self.origins.values():
            o.case = case_id
        results = await asyncio.gather(*[
            run_client(self.proxies[name].port, segments, self.args.half_close, self.args.case_timeout)
            for name in ("haproxy", "ringproxy")])
        await asyncio.sleep(0.01)                      # the origin's last read
        out = {}
        for name, client in zip(("haproxy", "ringproxy"), results):
            out[name] = outcome(client, self.origins[name].take(case_id), data.lstrip(b"\r\n").startswith(b"HEAD "))
        for name, p in self.proxies.items():
            if not p.alive():
                out[name]["answer"] = "PROCESS-DIED"
        return out


def escape(b):
    return b.decode("latin1").encode("unicode_escape").decode("ascii")


async def main_async(args):
    seeds = []
    corpus = os.path.join(HERE, "Corpus", "request")
    for name in sorted(os.listdir(corpus)):
        with open(os.path.join(corpus, name), "rb") as f:
            seeds.append(f.read())
    os.makedirs(args.out, exist_ok=True)
    lanes = [Lane(k, args) for k in range(args.lanes)]
    for lane in lanes:
        await lane.start()
    totals = collections.Counter()
    kinds = collections.Counter()
    signatures = collections.Counter()
    examples = collections.defaultdict(list)
    answers = {"haproxy": collections.Counter(), "ringproxy": collections.Counter()}
    slow = collections.Counter()
    reasons = collections.Counter()
    unexplained = []
    reason_examples = collections.defaultdict(list)   # the first examples of each explained reason
    started = time.time()
    findings = open(os.path.join(args.out, "findings.jsonl"), "w")
    next_case = [0]
    died = []

    async def lane_loop(lane):
        rng = random.Random(args.seed * 1000003 + lane.k)
        while next_case[0] < args.cases and not died:
            case_id = next_case[0]
            next_case[0] += 1
            data = mutate(rng.choice(seeds), rng)
            if rng.random() < 0.2 and len(data) > 2:
                cut = rng.randrange(1, len(data))
                segments = [data[:cut], data[cut:]]
            else:
                segments = [data]
            res = await lane.run_case(case_id, data, segments)
            h, r = res["haproxy"], res["ringproxy"]
            totals["cases"] += 1
            for name in ("haproxy", "ringproxy"):
                answers[name][res[name]["answer"].split("/")[0]] += 1
                if res[name]["ms"] >= 900:
                    slow[name] += 1
                if res[name]["answer"] == "PROCESS-DIED":
                    died.append((name, data))
            ks = classify(h, r)
            if ks:
                totals["disagreeing cases"] += 1
                why = explain(data, ks[0], h, r)
                reasons[why or "unexplained"] += 1
                if why is not None and len(reason_examples[why]) < args.examples:
                    reason_examples[why].append({"case": case_id, "request": escape(data),
                                                 "split": len(segments[0]) if len(segments) > 1 else None,
                                                 "haproxy": h, "ringproxy": r, "kinds": ks})
                if why is None and len(unexplained) < args.examples * 20:
                    unexplained.append({"case": case_id, "request": escape(data), "haproxy": h, "ringproxy": r, "kinds": ks})
            for kind in ks:
                kinds[kind] += 1
                sig = kind + ": " + signature(kind, h, r)
                signatures[sig] += 1
                if len(examples[sig]) < args.examples:
                    examples[sig].append(case_id)
                    findings.write(json.dumps({"case": case_id, "kind": kind, "signature": sig, "request": escape(data),
                                               "split": len(segments[0]) if len(segments) > 1 else None,
                                               "haproxy": h, "ringproxy": r}, default=lambda b: escape(b)) + "\n")
                    findings.flush()
            if totals["cases"] % args.progress == 0:
                rate = totals["cases"] / (time.time() - started)
                print("%d cases, %.0f/s, %d disagreeing" % (totals["cases"], rate, totals["disagreeing cases"]), flush=True)

    try:
        await asyncio.gather(*[lane_loop(lane) for lane in lanes])
    finally:
        for lane in lanes:
            lane.stop()
    elapsed = time.time() - started
    summary = {
        "cases": totals["cases"], "seconds": round(elapsed, 1), "seed": args.seed, "lanes": args.lanes,
        "half_close": args.half_close, "disagreeing_cases": totals["disagreeing cases"],
        "kinds": dict(kinds), "reasons": dict(reasons.most_common()), "signatures": dict(signatures.most_common()),
        "answers": {k: dict(v.most_common()) for k, v in answers.items()},
        "slow_cases_over_900ms": dict(slow), "process_died": [(n, escape(d)) for n, d in died],
    }
    with open(os.path.join(args.out, "unexplained.jsonl"), "w") as f:
        for u in unexplained:
            f.write(json.dumps(u, default=lambda b: escape(b)) + "\n")
    with open(os.path.join(args.out, "reasons.jsonl"), "w") as f:
        for why, cases in reason_examples.items():
            for u in cases:
                f.write(json.dumps(dict(u, reason=why), default=lambda b: escape(b)) + "\n")
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    return 1 if died else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringproxy", required=True)
    ap.add_argument("--haproxy", default="/usr/sbin/haproxy")
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--lanes", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--examples", type=int, default=5, help="examples kept per signature")
    ap.add_argument("--case-timeout", type=float, default=3.0)
    ap.add_argument("--no-half-close", dest="half_close", action="store_false",
                    help="keep the client's sending side open after the request")
    ap.add_argument("--globals", default="", help="extra lines for the global section")
    ap.add_argument("--progress", type=int, default=1000)
    ap.add_argument("--out", default="difffuzz-out")
    args = ap.parse_args()
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
