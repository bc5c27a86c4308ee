"""Starting the fork server: a clean ``python -I`` that imports NumPy once for every worker.

Its start costs about a fifth of a second of CPU. A command that grades calls
``start_early()`` before importing anything heavy, so that cost runs on the
other core while the grader imports pytest and pydantic; ``Sandbox`` then
takes that server instead of starting its own. This module imports nothing
heavy itself, or starting early would gain nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys

from autograder.engine import paths
from autograder.engine.sandbox import control
from autograder.engine.sandbox.limits import become_subreaper

_early: list = []  # at most one (process, control socket, kind) started ahead of its Sandbox


def start(kind: int) -> tuple:
    """A new fork server: (its process, the grader's end of its control socket)."""
    parent, child = control.pair(kind)
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    code = (f"import sys; sys.path.insert(0, {str(paths.PROJECT)!r}); "
            f"from autograder.engine.sandbox.forkserver import main; main({child.fileno()})")
    process = subprocess.Popen([sys.executable, "-I", "-c", code], pass_fds=[child.fileno()],
                               env=env, cwd="/", stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child.close()
    return process, parent


def start_early(kind: int = control.KIND) -> None:
    """Start the fork server now, for the Sandbox this process makes next (see the module's text)."""
    if not _early and hasattr(os, "fork"):
        become_subreaper()
        _early.append((*start(kind), kind))


def take(kind: int) -> tuple:
    """The fork server started early, if it is alive and of this kind; else a new one."""
    while _early:
        process, socket_, early_kind = _early.pop()
        if early_kind == kind and process.poll() is None:
            return process, socket_
        socket_.close()
        process.kill()
        process.wait()
    return start(kind)
