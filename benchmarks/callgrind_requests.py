#!/usr/bin/env python3
"""Instructions per request, repeatable: ringproxy under `valgrind --tool=callgrind`, N requests
through it after a warm-up, and the user-space instructions (Ir) per request of the whole
process and of its main parts (the Swift head handlers, the engine's completion handling).
Kernel work is not counted by valgrind: this measures what user-space changes cost or save,
independent of the machine's load.

  benchmarks/callgrind_requests.py [--scenario keepalive|close] [--requests 2000] [--connections 10]
                                   [--keep DIR] [--top 25]

valgrind 3.19 cannot read the DWARF 5 of a Swift release build: the binary is copied without
its debug sections first (symbols stay).
"""
import argparse, os, re, shutil, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wrk_compare as wc   # noqa: E402

# Functions whose inclusive cost is worth a line of its own (matched against the symbol).
PARTS = [
    ("StreamHandler.onRequest", r"StreamHandler\.onRequest|StreamHandler5onRequest"),
    ("StreamHandler.onResponse", r"StreamHandler\.onResponse|StreamHandler10onResponse"),
    ("StreamHandler.onDone", r"StreamHandler\.onDone|StreamHandler6onDone"),
    ("RequestParser.parse", r"RequestParser\.parse|RequestParser5parse"),
    ("ResponseParser.parse", r"ResponseParser\.parse|ResponseParser5parse"),
    ("handle_cqe (engine)", r"^handle_cqe$"),
    ("io_uring_submit_and_wait_timeout", r"^io_uring_submit_and_wait_timeout$"),
    ("worker_main (all of a worker)", r"^worker_main$"),
]


def run(a):
    tmp = a.keep or tempfile.mkdtemp(prefix="callgrind-")
    os.makedirs(tmp, exist_ok=True)
    binary = os.path.join(tmp, "ringproxy")
    subprocess.run(["strip", "--strip-debug", "-o", binary, a.ringproxy], check=True)
    b = wc.Bench(argparse.Namespace(idle=100, ringproxy=binary, haproxy="haproxy"))
    b.start_origins({1})
    port = wc.free_port()
    cfg = os.path.join(tmp, "ringproxy.cfg")
    text = wc.proxy_config(a.scenario, port, *b.nginx[1])
    # one worker: under valgrind (threads serialised) a second io_uring worker left requests
    # unanswered; the instructions per request do not depend on the number of workers
    open(cfg, "w").write(text.replace("nbthread 2", "nbthread 1"))
    out = os.path.join(tmp, "callgrind.out")
    vg = subprocess.Popen(["taskset", "-c", "0", "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                           "--instr-atstart=no", binary, "-f", cfg, "-db"],
                          stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "valgrind.log"), "w"))
    try:
        if not wc.wait_port(port, timeout=120): sys.exit(f"ringproxy under valgrind did not start ({tmp}/valgrind.log)")
        close = a.scenario in ("close", "reference")
        host = b"cookie.bench.test" if a.scenario == "reference" else b"bench"   # as wrk_compare's reference
        drive(port, 200, a.connections, close, host)          # warm-up, not collected
        subprocess.run(["callgrind_control", "-i", "on", str(vg.pid)], check=True, stdout=subprocess.DEVNULL)
        drive(port, a.requests, a.connections, close, host)
        subprocess.run(["callgrind_control", "-i", "off", str(vg.pid)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["callgrind_control", "-d", str(vg.pid)], check=True, stdout=subprocess.DEVNULL)
    finally:
        vg.terminate()
        try: vg.wait(timeout=60)
        except subprocess.TimeoutExpired: vg.kill()
        b.close()
    dumps = sorted(f for f in os.listdir(tmp) if f.startswith("callgrind.out"))
    dump = max((os.path.join(tmp, f) for f in dumps), key=os.path.getsize)
    report(dump, a)
    if not a.keep: shutil.rmtree(tmp, ignore_errors=True)


def drive(port, n, conns, close, host=b"bench"):
    """n requests over `conns` connections in turn (keep-alive), or one connection each (close);
    every answer must be a 200 (a 503 from an unmatched Host would measure the wrong path)."""
    if close:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(b"GET /small HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n")
            reply = b""
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                reply += chunk
            s.close()
            if not reply.startswith(b"HTTP/1.1 200"): sys.exit(f"unexpected answer: {reply[:80]!r}")
        return
    socks = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(conns)]
    for i in range(n):
        wc.http_get(socks[i % conns])
    for s in socks: s.close()


def report(dump, a):
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", dump],
                          capture_output=True, text=True).stdout
    total = int(re.search(r"^([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS", text, re.M).group(1).replace(",", ""))
    rows = []
    for line in text.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\([\s\d.]+%\)\s+\S*:(\S.*?)(?: \[.*\])?$", line)
        if m: rows.append((int(m.group(1).replace(",", "")), m.group(2)))
    names = [r[1] for r in rows]
    demangled = dict(zip(names, demangle(names)))
    print(f"scenario {a.scenario}, {a.requests} requests over {a.connections if a.scenario == 'keepalive' else 'one'} "
          f"connection(s) each; user-space instructions (Ir) per request")
    print(f"{total / a.requests:12.0f}  whole process")
    for label, pat in PARTS:
        best = max((ir for ir, n in rows if re.search(pat, demangled[n]) or re.search(pat, n)), default=0)
        print(f"{best / a.requests:12.0f}  {label} (inclusive)")
    print(f"\ntop {a.top} functions by inclusive Ir per request:")
    for ir, n in rows[:a.top]:
        print(f"{ir / a.requests:12.0f}  {demangled[n][:150]}")


def demangle(names):
    tool = shutil.which("swift-demangle")
    if not tool:
        swift = shutil.which("swift")
        cand = os.path.join(os.path.dirname(os.path.realpath(swift)), "swift-demangle") if swift else ""
        tool = cand if os.path.exists(cand) else None
    if not tool: return names
    out = subprocess.run([tool, "--simplified", "--compact"], input="\n".join(names) + "\n",
                         capture_output=True, text=True).stdout.splitlines()
    return out if len(out) == len(names) else names


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="keepalive", choices=["keepalive", "close", "reference"])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--connections", type=int, default=10)
    ap.add_argument("--keep", help="keep the callgrind output in this directory")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--ringproxy", default=os.environ.get("RINGPROXY_BIN", os.path.join(wc.ROOT, ".build/release/ringproxy")))
    a = ap.parse_args()
    for tool in ("valgrind", "callgrind_control", "callgrind_annotate", "strip", "nginx"):
        if not shutil.which(tool): sys.exit(f"'{tool}' is missing (apt-get install valgrind binutils nginx-light)")
    run(a)


if __name__ == "__main__":
    main()
