#!/usr/bin/env python3
"""The cost of sharing stick tables (issue 14).

1. CPU per request of ringproxy in the appsession scenario (the reference configuration's
   APPSESSION_srv in its stick-table form; every request carries a known session cookie, so
   every request refreshes a table entry, which a peers section turns into an update for each
   peer) without a peers section, then with one of 2 peers (the other, a second ringproxy, is up
   and receives every update). Rounds alternate (off, on, off, on ...); the proxy under test runs
   on CPU 0 with one worker thread, wrk, nginx and the peer on CPU 1. CPU is utime+stime of every
   thread of the proxy process (its peers thread included), from /proc, divided by requests.

2. How many updates per second one peer link carries: ringproxy A learns N sessions (no peer
   up), then peer B starts and asks A for the whole table; the time between B's "connected" and
   "resync finished" log lines gives entries per second over one link (B applies them all).

Usage: benchmarks/peers_bench.py [--rounds 3] [--duration 5] [--connections 50] [--entries 200000]
Needs wrk, nginx (nginx-light) and taskset.
"""
import argparse, os, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wrk_compare import free_port, wait_port, cpu_ticks, parse_wrk, TICK  # noqa: E402

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

# Each wrk thread cycles over its own 1000 sessions: after the first round every request is
# a table hit (an entry refresh), the appsession steady state.
SESSIONS_LUA = """
local counter = 0
local threads = 0
function setup(thread) thread:set("id", threads); threads = threads + 1 end
function init(args) tid = id end
function request()
  counter = counter + 1
  return wrk.format("GET", "/", {["Cookie"] = "9ai9=s" .. tid .. "x" .. (counter % 1000)})
end
"""

# Every request a new session (filling the table for the link test).
UNIQUE_LUA = """
local counter = 0
local threads = 0
function setup(thread) thread:set("id", threads); threads = threads + 1 end
function init(args) tid = id end
function request()
  counter = counter + 1
  return wrk.format("GET", "/", {["Cookie"] = "9ai9=u" .. tid .. "x" .. counter})
end
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
  server {{ listen 127.0.0.1:{b1}; location / {{ add_header X-Server REALsrv_70; return 200 "REALsrv_70\\n"; }} }}
  server {{ listen 127.0.0.1:{b2}; location / {{ add_header X-Server REALsrv_120; return 200 "REALsrv_120\\n"; }} }}
}}
"""


def start(cmd, cpu, log):
    return subprocess.Popen(["taskset", "-c", str(cpu)] + cmd, stdout=subprocess.DEVNULL, stderr=open(log, "w"))


def stop(p):
    if p and p.poll() is None:
        p.terminate()
        try: p.wait(5)
        except subprocess.TimeoutExpired: p.kill(); p.wait()


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
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--entries", type=int, default=200000)
    ap.add_argument("--ringproxy", default=os.environ.get("RINGPROXY_BIN", os.path.join(ROOT, ".build/release/ringproxy")))
    a = ap.parse_args()
    for tool in ("wrk", "nginx", "taskset"):
        if not shutil.which(tool): sys.exit(f"benchmarks: '{tool}' is missing (apt-get install wrk nginx-light)")
    work = tempfile.mkdtemp(prefix="peers-bench-")
    os.makedirs(f"{work}/tmp")
    b1, b2 = free_port(), free_port()
    open(f"{work}/nginx.conf", "w").write(NGINX.format(root=work, b1=b1, b2=b2))
    nginx = start(["nginx", "-c", f"{work}/nginx.conf", "-p", work], 1, f"{work}/nginx.err")
    open(f"{work}/sessions.lua", "w").write(SESSIONS_LUA)
    open(f"{work}/unique.lua", "w").write(UNIQUE_LUA)
    procs = []
    try:
        assert wait_port(b1) and wait_port(b2), "nginx did not start"

        def config(name, peers, front, pa, pb):
            text = CONFIG.format(front=front, b1=b1, b2=b2, peers_kw=" peers mypeers" if peers else "",
                                 peers_section=PEERS.format(pa=pa, pb=pb) if peers else "")
            path = f"{work}/{name}.cfg"
            open(path, "w").write(text)
            return path

        def wrk(front, lua, duration, connections):
            out = subprocess.run(["taskset", "-c", "1", "wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s",
                                  "--latency", "-s", f"{work}/{lua}", f"http://127.0.0.1:{front}/"],
                                 capture_output=True, text=True).stdout
            return parse_wrk(out)

        # 1. CPU per request, with and without a peers section.
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
                wrk(front, "sessions.lua", 1, a.connections)          # learn the sessions, warm up
                t0 = cpu_ticks(pa_proc.pid)
                req, total, p50, p99, errors = wrk(front, "sessions.lua", a.duration, a.connections)
                t1 = cpu_ticks(pa_proc.pid)
                us = (t1 - t0) * 1e6 / TICK / max(total, 1)
                results[mode].append((us, req, p50, p99, errors))
                print(f"round {r + 1} peers {mode:3}: {req:9.0f} req/s  {us:6.2f} µs CPU/request  p50 {p50:.2f} ms  p99 {p99:.2f} ms  errors {errors}",
                      flush=True)
                stop(pa_proc); stop(pb_proc)
        off = statistics.median(x[0] for x in results["off"])
        on = statistics.median(x[0] for x in results["on"])
        print(f"\nmedian CPU per request: without peers {off:.2f} µs, with a peers section and 2 peers {on:.2f} µs "
              f"({(on / off - 1) * 100:+.1f} %)")
        print(f"median req/s: without {statistics.median(x[1] for x in results['off']):.0f}, "
              f"with {statistics.median(x[1] for x in results['on']):.0f}")

        # 2. Updates per second over one link: a full resync of N entries.
        front, pa, pb, fb = free_port(), free_port(), free_port(), free_port()
        pa_proc = start([a.ringproxy, "-L", "A", "-db", "-f", config("LA", True, front, pa, pb)], 0, f"{work}/LA.err")
        procs.append(pa_proc)
        assert wait_port(front)
        learned = 0
        while learned < a.entries:
            _, total, _, _, _ = wrk(front, "unique.lua", 2, a.connections)
            learned += total
        time.sleep(11)       # A's own resync with the absent B times out (5 s + 5 s): it teaches as up to date
        pb_proc = start([a.ringproxy, "-L", "B", "-db", "-f", config("LB", True, fb, pa, pb)], 1, f"{work}/LB.err")
        procs.append(pb_proc)
        t_conn = wait_line(f"{work}/LB.err", "connected")
        t_done = wait_line(f"{work}/LB.err", "resync finished, tables learned from peer 'A'", timeout=120)
        if t_conn and t_done:
            rate = learned / max(t_done - t_conn, 1e-3)
            print(f"\nfull resync over one link: {learned} entries in {t_done - t_conn:.2f} s = {rate:,.0f} updates/s")
        else:
            print("\nfull resync over one link: did not finish (see " + work + "/LB.err)")
    finally:
        for p in procs: stop(p)
        stop(nginx)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
