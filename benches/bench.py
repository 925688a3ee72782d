#!/usr/bin/env python3
"""initbox init side by side with tini, tini-static, dumb-init and catatonit (Debian's).

Every init runs as PID 1 of a fresh PID namespace (unshare --pid --fork --mount-proc), in
the same run, interleaved where it matters; results are medians, with ratios to initbox
(these machines are noisy: absolute numbers move between runs, ratios hold better).

Run:  sudo python3 benches/bench.py [--quick] > table.md
      sudo python3 benches/bench.py --killtree-large   (killtree of 10,101 and 12,211
      processes against the floor: SIGKILL to the tree's process group)
Needs: root, gcc, util-linux, procps, strace, and the peers: apt-get install tini dumb-init catatonit
"""
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INITBOX = os.path.join(ROOT, "target/x86_64-unknown-linux-musl/release/initbox")
NS = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
PEERS = [
    ("initbox init", [INITBOX, "init", "--"]),
    ("tini", ["/usr/bin/tini", "--"]),
    ("tini-static", ["/usr/bin/tini-static", "--"]),
    ("dumb-init", ["/usr/bin/dumb-init"]),
    ("catatonit", ["/usr/bin/catatonit", "--"]),
]
QUICK = "--quick" in sys.argv


def build():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    helper = os.path.join(tempfile.mkdtemp(prefix="initbox-bench-"), "helper")
    subprocess.run(["gcc", "-O2", "-Wno-infinite-recursion", "-o", helper, os.path.join(ROOT, "benches/helper.c")], check=True)
    return helper


def pid1_of(unshare_pid, timeout=5.0):
    """The namespace's PID 1 (unshare's child), once it has exec'd the init."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        try:
            with open(f"/proc/{unshare_pid}/task/{unshare_pid}/children") as f:
                kids = f.read().split()
            if kids and os.readlink(f"/proc/{kids[0]}/exe") != os.readlink(f"/proc/{unshare_pid}/exe"):
                return int(kids[0])
        except OSError:
            pass
        time.sleep(0.001)
    raise RuntimeError("init did not start")


def start(cmd, **kw):
    return subprocess.Popen(NS + cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, **kw)


def stop(proc):
    proc.kill()
    proc.wait()


def median(xs):
    return statistics.median(xs)


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))]


def size_row():
    row = {}
    for name, cmd in PEERS:
        path = cmd[0]
        kind = subprocess.run(["file", "-b", path], capture_output=True, text=True).stdout
        static = "static" in kind
        row[name] = (os.path.getsize(path), f"{os.path.getsize(path) / 1024:.0f} KB{' static' if static else ' dynamic'}")
    return row


def startup_row():
    runs = 30 if QUICK else 150
    times = {name: [] for name, _ in PEERS}
    base = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(NS + ["/bin/true"], check=True)
        base.append(time.perf_counter() - t)
        for name, cmd in PEERS:
            t = time.perf_counter()
            subprocess.run(NS + cmd + ["/bin/true"], check=True)
            times[name].append(time.perf_counter() - t)
    b = median(base)
    return {name: ((median(ts) - b) * 1e3, f"{(median(ts) - b) * 1e3:.2f} ms") for name, ts in times.items()}, b * 1e3


def peak_rss_row():
    row = {}
    for name, cmd in PEERS:
        proc = start(cmd + ["sleep", "2"])
        pid = pid1_of(proc.pid)
        time.sleep(0.5)
        with open(f"/proc/{pid}/status") as f:
            hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM"))
        stop(proc)
        row[name] = (hwm, f"{hwm} KB")
    return row


def latency_row(helper):
    samples = 200 if QUICK else 2000
    # All inits run at once and take turns, so drift in the machine's load hits each alike.
    running = []
    for name, cmd in PEERS:
        proc = start(cmd + [helper, "sigwait"])
        assert proc.stdout.readline() == b"ready\n"
        running.append((name, proc, pid1_of(proc.pid)))
    lat = {name: [] for name, _ in PEERS}
    for _ in range(samples):
        for name, proc, pid in running:
            t0 = time.monotonic_ns()
            os.kill(pid, signal.SIGUSR1)
            lat[name].append((int(proc.stdout.readline()) - t0) / 1e3)
    for _, proc, _ in running:
        stop(proc)
    return {name: (median(ls), f"{median(ls):.0f} µs (p99 {p99(ls):.0f})") for name, ls in lat.items()}


def reaping_row(helper):
    n = 2000 if QUICK else 10000
    rounds = 1 if QUICK else 5
    wall = {name: [] for name, _ in PEERS}
    cpu = {name: [] for name, _ in PEERS}
    for _ in range(rounds):
        for name, cmd in PEERS:
            out = subprocess.run(NS + cmd + [helper, "orphans", str(n)], capture_output=True, check=True).stdout.split()
            wall[name].append(int(out[0]) / 1e6)
            cpu[name].append(int(out[1]) / 1e6)
    wall_row = {name: (median(ts), f"{median(ts):.0f} ms ({min(ts):.0f}-{max(ts):.0f})") for name, ts in wall.items()}
    cpu_row = {name: (median(ts), f"{median(ts):.1f} ms") for name, ts in cpu.items()}
    return wall_row, cpu_row, n


def shutdown_row(helper):
    runs = 20 if QUICK else 100
    res = {name: [] for name, _ in PEERS}
    for _ in range(runs):
        for name, cmd in PEERS:
            proc = start(cmd + [helper, "exitstamp"])
            stamp = int(proc.stdout.readline())
            proc.wait()
            res[name].append((time.monotonic_ns() - stamp) / 1e3)
    return {name: (median(ts), f"{median(ts):.0f} µs") for name, ts in res.items()}


def idle_row():
    seconds = 3 if QUICK else 10
    row = {}
    procs = []
    for name, cmd in PEERS:
        proc = start(cmd + ["sleep", "600"])
        procs.append((name, proc, pid1_of(proc.pid)))
    time.sleep(0.5)

    def switches(pid):
        with open(f"/proc/{pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("voluntary_ctxt_switches"))

    # First a window untouched (a tracer's attach itself wakes the process), then one
    # under strace for the system call count.
    before = {name: switches(pid) for name, _, pid in procs}
    time.sleep(seconds)
    after = {name: switches(pid) for name, _, pid in procs}
    tracers = []
    for name, _, pid in procs:
        out = tempfile.NamedTemporaryFile(delete=False, suffix=".strace")
        tracers.append((name, out.name, subprocess.Popen(["strace", "-c", "-f", "-o", out.name, "-p", str(pid)], stderr=subprocess.DEVNULL)))
    time.sleep(seconds)
    for _, _, t in tracers:
        t.send_signal(signal.SIGINT)
        t.wait()
    for name, path, _ in tracers:
        with open(path) as f:
            total = [l for l in f if l.strip().endswith("total")]
        # "% time  seconds  usecs/call  calls  [errors]  total"
        calls = int(total[0].split()[3]) if total else 0
        os.unlink(path)
        row[name] = (calls, f"{after[name] - before[name]} wake-ups, {calls} system calls")
    for _, proc, _ in procs:
        stop(proc)
    return row, seconds


KILLTREE_PROBE = r"""
import os, select, subprocess, sys, time, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
helper, method, n, killtree = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
tree = subprocess.Popen([helper, "tree", str(n)], stdout=subprocess.PIPE)
root = int(tree.stdout.readline())
def members():
    table = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                stat = open(f"/proc/{p}/stat").read()
                table[int(p)] = int(stat.rsplit(")", 1)[1].split()[1])
            except OSError:
                pass
    found, todo = [root], [root]
    while todo:
        parent = todo.pop()
        kids = [p for p, pp in table.items() if pp == parent]
        found += kids
        todo += kids
    return found
while len(members()) < n:
    time.sleep(0.01)
pids = members()
fds = [os.pidfd_open(p) for p in pids]
cmds = {
    "killtree": [killtree, str(root)],
    "pkill -P, recursive": ["sh", "-c", 'k() { for c in $(pgrep -P $1); do k $c; done; kill $1; }; k ' + str(root)],
    "kill -- -PGID": ["kill", "-TERM", "--", "-" + str(root)],
}
t0 = time.perf_counter()
subprocess.run(cmds[method])
poller = select.poll()
for fd in fds:
    poller.register(fd, select.POLLIN)
left = len(fds)
deadline = time.perf_counter() + 10
while left and time.perf_counter() < deadline:
    for fd, _ in poller.poll(100):
        poller.unregister(fd)
        left -= 1
print(f"{(time.perf_counter() - t0) * 1e3:.1f} {left} {len(pids)}")
"""


def killtree_rows(helper):
    n = 1000
    rounds = 1 if QUICK else 5
    killtree = os.path.join(tempfile.mkdtemp(prefix="initbox-bench-"), "killtree")
    os.symlink(INITBOX, killtree)
    rows = {}
    for method in ["killtree", "pkill -P, recursive", "kill -- -PGID"]:
        times, escaped = [], []
        for _ in range(rounds):
            out = subprocess.run(
                NS + [INITBOX, "init", "-q", "--", "python3", "-c", KILLTREE_PROBE, helper, method, str(n), killtree],
                capture_output=True, text=True, check=True).stdout.split()
            times.append(float(out[0]))
            escaped.append(int(out[1]))
        rows[method] = (median(times), max(escaped), int(out[2]))
    os.unlink(killtree)
    return rows


LARGE_PROBE = r"""
import os, select, signal, subprocess, sys, time, resource
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
helper, method, fan, killtree = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
tree = subprocess.Popen([helper, "fan", str(fan), str(fan)], stdout=subprocess.PIPE)
root = int(tree.stdout.readline())
want = 1 + fan + fan * fan
def members():
    found = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[2]) == root:
                        found.append(int(p))
            except OSError:
                pass
    return found
while len(pids := members()) < want:
    time.sleep(0.05)
fds = [os.pidfd_open(p) for p in pids]
time.sleep(0.5)
t0 = time.perf_counter()
if method == "killtree":
    subprocess.run([killtree, str(root)])
else:
    os.killpg(root, signal.SIGKILL)
poller = select.poll()
for fd in fds:
    poller.register(fd, select.POLLIN)
left = len(fds)
deadline = time.perf_counter() + 60
while left and time.perf_counter() < deadline:
    for fd, _ in poller.poll(100):
        poller.unregister(fd)
        left -= 1
print(f"{time.perf_counter() - t0:.3f} {left} {len(pids)}")
"""


def large_killtree_rows(helper, rounds=3):
    """killtree of a fan x fan tree against the floor, alternating, each in a fresh
    namespace. KILLTREE_BASELINE=PATH adds a column for another build (say, main's)."""
    links = {}
    for name, binary in [("killtree", INITBOX), ("baseline", os.environ.get("KILLTREE_BASELINE"))]:
        if binary:
            links[name] = os.path.join(tempfile.mkdtemp(prefix="initbox-bench-"), "killtree")
            os.symlink(binary, links[name])
    base = " | baseline killtree (s)" if "baseline" in links else ""
    print(f"| processes | killtree (s) | floor: SIGKILL to the group (s) | ratio{base} |")
    print("|---" * (5 if base else 4) + "|")
    for fan in [100, 110]:
        times = {name: [] for name in links}
        times["floor"] = []
        for _ in range(rounds):
            for method in times:
                run = subprocess.run(
                    NS + [INITBOX, "init", "-q", "--", "python3", "-c", LARGE_PROBE, helper,
                          "floor" if method == "floor" else "killtree", str(fan), links.get(method, "")],
                    capture_output=True, text=True)
                if run.returncode != 0:
                    sys.exit(f"{method}: {run.stderr}")
                out = run.stdout.split()
                if out[1] != "0":
                    sys.exit(f"{method}: {out[1]} of {out[2]} processes left")
                times[method].append(float(out[0]))
        kt, floor = median(times["killtree"]), median(times["floor"])
        extra = f" | {median(times['baseline']):.2f}" if base else ""
        print(f"| {int(out[2]):,} | {kt:.2f} | {floor:.2f} | {kt / floor:.2f}x{extra} |", flush=True)
        print(f"<!-- {fan}x{fan}: " + ", ".join(f"{k} {v}" for k, v in times.items()) + " -->", flush=True)
    for link in links.values():
        os.unlink(link)


def table(title, row, lower_is_better=True, show_ratio=True):
    base = row["initbox init"][0]
    cells = []
    for name, _ in PEERS:
        value, text = row[name]
        if show_ratio and base and name != "initbox init":
            text += f" ({value / base:.1f}x)" if base else ""
        cells.append(text)
    return f"| {title} | " + " | ".join(cells) + " |"


def main():
    if os.geteuid() != 0:
        sys.exit("needs root (unshare --pid)")
    helper = build()
    if "--killtree-large" in sys.argv:
        large_killtree_rows(helper)
        return
    print(f"<!-- {time.strftime('%Y-%m-%d %H:%M')} on {os.uname().release}, {os.cpu_count()} cores"
          f"{', quick' if QUICK else ''} -->")
    print("| measure | " + " | ".join(name for name, _ in PEERS) + " |")
    print("|---" * (len(PEERS) + 1) + "|")
    print(table("binary size", size_row()))
    row, base = startup_row()
    print(table(f"startup overhead (over {base:.1f} ms for unshare + /bin/true)", row))
    print(table("peak RSS of PID 1", peak_rss_row()))
    print(table("signal forwarding latency, median", latency_row(helper)))
    wall, cpu, n = reaping_row(helper)
    print(table(f"{n} orphans exiting at once: until all reaped (min-max)", wall))
    print(table(f"{n} orphans exiting at once: CPU time of PID 1", cpu))
    print(table("shutdown lag after the last exit", shutdown_row(helper)))
    row, seconds = idle_row()
    print(table(f"idle cost over {seconds} s", row, show_ratio=False))
    print()
    print("| ending a 1,000-process tree | time until all gone (median) | processes left 10 s after the command |")
    print("|---|---|---|")
    for method, (ms, left, total) in killtree_rows(helper).items():
        print(f"| {method} | {ms:.1f} ms | {left} of {total} |")


if __name__ == "__main__":
    main()
