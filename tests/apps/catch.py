"""Test program: reports every signal it receives as '<label> got <number>'.

Usage: catch.py [LABEL [EXIT_ON_SIGNAL_NUMBER...]]
Prints '<label> ready <pid>' once its handlers are installed.
"""
import os
import signal
import sys

label = sys.argv[1] if len(sys.argv) > 1 else "child"
exit_on = {int(n) for n in sys.argv[2:]}


def handler(number, _frame):
    os.write(1, f"{label} got {number}\n".encode())
    if number in exit_on:
        os._exit(0)  # at once: a signal arriving during interpreter shutdown would kill it


for sig in signal.valid_signals():
    if sig in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
        continue
    try:
        signal.signal(sig, handler)
    except (OSError, ValueError, RuntimeError):
        pass

os.write(1, f"{label} ready {os.getpid()}\n".encode())
while True:
    signal.pause()
