#!/usr/bin/env python3
"""reaper.py COMMAND...: runs COMMAND below a child subreaper that reaps every orphan at
once (as a real init would, so a test sees an orphan that exited as gone), then ends by
pid whatever is left when COMMAND exits; exits with COMMAND's status."""
import ctypes
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leftovers  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36


def main():
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("reaper.py: cannot become a child subreaper")
    os.environ["INITBOX_CONFORMANCE_REAPER"] = str(os.getpid())
    command = os.fork()
    if command == 0:
        os.execvp(sys.argv[1], sys.argv[1:])
    status = None
    while True:
        try:
            pid, raw = os.wait()
        except ChildProcessError:
            break
        if pid == command:
            status = raw
            leftovers.end_below(os.getpid())
    sys.exit(os.waitstatus_to_exitcode(status) if status is not None else 1)


if __name__ == "__main__":
    main()
