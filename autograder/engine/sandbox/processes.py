"""The fork server and every process it made, for one grading run (the grader's side).

``Sandbox`` starts the fork server (forkserver.py), asks it for workers, kills
them and everything they started, and sweeps what a submission left;
``WorkerProcess`` is one worker: its channel, its captured output, its scratch.
"""

from __future__ import annotations


import os
import shutil
import socket
import tempfile

from autograder.engine import paths
from autograder.engine.sandbox import control, isolation, launch
from autograder.engine.sandbox.channel import Channel
from autograder.engine.sandbox.limits import Limits, become_subreaper, kill_tree, kill_user
from autograder.engine.sandbox.output import CappedOutput

GRADER_ROOT = str(paths.PROJECT)
NOBODY = 65534
PACKAGE = str(paths.PACKAGE)


def secrets() -> list:
    """What no worker may read: the grader's folder (tests, solution, data, a checkout's history and
    builds), its package wherever installed, and what the command registered (results, metadata, a class)."""
    return sorted({os.path.realpath(p) for p in (GRADER_ROOT, PACKAGE, *isolation.hidden())})


class Sandbox:
    """The fork server and every process it made, for one grading run."""

    def __init__(self, limits: Limits | None = None, user: str | None = None, control_kind: int | None = None):
        if not hasattr(os, "fork"):
            raise RuntimeError("running student code safely needs Linux or macOS (fork); on Windows, use WSL")
        self.control_kind = control_kind or control.KIND
        self.limits = limits or Limits()
        self.account, self._account_lock = isolation.claim_account(user)
        self.refuse = sorted(launch.refused() - {"namespaces"})
        self.server: launch.Server | None = None
        self.held: dict = {}          # protection -> what every worker of this run had of it (confine.py)
        self.exposed: set = set()     # secrets some worker could read after the user switch
        self.held_paths: set = set()  # import paths reached through descriptors Landlock did not bound
        # as root, student code never runs as root: without an account of its own, as nobody
        self.uid, self.gid = ((self.account.pw_uid, self.account.pw_gid) if self.account is not None else
                              (NOBODY, NOBODY) if os.geteuid() == 0 else (None, None))
        become_subreaper()
        self._start_zygote()

    @property
    def zygote(self):
        return self.server.process if self.server is not None else None

    @property
    def control(self):
        return self.server.control if self.server is not None else None

    @property
    def scratch_root(self) -> str:
        return self.server.stage

    @property
    def built(self) -> bool:
        """Do workers run in a built world (their own root and namespaces)?"""
        return self.server is not None and self.server.built

    def _describe(self) -> tuple:
        return isolation.describe(self.account, os.geteuid() == 0, self.server.built, self.server.refusal,
                                  self.held, self.exposed, self.held_paths)

    @property
    def isolation(self) -> str:
        """One line for results' extra_data: who student code runs as, and which protections held."""
        return self._describe()[0]

    @property
    def isolation_warnings(self) -> list:
        """Lines for the results' output: every protection this run went without that matters."""
        return self._describe()[1]

    def _record(self, state) -> None:
        """Note what confined a worker: a layer counts as held only if it held for every worker."""
        state = state if isinstance(state, dict) else {}
        for layer in ("seccomp", "landlock"):
            if self.held.get(layer, True) is True:
                self.held[layer] = state.get(layer, "not reported")
        self.exposed.update(state.get("exposed") or [])
        self.held_paths.update(state.get("held") or [])

    def _start_zygote(self) -> None:
        if self.server is not None:
            launch.stop(self.server)
        self.server = launch.take(self.control_kind)
        self._sent, self._received, self._replies = 0, 0, {}  # the fork server answers in order

    def _send(self, request: dict, fds=()) -> int:
        """Send a request; its number, to collect the reply with _reply (now or later)."""
        if self.zygote is None or self.zygote.poll() is not None:
            self._start_zygote()
        control.send(self.control, request, fds)
        self._sent += 1
        return self._sent - 1

    def _reply(self, number: int) -> dict:
        self.control.settimeout(30)
        while number not in self._replies:
            reply, _ = control.receive(self.control, 0)
            if reply is None:
                raise RuntimeError("the fork server died")
            self._replies[self._received] = reply
            self._received += 1
        return self._replies.pop(number)

    def _ask(self, request: dict, fds=()) -> dict:
        return self._reply(self._send(request, fds))

    def spawn(self, files: dict) -> "WorkerProcess":
        """A fresh worker whose scratch folder holds exactly `files` (name -> source path)."""
        return self.spawn_end(self.spawn_begin(files))

    def spawn_begin(self, files: dict) -> dict:
        """Ask for a worker and return at once: the fork server forks it and builds its world while
        the grader goes on; spawn_end collects it. The submission's copy goes to the staging folder:
        in the built world the worker copies it into its own scratch and never sees the rest."""
        if self.server is None or self.server.process.poll() is not None:
            self._start_zygote()
        scratch = tempfile.mkdtemp(prefix="w-", dir=self.scratch_root)
        for name, source in files.items():
            shutil.copyfile(source, os.path.join(scratch, name))
        if self.uid is not None and not self.built:  # (in the world the worker copies them for itself)
            for path in [scratch, *(os.path.join(scratch, n) for n in files)]:
                os.chown(path, self.uid, self.gid)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        request = {"op": "spawn", "name": os.path.basename(scratch), "files": sorted(files),
                   "limits": self.limits.as_dict(), "refuse": self.refuse,
                   "secrets": [] if self.built else secrets(),
                   "uid": self.uid, "gid": self.gid}
        try:
            number = self._send(request, [theirs.fileno(), out_w])
        except BaseException:
            ours.close()
            os.close(out_r)
            raise
        finally:
            theirs.close()
            os.close(out_w)
        return {"number": number, "control": self.control, "ours": ours, "out_r": out_r, "scratch": scratch}

    def spawn_end(self, pending: dict) -> "WorkerProcess":
        """The worker spawn_begin asked for (a new one if the fork server was restarted meanwhile)."""
        try:
            if pending["control"] is not self.control:
                raise RuntimeError("the fork server was restarted")
            reply = self._reply(pending["number"])
            if reply.get("error") or "pid" not in reply:
                raise RuntimeError(f"the sandbox could not confine a worker: {reply.get('error', 'no reply')}")
        except BaseException:
            pending["ours"].close()
            os.close(pending["out_r"])
            raise
        self._record(reply.get("isolation"))
        worker = WorkerProcess(self, reply["pid"], Channel(pending["ours"]),
                               CappedOutput(pending["out_r"], self.limits.output_bytes), pending["scratch"])
        worker.contained = self.built  # its PID namespace's init: killing it kills all it started
        return worker

    def kill(self, pid: int):
        """Kill a worker and its descendants; its wait status, if known."""
        try:
            return self._ask({"op": "kill", "pid": pid}).get("status")
        except (OSError, RuntimeError, ValueError):
            kill_tree(pid)
            return None

    def status(self, pid: int):
        try:
            return self._ask({"op": "status", "pid": pid}).get("status")
        except (OSError, RuntimeError, ValueError):
            return None

    def _sweep(self) -> None:
        """Where workers ran outside a built world, what its per-job account left behind on the
        machine: processes (found by their owner, however detached), SysV IPC, files in shared temp
        folders. (Never as a shared or our own account: then it is not ours.)"""
        if self.account is None or self.built:
            return
        kill_user(self.account.pw_uid)
        isolation.sweep(self.account.pw_uid)

    def begin(self) -> None:
        """A new submission on this sandbox: what held is recorded afresh for it."""
        self.held, self.exposed, self.held_paths = {}, set(), set()

    def reset(self) -> None:
        """Between two submissions sharing this fork server: kill everything the last one started."""
        serving = self.server.serving_pid() if self.zygote is not None and self.zygote.poll() is None else None
        if serving is not None:  # its workers and all they started; the fork server itself serves on
            kill_tree(serving, include_root=False)
        self._sweep()
        for entry in os.listdir(self.scratch_root):
            shutil.rmtree(os.path.join(self.scratch_root, entry), ignore_errors=True)

    def shutdown(self) -> None:
        """Kill every process the submission started (however detached), then tidy up.

        Descendants are enough in the built world (workers are PID namespaces' inits, and the fork
        server and the grader are subreapers, so no orphan escapes them); elsewhere the per-job
        account's processes go too, since a double-forked daemon is no worker's descendant.
        """
        if self.server is not None:
            launch.stop(self.server)
        kill_tree(os.getpid(), include_root=False)
        self._sweep()
        if self._account_lock is not None:
            os.close(self._account_lock)
            self._account_lock = None


class WorkerProcess:
    def __init__(self, sandbox: Sandbox, pid: int, channel: Channel, output: CappedOutput, scratch: str):
        self.sandbox, self.pid, self.channel, self.output, self.scratch = sandbox, pid, channel, output, scratch
        self.alive = True
        self.contained = False  # in a PID namespace of its own: killing it kills all it started

    def stop(self):
        """Kill the worker and everything it started: its namespace dies with it; without one, every
        process of the per-job account (a setsid double-forked daemon is no descendant of the worker)."""
        status = self.sandbox.kill(self.pid) if self.alive else None
        if self.alive and not self.contained and self.sandbox.account is not None:
            kill_user(self.sandbox.account.pw_uid)
        self.alive = False
        self.channel.sock.close()
        self.output.finish()
        shutil.rmtree(self.scratch, ignore_errors=True)
        return status
