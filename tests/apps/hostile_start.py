"""Starts its arguments as a careless parent would: HUP, INT, QUIT, PIPE and TERM ignored
(a shell's `&` and `nohup` do some of that), USR1 and USR2 blocked, and with --chld also
SIGCHLD ignored (the kernel then reaps children itself and sends no SIGCHLD).

Usage: hostile_start.py [--chld] PROGRAM [ARG...]
"""
import os
import signal
import sys

args = sys.argv[1:]
ignored = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGTERM]
if args and args[0] == "--chld":
    args = args[1:]
    ignored = [signal.SIGCHLD]
for sig in ignored:
    signal.signal(sig, signal.SIG_IGN)
if ignored != [signal.SIGCHLD]:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGUSR2})
os.execvp(args[0], args)
