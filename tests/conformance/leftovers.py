"""Ending by pid what a test left behind. The suites run below a reaper (the runner, PID 1
of their namespace, or tests/conformance/reaper.py around pytest, a child subreaper), so
whatever a test leaves behind, orphans included, stays below it and is found by parentage
in /proc."""
import os
import signal


def children(pid):
    found = []
    try:
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                found += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return found


def descendants(pid):
    found, queue = [], children(pid)
    while queue:
        p = queue.pop()
        found.append(p)
        queue += children(p)
    return found


def ancestors(pid):
    chain = set()
    while pid > 1:
        chain.add(pid)
        try:
            with open("/proc/%d/stat" % pid) as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return chain


def end_below(root, spare=()):
    """SIGKILLs every descendant of `root` but those in `spare`; returns their pids."""
    pids = [p for p in descendants(root) if p not in spare]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return pids


def pytest_runtest_teardown(item, nextitem):
    """pytest plugin: after each test, end what it left below the reaper (pytest and the
    processes it runs in are spared)."""
    reaper = int(os.environ.get("INITBOX_CONFORMANCE_REAPER", "0"))
    if reaper >= 1:
        end_below(reaper, ancestors(os.getpid()))
