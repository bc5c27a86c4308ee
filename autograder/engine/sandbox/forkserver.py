"""A fork server: imports NumPy once, then forks one sandboxed worker per request.

Started by the grader as a fresh interpreter (``python -I``) holding nothing
of the grader's: no tests, no reference solution, no expected values. Each
worker it forks gets its own session, rlimits, scratch folder and (as root)
the unprivileged sandbox user before any student code runs; forking instead
of starting Python again saves the NumPy import on every worker. As root,
each worker also gets its own namespaces (isolation.py), a PID namespace
among them: the forked child unshares and forks the worker as that
namespace's init, so killing the worker kills all it started. The zygote is
a child subreaper, so where that is refused a double-forked daemon stays
findable.

Control messages (length-prefixed JSON, see control.py; file descriptors
passed alongside with SCM_RIGHTS):
    {"op": "spawn", "scratch", "limits", "uid", "gid", "secrets", "refuse"} + [channel, output] fds
        -> {"pid", "isolation": {"mount", "ipc", "pid", "net": bool, "exposed": [...], ...}}
    {"op": "status", "pid"} -> {"status": waitpid status or None}
    {"op": "kill", "pid"} -> {}    the worker and all its descendants
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys

PRELOAD = ("numpy", "numpy.random", "numpy.linalg", "secrets", "hashlib", "math", "statistics", "random", "collections", "itertools", "functools", "copy",
           "typing", "dataclasses", "traceback", "linecache", "warnings", "abc", "enum",
           "inspect", "unittest", "textwrap", "time", "json")


def _child(sock_fd: int, out_fd: int, request: dict, report_fd: int) -> None:
    """Runs in the forked child; never returns. As root with a PID namespace, it forks the worker
    (the namespace's init) and exits at once, after telling the zygote the worker's pid."""
    try:
        from autograder.engine.sandbox import isolation, limits, worker

        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        sys.path[:] = [p for p in sys.path if p and not p.startswith(request["grader_root"])]
        path_fds = _open_import_paths()
        keep = {0, 1, 2, sock_fd, report_fd, *path_fds.values()}
        for fd in _open_fds():
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        scratch = request["scratch"]
        needed = [scratch, *_import_dirs()]
        state: dict = {}
        if os.geteuid() == 0:
            state = isolation.enter_namespaces(request.get("refuse", ()))
            if state["mount"]:
                state["unmasked"] = isolation.mask(request.get("secrets", ()), needed)
            if state["pid"]:
                worker_pid = os.fork()
                if worker_pid != 0:  # the worker, below, is the namespace's init; the zygote adopts it
                    _report(report_fd, {"pid": worker_pid})
                    os._exit(0)
                if not (state["mount"] and isolation.own_proc()):
                    state["proc"] = False  # its /proc would still show the machine's processes
        os.setsid()
        if not state.get("pid"):
            _report(report_fd, {"pid": os.getpid()})
        os.chdir(scratch)
        limits.first_to_go()
        limits.no_new_privileges()
        limits.apply_rlimits(request["limits"])
        if request.get("uid") is not None:
            limits.drop_privileges(request["uid"], request["gid"])
            _reach_import_paths(path_fds)
            state["exposed"] = isolation.exposed(request.get("secrets", ()),
                                                 [os.path.realpath(p) for p in needed])
        _report(report_fd, {"isolation": state})
        os.close(report_fd)
        os.environ.clear()
        os.environ.update({"HOME": scratch, "TMPDIR": scratch, "PATH": "/usr/bin:/bin",
                           "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
        for name in [m for m in sys.modules if m == "autograder" or m.startswith("autograder.")]:
            if name not in ("autograder.engine.sandbox.worker", "autograder.engine.sandbox.channel"):
                sys.modules.pop(name, None)
        # an editable install's finder maps "autograder" to the grader's folder: no student import may use it
        sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")]
        sys.argv = ["student"]
        sock = socket.socket(fileno=sock_fd)
        worker.serve(sock, scratch)
    except BaseException:  # noqa: BLE001
        pass
    finally:
        os._exit(0)


def _report(fd: int, message: dict) -> None:
    """One JSON line to the zygote (a pipe write this small is atomic)."""
    import json
    os.write(fd, (json.dumps(message) + "\n").encode())


def _import_dirs() -> list:
    """Folders the worker must still read after the masks: import paths and NumPy's own."""
    dirs = [p for p in sys.path if p and os.path.isdir(p)]
    numpy = sys.modules.get("numpy")
    if numpy is not None and getattr(numpy, "__file__", None):
        dirs.append(os.path.dirname(os.path.dirname(numpy.__file__)))
    return dirs


def _open_fds() -> list:
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return [int(fd) for fd in os.listdir(folder)]
        except OSError:
            continue
    return list(range(3, 1024))


def _open_import_paths() -> dict:
    """Directory fds for every import path, opened while we may still read them."""
    fds = {}
    for path in sys.path:
        if path and os.path.isdir(path) and path not in fds:
            try:
                fds[path] = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                pass
    return fds


def _reach_import_paths(fds: dict) -> None:
    """After the user switch, reach import paths whose parents the sandbox user may not
    search (an interpreter under /root, say) through /proc/self/fd: the files stay
    read-only and nothing else of the parents is exposed."""
    moved = {p: f"/proc/self/fd/{fd}" for p, fd in fds.items() if not os.access(p, os.R_OK | os.X_OK)}
    if not moved:
        return
    sys.path[:] = [moved.get(p, p) for p in sys.path]
    for module in list(sys.modules.values()):
        paths = getattr(module, "__path__", None)
        if isinstance(paths, list):
            for i, entry in enumerate(paths):
                for old, new in moved.items():
                    if isinstance(entry, str) and (entry == old or entry.startswith(old + os.sep)):
                        paths[i] = new + entry[len(old):]
                        break
    sys.path_importer_cache.clear()


def _spawned(report_fd: int, pid: int) -> dict:
    """Read the child's reports until it closes the pipe (before any student code runs): the
    worker's pid (another than the child's with a PID namespace) and what isolated it."""
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


def main(control_fd: int) -> None:
    from autograder.engine.sandbox import control as channel_control
    from autograder.engine.sandbox import isolation, limits, worker  # noqa: F401 - imported once here, not in every forked child

    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    try:  # warm NumPy's lazy imports while the grader's files are still readable
        import numpy as np
        np.random.default_rng(0).normal(size=3)
        repr(np.arange(3.0)); str(np.float64(1.0))
    except Exception:  # noqa: BLE001
        pass
    gc.freeze()  # what is imported stays out of every collection here and in each forked worker (no copy-on-write)
    gc.enable()  # (a fork server forked from the grader's template inherits its paused collector)
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
                control.close()
                os.close(report_r)
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


if __name__ == "__main__":
    main(int(sys.argv[1]))
