"""Starting the fork server: a process holding NumPy imported once, for every worker to fork from.

Two ways, one result. ``start`` runs a clean ``python -I`` that imports NumPy
itself (about a third of a second of CPU): used whenever the grader may already
hold test or reference code, e.g. a batch's warm graders. ``fork_template``
forks the grader itself at the very start of a single grading run, after
NumPy and the sandbox's modules are imported and before anything of the
homework is: nothing but public code is in its memory then. The child takes a
clean environment, /dev/null for its standard streams, only its control
socket among the open files, "/" as its folder and the search path ``python -I``
would have, then serves as the fork server; it is ready at once, and the
grader's start is not slowed by a second interpreter importing NumPy beside it.

A command that grades one submission calls ``start_early()`` first
(startup.py); ``Sandbox`` then ``take``s that server instead of starting one.
"""

from __future__ import annotations

import os
import subprocess
import sys

from autograder.engine import paths
from autograder.engine.sandbox import control
from autograder.engine.sandbox.limits import become_subreaper

ENV_KEPT = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

_early: list = []  # at most one (process, control socket, kind) started ahead of its Sandbox


def clean_env() -> dict:
    """The fork server's whole environment: locale and PATH, and one BLAS thread per worker."""
    return {**{k: v for k, v in os.environ.items() if k in ENV_KEPT}, **ONE_THREAD}


def start(kind: int) -> tuple:
    """A new ``python -I`` fork server: (its process, the grader's end of its control socket)."""
    parent, child = control.pair(kind)
    code = (f"import sys; sys.path.insert(0, {str(paths.PROJECT)!r}); "
            f"from autograder.engine.sandbox.forkserver import main; main({child.fileno()})")
    process = subprocess.Popen([sys.executable, "-I", "-c", code], pass_fds=[child.fileno()],
                               env=clean_env(), cwd="/", stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child.close()
    return process, parent


class Forked:
    """The forked fork server, as much of Popen as the grader uses: pid, poll, kill, wait."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere (kill_tree reaps our children)
                self.returncode = -9
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass

    def wait(self):
        if self.returncode is None:
            try:
                self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
            except ChildProcessError:  # reaped elsewhere
                self.returncode = -9
        return self.returncode


def _isolated_path() -> list:
    """sys.path as ``python -I`` has it: without the folder the grader started in, nor PYTHONPATH's."""
    dropped = {os.path.realpath(p) for p in [os.getcwd(), *os.environ.get("PYTHONPATH", "").split(os.pathsep)] if p}
    return [p for p in sys.path if p and os.path.realpath(p) not in dropped]


def fork_template(kind: int) -> tuple:
    """The grader forked into the fork server (see the module's text): (process, control socket)."""
    parent, child = control.pair(kind)
    env, search = clean_env(), [str(paths.PROJECT), *_isolated_path()]
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            parent.close()
            keep = child.fileno()
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.closerange(3, keep)
            os.closerange(keep + 1, max(keep + 2, os.sysconf("SC_OPEN_MAX")))
            os.chdir("/")
            os.environ.clear()
            os.environ.update(env)
            sys.argv[:] = [sys.executable]
            sys.path[:] = search
            from autograder.engine.sandbox.forkserver import main
            main(keep)
        finally:
            os._exit(0)
    child.close()
    return Forked(pid), parent


def template_possible() -> bool:
    """Forking the grader is used on Linux only: macOS's BLAS (Accelerate) is not safe across fork."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def start_early(kind: int = control.KIND, template: bool = False) -> None:
    """Start the fork server now, for the Sandbox this process makes next (see the module's text).
    `template`: fork this process (only before any homework code is loaded); else ``python -I``."""
    if not _early and hasattr(os, "fork"):
        become_subreaper()
        server = fork_template(kind) if template and template_possible() else start(kind)
        _early.append((*server, kind))


def take(kind: int) -> tuple:
    """The fork server started early, if it is alive and of this kind; else a new ``python -I`` one."""
    while _early:
        process, socket_, early_kind = _early.pop()
        if early_kind == kind and process.poll() is None:
            return process, socket_
        socket_.close()
        process.kill()
        process.wait()
    return start(kind)
