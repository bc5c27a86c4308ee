"""Starting the fork server: always a fresh interpreter, in a built world where the kernel allows one.

``start`` makes the fork server's staging folder (where the grader puts each
worker's copy of the submission) and starts ``python -I -S`` with a cleared
environment, /dev/null for its streams, "/" as its folder and one inherited
descriptor, its control socket. As root, with bubblewrap and namespaces
available, it runs inside the root world.py builds; otherwise (not root, a
container that refuses namespaces, the ``AUTOGRADER_SANDBOX_REFUSE`` test
switch) as a plain process, and each worker relies on its account, seccomp
and Landlock (confine.py).

Nothing of the grader reaches it: not its memory (no fork of the grader, whose
environment strings stay on a forked child's initial stack), not its
environment, not its descriptors. A command that grades one submission calls
``start_early()`` before its heavy imports (startup.py), so the server's own
start overlaps them; ``Sandbox`` then ``take``s that server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache

from autograder.engine.sandbox import control, world
from autograder.engine.sandbox.limits import become_subreaper

ENV_KEPT = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Test and diagnostic switch, read by the grader only (workers never see it): act as if the kernel
# refused namespaces ("all" or "namespaces"), seccomp or Landlock, to exercise and show the fallbacks.
REFUSE_ENV = "AUTOGRADER_SANDBOX_REFUSE"
# For the project's own tests only: a folder shared read-write with every worker (bound into the
# world at its own path, or added to Landlock's writable list), so a test can watch student code
# from outside (heartbeats of a daemon, pids). Never set when grading.
SHARE_ENV = "AUTOGRADER_SANDBOX_TEST_SHARE"

_early: list = []  # at most one Server started ahead of its Sandbox


@dataclass
class Server:
    """A running fork server: its process, the grader's end of its control socket, its staging
    folder, and whether it runs in a built world (else: why not)."""
    process: subprocess.Popen
    control: object
    stage: str
    kind: int
    built: bool
    refusal: str = ""

    def serving_pid(self) -> int | None:
        """The fork server's own process: in the built world, bubblewrap's one child (bubblewrap
        waits beside it); else the process started. None if it is gone."""
        if not self.built:
            return self.process.pid
        from autograder.engine.sandbox.limits import children
        found = children(self.process.pid)
        return found[0] if found else None


def refused() -> set:
    """What the test switch says to treat as refused: "namespaces" (also spelled "all", as a container
    with Docker's default capabilities refuses them all), "seccomp", "landlock"."""
    names = {n.strip() for n in os.environ.get(REFUSE_ENV, "").split(",") if n.strip()}
    if names & {"all", "mount", "net", "pid", "ipc"}:
        names.add("namespaces")
    return names & {"namespaces", "seccomp", "landlock"}


def clean_env() -> dict:
    """The fork server's whole environment: locale and PATH, and one BLAS thread per worker."""
    return {**{k: v for k, v in os.environ.items() if k in ENV_KEPT}, **ONE_THREAD}


@lru_cache(maxsize=None)
def world_refusal() -> str:
    """Why a built world cannot be had here ("" if it can): not root, no bubblewrap, or the kernel's
    answer to a trial run (a container without CAP_SYS_ADMIN: "Operation not permitted"). Asked once
    per process."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return "not root" if sys.platform.startswith("linux") else "not Linux"
    trial = world.trial() if world.bwrap() else None
    if trial is None:
        return "bubblewrap not found"
    try:
        done = subprocess.run(trial, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=30, env=clean_env())
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap could not run ({exc})"
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        return said[-1][:200] if said else f"bubblewrap exited with {done.returncode}"
    return ""


def _code_tree(stage: str) -> str:
    """Outside the world: a folder of links to what the fork server imports (the sandbox package,
    NumPy), so its search path names nothing else of the grader's folder or site-packages."""
    tree = os.path.join(stage, "code")
    package = os.path.join(tree, "autograder", "engine")
    os.makedirs(package)
    os.symlink(world.sandbox_code(), os.path.join(package, "sandbox"))
    for name, path in world.site_modules().items():
        os.symlink(path, os.path.join(tree, name))
    return tree


def start(kind: int = control.KIND) -> Server:
    """A new fork server (see the module's text)."""
    stage = tempfile.mkdtemp(prefix="grader-stage-")
    os.chmod(stage, 0o711)  # each worker's copy inside is its account's alone
    parent, child = control.pair(kind)
    refusal = "refused by " + REFUSE_ENV if "namespaces" in refused() else world_refusal()
    share = [os.environ[SHARE_ENV]] if os.path.isdir(os.environ.get(SHARE_ENV, "")) else []
    if not refusal:
        path = world.search_path()
        code = _main_code(child.fileno(), True, stage, [], share, path[:1], path)
        argv = world.command(stage, code, clean_env(), share)
    else:
        tree = _code_tree(stage)
        code = _main_code(child.fileno(), False, stage, [tree, *world.readable_outside()], share, [], [tree])
        argv = [world.interpreter(), "-I", "-S", "-c", code]
    process = subprocess.Popen(argv, pass_fds=[child.fileno()], env=clean_env(), cwd="/",
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child.close()
    return Server(process, parent, stage, kind, not refusal, refusal)


def _main_code(fd: int, built: bool, stage: str, readable: list, writable: list, private: list,
               path: list) -> str:
    return (f"import sys; sys.path[:0] = {path!r}; "
            f"from autograder.engine.sandbox.forkserver import main; "
            f"main({fd}, {built!r}, {stage!r}, {readable!r}, {writable!r}, {private!r})")


def start_early(kind: int = control.KIND) -> None:
    """Start the fork server now, for the Sandbox this process makes next: its interpreter's start
    and NumPy import overlap the grader's own imports."""
    if not _early and hasattr(os, "fork"):
        become_subreaper()
        _early.append(start(kind))


def take(kind: int) -> Server:
    """The fork server started early, if it is alive and of this kind; else a new one."""
    while _early:
        server = _early.pop()
        if server.kind == kind and server.process.poll() is None:
            return server
        stop(server)
    return start(kind)


def stop(server: Server) -> None:
    """Close its control socket and kill it, at once (nothing of it is worth waiting for)."""
    import shutil
    from autograder.engine.sandbox.limits import kill_tree
    try:
        server.control.close()
    except OSError:
        pass
    kill_tree(server.process.pid)
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    shutil.rmtree(server.stage, ignore_errors=True)
