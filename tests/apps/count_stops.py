"""A worker that counts the stop signals it gets: after the first, it takes WORK seconds
to finish its work (while still counting), then prints one line and exits 0:
'<label>: TERM=<n> INT=<n> QUIT=<n> HUP=<n>'.

Usage: count_stops.py LABEL WORK [--setsid] [--ready FILE]
Prints '<label> ready <pid>' once its handlers are installed (and creates FILE then).
"""
import os
import signal
import sys
import time

label, work = sys.argv[1], float(sys.argv[2])
if "--setsid" in sys.argv[3:]:
    os.setsid()
counts = {"TERM": 0, "INT": 0, "QUIT": 0, "HUP": 0}
first = []


def handler(number, _frame):
    counts[signal.Signals(number).name[3:]] += 1
    if not first:
        first.append(time.monotonic())


for name in counts:
    signal.signal(getattr(signal, "SIG" + name), handler)
os.write(1, f"{label} ready {os.getpid()}\n".encode())
if "--ready" in sys.argv[3:]:
    open(sys.argv[sys.argv.index("--ready") + 1], "w").close()
while not first or time.monotonic() - first[0] < work:
    time.sleep(0.05)
line = " ".join(f"{k}={v}" for k, v in counts.items())
os.write(1, f"{label}: {line}\n".encode())
os._exit(0)
