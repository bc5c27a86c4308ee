"""Limits on a student's process, the switch to an unprivileged user, and killing trees.

Everything here is enforced from outside the student's code: rlimits are set
in the child before it runs anything of theirs (and cannot be raised by an
unprivileged user), wall-clock time is kept by the grader, and processes are
found through /proc, so a child that calls setsid() or ignores signals is
still found and killed with SIGKILL.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
import time
from dataclasses import asdict, dataclass

PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Limits:
    call_seconds: float = 10.0         # wall clock for one call, kept by the grader
    total_seconds: float = 300.0       # wall clock for all calls into one submission
    cpu_seconds: int = 60              # CPU time of one worker process
    memory_bytes: int = 512 << 20      # address space of one worker (it needs ~110 MB; Gradescope has 768 MB)
    file_bytes: int = 16 << 20         # largest file the student may write
    processes: int = 64                # processes of the sandbox user (when switched)
    open_files: int = 256
    output_bytes: int = 32 << 10       # head and tail of stdout/stderr kept, each

    def as_dict(self) -> dict:
        return asdict(self)


def apply_rlimits(limits: dict) -> None:
    """Set hard and soft rlimits in the child, before the student's code runs."""
    def cap(kind, value):
        value = int(value)
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            if sys.platform.startswith("linux"):
                raise  # where grading happens, a limit that cannot be set is an error
            # macOS refuses some (RLIMIT_AS): the self-check runs without that one

    cap(resource.RLIMIT_CPU, limits["cpu_seconds"])
    cap(resource.RLIMIT_AS, limits["memory_bytes"])
    cap(resource.RLIMIT_FSIZE, limits["file_bytes"])
    cap(resource.RLIMIT_NOFILE, limits["open_files"])
    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_NPROC, limits["processes"])  # per user; root ignores it until switched


def drop_privileges(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() == 0 or os.geteuid() == 0:
        raise RuntimeError("could not leave root")


def first_to_go() -> None:
    """If the machine runs out of memory (Gradescope's container has 768 MB, less than the
    address-space limit), the kernel kills this worker, never the grader."""
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")
    except OSError:
        pass


PR_SET_NO_NEW_PRIVS = 38


def no_new_privileges() -> bool:
    """No setuid program the student starts can gain privileges (e.g. su, sudo, mount)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):  # no prctl outside Linux
        return False


def become_subreaper() -> bool:
    """Orphaned descendants are re-parented to us, so none can escape a later kill."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _proc_table() -> dict:
    """pid -> (ppid, uid) for every process we can see (uid: for tests and diagnostics)."""
    table = {}
    try:
        entries = os.listdir("/proc")
    except OSError:  # no /proc (macOS): process groups are all we have
        return table
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                ppid = uid = None
                for line in fh:
                    if line.startswith("PPid:"):
                        ppid = int(line.split()[1])
                    elif line.startswith("Uid:"):
                        uid = int(line.split()[1])
                        break
            table[int(entry)] = (ppid, uid)
        except (OSError, ValueError, IndexError):
            continue
    return table


def children(pid: int) -> list:
    """pid's children (from the children files where the kernel has them, else the process table)."""
    found = _children(pid)
    if found is None:
        table = _proc_table()
        found = [child for child, (ppid, _) in table.items() if ppid == pid]
    return found


def _children(pid: int) -> list | None:
    """pid's children from /proc/PID/task/*/children (each thread lists the ones it forked): a few
    small reads instead of reading every process's status. None where the kernel has no such file."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return [] if os.path.isdir("/proc/self/task") else None  # pid gone; or no /proc at all
    found = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found += [int(n) for n in fh.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{task}"):
                continue  # the thread ended meanwhile
            return None  # a kernel without CONFIG_PROC_CHILDREN
        except (OSError, ValueError):
            continue
    return found


def descendants(root: int, table: dict | None = None, quick: bool = False) -> list:
    """Every process below root. `quick`: from the children files, when the kernel has them; they
    may miss a process forked during the read, so a verdict of "none left" is taken from the whole
    process table (see _stop_then_kill)."""
    if quick and table is None:
        found, stack = [], [root]
        while stack:
            children = _children(stack.pop())
            if children is None:
                break
            found += children
            stack += children
        else:
            return found
    table = _proc_table() if table is None else table
    children: dict = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def kill_tree(root: int, include_root: bool = True, rounds: int = 20) -> None:
    """SIGSTOP then SIGKILL every descendant of root.

    Stopping first keeps a fork loop from outrunning us; repeated until none
    is left, since a process may fork between our look and our kill.
    """
    me = os.getpid()
    if include_root and root != me:
        try:  # a worker leads its own process group: where /proc is missing, this still finds its children
            os.killpg(root, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
    def targets(quick: bool):
        found = set(descendants(root, quick=quick))
        if include_root and os.path.exists(f"/proc/{root}"):
            found.add(root)
        found.discard(me)
        return found
    _stop_then_kill(lambda: targets(True), rounds, confirm=lambda: targets(False))


def kill_user(uid: int, rounds: int = 20) -> None:
    """SIGSTOP then SIGKILL every process of a per-job sandbox account, wherever it hides: where a
    worker has no PID namespace, a setsid double-forked daemon is nobody's descendant but the
    subreaper's. Never root's or our own processes."""
    if uid in (0, os.getuid(), os.geteuid()):
        return
    _stop_then_kill(lambda: [pid for pid, (_, owner) in _proc_table().items() if owner == uid], rounds)


def _stop_then_kill(targets, rounds: int, confirm=None) -> None:
    """SIGSTOP then SIGKILL whatever targets() finds, again until it finds nothing: stopping first
    keeps a fork loop from outrunning us, and a process may fork between our look and our kill.
    Where targets() looks quickly and may miss a process, confirm() has the last word on "none left"."""
    for attempt in range(rounds):
        reap_children()  # our children killed last round: reaped, so they are gone from /proc, not found again
        found = targets() or (confirm() if confirm else [])
        if not found:
            return
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in found:
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
        reap_children()
        time.sleep(min(0.005, 0.0005 * 2 ** attempt))  # a killed process is gone within a millisecond or so


def reap_children(into: dict | None = None) -> None:
    """Reap every child that has ended, without waiting; `into` gets pid -> wait status."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if into is not None:
            into[pid] = status
