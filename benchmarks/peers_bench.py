#!/usr/bin/env python3
"""The cost of sharing stick tables (issue 14).

1. CPU per request of ringproxy in the appsession scenario (the reference configuration's
   APPSESSION_srv in its stick-table form; 2000 ringbench clients keep the session cookie the
   application (nginx) set on their first response, so nearly every request refreshes a table
   entry, which a peers section turns into an update for each peer) without a peers section,
   then with one of 2 peers (the other, a second ringproxy, is up and receives every update).
   The load is open loop at a fixed rate (--rate), the same for both, so the per-request CPU
   compares like with like on a shared machine. Rounds alternate (off, on, off, on ...); the
   proxy under test runs on CPU 0 with one worker thread, ringbench, nginx and the peer on
   CPU 1. CPU is utime+stime of every thread of the proxy process (its peers thread included),
   from /proc, divided by the responses.

2. How many updates per second one peer link carries: ringproxy A learns N sessions (no peer
   up), then peer B starts and asks A for the whole table; the time between B's "connected" and
   "resync finished" log lines gives entries per second over one link (B applies them all).

Usage: benchmarks/peers_bench.py [--rounds 3] [--duration 5] [--rate 5000] [--entries 200000]
Needs nginx (nginx-light), taskset and a release build (ringproxy, ringbench).
"""
import argparse, os, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wrk_compare import free_port, wait_port, cpu_ticks as user_system_ticks, TICK  # noqa: E402


def cpu_ticks(pid):
    """user+system clock ticks of every thread of the process."""
    return sum(user_system_ticks(pid))

CONFIG = """global
    maxconn 20000
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend WEB_SITE
    bind 127.0.0.1:{front}
    default_backend APPSESSION_srv
backend APPSESSION_srv
    stick-table type string len 64 size 1m expire 5h{peers_kw}
    stick on req.cook(9ai9)
    stick on urlp(9ai9,;)
    stick store-response res.cook(9ai9)
    server REALsrv_70  127.0.0.1:{b1}
    server REALsrv_120 127.0.0.1:{b2}
{peers_section}"""

PEERS = """peers mypeers
    peer A 127.0.0.1:{pa}
    peer B 127.0.0.1:{pb}
"""

NGINX = """worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path {root}/tmp;
  proxy_temp_path {root}/tmp;
  fastcgi_temp_path {root}/tmp;
  uwsgi_temp_path {root}/tmp;
  scgi_temp_path {root}/tmp;
  # The application: a session cookie for whoever has none (as PHP's session_start()).
  server {{ listen 127.0.0.1:{b1}; location / {{ if ($cookie_9ai9 = "") {{ add_header Set-Cookie "9ai9=$request_id; path=/"; }}
                                              add_header X-Server REALsrv_70; return 200 "REALsrv_70\\n"; }} }}
  server {{ listen 127.0.0.1:{b2}; location / {{ if ($cookie_9ai9 = "") {{ add_header Set-Cookie "9ai9=$request_id; path=/"; }}
                                              add_header X-Server REALsrv_120; return 200 "REALsrv_120\\n"; }} }}
}}
"""


def start(cmd, cpu, log):
    return subprocess.Popen(["taskset", "-c", str(cpu)] + cmd, stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def stop(p):
    if p and p.poll() is None:
        p.terminate()
        try: p.wait(5)
        except subprocess.TimeoutExpired: p.kill(); p.wait()


def thread_ticks(pid, tid):
    """utime+stime of one thread (0 without one)."""
    if tid is None: return 0
    try:
        f = open(f"/proc/{pid}/task/{tid}/stat").read()
        fields = f[f.rindex(")") + 2:].split()
        return int(fields[11]) + int(fields[12])
    except OSError:
        return 0


def wait_line(path, text, timeout=30, poll=0.005):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if text in open(path).read(): return time.time()
        except OSError: pass
        time.sleep(poll)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rate", type=int, default=5000)
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--entries", type=int, default=200000)
    ap.add_argument("--ringproxy", default=os.environ.get("RINGPROXY_BIN", os.path.join(ROOT, ".build/release/ringproxy")))
    ap.add_argument("--ringbench", default=os.environ.get("RINGBENCH_BIN", os.path.join(ROOT, ".build/release/ringbench")))
    a = ap.parse_args()
    for tool in ("nginx", "taskset"):
        if not shutil.which(tool): sys.exit(f"benchmarks: '{tool}' is missing (apt-get install nginx-light)")
    work = tempfile.mkdtemp(prefix="peers-bench-")
    os.makedirs(f"{work}/tmp")
    b1, b2 = free_port(), free_port()
    open(f"{work}/nginx.conf", "w").write(NGINX.format(root=work, b1=b1, b2=b2))
    nginx = start(["nginx", "-c", f"{work}/nginx.conf", "-p", work], 1, f"{work}/nginx.err")
    procs = []
    try:
        assert wait_port(b1) and wait_port(b2), "nginx did not start"

        def config(name, peers, front, pa, pb):
            text = CONFIG.format(front=front, b1=b1, b2=b2, peers_kw=" peers mypeers" if peers else "",
                                 peers_section=PEERS.format(pa=pa, pb=pb) if peers else "")
            path = f"{work}/{name}.cfg"
            open(path, "w").write(text)
            return path

        def bench(front, extra):
            out = subprocess.run(["taskset", "-c", "1", a.ringbench, "--url", f"http://127.0.0.1:{front}/", "--threads", "1",
                                  "--connections", str(a.connections), "--server-id", "X-Server"] + extra,
                                 capture_output=True, text=True).stdout
            n = int(re.search(r"requests\s+(\d+)", out).group(1))
            rate = float(re.search(r"\(([\d.]+) req/s\)", out).group(1))
            p50 = int(re.search(r"p50 (\d+)", out).group(1))
            moves = int(re.search(r"stickiness (\d+) moves", out).group(1)) if "stickiness" in out else -1
            errors = sum(int(x) for x in re.search(r"errors\s+connect (\d+)\s+read (\d+)\s+timeout (\d+)\s+status (\d+)\s+parse (\d+)", out).groups())
            return n, rate, p50, moves, errors

        # 1. CPU per request, with and without a peers section, at the same request rate.
        results = {"off": [], "on": []}
        for r in range(a.rounds):
            for mode in ("off", "on"):
                front, pa, pb, fb = free_port(), free_port(), free_port(), free_port()
                pb_proc = None
                if mode == "on":
                    pb_proc = start([a.ringproxy, "-L", "B", "-db", "-f", config(f"B{r}", True, fb, pa, pb)], 1, f"{work}/B{r}.err")
                    procs.append(pb_proc)
                    assert wait_port(pb), "peer B did not start"
                pa_proc = start([a.ringproxy, "-L", "A", "-db", "-f", config(f"A{r}{mode}", mode == "on", front, pa, pb)], 0,
                                f"{work}/A{r}{mode}.err")
                procs.append(pa_proc)
                assert wait_port(front), "ringproxy did not start"
                if mode == "on":
                    assert wait_line(f"{work}/A{r}{mode}.err", "connected"), "the peers did not connect"
                # The peers thread is the process's last thread (started after the workers).
                peers_tid = max(int(t) for t in os.listdir(f"/proc/{pa_proc.pid}/task")) if mode == "on" else None
                t0, p0 = cpu_ticks(pa_proc.pid), thread_ticks(pa_proc.pid, peers_tid)
                n, rate, p50, moves, errors = bench(front, ["--clients", str(a.clients), "--rate", str(a.rate),
                                                            "--duration", f"{a.duration}s"])
                t1, p1 = cpu_ticks(pa_proc.pid), thread_ticks(pa_proc.pid, peers_tid)
                us = (t1 - t0) * 1e6 / TICK / max(n, 1)
                peers_us = (p1 - p0) * 1e6 / TICK / max(n, 1)
                results[mode].append((us, rate, p50, errors, peers_us))
                print(f"round {r + 1} peers {mode:3}: {rate:7.0f} req/s  {us:6.2f} µs CPU/request"
                      + (f" (peers thread {peers_us:.2f})" if mode == "on" else "")
                      + f"  p50 {p50} µs  moves {moves}  errors {errors}", flush=True)
                stop(pa_proc); stop(pb_proc)
        off = statistics.median(x[0] for x in results["off"])
        on = statistics.median(x[0] for x in results["on"])
        peers_thread = statistics.median(x[4] for x in results["on"])
        print(f"\nmedian CPU per request at {a.rate} req/s: without peers {off:.2f} µs, "
              f"with a peers section and 2 peers {on:.2f} µs ({(on / off - 1) * 100:+.1f} %); "
              f"the peers thread alone {peers_thread:.2f} µs ({peers_thread / off * 100:.1f} % of the request cost)")

        # 2. Updates per second over one link: a full resync of N entries.
        front, pa, pb, fb = free_port(), free_port(), free_port(), free_port()
        pa_proc = start([a.ringproxy, "-L", "A", "-db", "-f", config("LA", True, front, pa, pb)], 0, f"{work}/LA.err")
        procs.append(pa_proc)
        assert wait_port(front)
        t_start = time.time()
        learned, _, _, _, _ = bench(front, ["--clients", str(a.entries), "--requests", str(a.entries)])
        time.sleep(max(0.0, 11 - (time.time() - t_start)))  # A's own resync with the absent B times out (5 s + 5 s)
        pb_proc = start([a.ringproxy, "-L", "B", "-db", "-f", config("LB", True, fb, pa, pb)], 1, f"{work}/LB.err")
        procs.append(pb_proc)
        t_conn = wait_line(f"{work}/LB.err", "connected")
        t_done = wait_line(f"{work}/LB.err", "resync finished, tables learned from peer 'A'", timeout=120)
        if t_conn and t_done:
            rate = learned / max(t_done - t_conn, 1e-3)
            print(f"full resync over one link: {learned} entries in {t_done - t_conn:.3f} s = {rate:,.0f} updates/s "
                  f"(B logs both lines; its clock resolution is the 5 ms poll)")
        else:
            print("full resync over one link: did not finish (see " + work + "/LB.err)")
        # The incremental path: updates/s while the link keeps up with a load of new sessions.
        t0 = cpu_ticks(pa_proc.pid)
        n, rate, _, _, _ = bench(front, ["--clients", str(a.entries), "--requests", str(a.entries)])
        t1 = cpu_ticks(pa_proc.pid)
        print(f"new sessions through A with B connected: {rate:,.0f} req/s, each one update to B "
              f"({(t1 - t0) * 1e6 / TICK / max(n, 1):.2f} µs CPU/request in A)")
    finally:
        for p in procs: stop(p)
        stop(nginx)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
