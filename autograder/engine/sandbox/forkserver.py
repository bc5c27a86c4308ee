"""A fork server: a fresh interpreter that imports NumPy once, then forks one confined worker per request.

The grader starts it (launch.py) as a new ``python -I -S`` with a cleared
environment, /dev/null for its streams and one inherited descriptor, its
control socket: as root where namespaces are allowed, inside the root that
world.py builds with bubblewrap; elsewhere as a plain process. Nothing of the
grader is in its memory, its environment or its descriptors, so nothing of it
is in a worker's either (a forked worker shares its parent's memory).

Each worker, before any student code runs, in this order (each step needs the
powers the later ones give up; every step but the layers a kernel lacks fails
closed, killing the worker):

1. every descriptor but its channel, output pipe and report pipe closed;
2. in the built world, its own namespaces and scratch (world.enter), then a
   fork: the worker is its PID namespace's init, with its own /proc;
3. its own session, the highest OOM score, no new privileges, rlimits;
4. the switch to the grading's unprivileged account (as root);
5. Landlock and seccomp (confine.py), as late as possible: the steps above
   need the system calls the filter takes away;
6. a report of what held, then the environment and the student's files.

Control messages (length-prefixed JSON, see control.py; descriptors passed with SCM_RIGHTS):
    {"op": "spawn", "name", "files", "limits", "uid", "gid", "secrets", "refuse"} + [channel, output]
        -> {"pid", "isolation": {"world", "seccomp", "landlock", "exposed", ...}}
    {"op": "status", "pid"} -> {"status": waitpid status or None}
    {"op": "kill", "pid"} -> {}    the worker and all its descendants
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys

PRELOAD = ("numpy", "numpy.random", "numpy.linalg", "secrets", "hashlib", "math", "statistics", "random",
           "collections", "itertools", "functools", "copy", "typing", "dataclasses", "traceback",
           "linecache", "warnings", "abc", "enum", "inspect", "unittest", "textwrap", "time", "json", "types")
WORKER_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}

_world: dict = {"built": False, "stage": "", "readable": [], "writable": [], "private_path": [], "confinement": None}


def _child(sock_fd: int, out_fd: int, request: dict, report_fd: int) -> None:
    """Runs in the forked child; never returns. In the built world it forks the worker (its PID
    namespace's init) and exits at once, after telling the fork server the worker's pid."""
    from autograder.engine.sandbox import isolation, limits, world, worker
    state: dict = {}
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        _close_all_but({0, 1, 2, sock_fd, report_fd})
        uid, gid, name = request.get("uid"), request.get("gid"), os.path.basename(str(request["name"]))
        if _world["built"]:
            world.enter(name, request["files"], uid, gid)
            worker_pid = os.fork()
            if worker_pid != 0:  # the worker, below, is the namespace's init; the fork server adopts it
                _report(report_fd, {"pid": worker_pid})
                os._exit(0)
            world.own_proc()
            scratch = world.WORK
        else:
            scratch = os.path.join(_world["stage"], name)
            _report(report_fd, {"pid": os.getpid()})
        os.setsid()
        limits.first_to_go()
        if not limits.no_new_privileges() and sys.platform.startswith("linux"):
            raise OSError("PR_SET_NO_NEW_PRIVS refused")
        limits.apply_rlimits(request["limits"])
        held = hold_import_paths() if not _world["built"] and uid is not None else {}
        if uid is not None:
            limits.drop_privileges(uid, gid)
        held_paths = reach_import_paths(held) if held else []
        os.chdir(scratch)  # (the account's own: the fork server may not enter it)
        if _world["built"]:  # its scratch is a tmpfs of fixed size
            state.update(_world["confinement"].apply(_world["readable"], [scratch, *_world["writable"]],
                                                     refuse=request.get("refuse", ())))
        else:  # nothing bounds what is made in its scratch: it may write its own files, make none
            state.update(_world["confinement"].apply(_world["readable"] + held_paths, _world["writable"],
                                                     secrets=request.get("secrets", ()), write_existing=[scratch],
                                                     refuse=request.get("refuse", ())))
            if held and not isinstance(state.get("landlock"), int):
                state["held"] = sorted(held)  # reached through descriptors, and Landlock does not bound them
        if not _world["built"] and request.get("secrets"):
            state["exposed"] = isolation.exposed(request["secrets"])
    except BaseException as exc:  # noqa: BLE001 - a worker is confined in full or not run at all
        _report(report_fd, {"error": f"{type(exc).__name__}: {exc}"[:500], "isolation": state})
        os._exit(1)
    try:
        _report(report_fd, {"isolation": state})
        os.close(report_fd)
        os.environ.clear()
        os.environ.update({**WORKER_ENV, "HOME": scratch, "TMPDIR": scratch})
        sys.argv = ["student"]
        sys.path[:] = [p for p in sys.path if p not in _world["private_path"]]
        worker.serve(socket.socket(fileno=sock_fd), scratch)
    except BaseException:  # noqa: BLE001
        pass
    finally:
        os._exit(0)


def hold_import_paths() -> dict:
    """Outside the built world, before the account switch: a descriptor on every import path (and on
    every linked folder in one, NumPy's in launch's code tree), for those the account cannot reach
    itself (an interpreter under /root, a checkout in a folder only root may enter)."""
    folders = [p for p in sys.path if p and os.path.isdir(p)]
    for path in list(folders):  # a folder of links (launch's code tree): each link's target, reached by its name
        try:
            folders += [e.path for e in os.scandir(path) if e.is_symlink() and e.is_dir()]
        except OSError:
            pass
    held = {}
    for path in folders:
        if path not in held:
            try:
                held[path] = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError:
                pass
    return held


def reach_import_paths(held: dict) -> list:
    """After the switch: import paths the account cannot reach by name, but may enter, are reached
    through /proc/self/fd (their files stay read-only, and Landlock keeps a walk up from them to what
    it allows), each entry by its most specific held folder; every other descriptor is closed.
    Returns those in use as /proc/self/fd paths, for Landlock's read-only list."""
    moved = {}
    for path, fd in held.items():
        via = f"/proc/self/fd/{fd}"
        if os.access(path, os.R_OK | os.X_OK) or not os.access(via, os.R_OK | os.X_OK):
            os.close(fd)  # reachable by its name, or not even through the descriptor (a mode-700 folder)
        else:
            moved[path] = via
    specific_first = sorted(moved, key=len, reverse=True)
    used = set()

    def reached(entry):
        for old in specific_first:
            if isinstance(entry, str) and (entry == old or entry.startswith(old + os.sep)):
                used.add(old)
                return moved[old] + entry[len(old):]
        return entry
    sys.path[:] = [reached(p) for p in sys.path]
    for module in list(sys.modules.values()):
        paths = getattr(module, "__path__", None)
        if isinstance(paths, list):
            paths[:] = [reached(entry) for entry in paths]
    sys.path_importer_cache.clear()
    for old in set(moved) - used:
        os.close(int(moved.pop(old).rsplit("/", 1)[1]))
    return sorted(moved.values())  # (Landlock opens its rules as this account: by the descriptors too)


def _close_all_but(keep: set) -> None:
    """Close every descriptor but `keep`: none of the fork server's may reach student code."""
    highest = os.sysconf("SC_OPEN_MAX")
    previous = -1
    for fd in sorted(keep) + [highest]:
        if fd > previous + 1:
            os.closerange(previous + 1, fd)
        previous = fd


def _report(fd: int, message: dict) -> None:
    """One JSON line to the fork server (a pipe write this small is atomic)."""
    import json
    os.write(fd, (json.dumps(message) + "\n").encode())


def _spawned(report_fd: int, pid: int) -> dict:
    """Read the child's reports until it closes the pipe (before any student code runs): the
    worker's pid (another than the child's in the built world) and what confined it."""
    import json
    import select
    data = b""
    with os.fdopen(report_fd, "rb", buffering=0) as pipe:
        while select.select([pipe], [], [], 10)[0]:
            chunk = pipe.read(65536)
            if not chunk:
                break
            data += chunk
    reply = {"pid": pid, "isolation": None}
    for line in data.decode(errors="replace").splitlines():
        try:
            reply.update(json.loads(line))
        except ValueError:
            continue
    return reply


def main(control_fd: int, built: bool, stage: str, readable: list, writable: list, private_path: list) -> None:
    """`built`: running inside world.py's root. `stage`: where the workers' copies are (outside the
    world). `readable`: what a worker may read when the world is not built (Landlock's list; in
    the world, what its root holds, listed once here).
    `writable`: beyond its scratch (only the project's tests share a folder, launch.SHARE_ENV).
    `private_path`: sys.path entries the fork server needs and student code does not get."""
    from autograder.engine.sandbox import control as channel_control
    from autograder.engine.sandbox import isolation, limits, world, worker  # noqa: F401 - once here, not per child

    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    try:  # warm NumPy's lazy imports once, here, rather than in every worker
        import numpy as np
        np.random.default_rng(0).normal(size=3)
        repr(np.arange(3.0)); str(np.float64(1.0))
    except Exception:  # noqa: BLE001
        pass
    from autograder.engine.sandbox.confine import Confinement
    confinement = Confinement()
    readable = world.readable_inside() if built else list(readable)
    _world.update(built=built, stage=stage, readable=readable, writable=list(writable),
                  confinement=confinement, private_path=list(private_path))
    gc.freeze()  # what is imported stays out of every collection here and in each forked worker (no copy-on-write)
    limits.become_subreaper()
    statuses: dict = {}

    def reap(*_):
        limits.reap_children(statuses)

    signal.signal(signal.SIGCHLD, reap)
    control = socket.socket(fileno=control_fd)
    while True:
        try:
            request, fds = channel_control.receive(control)
        except (OSError, EOFError, ValueError):
            break
        if request is None:
            break
        reply: dict = {}
        if request["op"] == "spawn":
            sys.stdout.flush()
            sys.stderr.flush()
            report_r, report_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                _child(fds[0], fds[1], request, report_w)
            os.close(report_w)
            reply = _spawned(report_r, pid)
        elif request["op"] == "status":
            reap()
            reply = {"status": statuses.pop(request["pid"], None)}
        elif request["op"] == "kill":
            limits.kill_tree(request["pid"])
            reap()
            reply = {"status": statuses.pop(request["pid"], None)}
        for fd in fds:
            os.close(fd)
        channel_control.send(control, reply)
    # the grader is gone: take every worker with us
    limits.kill_tree(os.getpid(), include_root=False)
