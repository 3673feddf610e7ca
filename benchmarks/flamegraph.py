#!/usr/bin/env python3
"""CPU flame graphs without outside scripts: `perf record -e cpu-clock -g` of a running process,
its stacks folded (root first, one line per distinct stack), and drawn as an SVG whose boxes
are as wide as the share of samples that had the frame on the stack. Hover a box for its name,
samples and share. Swift symbols are demangled with swift-demangle when it is on PATH.

  benchmarks/flamegraph.py record PID SECONDS OUT.svg [--title T] [--call-graph dwarf|fp]
  benchmarks/flamegraph.py render PERF.DATA OUT.svg [--title T]
  benchmarks/flamegraph.py fold PERF.DATA              (folded stacks on stdout)
  benchmarks/flamegraph.py breakdown PERF.DATA         (share of samples per kind of work)

Colours: kernel frames orange, Swift frames green, C and libraries red, unknown grey.
"""
import argparse, html, os, re, shutil, subprocess, sys, tempfile
from collections import defaultdict

FRAME_H = 16
WIDTH = 1200
PAD = 10
FONT = 11
CHAR_W = 6.4          # average width of one character at FONT px


def record(pid, seconds, data, call_graph="dwarf"):
    cg = ["--call-graph", "dwarf,16384"] if call_graph == "dwarf" else ["-g"]
    subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", *cg, "-p", str(pid), "-o", data,
                    "--", "sleep", str(seconds)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def demangler():
    tool = shutil.which("swift-demangle")
    if not tool:
        swift = shutil.which("swift")
        cand = os.path.join(os.path.dirname(os.path.realpath(swift)), "swift-demangle") if swift else None
        tool = cand if cand and os.path.exists(cand) else None
    return tool


def demangle_all(names):
    """Swift mangled names -> readable names (one swift-demangle call for all of them)."""
    tool = demangler()
    swift = sorted(n for n in names if n.startswith(("$s", "_$s", "$S", "_T")))
    if not tool or not swift: return {}
    out = subprocess.run([tool, "--simplified", "--compact"], input="\n".join(swift) + "\n",
                         capture_output=True, text=True).stdout.splitlines()
    return {m: d for m, d in zip(swift, out) if d}


FRAME_RE = re.compile(r"^\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")


def fold(data):
    """perf.data -> {"comm;root;...;leaf": samples}."""
    out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,tid,ip,sym,dso"], capture_output=True,
                         text=True, errors="replace").stdout
    samples, stack, comm = [], [], None
    for line in out.splitlines() + [""]:
        if not line.strip():
            if comm is not None: samples.append((comm, stack))
            comm, stack = None, []
            continue
        if comm is None and not line[0].isspace():
            comm = line.split()[0]
            continue
        m = FRAME_RE.match(line)
        if not m: continue
        sym, dso = m.group(2), m.group(3)
        sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
        if sym == "[unknown]": sym = f"[{os.path.basename(dso)}]"
        kernel = dso.startswith("[kernel")
        stack.append((sym, kernel))
    names = {s for _, st in samples for s, _ in st}
    dm = demangle_all(names)
    folded = defaultdict(int)
    for comm, st in samples:
        frames = [comm] + [(dm.get(s, s) + ("_[k]" if k else "")).replace(";", ":") for s, k in reversed(st)]
        folded[";".join(frames)] += 1
    return folded


# Kinds of work, by the first frame of a stack that matches (checked in this order).
KINDS = [
    ("TCP send (incl. the loopback delivery to the peer)", ("tcp_sendmsg", "tcp_sendpage", "splice_to_socket", "tcp_splice")),
    ("TCP receive", ("tcp_recvmsg", "tcp_read_sock", "tcp_splice_read")),
    ("connection setup/teardown (connect, accept, close, shutdown)", ("__sys_connect", "io_connect", "inet_stream_connect",
        "do_accept", "io_accept", "__sys_accept", "__x64_sys_close", "io_close", "__x64_sys_shutdown", "io_shutdown",
        "__fput", "sock_close", "tcp_close", "__sys_socket", "io_socket", "__x64_sys_socket")),
    ("epoll", ("ep_poll", "do_epoll", "__x64_sys_epoll")),
    ("io_uring poll/task-work machinery", ("io_poll", "__io_arm_poll", "io_arm_poll", "io_run_local_work", "__io_run_local",
        "io_req_task", "io_apoll")),
    ("io_uring submit/complete (other)", ("io_submit_sqes", "io_cqring_wait", "__io_submit_flush", "io_uring_enter",
        "__do_sys_io_uring_enter")),
    ("other syscalls and kernel", ()),
]


def breakdown(folded):
    """[(kind, share)], plus the user-space share (stacks with no kernel frame)."""
    total = sum(folded.values()) or 1
    counts = {k: 0 for k, _ in KINDS}
    user = 0
    for stack, n in folded.items():
        frames = stack.split(";")
        kernel = [f[:-4] for f in frames if f.endswith("_[k]")]
        if not kernel:
            user += n
            continue
        for kind, prefixes in KINDS:
            if not prefixes or any(f.startswith(p) for f in kernel for p in prefixes):
                counts[kind] += n
                break
    return [("user space (the proxy's own code and libraries)", user / total)] + [(k, counts[k] / total) for k, _ in KINDS]


class Node:
    __slots__ = ("name", "count", "kids")

    def __init__(self, name):
        self.name, self.count, self.kids = name, 0, {}


def tree(folded):
    root = Node("all")
    for stack, n in folded.items():
        root.count += n
        node = root
        for f in stack.split(";"):
            node = node.kids.setdefault(f, Node(f))
            node.count += n
    return root


def colour(name):
    h = sum(ord(c) * (i + 1) for i, c in enumerate(name[:24])) % 1000 / 1000
    if name.endswith("_[k]"):
        return f"rgb({235 + int(20 * h)},{150 + int(50 * h)},{40 + int(30 * h)})"          # kernel: orange
    if name.startswith("[") and name.endswith("]"):
        return "rgb(180,180,180)"
    if "." in name and ("(" in name or name[0].isupper()):
        return f"rgb({60 + int(50 * h)},{170 + int(50 * h)},{70 + int(40 * h)})"           # Swift: green
    return f"rgb({200 + int(50 * h)},{50 + int(60 * h)},{60 + int(40 * h)})"               # C: red


def depth(node):
    return 1 + max((depth(k) for k in node.kids.values()), default=0)


def render(folded, svg, title):
    root = tree(folded)
    total = max(root.count, 1)
    levels = depth(root)
    height = levels * FRAME_H + 3 * PAD + 40
    scale = (WIDTH - 2 * PAD) / total
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'font-family="Verdana, sans-serif" font-size="{FONT}">',
             f'<rect width="100%" height="100%" fill="#f8f8f0"/>',
             f'<text x="{WIDTH / 2}" y="{PAD + 14}" text-anchor="middle" font-size="15">{html.escape(title)}</text>',
             f'<text x="{WIDTH / 2}" y="{PAD + 32}" text-anchor="middle" fill="#555">{total} samples of cpu-clock; '
             f'width = share of samples with the frame on the stack; hover for details. Orange: kernel, green: Swift, '
             f'red: C and libraries, grey: unknown</text>']

    def draw(node, x, level):
        w = node.count * scale
        if w < 0.3: return
        y = height - PAD - (level + 1) * FRAME_H
        label = node.name[:-4] + " [kernel]" if node.name.endswith("_[k]") else node.name
        tip = f"{label} ({node.count} samples, {100 * node.count / total:.2f}%)"
        parts.append(f'<g><title>{html.escape(tip)}</title><rect x="{x:.1f}" y="{y}" width="{max(w - 0.5, 0.1):.1f}" '
                     f'height="{FRAME_H - 1}" fill="{colour(node.name)}" rx="2"/>')
        fit = int((w - 4) / CHAR_W)
        if fit >= 3:
            text = label if len(label) <= fit else label[:fit - 2] + ".."
            parts.append(f'<text x="{x + 2:.1f}" y="{y + FRAME_H - 4}">{html.escape(text)}</text>')
        parts.append("</g>")
        cx = x
        for k in sorted(node.kids.values(), key=lambda k: k.name):
            draw(k, cx, level + 1)
            cx += k.count * scale

    draw(root, PAD, 0)
    parts.append("</svg>")
    open(svg, "w").write("\n".join(parts) + "\n")


def profile(pid, seconds, svg, title, workdir=None, call_graph="dwarf"):
    """Records, renders the SVG, and writes the breakdown beside it (same name, .txt)."""
    d = tempfile.mkdtemp(dir=workdir)
    data = os.path.join(d, "perf.data")
    record(pid, seconds, data, call_graph)
    folded = fold(data)
    render(folded, svg, title)
    with open(os.path.splitext(svg)[0] + ".txt", "w") as f:
        f.write(f"{title}\n{sum(folded.values())} samples\n")
        for kind, share in breakdown(folded): f.write(f"{100 * share:5.1f}%  {kind}\n")
    shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record"); r.add_argument("pid", type=int); r.add_argument("seconds", type=float)
    r.add_argument("svg"); r.add_argument("--title", default=""); r.add_argument("--call-graph", default="dwarf")
    n = sub.add_parser("render"); n.add_argument("data"); n.add_argument("svg"); n.add_argument("--title", default="")
    f = sub.add_parser("fold"); f.add_argument("data")
    k = sub.add_parser("breakdown"); k.add_argument("data")
    a = ap.parse_args()
    if a.cmd == "record":
        profile(a.pid, a.seconds, a.svg, a.title or f"pid {a.pid}", call_graph=a.call_graph)
    elif a.cmd == "render":
        render(fold(a.data), a.svg, a.title or a.data)
    elif a.cmd == "breakdown":
        for kind, share in breakdown(fold(a.data)): print(f"{100 * share:5.1f}%  {kind}")
    else:
        for stack, k in sorted(fold(a.data).items()): print(stack, k)


if __name__ == "__main__":
    main()
