#!/usr/bin/env python3
"""Runs one benchmark command and reports the CPU of its whole process tree.

    bench-run.py LOG -- CMD ARGS...

The runner makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so every
descendant of CMD, even one that outlives its parent or was never waited for, is
re-parented here and reaped; getrusage(RUSAGE_CHILDREN) then covers the whole tree
(the runner's own CPU is not in it). CMD's stdout and stderr go to LOG. Prints one
JSON line on stdout: rc, user_s, sys_s, wall_s, stragglers (descendants still alive
when CMD exited; they are given 10 s, then killed).
"""
import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def main() -> int:
    log, sep, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    assert sep == '--' and cmd
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print('bench-run: prctl(PR_SET_CHILD_SUBREAPER) failed', file=sys.stderr)
    # Let the caller stop the run (and its tree) with SIGTERM/SIGINT.
    child = None

    def stop(signum, _frame):
        if child is not None:
            try:
                os.kill(child.pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Anything this process reaped before (e.g. a launcher script it was exec'd from) is not the run's.
    base = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with open(log, 'wb') as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        rc = None
        # Reap everything: CMD itself and any orphaned descendants.
        deadline = None
        stragglers = 0
        while True:
            try:
                if deadline is None:
                    pid, status = os.waitpid(-1, 0)
                else:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                    if pid == 0:
                        if time.monotonic() > deadline:
                            for p in list_children():
                                try:
                                    os.kill(p, signal.SIGKILL)
                                except ProcessLookupError:
                                    pass
                            deadline = time.monotonic() + 5
                        time.sleep(0.05)
                        continue
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            if pid == child.pid:
                rc = os.waitstatus_to_exitcode(status)
                wall = time.monotonic() - started
                child.returncode = rc
                left = list_children()
                stragglers = len(left)
                deadline = time.monotonic() + 10
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({'rc': rc, 'user_s': ru.ru_utime - base.ru_utime, 'sys_s': ru.ru_stime - base.ru_stime, 'wall_s': wall, 'stragglers': stragglers}))
    return 0


def list_children():
    me = os.getpid()
    kids = []
    try:
        for tid in os.listdir(f'/proc/{me}/task'):
            with open(f'/proc/{me}/task/{tid}/children') as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


if __name__ == '__main__':
    sys.exit(main())
