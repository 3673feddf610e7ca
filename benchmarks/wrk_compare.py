#!/usr/bin/env python3
"""Runs wrk against ringproxy and HAProxy with the same backends and the same configuration,
interleaved (A B, B A, ...), and prints req/s, p50/p99 latency and proxy CPU µs per request
(utime+stime of every thread of the proxy process, from /proc, divided by requests), with ratios.

Pinning (2-core machines): proxies on CPU 0, wrk and the nginx backends on CPU 1.
Usage: benchmarks/wrk_compare.py [--rounds 3] [--duration 5] [--scenarios keepalive,close,big]
"""
import argparse, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); return True
        except OSError: time.sleep(0.05)
    return False

def cpu_ticks(pid):
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            f = open(f"/proc/{pid}/task/{t}/stat").read()
            fields = f[f.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])
        except OSError: pass
    return total

def parse_wrk(out):
    req = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    def lat(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m: return float("nan")
        v = float(m.group(1)); return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m: errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m: errors += sum(int(x) for x in m.groups())
    return req, total, lat(50), lat(99), errors

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--scenarios", default="keepalive,close,big")
    ap.add_argument("--ringproxy", default=os.environ.get("RINGPROXY_BIN", os.path.join(ROOT, ".build/release/ringproxy")))
    a = ap.parse_args()
    for tool in ("wrk", "nginx", "haproxy", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"benchmarks: '{tool}' is missing (apt-get install wrk nginx-light haproxy)")
    if not os.path.exists(a.ringproxy):
        sys.exit(f"benchmarks: {a.ringproxy} not built (swift build -c release)")
    tmp = tempfile.mkdtemp(prefix="ringbench-")
    os.chmod(tmp, 0o755)          # nginx workers (user nobody) must read the files
    html = os.path.join(tmp, "html"); os.makedirs(html)
    open(os.path.join(html, "small"), "w").write("hello from the backend\n")
    open(os.path.join(html, "big"), "wb").write(os.urandom(1 << 20))
    b1, b2 = free_port(), free_port()
    open(os.path.join(tmp, "nginx.conf"), "w").write(f"""
worker_processes 1; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/nginx.err;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 10000000; keepalive_timeout 300s;
  server {{ listen 127.0.0.1:{b1}; root {html}; }}
  server {{ listen 127.0.0.1:{b2}; root {html}; }} }}
""")
    procs = []
    def start(cmd, cpu, **kw):
        p = subprocess.Popen(["taskset", "-c", str(cpu)] + cmd, stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "err.log"), "a"), **kw)
        procs.append(p); return p
    try:
        start(["nginx", "-c", os.path.join(tmp, "nginx.conf")], 1)
        if not (wait_port(b1) and wait_port(b2)): sys.exit("nginx did not start")
        results = {}
        for scen in a.scenarios.split(","):
            mode = "option httpclose" if scen == "close" else "option http-keep-alive"
            path = "/big" if scen == "big" else "/small"
            targets = {}
            for name in ("ringproxy", "haproxy"):
                port = free_port()
                cfg = f"""global
    nbthread 1
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    {mode}
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    balance roundrobin
    http-reuse always
    cookie SRV insert indirect nocache
    server s1 127.0.0.1:{b1} cookie s1
    server s2 127.0.0.1:{b2} cookie s2
"""
                path_cfg = os.path.join(tmp, f"{name}-{scen}.cfg"); open(path_cfg, "w").write(cfg)
                cmd = [a.ringproxy, "-f", path_cfg, "-db"] if name == "ringproxy" else ["haproxy", "-f", path_cfg, "-db"]
                p = start(cmd, 0)
                if not wait_port(port): sys.exit(f"{name} did not start (see {tmp}/err.log)")
                targets[name] = (p, port)
            names = list(targets)
            for r in range(a.rounds):
                order = names[r % 2:] + names[:r % 2]
                for name in order:
                    p, port = targets[name]
                    wrk = ["taskset", "-c", "1", "wrk", "-t1", f"-c{a.connections}", f"-d{a.duration}s", "--latency", f"http://127.0.0.1:{port}{path}"]
                    if scen == "close": wrk[5:5] = ["-H", "Connection: close"]
                    c0 = cpu_ticks(p.pid)
                    out = subprocess.run(wrk, capture_output=True, text=True).stdout
                    c1 = cpu_ticks(p.pid)
                    req, total, p50, p99, errs = parse_wrk(out)
                    us = (c1 - c0) / TICK * 1e6 / max(total, 1)
                    results.setdefault((scen, name), []).append((req, p50, p99, us, errs))
                    print(f"  {scen:9} round {r+1} {name:9} {req:10.0f} req/s  p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  {us:6.1f} µs/req  errors {errs}", flush=True)
            for name in names:
                p, _ = targets[name]; p.send_signal(signal.SIGTERM); p.wait(timeout=5)
        print()
        print(f"{'scenario':10} {'proxy':10} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>11} {'errors':>7}")
        for scen in a.scenarios.split(","):
            med = {}
            for name in ("ringproxy", "haproxy"):
                rs = results[(scen, name)]
                med[name] = [statistics.median(x[i] for x in rs) for i in range(4)] + [sum(x[4] for x in rs)]
                m = med[name]
                print(f"{scen:10} {name:10} {m[0]:10.0f} {m[1]:8.3f} {m[2]:8.3f} {m[3]:11.1f} {m[4]:7d}")
            r, h = med["ringproxy"], med["haproxy"]
            print(f"{scen:10} {'ratio r/h':10} {r[0]/h[0]:10.2f} {r[1]/h[1]:8.2f} {r[2]/h[2]:8.2f} {r[3]/h[3]:11.2f}")
    finally:
        for p in procs:
            if p.poll() is None: p.terminate()
        for p in procs:
            try: p.wait(timeout=5)
            except subprocess.TimeoutExpired: p.kill()
        shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    main()
