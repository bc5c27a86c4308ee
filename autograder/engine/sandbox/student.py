"""The grader's side of running student code: workers, calls, timeouts, cleanup.

``Sandbox`` owns the fork server (zygote.py) and every process it made;
``Student`` is what a test uses to call into a submission. Whatever comes
back is plain data (see channel.py); every failure is a StudentFailure with
a message for the student. A crash or timeout costs the call that caused it;
the next call gets a fresh worker.
"""

from __future__ import annotations

from autograder.engine import paths

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from autograder.engine.sandbox import control, isolation
from autograder.engine.sandbox import failures as F
from autograder.engine.sandbox.channel import Channel, ChannelError, Opaque, Remote, decode, encode
from autograder.engine.sandbox.limits import Limits, become_subreaper, kill_tree, kill_user
from autograder.engine.sandbox.output import CappedOutput

GRADER_ROOT = str(paths.PROJECT)
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
        self.refuse = isolation.refused()
        self.missing: set = set()     # namespaces some worker of this run went without
        self.exposed: set = set()     # secrets some worker could read after the user switch
        self.zygote = None
        self.control = None
        self.scratch_root = tempfile.mkdtemp(prefix="grader-scratch-")
        os.chmod(self.scratch_root, 0o711)
        become_subreaper()
        self._start_zygote()  # its NumPy import overlaps with the grader's own start-up

    @property
    def isolation(self) -> str:
        """One line for results' extra_data: who student code runs as, and in which namespaces."""
        return isolation.describe(self.account, os.geteuid() == 0, self.missing, self.exposed)[0]

    @property
    def isolation_warnings(self) -> list:
        """Lines for the results' output: every protection this run went without."""
        return isolation.describe(self.account, os.geteuid() == 0, self.missing, self.exposed)[1]

    def _record(self, state) -> bool:
        """Note what isolated a worker; True if its PID namespace contains everything it starts."""
        if os.geteuid() != 0:
            return False
        if not isinstance(state, dict):
            self.missing.update(isolation.NAMESPACES)
            return False
        self.missing.update(n for n in isolation.NAMESPACES if not state.get(n))
        if state.get("proc") is False:
            self.missing.add("pid")
        if state.get("unmasked"):
            self.missing.add("mount")
        self.exposed.update(state.get("exposed") or [])
        return bool(state.get("pid")) and state.get("proc") is not False

    def _start_zygote(self) -> None:
        parent, child = control.pair(self.control_kind)
        env = {k: v for k, v in os.environ.items()
               if k in ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        code = (f"import sys; sys.path.insert(0, {GRADER_ROOT!r}); "
                f"from autograder.engine.sandbox.forkserver import main; main({child.fileno()})")
        self.zygote = subprocess.Popen([sys.executable, "-I", "-c", code], pass_fds=[child.fileno()],
                                       env=env, cwd="/", stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        child.close()
        self.control = parent

    def _ask(self, request: dict, fds=()) -> dict:
        if self.zygote is None or self.zygote.poll() is not None:
            self._start_zygote()
        control.send(self.control, request, fds)
        self.control.settimeout(30)
        reply, _ = control.receive(self.control, 0)
        if reply is None:
            raise RuntimeError("the fork server died")
        return reply

    def spawn(self, files: dict) -> "WorkerProcess":
        """A fresh worker whose scratch folder holds exactly `files` (name -> source path)."""
        scratch = tempfile.mkdtemp(prefix="w-", dir=self.scratch_root)
        for name, source in files.items():
            shutil.copyfile(source, os.path.join(scratch, name))
        if self.account is not None:
            for path in [scratch, *(os.path.join(scratch, n) for n in files)]:
                os.chown(path, self.account.pw_uid, self.account.pw_gid)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        request = {"op": "spawn", "scratch": scratch, "limits": self.limits.as_dict(),
                   "grader_root": GRADER_ROOT, "secrets": secrets(), "refuse": self.refuse,
                   "uid": self.account.pw_uid if self.account else None,
                   "gid": self.account.pw_gid if self.account else None}
        try:
            reply = self._ask(request, [theirs.fileno(), out_w])
        finally:
            theirs.close()
            os.close(out_w)
        contained = self._record(reply.get("isolation"))
        worker = WorkerProcess(self, reply["pid"], Channel(ours), CappedOutput(out_r, self.limits.output_bytes),
                               scratch)
        worker.contained = contained
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
        """Where some worker ran without its own PID, IPC or mount namespace, what its per-job account
        left behind on the machine: processes (found by their owner, however detached), SysV IPC,
        files in shared temp folders. (Never as a shared or our own account: then it is not ours.)"""
        if self.account is None or not self.missing & {"pid", "ipc", "mount"}:
            return
        kill_user(self.account.pw_uid)
        isolation.sweep(self.account.pw_uid)

    def reset(self) -> None:
        """Between two submissions sharing this fork server: kill everything the last one started."""
        if self.zygote is not None and self.zygote.poll() is None:
            kill_tree(self.zygote.pid, include_root=False)
        self._sweep()
        for entry in os.listdir(self.scratch_root):
            shutil.rmtree(os.path.join(self.scratch_root, entry), ignore_errors=True)

    def shutdown(self) -> None:
        """Kill every process the submission started (however detached), then tidy up.

        Descendants are enough where workers have PID namespaces (the zygote and the grader are
        subreapers, so no orphan escapes them); elsewhere the per-job account's processes go too,
        since a double-forked daemon is no worker's descendant.
        """
        if self.control is not None:
            self.control.close()
        if self.zygote is not None:
            try:
                self.zygote.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
            kill_tree(self.zygote.pid)
        kill_tree(os.getpid(), include_root=False)
        self._sweep()
        shutil.rmtree(self.scratch_root, ignore_errors=True)
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


READ = object()  # in a batch, in place of a method name: read the attributes named in args


def _key(target, method) -> str:
    path = target.path if isinstance(target, Handle) else str(target)
    return f"{path}.{method}" if method else path


class Handle:
    """An object living in the worker, e.g. the student's Network."""

    def __init__(self, name: str, generation: int, path: str):
        self.name, self.generation, self.path = name, generation, path


class Student:
    """A submission, as the tests see it: call its code, get plain data back."""

    needs_sandbox = True

    def __init__(self, sandbox: Sandbox, files: dict, missing: dict | None = None,
                 call_seconds: float | None = None):
        self.sandbox = sandbox
        self.files = files          # module file name -> path in the submission
        self.missing = missing or {}  # module file name -> what the student must fix
        self.imported: set = set()
        self.import_failures: dict = {}
        self.provided: dict = {}    # grader module name -> source, installed in every worker
        self.call_seconds = call_seconds or sandbox.limits.call_seconds
        self.budget_ends = time.monotonic() + sandbox.limits.total_seconds
        self.worker: WorkerProcess | None = None
        self.generation = 0
        self.counter = 0
        self.remotes: dict = {}
        self.timed_out: dict = {}   # function label -> seconds, so a hang costs time once
        self.hung: dict = {}        # "module:Class.method" -> (label, seconds), seen by batches too
        self.output_log: list = []
        self.memo: dict = {}        # what a suite derived from this submission, shared between its tests

    # -- lifecycle ------------------------------------------------------------
    def _worker(self) -> WorkerProcess:
        if self.worker is None:
            self.worker = self.sandbox.spawn(self.files)
            self.generation += 1
            self.imported = set()
            for name, source in self.provided.items():
                self._round_trip({"op": "module", "name": name, "source": source}, [], f"installing {name}")
        return self.worker

    def provide(self, name: str, source: str) -> None:
        """A grader module every worker gets (before student code can touch it, it is plain code:
        treat whatever it computes there as the student's output)."""
        if name not in self.provided:
            self.provided[name] = source
            if self.worker is not None:
                self._round_trip({"op": "module", "name": name, "source": source}, [], f"installing {name}")

    def _import(self, target) -> None:
        """Import the target's module first, so a slow or broken import is told apart and costs once."""
        if not isinstance(target, str):
            return
        module = target.split(":", 1)[0]
        if module in self.provided:
            self._worker()
            return
        file = module + ".py"
        if file in self.missing:
            raise F.MissingFile(self.missing[file])
        if module in self.import_failures:
            # a fresh copy each time: re-raising one instance would grow its traceback test after test
            raise F.fresh(self.import_failures[module]) from None
        self._worker()
        if module in self.imported:
            return
        try:
            self._round_trip({"op": "import", "module": module}, [], f"importing {file}")
        except F.NotImplementedYet as exc:
            failure = F.StudentException(f"importing {file}", {"type": "NotImplementedError", "message": str(exc)})
            self.import_failures[module] = failure
            raise failure from None
        except F.StudentFailure as exc:
            self.import_failures[module] = exc
            raise
        self.imported.add(module)

    def _retire(self):
        status = None
        if self.worker is not None:
            status = self.worker.stop()
            self._keep_output(self.worker)
            self.worker = None
        return status

    def _keep_output(self, worker: WorkerProcess) -> None:
        text = worker.output.text()
        if text:
            self.output_log.append(text)

    def close(self) -> None:
        self._retire()

    def output(self) -> str:
        parts = list(self.output_log)
        if self.worker is not None:
            parts.append(self.worker.output.text())
        return "\n".join(p for p in parts if p)

    # -- calls ------------------------------------------------------------------
    def remote(self, name: str, obj, methods=(), attributes=(), prefetch=None) -> Remote:
        """Lend a grader object to student code (it sees a proxy; calls come back here)."""
        self.remotes[name] = (obj, set(methods), set(attributes), dict(prefetch or {}))
        return Remote(name, methods, attributes, prefetch)

    def _target(self, target):
        if isinstance(target, Handle):
            if target.generation != self.generation or self.worker is None:
                raise F.LostObject()
            return {"__ref__": target.name}
        return target

    def _call_request(self, target, method, args, kwargs, frames, **extra) -> dict:
        request = {"op": "call", "target": self._target(target), "method": method,
                   "args": encode(list(args), frames), "kwargs": encode(dict(kwargs), frames)}
        request.update(extra)
        return request

    def new(self, path: str, *args, label: str | None = None, **kwargs) -> Handle:
        """Construct `module:Class` in the worker and keep it there."""
        self._import(path)
        self.counter += 1
        name = f"obj{self.counter}"
        frames: list = []
        request = self._call_request(path, None, args, kwargs, frames, store=name, discard=True)
        self._round_trip(request, frames, label or path.replace(":", "."), keys=[_key(path, None)])
        return Handle(name, self.generation, path)

    def call(self, target, method: str | None, *args, label: str | None = None,
             seconds: float | None = None, echo_args: bool = False, **kwargs):
        """One call; returns the decoded value (and the `mutated` flags with echo_args)."""
        label = label or self._label(target, method)
        self._import(target)
        frames: list = []
        request = self._call_request(target, method, args, kwargs, frames, echo_args=echo_args)
        reply = self._round_trip(request, frames, label, seconds, keys=[_key(target, method)])
        return (reply["value"], reply.get("mutated", [])) if echo_args else reply["value"]

    def get_many(self, target, names, label: str | None = None) -> dict:
        """Several attributes in one round trip: {name: value}."""
        self._worker()
        request = {"op": "getattrs", "target": self._target(target), "names": list(names)}
        value = self._round_trip(request, [], label or f"reading {', '.join(names)}")["value"]
        if not isinstance(value, dict):
            raise F.ProtocolViolation(label or "reading attributes", "the reply is not a mapping")
        return value

    def set_many(self, target, values: dict) -> None:
        self._worker()
        frames: list = []
        request = {"op": "setattrs", "target": self._target(target), "value": encode(dict(values), frames)}
        self._round_trip(request, frames, f"setting {', '.join(values)}")

    def batch(self, calls: list, label: str, seconds: float | None = None) -> list:
        """Many calls in one round trip: [(target, method, args, kwargs, discard), ...]; an entry
        (target, READ, names, {}, False) reads those attributes of the target instead."""
        for call in calls:
            self._import(call[0])
        frames: list = []
        requests = [{"op": "getattrs", "target": self._target(t), "names": [str(n) for n in a]} if m is READ
                    else self._call_request(t, m, a, k, frames, discard=d) for t, m, a, k, d in calls]
        keys = sorted({_key(t, m) for t, m, *_ in calls if m is not READ})
        return self._round_trip({"op": "batch", "calls": requests}, frames, label, seconds, keys)["value"]

    def evaluate(self, target, method: str, args, bases: dict, points: list, label: str,
                 seconds: float | None = None) -> list:
        """The method's raw return value at each point the grader chose: the `bases` attributes set
        on the target and the args, with one entry replaced per point ([("attr", name) or ("arg", i),
        flat index, value]). Nothing is computed in the student's process but their function."""
        self._import(target)
        frames: list = []
        request = self._call_request(target, method, args, {}, frames)
        request.update(op="evaluate", bases=encode(dict(bases), frames),
                       points=[[list(where), int(index), float(value)] for where, index, value in points])
        value = self._round_trip(request, frames, label, seconds, keys=[_key(target, method)])["value"]
        if not isinstance(value, list) or len(value) != len(points):
            raise F.ProtocolViolation(label, "the reply does not hold one value per point")
        return value

    @staticmethod
    def _label(target, method) -> str:
        if isinstance(target, str):
            base = target.split(":", 1)[-1] or target
            return f"{base}.{method}" if method else base
        return str(method)

    # -- the round trip ---------------------------------------------------------
    def _round_trip(self, request: dict, frames: list, label: str, seconds: float | None = None,
                    keys=()) -> dict:
        """Send, answer callbacks, receive. `keys` name the student functions the request runs:
        one that hung before fails at once, and a lone one that hangs now is remembered."""
        seconds = seconds or self.call_seconds
        if label in self.timed_out:
            raise F.TimedOut(label, self.timed_out[label], earlier=True)
        for key in keys:
            if key in self.hung:
                raise F.TimedOut(*self.hung[key], earlier=True)
        left = self.budget_ends - time.monotonic()
        if left <= 0:
            raise F.BudgetSpent(label, self.sandbox.limits.total_seconds)
        seconds = min(seconds, left)
        worker = self._worker()
        channel = worker.channel
        channel.deadline = time.monotonic() + seconds
        try:
            channel.send_raw(request, frames)
            while True:
                raw, reply_frames = channel.receive_raw()
                if "callback" in raw:
                    self._answer_callback(channel, raw, reply_frames)
                    continue
                break
        except (TimeoutError, socket.timeout):
            self.timed_out[label] = seconds
            if len(keys) == 1:
                self.hung[keys[0]] = (label, seconds)
            self._retire()
            raise F.TimedOut(label, seconds) from None
        except (ChannelError, OSError, BrokenPipeError) as exc:
            time.sleep(0.02)
            status = self.sandbox.status(worker.pid)
            tail = worker.output.text()[-1500:]
            if status is None and isinstance(exc, ChannelError) and "closed" not in str(exc):
                self._retire()
                raise F.ProtocolViolation(label, str(exc)) from None
            final = self._retire()
            raise F.Crashed(label, status if status is not None else final, tail) from None
        finally:
            channel.deadline = None
        try:
            if raw.get("ok") is True:
                raw["value"] = decode(raw.get("value"), reply_frames)
                return raw
            error = raw.get("error")
            if not isinstance(error, dict):
                raise ChannelError("reply without a value or an error")
        except ChannelError as exc:
            self._retire()
            raise F.ProtocolViolation(label, str(exc)) from None
        error = {k: error.get(k) for k in ("type", "message", "frames", "file", "line", "text")}
        error["frames"] = [f for f in (error["frames"] or []) if isinstance(f, list) and len(f) == 4]
        if str(error.get("type")) == "NotImplementedError":
            where = ""
            if error["frames"]:
                file, line = error["frames"][-1][0], error["frames"][-1][1]
                where = f" ({file}, line {line})"
            raise F.NotImplementedYet(label, where)
        raise F.StudentException(label, error)

    def _answer_callback(self, channel: Channel, raw: dict, frames: list) -> None:
        """The student's code used an object we lent it: do it here, on plain data."""
        out_frames: list = []
        try:
            obj, methods, attributes, prefetch = self.remotes[raw["callback"]]
            op, name = raw.get("cop"), str(raw.get("method"))
            extra = {}
            if op == "call" and name in methods:
                args = decode(raw.get("args", []), frames)
                kwargs = decode(raw.get("kwargs", {"__dict__": []}), frames)
                if any(isinstance(v, Opaque) for v in list(args) + list(kwargs.values())):
                    raise TypeError("arguments must be numbers or NumPy arrays")
                value = getattr(obj, name)(*args, **kwargs)
                if name in prefetch:
                    extra["prefetched"] = encode(getattr(obj, prefetch[name]["method"])(), out_frames)
            elif op == "getattr" and name in attributes:
                value = getattr(obj, name)
            elif op == "setattr":
                obj.__setattr__(name, decode(raw.get("value"), frames))
                value = None
            else:
                raise AttributeError(f"{name!r} is not available on this object")
            reply = {"ok": True, "value": encode(value, out_frames), **extra}
        except ChannelError:
            raise
        except Exception as exc:  # noqa: BLE001 - the student's bad input to our object
            out_frames = []
            reply = {"ok": False, "message": f"{type(exc).__name__}: {exc}"[:500]}
        channel.send_raw(reply, out_frames)
