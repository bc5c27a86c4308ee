"""The sandbox from outside: what a worker process looks like to the kernel."""

import os

import numpy as np
import pytest

from autograder.engine.sandbox.isolation import pool_names
from autograder.engine.sandbox.limits import Limits
from autograder.engine.sandbox.student import Sandbox, Student

from .helpers import HW2_CLI, PROJECT


@pytest.fixture
def worker_pid():
    sandbox = Sandbox(Limits())
    student = Student(sandbox, {n: str(PROJECT / "solution" / n) for n in ("network.py", "attack.py")})
    assert student.call("attack:lp_norm", None, np.ones(4), 2) == 2.0
    yield student.worker.pid
    student.close()
    sandbox.shutdown()


def _limit(pid, name):
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith(name):
            return line.split()[len(name.split()):][:2]
    raise KeyError(name)


def test_worker_limits_and_oom_score(worker_pid):
    limits = Limits()
    assert open(f"/proc/{worker_pid}/oom_score_adj").read().strip() == "1000"
    assert _limit(worker_pid, "Max address space") == [str(limits.memory_bytes)] * 2
    assert _limit(worker_pid, "Max file size") == [str(limits.file_bytes)] * 2
    assert _limit(worker_pid, "Max cpu time") == [str(limits.cpu_seconds)] * 2
    assert _limit(worker_pid, "Max processes") == [str(limits.processes)] * 2
    status = open(f"/proc/{worker_pid}/status").read()
    assert "NoNewPrivs:\t1" in status  # setuid programs cannot raise it back
    assert os.getpgid(worker_pid) == worker_pid  # a session and process group of its own


def test_worker_runs_as_the_sandbox_user_when_root(worker_pid):
    import pwd
    uid = int(open(f"/proc/{worker_pid}/status").read().split("Uid:")[1].split()[0])
    if os.geteuid() != 0:
        assert uid == os.getuid()
    else:  # an account of the pool, one per concurrent grading
        assert uid != 0 and pwd.getpwuid(uid).pw_name in pool_names()


def test_the_stream_control_socket_of_other_systems_works_too():
    """macOS has no SOCK_SEQPACKET: the fork server then speaks over a stream socket."""
    import socket

    sandbox = Sandbox(Limits(), control_kind=socket.SOCK_STREAM)
    try:
        student = Student(sandbox, {n: str(PROJECT / "solution" / n) for n in ("network.py", "attack.py")})
        for _ in range(3):  # several spawns: messages must not run together
            assert student.call("attack:lp_norm", None, np.array([3.0, -4.0]), 2) == 5.0
            student._retire()
    finally:
        sandbox.shutdown()


def test_control_messages_keep_their_bounds_on_a_stream():
    import socket

    from autograder.engine.sandbox import control

    a, b = control.pair(socket.SOCK_STREAM)
    r, w = os.pipe()
    control.send(a, {"op": "spawn", "big": "x" * 100_000}, [w])
    control.send(a, {"op": "status"})
    first, fds = control.receive(b)
    second, none = control.receive(b)
    assert first["big"] == "x" * 100_000 and len(fds) == 1 and second == {"op": "status"} and none == []
    a.close()
    assert control.receive(b) == (None, [])
    for fd in (r, w, *fds):
        os.close(fd)


class _Model:
    """A grader object to lend: one method, one readable value, one attribute a test may allow setting."""

    def __init__(self):
        self.scale, self.bias = 2.0, 0.5

    def forward(self, x):
        return self.scale * x + self.bias


def test_the_engine_refuses_and_records_setting_what_was_not_lent_as_settable(tmp_path):
    """Which attributes of a lent object a student may set is the engine's rule, not the homework's."""
    source = tmp_path / "student_code.py"
    source.write_text("def tamper(net):\n    net.scale = 100.0\n    net.bias = -1.0\n    return net.forward(1.0)\n")
    sandbox = Sandbox(Limits())
    try:
        student = Student(sandbox, {"student_code.py": str(source)})
        locked, model = None, _Model()
        locked = student.remote("locked", model, ("forward",))
        assert student.call("student_code:tamper", None, locked) == 2.5
        assert (model.scale, model.bias) == (2.0, 0.5) and list(locked.refused) == ["set scale", "set bias"]
        partly = student.remote("partly", model, ("forward",), settable=("bias",))
        assert student.call("student_code:tamper", None, partly) == 1.0
        assert (model.scale, model.bias) == (2.0, -1.0) and list(partly.refused) == ["set scale"]
        student.close()
    finally:
        sandbox.shutdown()


PROBE = '''
import json, os, sys
def _initial_stack():
    """The environment strings a process was started with, read from its own memory (as an attack would)."""
    try:
        fields = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start, env_end (fields 50 and 51)
        import ctypes  # its own memory, read directly: no /proc/self/mem needed
        return ctypes.string_at(start, end - start).decode(errors="replace")
    except (OSError, ValueError, IndexError) as exc:
        return "unreadable: " + type(exc).__name__
print("FACTS" + json.dumps({
    "env": sorted(os.environ), "fds": sorted(int(f) for f in os.listdir("/proc/self/fd")),
    "stack_env": sorted(v.split("=")[0] for v in _initial_stack().split("\\0") if "=" in v),
    "mark_in_memory": "only-the-grader-has-this" in _initial_stack(),
    "cwd_is_scratch": os.getcwd() == os.path.dirname(os.path.abspath(__file__)), "argv": sys.argv,
    "path": [p.replace(os.path.dirname(os.path.abspath(__file__)), "SCRATCH") for p in sys.path],
    "held": len({e.split("/")[4] for e in sys.path + [x for m in list(sys.modules.values())
                                                       for x in (getattr(m, "__path__", None) or [])
                                                       if isinstance(x, str)]
                 if e.startswith("/proc/self/fd/")}),
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("pytest", "_pytest", "pydantic", "rich")
                     or m.startswith(("autograder.hw2", "autograder.engine.grading", "autograder.engine.commands"))),
    "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"), "uid": os.getuid(), "gc": __import__("gc").isenabled(),
}))
class Network:
    pass
'''


def _facts(output: str) -> dict:
    import json
    import re
    found = re.search(r"FACTS(\{.*?\})\n", output + "\n")
    assert found, output[-2000:]
    facts = json.loads(found.group(1))  # the numbers of open files may differ; how many may not
    facts["fds"] = len(facts["fds"])
    facts["path"] = [re.sub(r"/proc/self/fd/\d+", "/proc/self/fd/N", re.sub(r"grader-stage-[^/]+", "STAGE", p))
                     for p in facts["path"]]
    return facts


def test_a_worker_holds_nothing_of_the_grader(tmp_path, monkeypatch):
    """The fork server is a fresh interpreter with a cleared environment (never a fork of the
    grader, whose environment strings would stay on a child's initial stack): a student's code finds
    no grader variable in os.environ nor in its own memory, no open file but its own, no grader
    module of tests, results or output; and `grade` (fork server started early) and a run_suite in
    this process see the same world."""
    import json
    import subprocess

    from autograder.engine.grading.grade import run_suite
    from autograder.engine.homework import Homework
    submission = tmp_path / "probe"
    submission.mkdir()
    (submission / "network.py").write_text(PROBE)
    (submission / "attack.py").write_text((PROJECT / "solution" / "attack.py").read_text())
    results = tmp_path / "results.json"
    # Landlock left off: the probe must be able to read its own memory for the test to mean anything
    from autograder.engine.sandbox.launch import REFUSE_ENV
    env = dict(os.environ, AUTOGRADER_SECRET_MARK="only-the-grader-has-this", **{REFUSE_ENV: "landlock"})
    subprocess.run([*HW2_CLI, "grade", str(submission), "--results", str(results),
                    "--quiet"], cwd=PROJECT, env=env, check=True, capture_output=True, timeout=300)
    early = _facts(json.loads(results.read_text())["output"])
    monkeypatch.setenv(REFUSE_ENV, "landlock")
    started = _facts(run_suite(Homework.load(PROJECT / "autograder" / "hw2"), str(submission)).output)
    if os.geteuid() == 0:  # each its own account of the pool (which one depends on gradings running at once)
        assert early.pop("uid") != 0 and started.pop("uid") != 0
    assert early == started
    assert "AUTOGRADER_SECRET_MARK" not in early["env"] and "AUTOGRADER_RESULTS" not in early["env"]
    assert "PATH" in early["stack_env"], early["stack_env"]  # it could read its stack: nothing of ours there
    assert not early["mark_in_memory"] and "AUTOGRADER_SECRET_MARK" not in early["stack_env"]
    assert set(early["stack_env"]) <= {"PATH", "PWD", "LANG", "LC_ALL", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                       "MKL_NUM_THREADS"}, early["stack_env"]
    assert early["loaded"] == [] and early["cwd_is_scratch"] and early["blas_threads"] == "1" and early["gc"]
    # 0, 1, 2, its channel and the listing's own; and the import paths it cannot enter itself (held)
    assert early["fds"] <= 5 + early["held"]


def _fork_server_only(pids) -> list:
    """Processes among pids other than the fork server itself (in the built world, bubblewrap's child)."""
    def cmdline(pid):
        try:
            return open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            return b""
    return [p for p in pids if b"forkserver" not in cmdline(p)]


def _solution_files():
    return {n: str(PROJECT / "solution" / n) for n in ("network.py", "attack.py")}


def test_a_worker_asked_for_ahead_and_never_used_is_stopped_at_close():
    from autograder.engine.sandbox.limits import descendants
    sandbox = Sandbox(Limits())
    try:
        student = Student(sandbox, _solution_files())
        student.prepare()
        assert student.pending is not None and student.worker is None
        student.close()
        assert student.pending is None and student.worker is None
        assert _fork_server_only(descendants(sandbox.zygote.pid)) == []  # the worker it forked is gone
    finally:
        sandbox.shutdown()


def test_a_worker_asked_for_ahead_is_the_one_that_serves_and_survives_a_dead_fork_server():
    from autograder.engine.sandbox.limits import kill_tree
    sandbox = Sandbox(Limits())
    try:
        student = Student(sandbox, _solution_files())
        student.prepare()
        assert student.call("attack:lp_norm", None, np.ones(4), 2) == 2.0
        assert student.pending is None and student.generation == 1
        student.close()
        student.prepare()
        kill_tree(sandbox.zygote.pid)  # the fork server dies before the worker is collected
        assert student.call("attack:lp_norm", None, np.ones(9), 2) == 3.0  # from a new fork server
        student.close()
    finally:
        sandbox.shutdown()


THEN_MODULE = '''
import os, time
class Net:
    def setup(self, mode):
        if mode == "raise":
            raise ValueError("bad sizes")
        if mode == "hang":
            while True:
                time.sleep(0.01)
        if mode == "crash":
            os._exit(3)
        self.ready = mode
class Picky:
    def __setattr__(self, name, value):
        raise TypeError("no attributes here")
'''


def _then_student(tmp_path, seconds=10):
    (tmp_path / "net.py").write_text(THEN_MODULE)
    sandbox = Sandbox(Limits(call_seconds=seconds))
    return sandbox, Student(sandbox, {"net.py": str(tmp_path / "net.py")}, call_seconds=seconds)


def _recorded_round_trips(monkeypatch) -> list:
    """The label of every round trip made from now on, in order (monkeypatch restores the method)."""
    from autograder.engine.sandbox.round_trip import RoundTrips
    trips, original = [], RoundTrips._round_trip
    monkeypatch.setattr(RoundTrips, "_round_trip", lambda self, *a, **k: trips.append(a[2]) or original(self, *a, **k))
    return trips


def test_new_runs_then_and_assign_in_one_round_trip_and_names_the_step_that_failed(tmp_path, monkeypatch):
    from autograder.engine.sandbox.failures import StudentFailure
    sandbox, student = _then_student(tmp_path)
    trips = _recorded_round_trips(monkeypatch)
    try:
        net = student.new("net:Net", label="Net()", then=[("setup", ["ok"], {}, "Net.setup")], assign={"w": 1.5})
        assert student.get_many(net, ["ready", "w"]) == {"ready": "ok", "w": 1.5}
        assert [t for t in trips if t.startswith("Net()")] == ["Net() and Net.setup"]  # one round trip
        with pytest.raises(StudentFailure, match="Net.setup raised ValueError: bad sizes") as failed:
            student.new("net:Net", label="Net()", then=[("setup", ["raise"], {}, "Net.setup")], assign={"w": 2.0})
        assert failed.value.step == 0
        assert student.get_many(failed.value.handle, ["w"]) == {"w": 2.0}  # assigned all the same
        with pytest.raises(StudentFailure, match="setting w") as failed:
            student.new("net:Picky", label="Picky()", assign={"w": 1.0})
        assert failed.value.step == 0 and failed.value.handle is not None
    finally:
        student.close()
        sandbox.shutdown()


def test_a_batch_reads_sets_and_calls_in_order_in_one_round_trip(tmp_path, monkeypatch):
    from autograder.engine.grading.calls import READ, WRITE
    from autograder.engine.sandbox.failures import StudentFailure
    sandbox, student = _then_student(tmp_path)
    trips = _recorded_round_trips(monkeypatch)
    try:
        net = student.new("net:Net", label="Net()", assign={"w": 1.0})
        trips.clear()
        got = student.batch([(net, READ, ["w"], {}, False), (net, WRITE, {"w": 2.5, "ready": "x"}, {}, False),
                             (net, READ, ["w", "ready"], {}, False), (net, "setup", ["ok"], {}, True),
                             (net, READ, ["ready"], {}, False)], label="sequence")
        assert got == [{"w": 1.0}, None, {"w": 2.5, "ready": "x"}, None, {"ready": "ok"}]
        assert trips == ["sequence"]
        picky = student.new("net:Picky", label="Picky()")
        with pytest.raises(StudentFailure, match="TypeError: no attributes here") as failed:
            student.batch([(net, READ, ["w"], {}, False), (picky, WRITE, {"w": 1.0}, {}, False),
                           (net, READ, ["w"], {}, False)], label="setting")
        assert failed.value.index == 1 and failed.value.partial == [{"w": 2.5}]  # which call, what came before
    finally:
        student.close()
        sandbox.shutdown()


@pytest.mark.parametrize("mode, message", [("hang", "Net.setup did not finish"), ("crash", "Net.setup")])
def test_a_then_step_that_hangs_or_crashes_is_named_and_a_hang_leaves_the_object(tmp_path, mode, message):
    from autograder.engine.sandbox.failures import StudentFailure
    sandbox, student = _then_student(tmp_path, seconds=1)
    try:
        with pytest.raises(StudentFailure, match=message) as failed:
            student.new("net:Net", label="Net()", then=[("setup", [mode], {}, "Net.setup")], assign={"w": 3.0})
        assert failed.value.step == 0
        if mode == "crash":  # (a crash takes the worker and the object with it, as one call at a time did)
            return
        assert student.get_many(failed.value.handle, ["w"]) == {"w": 3.0}
        if mode == "hang":  # the next one does not wait again: setup is known to hang
            with pytest.raises(StudentFailure, match="in an earlier test") as again:
                student.new("net:Net", label="Net()", then=[("setup", [mode], {}, "Net.setup")], assign={"w": 4.0})
            assert student.get_many(again.value.handle, ["w"]) == {"w": 4.0}
    finally:
        student.close()
        sandbox.shutdown()


def test_reset_between_submissions_keeps_the_fork_server():
    """A batch's grader resets its sandbox between submissions: every worker goes, the fork server
    (in the built world, bubblewrap's child) serves on, so no submission pays for its start again."""
    from autograder.engine.sandbox.limits import descendants
    sandbox = Sandbox(Limits())
    try:
        serving = []
        for _ in range(3):
            student = Student(sandbox, _solution_files())
            assert student.call("attack:lp_norm", None, np.ones(4), 2) == 2.0
            worker = student.worker.pid
            sandbox.reset()
            assert worker not in descendants(sandbox.zygote.pid)
            serving.append(sandbox.server.serving_pid())
            student.close()
        assert len(set(serving)) == 1 and serving[0] is not None
    finally:
        sandbox.shutdown()


LAYER_MODULE = '''
import collections
import numpy as np
Cache = collections.namedtuple("Cache", "x w")
def forward(x, w):
    return x @ w, Cache(x, w)
def backward(dout, cache):
    assert type(cache).__name__ == "Cache", type(cache)  # the namedtuple itself, never a copy through the grader
    return dout @ cache.w.T, cache.x.T @ dout
def not_a_pair(x, w):
    return x @ w
'''


def test_a_kept_result_stays_in_the_worker_and_is_passed_back_by_handle(tmp_path):
    """Student.keep: a layer's (out, cache) stays in the student's process, each item with a handle;
    a later call takes the handle as an argument and gets the object itself; fetch reads a value."""
    from autograder.engine.sandbox.failures import StudentFailure
    from autograder.engine.sandbox.student import Handle
    (tmp_path / "layer.py").write_text(LAYER_MODULE)
    sandbox = Sandbox(Limits(call_seconds=10))
    student = Student(sandbox, {"layer.py": str(tmp_path / "layer.py")}, call_seconds=10)
    try:
        x, w = np.arange(6.0).reshape(2, 3), np.ones((3, 4))
        out, cache = student.keep("layer:forward", None, x, w, items=2)
        assert isinstance(out, Handle) and isinstance(cache, Handle) and out.name != cache.name
        assert np.array_equal(student.fetch(out), x @ w)
        dx, dw = student.call("layer:backward", None, np.ones((2, 4)), cache, label="backward")
        assert np.array_equal(dx, np.ones((2, 4)) @ w.T) and np.array_equal(dw, x.T @ np.ones((2, 4)))
        whole = student.keep("layer:forward", None, x, w)  # the whole tuple, one handle
        assert student.fetch(whole)[0].shape == (2, 4)
        with pytest.raises(StudentFailure, match="returned numpy.ndarray, not a tuple of 2 values"):
            student.keep("layer:not_a_pair", None, x, w, items=2)
    finally:
        student.close()
        sandbox.shutdown()
