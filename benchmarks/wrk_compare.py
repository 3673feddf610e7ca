#!/usr/bin/env python3
"""ringproxy against HAProxy 2.6 on the scenarios of issue 10's "Done when", in one run.

Every scenario runs both proxies with the same configuration text and the same nginx origins,
in interleaved rounds (A B, B A, ...), and reports medians. The primary metric is proxy CPU µs
per request: utime+stime of every thread of the proxy process (from /proc), divided by the
requests wrk completed. req/s and p50/p99 latency (wrk --latency) are reported too.

Scenarios (--scenarios, comma-separated):
  keepalive  ~100 B responses, keep-alive on both sides (HAProxy: http-reuse always)
  close      ~100 B responses, option httpclose (wrk sends Connection: close)
  reference  the reference configuration's shape: httpclose, forwardfor, four hdr_reg(host) -i
             ACLs (the request's Host matches the 4th), cookie insert; nbthread 2 on both
             cores, wrk and the origins sharing them
  64k        64 KiB responses, keep-alive (req/s is the metric)
  1m         1 MiB responses, keep-alive, also measured on a direct connection to the origin
  rules      keepalive plus issue 11's rule cost: five header rules (request set/add/del-header,
             response set/del-header) and a per-client rate limit (stick-table http_req_rate,
             track-sc0 src, deny 429 above a limit no run reaches)
  idle       10,000 idle keep-alive client connections (one request each): RSS growth per
             connection, a request on a new connection meanwhile, RSS after they close
"big" is accepted as an old name of "1m".

Placement: in the pinned scenarios the proxy runs on CPU 0 (taskset, nbthread 1) and wrk, nginx
and this script on CPU 1; in "reference" everything shares CPUs 0-1. While each run lasts, a
sampler reads /proc/PID/task/*/stat (field 39: the CPU a thread last ran on) and
/proc/PID/task/*/status (Cpus_allowed_list) of the proxy, wrk and nginx, and the report says
where each ran; a thread seen outside its CPU set fails the run's placement check.

  benchmarks/wrk_compare.py [--rounds 3] [--duration 5] [--scenarios keepalive,close,...]
                            [--json FILE] [--flamegraphs DIR]

--floor NAME[=FLAGS] (repeatable): also measure benchmarks/tools/floor_proxy.c, a forwarder that
parses nothing (each client connection paired with one server connection, bytes copied both ways),
compiled with cc into the scratch directory: the least CPU any proxy can spend per request here.
64k and 1m also run wrk straight to nginx ("direct"). Every run reports how busy CPU 0 and CPU 1
were (/proc/stat, hypervisor steal excluded), so a req/s result says which side limited it.

--flamegraphs DIR: after the measured rounds of keepalive and close, one extra (unmeasured) run
per proxy under `perf record -e cpu-clock -g`, rendered to DIR/<proxy>-<scenario>.svg by
benchmarks/flamegraph.py.
"""
import argparse, json, os, re, resource, selectors, shutil, signal, socket, statistics, subprocess
import sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

# Issue 10's bars: (metric, comparison, value). "cpu" = ratio of CPU µs/request r/h,
# "rps" = ratio of req/s r/h, "direct" = ringproxy req/s / direct req/s.
TARGETS = {
    "keepalive": ("cpu", "<=", 0.6),
    "close": ("cpu", "<=", 0.7),
    "reference": ("cpu", "<=", 0.8),
    "64k": ("rps", ">=", 1.5),
    "1m": ("direct", ">=", 0.75),
    "rules": ("cpu", "<=", 1.0),
}
PINNED = {"keepalive": True, "rules": True, "close": True, "reference": False, "64k": True, "1m": True, "idle": True}
SMALL_BODY = "x" * 99 + "\n"          # ~100 B responses


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close(); return True
        except OSError: time.sleep(0.05)
    return False


def loadavg():
    return open("/proc/loadavg").read().split()[:3]


def cpu_times():
    """Per-CPU jiffies from /proc/stat: {cpu: (busy, idle+iowait, steal)}."""
    out = {}
    for line in open("/proc/stat"):
        m = re.match(r"cpu(\d+) (.*)", line)
        if not m: continue
        v = [int(x) for x in m.group(2).split()]
        idle, steal = v[3] + v[4], v[7] if len(v) > 7 else 0
        out[int(m.group(1))] = (sum(v[:8]) - idle - steal, idle, steal)
    return out


def busy_fraction(t0, t1, cpu):
    """Share of CPU `cpu`'s time between two cpu_times() readings spent busy (steal excluded from
    both), and the share stolen by the hypervisor."""
    d = [b - a for a, b in zip(t0[cpu], t1[cpu])]
    total = max(sum(d), 1)
    return d[0] / max(d[0] + d[1], 1), d[2] / total


def tasks(pid):
    try: return os.listdir(f"/proc/{pid}/task")
    except OSError: return []


def stat_fields(pid, tid):
    """Fields of /proc/PID/task/TID/stat after the comm, so index 0 is field 3 (state)."""
    f = open(f"/proc/{pid}/task/{tid}/stat").read()
    return f[f.rindex(")") + 2:].split()


def cpu_ticks(pid):
    """(user, system) clock ticks of every thread of the process."""
    user = system = 0
    for t in tasks(pid):
        try:
            fields = stat_fields(pid, t)
            user += int(fields[11]); system += int(fields[12])
        except (OSError, IndexError): pass
    return user, system


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"): return int(line.split()[1])
    return 0


def children(pid):
    out = []
    for t in tasks(pid):
        try: out += [int(x) for x in open(f"/proc/{pid}/task/{t}/children").read().split()]
        except OSError: pass
    return out


def cpu_list(text):
    cpus = set()
    for part in text.split(","):
        if "-" in part: a, b = part.split("-"); cpus |= set(range(int(a), int(b) + 1))
        elif part: cpus.add(int(part))
    return cpus


def fmt_cpus(cpus):
    return ",".join(str(c) for c in sorted(cpus)) or "-"


class Placement:
    """Samples which CPUs every thread of the watched processes runs on (and may run on)."""

    def __init__(self, watched):
        self.watched = watched            # role -> (pids-function, wanted cpu set)
        self.seen = {r: set() for r in watched}
        self.allowed = {r: set() for r in watched}
        self.stop_ev = threading.Event()
        self.ticks = {}                   # pid -> last (user+system) ticks seen (wrk exits before the end)
        self.thread = threading.Thread(target=self.run, daemon=True)

    def sample(self):
        for role, (pids, _) in self.watched.items():
            for pid in pids():
                u, st = cpu_ticks(pid)
                if u + st: self.ticks[pid] = u + st
                for t in tasks(pid):
                    try:
                        fields = stat_fields(pid, t)
                        self.seen[role].add(int(fields[36]))   # field 39: CPU it last ran on
                        for line in open(f"/proc/{pid}/task/{t}/status"):
                            if line.startswith("Cpus_allowed_list:"):
                                self.allowed[role] |= cpu_list(line.split()[1])
                    except (OSError, IndexError, ValueError): pass

    def run(self):
        while not self.stop_ev.wait(0.05): self.sample()

    def __enter__(self):
        self.thread.start(); return self

    def __exit__(self, *exc):
        self.stop_ev.set(); self.thread.join()

    def check(self):
        """[(role, seen, allowed, wanted, ok)]"""
        out = []
        for role, (_, wanted) in self.watched.items():
            ok = self.seen[role] <= wanted and self.allowed[role] <= wanted
            out.append((role, self.seen[role], self.allowed[role], wanted, ok))
        return out


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


def idle_connections_possible():
    """HAProxy reserves 2 fds per connection (maxsock = 2 maxconn + a few) and refuses to start
    above the hard RLIMIT_NOFILE: this many idle connections fit under it (with 50 to spare)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 10000 if hard == resource.RLIM_INFINITY else max(100, (hard - 120) // 2 - 50)


def proxy_config(scen, port, b1, b2, idle=10000):
    """The same text for both proxies (ringproxy reads HAProxy 2.x spelling)."""
    if scen == "reference":
        return f"""global
    nbthread 2
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend WEB_SITE
    bind 127.0.0.1:{port}
    option httpclose
    option forwardfor
    acl SOURCE     hdr_reg(host) -i ^(sourceip.bench.test)
    acl APPSESSION hdr_reg(host) -i ^(appsession.bench.test)
    acl NOSESSION  hdr_reg(host) -i ^(nosession.bench.test)
    acl COOKIE     hdr_reg(host) -i ^(cookie.bench.test)
    use_backend SOURCE_srv     if SOURCE
    use_backend APPSESSION_srv if APPSESSION
    use_backend NOSESSION_srv  if NOSESSION
    use_backend COOKIE_srv     if COOKIE
backend COOKIE_srv
    cookie SESSION_COOKIE insert indirect nocache
    server s1 127.0.0.1:{b1} cookie 11
    server s2 127.0.0.1:{b2} cookie 12
backend SOURCE_srv
    balance source
    server s1 127.0.0.1:{b1}
    server s2 127.0.0.1:{b2}
backend APPSESSION_srv
    server s1 127.0.0.1:{b1}
    server s2 127.0.0.1:{b2}
backend NOSESSION_srv
    server s1 127.0.0.1:{b1}
    server s2 127.0.0.1:{b2}
"""
    mode = "option httpclose" if scen == "close" else "option http-keep-alive"
    maxconn = idle + 50 if scen == "idle" else 4096
    return f"""global
    nbthread 1
    maxconn {maxconn}
defaults
    mode http
    maxconn {maxconn}
    timeout connect 5s
    timeout client 60s
    timeout server 30s
    timeout http-keep-alive 60s
    {mode}
frontend fe
    bind 127.0.0.1:{port}
{RULES if scen == "rules" else ""}    default_backend be
backend be
    balance roundrobin
    http-reuse always
    cookie SRV insert indirect nocache
    server s1 127.0.0.1:{b1} cookie s1
    server s2 127.0.0.1:{b2} cookie s2
"""


# Issue 11's rule-cost configuration: five header rules and a rate limit per client address.
RULES = """    stick-table type ip size 100k expire 30s store http_req_rate(10s)
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 1000000000 }
    http-request set-header X-Forwarded-Proto http
    http-request add-header X-Proxy ringbench
    http-request del-header X-Debug
    http-response set-header X-Frame-Options DENY
    http-response del-header X-Powered-By
"""

SCEN_PATH = {"keepalive": "/small", "rules": "/small", "close": "/small", "reference": "/small", "64k": "/64k", "1m": "/1m", "idle": "/small"}


def ringbench_command(scen, port, a, cpus):
    """Open loop at a fixed rate (--rate): every build does the same work per second, so CPU per
    request compares builds at equal batching; wrk's closed loop measures peak throughput."""
    cmd = ["taskset", "-c", fmt_cpus(cpus), a.ringbench, "--connections", str(a.connections), "--threads", "1",
           "--rate", str(a.rate), "--duration", f"{a.duration}s", "--warmup", "0", "--json"]
    if scen in ("close", "reference"): cmd += ["--close"]
    if scen == "reference": cmd += ["--host", "cookie.bench.test"]
    return cmd + ["--url", f"http://127.0.0.1:{port}{SCEN_PATH[scen]}"]


def parse_ringbench(out):
    j = json.loads(out[out.index("{"):])
    errs = sum(j["errors"].values()) + sum(v for k, v in j["status"].items() if k not in ("2xx", "3xx"))
    lat = j["latency_us"]
    return j["requests_per_second"], j["requests"], lat["p50"] / 1000, lat["p99"] / 1000, errs


def wrk_command(scen, port, a, cpus):
    if a.rate: return ringbench_command(scen, port, a, cpus)
    conns = a.connections
    cmd = ["taskset", "-c", fmt_cpus(cpus), "wrk", "-t1", f"-c{conns}", f"-d{a.duration}s", "--latency"]
    if scen in ("close", "reference"): cmd += ["-H", "Connection: close"]
    if scen == "reference": cmd += ["-H", "Host: cookie.bench.test"]
    return cmd + [f"http://127.0.0.1:{port}{SCEN_PATH[scen]}"]


class Bench:
    def __init__(self, a):
        self.a = a
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix="ringbench-")
        os.chmod(self.tmp, 0o755)          # nginx workers (user nobody) read the files
        self.err = open(os.path.join(self.tmp, "err.log"), "a")
        self.results = {}                  # (scen, name) -> [dict]
        self.placement = []                # (scen, round, name, check rows)
        self.nginx = None

    def start(self, cmd, cpus, **kw):
        p = subprocess.Popen(["taskset", "-c", fmt_cpus(cpus)] + cmd, stdout=subprocess.DEVNULL, stderr=self.err, **kw)
        self.procs.append(p); return p

    def start_origins(self, cpus):
        """Two nginx server blocks on one worker: /small ~100 B (return), /64k and /1m files."""
        if self.nginx and self.nginx[2] == cpus: return
        if self.nginx: self.stop(self.nginx[0])
        html = os.path.join(self.tmp, "html"); os.makedirs(html, exist_ok=True)
        open(os.path.join(html, "64k"), "wb").write(os.urandom(64 << 10))
        open(os.path.join(html, "1m"), "wb").write(os.urandom(1 << 20))
        b1, b2 = free_port(), free_port()
        blocks = "".join(f"""
  server {{ listen 127.0.0.1:{b}; root {html};
    location = /small {{ default_type text/plain; return 200 "{SMALL_BODY[:-1]}\\n"; }} }}""" for b in (b1, b2))
        open(os.path.join(self.tmp, "nginx.conf"), "w").write(f"""
worker_processes 1; daemon off; pid {self.tmp}/nginx.pid; error_log {self.tmp}/nginx.err;
worker_rlimit_nofile 20000;
events {{ worker_connections 16384; }}
http {{ access_log off; keepalive_requests 10000000; keepalive_timeout 300s; sendfile on;
  open_file_cache max=16; {blocks} }}
""")
        p = self.start(["nginx", "-c", os.path.join(self.tmp, "nginx.conf")], cpus)
        if not (wait_port(b1) and wait_port(b2)): sys.exit(f"nginx did not start (see {self.tmp}/nginx.err)")
        self.nginx = (p, (b1, b2), cpus)

    def start_proxy(self, name, scen, cpus):
        port = free_port()
        b1, b2 = self.nginx[1]
        path_cfg = os.path.join(self.tmp, f"{name}-{scen}.cfg")
        open(path_cfg, "w").write(proxy_config(scen, port, b1, b2, self.a.idle))
        if name in self.a.floors:
            # no configuration: it pairs each client connection with a server connection, round robin
            cmd = [self.floor_binary(), "-l", str(port), "-s", f"{b1},{b2}"] + self.a.floors[name]
        else:
            binary = self.a.haproxy if name == "haproxy" else self.a.binaries[name]
            cmd = [binary, "-f", path_cfg, "-db"]
        p = self.start(cmd, cpus)
        if not wait_port(port):
            self.err.flush()
            tail = open(os.path.join(self.tmp, "err.log")).read().splitlines()[-5:]
            sys.exit(f"{name} did not start: {' | '.join(tail)}")
        return p, port

    def floor_binary(self):
        """benchmarks/tools/floor_proxy.c, compiled once per run into the scratch directory."""
        out = os.path.join(self.tmp, "floor_proxy")
        if not os.path.exists(out):
            src = os.path.join(ROOT, "benchmarks", "tools", "floor_proxy.c")
            subprocess.run(["cc", "-O2", "-Wall", "-o", out, src, "-luring"], check=True)
        return out

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try: p.wait(timeout=10)
            except subprocess.TimeoutExpired: p.kill(); p.wait()

    def close(self):
        for p in self.procs:
            if p.poll() is None: p.terminate()
        for p in self.procs:
            try: p.wait(timeout=5)
            except subprocess.TimeoutExpired: p.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- wrk scenarios ----

    def wrk_run(self, scen, rnd, runs, proxy_cpus, load_cpus):
        """runs: [(name, proxy process or None, port)], all loaded at the same time (--concurrent)
        or one alone."""
        la0 = loadavg()
        cmds = {name: wrk_command(scen, port, self.a, load_cpus) for name, _, port in runs}
        c0 = {name: cpu_ticks(p.pid) if p else (0, 0) for name, p, _ in runs}
        t0, w0 = cpu_times(), time.time()
        npid0 = self.nginx[0].pid
        ng0 = sum(sum(cpu_ticks(q)) for q in [npid0] + children(npid0))
        gens = {name: subprocess.Popen(cmds[name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for name, _, _ in runs}
        npid = self.nginx[0].pid
        watched = {"load": (lambda: [g.pid for g in gens.values()], load_cpus),
                   "nginx": (lambda: [npid] + children(npid), load_cpus)}
        for name, p, _ in runs:
            if p: watched[name] = (lambda pid=p.pid: [pid], proxy_cpus)
        with Placement(watched) as pl:
            outs = {name: g.communicate()[0] for name, g in gens.items()}
        c1 = {name: cpu_ticks(p.pid) if p else (0, 0) for name, p, _ in runs}
        t1, elapsed = cpu_times(), time.time() - w0
        ng1 = sum(sum(cpu_ticks(q)) for q in [npid0] + children(npid0))
        gen_ticks = sum(pl.ticks.get(g.pid, 0) for g in gens.values())
        # what the measured processes themselves took of their CPUs (the rest is other work)
        share_load = (ng1 - ng0 + gen_ticks) / TICK / max(elapsed, 1e-9)
        (busy0, steal0), (busy1, steal1) = busy_fraction(t0, t1, 0), busy_fraction(t0, t1, 1)
        checks = pl.check()
        placed = all(ok for *_, ok in checks)
        where = " ".join(f"{role}@{fmt_cpus(s)}" + ("" if ok else f"(!wanted {fmt_cpus(wa)})") for role, s, _, wa, ok in checks)
        for name, p, _ in runs:
            out = outs[name]
            try:
                req, total, p50, p99, errs = parse_ringbench(out) if self.a.rate else parse_wrk(out)
            except (AttributeError, ValueError, KeyError):
                sys.exit(f"load generator failed: {' '.join(cmds[name])}\n{out}")
            per = lambda i: (c1[name][i] - c0[name][i]) / TICK * 1e6 / max(total, 1) if p else float("nan")
            us, us_user, us_sys = per(0) + per(1), per(0), per(1)
            share_proxy = (sum(c1[name]) - sum(c0[name])) / TICK / max(elapsed, 1e-9) if p else float("nan")
            r = dict(rps=req, p50=p50, p99=p99, cpu=us, cpu_user=us_user, cpu_sys=us_sys, errors=errs, requests=total,
                     load=la0, busy0=busy0, busy1=busy1, steal0=steal0, steal1=steal1,
                     share_proxy=share_proxy, share_load=share_load, placed=placed,
                     placement={role: dict(seen=sorted(s), allowed=sorted(al), wanted=sorted(wa)) for role, s, al, wa, _ in checks})
            self.results.setdefault((scen, name), []).append(r)
            print(f"  {scen:9} round {rnd+1} {name:9} {req:10.0f} req/s  p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  "
                  f"{us:7.1f} µs/req (user {us_user:.1f})  errors {errs}  CPU0 {busy0*100:.0f}% CPU1 {busy1*100:.0f}% busy "
                  f"(steal {steal0*100:.0f}/{steal1*100:.0f}%; proxy {share_proxy*100:.0f}% of a CPU, wrk+nginx {share_load*100:.0f}%)  load {' '.join(la0)}  {where}", flush=True)
            if rnd == 0 and name != "direct": print(f"    $ {' '.join(cmds[name])}", flush=True)

    def wrk_scenario(self, scen):
        pinned = PINNED[scen]
        proxy_cpus, load_cpus = ({0}, {1}) if pinned else ({0, 1}, {0, 1})
        os.sched_setaffinity(0, load_cpus)
        self.start_origins(load_cpus)
        targets = {}
        for name in self.a.proxies:
            targets[name] = self.start_proxy(name, scen, proxy_cpus)
        if scen in ("1m", "64k"): targets["direct"] = (None, self.nginx[1][0])
        names = list(targets)
        for rnd in range(self.a.rounds):
            k = rnd % len(names)
            order = [(name, *targets[name]) for name in names[k:] + names[:k]]
            if self.a.concurrent: self.wrk_run(scen, rnd, order, proxy_cpus, load_cpus)
            else:
                for run in order: self.wrk_run(scen, rnd, [run], proxy_cpus, load_cpus)
        if self.a.flamegraphs and scen in ("keepalive", "close"):
            import flamegraph
            os.makedirs(self.a.flamegraphs, exist_ok=True)
            for name in self.a.proxies:
                p, port = targets[name]
                svg = os.path.join(self.a.flamegraphs, f"{name}-{scen}.svg")
                cmd = wrk_command(scen, port, self.a, load_cpus)
                w = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
                time.sleep(0.5)
                title = f"{name} {scen}: {' '.join(cmd[3:])} (proxy on CPU {fmt_cpus(proxy_cpus)})"
                flamegraph.profile(p.pid, max(1, self.a.duration - 1), svg, title, workdir=self.tmp)
                w.wait()
                print(f"  flame graph: {svg}", flush=True)
        for name in names:
            if targets[name][0]: self.stop(targets[name][0])

    # ---- idle keep-alive connections ----

    def idle_scenario(self):
        os.sched_setaffinity(0, {1})
        self.start_origins({1})
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < self.a.idle + 200:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, self.a.idle + 1000), hard))
        if self.a.idle > idle_connections_possible():
            sys.exit(f"--idle {self.a.idle}: HAProxy cannot start with that many under the fd hard limit {hard} "
                     f"(at most {idle_connections_possible()})")
        print(f"  idle: {self.a.idle} connections (fd hard limit {hard})", flush=True)
        names = list(self.a.proxies)
        for rnd in range(self.a.rounds):
            k = rnd % len(names)
            for name in names[k:] + names[:k]:
                p, port = self.start_proxy(name, "idle", {0})
                la0 = loadavg()
                npid = self.nginx[0].pid
                pl = Placement({"proxy": (lambda: [p.pid], {0}),
                                "nginx": (lambda: [npid] + children(npid), {1})})
                with pl:
                    r = idle_run(p.pid, port, self.a.idle)
                self.stop(p)
                checks = pl.check()
                r.update(load=la0, placed=all(ok for *_, ok in checks),
                         placement={role: dict(seen=sorted(s), allowed=sorted(al), wanted=sorted(wa)) for role, s, al, wa, _ in checks})
                self.results.setdefault(("idle", name), []).append(r)
                where = " ".join(f"{role}@{fmt_cpus(s)}" + ("" if ok else "(!)") for role, s, _, _, ok in checks)
                print(f"  idle      round {rnd+1} {name:9} {r['per_conn']:8.2f} KB/conn (RSS {r['base']} -> {r['idle']} -> "
                      f"{r['after']} KB)  new-connection request {r['fresh_ms']:.2f} ms (max {r['fresh_max_ms']:.2f})  "
                      f"errors {r['errors']}  load {' '.join(la0)}  {where}", flush=True)


def http_get(sock, path="/small"):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk: raise OSError("closed")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    need = int(m.group(1)) if m else 0
    while len(body) < need:
        chunk = sock.recv(65536)
        if not chunk: raise OSError("closed")
        body += chunk
    if not head.startswith(b"HTTP/1.1 200"): raise OSError(head.split(b"\r\n")[0].decode(errors="replace"))


def settle_rss(pid, timeout=10.0, at_least=2.5):
    """RSS once it has stopped moving (two equal readings 0.5 s apart, after `at_least` seconds:
    a proxy may give memory back on a periodic tick), or after `timeout`."""
    time.sleep(at_least)
    last, end = rss_kb(pid), time.time() + timeout
    while time.time() < end:
        time.sleep(0.5)
        now = rss_kb(pid)
        if now == last: return now
        last = now
    return last


def idle_run(pid, port, n):
    errors = 0
    # warm-up: the process's steady state before the burst (pools, server connections, and every
    # provided receive buffer touched once: ringproxy's ring has 4096 of them per worker)
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        for _ in range(25): http_get(s)
        s.close()
    base = settle_rss(pid)
    socks = []
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            http_get(s)
            socks.append(s)
        except OSError:
            errors += 1
    idle = settle_rss(pid)
    lat = []
    for _ in range(20):
        t0 = time.perf_counter()
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5); http_get(s); s.close()
            lat.append((time.perf_counter() - t0) * 1000)
        except OSError:
            errors += 1
    for s in socks: s.close()
    after = settle_rss(pid)
    kept = len(socks)
    return dict(base=base, idle=idle, after=after, conns=kept, per_conn=(idle - base) / max(kept, 1),
                returned=(idle - after) / max(idle - base, 1), fresh_ms=statistics.median(lat) if lat else float("nan"),
                fresh_max_ms=max(lat) if lat else float("nan"), errors=errors)


def variants(a):
    return [p for p in a.proxies if p != "haproxy"]


def med(rs, key):
    return statistics.median(r[key] for r in rs)


def report(b, scenarios, a):
    print()
    print(f"command: {' '.join(sys.argv)}")
    print(f"load average at the end: {' '.join(loadavg())}")
    print()
    verdicts = []
    if any(s != "idle" for s in scenarios):
        print(f"{'scenario':10} {'proxy':10} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>11} {'errors':>7}  placement")
    for scen in scenarios:
        if scen == "idle": continue
        names = a.proxies + (["direct"] if scen in ("1m", "64k") else [])
        m = {}
        for name in names:
            rs = b.results[(scen, name)]
            m[name] = {k: med(rs, k) for k in ("rps", "p50", "p99", "cpu", "cpu_user", "busy0", "busy1", "share_proxy", "share_load")}
            m[name]["errors"] = sum(r["errors"] for r in rs)
            placed = all(r["placed"] for r in rs)
            cpu = "" if name == "direct" else f"{m[name]['cpu']:11.1f} {m[name]['cpu_user']:10.1f}"
            print(f"{scen:10} {name:10} {m[name]['rps']:10.0f} {m[name]['p50']:8.3f} {m[name]['p99']:8.3f} {cpu:>22} "
                  f"{m[name]['errors']:7d}  {'ok' if placed else 'WRONG CPUs'}  busy CPU0 {m[name]['busy0']*100:.0f}% CPU1 {m[name]['busy1']*100:.0f}%; "
                  f"proxy {m[name]['share_proxy']*100:.0f}%, wrk+nginx {m[name]['share_load']*100:.0f}% of a CPU")
        h = m["haproxy"]
        for v in variants(a):
            x = m[v]
            label = "ratio r/h" if v == "ringproxy" else f"{v[:6]}/h"
            print(f"{scen:10} {label:10} {x['rps']/h['rps']:10.2f} {x['p50']/h['p50']:8.2f} {x['p99']/h['p99']:8.2f} "
                  f"{x['cpu']/h['cpu']:11.2f}")
            if "direct" in m:
                print(f"{scen:10} {(v[:6] + '/direct'):10} {x['rps']/m['direct']['rps']:10.2f}")
        for v in variants(a):
            # every build against HAProxy, round by round (adjacent runs of the same round)
            hs = b.results[(scen, "haproxy")]
            cpu = [x["cpu"] / y["cpu"] for x, y in zip(b.results[(scen, v)], hs)]
            rps = [x["rps"] / y["rps"] for x, y in zip(b.results[(scen, v)], hs)]
            print(f"{scen:10} {v[:10]:10} vs haproxy per round: CPU/req {' '.join(f'{x:.3f}' for x in cpu)} "
                  f"(median {statistics.median(cpu):.3f}); req/s {' '.join(f'{x:.3f}' for x in rps)} (median {statistics.median(rps):.3f})")
        if "direct" in m:
            d = b.results[(scen, "direct")]
            for v in variants(a) + ["haproxy"]:
                rps = [y["rps"] / x["rps"] for x, y in zip(b.results[(scen, v)], d)]
                print(f"{scen:10} direct/{v[:10]:10} req/s per round: {' '.join(f'{x:.3f}' for x in rps)} (median {statistics.median(rps):.3f})")
        floors = [f for f in a.proxies if f in a.floors]
        for v in floors[1:]:
            # a floor_proxy switch against the first floor, round by round
            pairs = [x["cpu"] / y["cpu"] for x, y in zip(b.results[(scen, v)], b.results[(scen, floors[0])])]
            print(f"{scen:10} {v[:10]:10} CPU/req vs {floors[0]}, per round: {' '.join(f'{x:.3f}' for x in pairs)} "
                  f"(median {statistics.median(pairs):.3f}, {len(pairs)} rounds)")
        for v in variants(a)[1:]:
            # before/after: the variant against the first build, round by round (adjacent runs)
            pairs = [x["cpu"] / y["cpu"] for x, y in zip(b.results[(scen, v)], b.results[(scen, "ringproxy")])]
            print(f"{scen:10} {v[:10]:10} CPU/req vs ringproxy, per round: median {statistics.median(pairs):.3f} "
                  f"(min {min(pairs):.3f}, max {max(pairs):.3f}, {len(pairs)} rounds)")
        r = m["ringproxy"]
        metric, op, bar = TARGETS[scen]
        val = {"cpu": r["cpu"] / h["cpu"], "rps": r["rps"] / h["rps"],
               "direct": r["rps"] / m["direct"]["rps"] if "direct" in m else float("nan")}[metric]
        ok = val <= bar if op == "<=" else val >= bar
        verdicts.append((scen, f"{ {'cpu': 'CPU/req r/h', 'rps': 'req/s r/h', 'direct': 'req/s r/direct'}[metric]} {val:.2f} (bar {op} {bar})", ok))
        verdicts.append((scen, f"p99 r/h {r['p99']/h['p99']:.2f} (bar <= 1.00)", r["p99"] <= h["p99"]))
    if "idle" in scenarios:
        print()
        print(f"{'idle':10} {'proxy':10} {'KB/conn':>8} {'RSS base':>9} {'idle':>9} {'closed':>9} {'returned':>9} "
              f"{'new conn ms':>11} {'errors':>7}")
        m = {}
        for name in a.proxies:
            rs = b.results[("idle", name)]
            m[name] = {k: med(rs, k) for k in ("per_conn", "base", "idle", "after", "returned", "fresh_ms")}
            m[name]["errors"] = sum(r["errors"] for r in rs)
            x = m[name]
            print(f"{'idle':10} {name:10} {x['per_conn']:8.2f} {x['base']:9.0f} {x['idle']:9.0f} {x['after']:9.0f} "
                  f"{x['returned']*100:8.0f}% {x['fresh_ms']:11.2f} {x['errors']:7d}")
        r, h = m["ringproxy"], m["haproxy"]
        verdicts.append(("idle", f"KB/conn {r['per_conn']:.2f} vs {h['per_conn']:.2f} (bar <= HAProxy's)", r["per_conn"] <= h["per_conn"]))
        verdicts.append(("idle", f"memory returned after close {r['returned']*100:.0f}% (bar >= 90%)", r["returned"] >= 0.9))
        verdicts.append(("idle", f"new-connection request {r['fresh_ms']:.2f} ms vs {h['fresh_ms']:.2f} ms", r["fresh_ms"] <= max(2 * h["fresh_ms"], 5)))
    print()
    print("issue 10 bars:")
    for scen, text, ok in verdicts:
        print(f"  {'PASS' if ok else 'MISS'}  {scen:9} {text}")
    if a.json:
        out = {"command": sys.argv, "load_end": loadavg(), "rounds": a.rounds, "duration": a.duration,
               "results": {f"{s}/{n}": rs for (s, n), rs in b.results.items()},
               "bars": [dict(scenario=s, text=t, ok=ok) for s, t, ok in verdicts]}
        json.dump(out, open(a.json, "w"), indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--idle", type=int, default=idle_connections_possible(),
                    help="idle connections in the idle scenario (default 10000, or fewer if HAProxy's "
                         "2 fds per connection do not fit under the fd hard limit)")
    ap.add_argument("--scenarios", default="keepalive,close,reference,64k,1m,idle")
    ap.add_argument("--json", help="write every run's numbers here")
    ap.add_argument("--rate", type=int, default=0,
                    help="open loop at this many requests/s with ringbench instead of wrk (A/B of builds)")
    ap.add_argument("--concurrent", action="store_true",
                    help="with --rate: load every proxy at the same time (same CPU 0, same interference), "
                         "so that builds compare within one window on a busy machine")
    ap.add_argument("--ringbench", default=os.environ.get("RINGBENCH_BIN", os.path.join(ROOT, ".build/release/ringbench")))
    ap.add_argument("--flamegraphs", help="directory for CPU flame graphs of keepalive and close")
    ap.add_argument("--ringproxy", default=os.environ.get("RINGPROXY_BIN", os.path.join(ROOT, ".build/release/ringproxy")))
    ap.add_argument("--haproxy", default=shutil.which("haproxy") or "/usr/sbin/haproxy")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=PATH",
                    help="another ringproxy build measured in the same rounds (before/after comparisons)")
    ap.add_argument("--floor", action="append", default=[], metavar="NAME[=FLAGS]",
                    help="also measure benchmarks/tools/floor_proxy.c (a forwarder that parses nothing: the floor "
                         "of any proxy's CPU) under NAME, with floor_proxy's FLAGS (e.g. floorfix='-F')")
    a = ap.parse_args()
    a.binaries = {"ringproxy": a.ringproxy}
    for v in a.variant:
        name, _, path = v.partition("=")
        if not path or name in ("haproxy", "direct", "ringproxy"): sys.exit(f"--variant {v}: want NAME=PATH")
        a.binaries[name] = path
    a.floors = {}
    for f in a.floor:
        name, _, flags = f.partition("=")
        if name in a.binaries or name in ("haproxy", "direct"): sys.exit(f"--floor {f}: name taken")
        a.floors[name] = flags.split()
    a.proxies = list(a.binaries) + list(a.floors) + ["haproxy"]
    scenarios = ["1m" if s == "big" else s for s in a.scenarios.split(",")]
    for s in scenarios:
        if s not in PINNED: sys.exit(f"unknown scenario {s}")
    for tool in ("wrk", "nginx", "taskset") + (("perf",) if a.flamegraphs else ()):
        if not shutil.which(tool):
            sys.exit(f"benchmarks: '{tool}' is missing (apt-get install wrk nginx-light haproxy linux-perf)")
    if not os.path.exists(a.ringproxy):
        sys.exit(f"benchmarks: {a.ringproxy} not built (swift build -c release)")
    if os.cpu_count() < 2: sys.exit("benchmarks: needs 2 CPUs (proxy on CPU 0, load on CPU 1)")
    print(f"command: {' '.join(sys.argv)}")
    print(f"ringproxy: {a.ringproxy}; haproxy: {subprocess.run([a.haproxy, '-v'], capture_output=True, text=True).stdout.splitlines()[0]}")
    print(f"load average at the start: {' '.join(loadavg())}", flush=True)
    b = Bench(a)
    try:
        for scen in scenarios:
            if scen == "idle": b.idle_scenario()
            else: b.wrk_scenario(scen)
        report(b, scenarios, a)
    finally:
        b.close()


if __name__ == "__main__":
    main()
