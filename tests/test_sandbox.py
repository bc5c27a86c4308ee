"""The sandbox from outside: what a worker process looks like to the kernel."""

import os

import numpy as np
import pytest

from autograder.engine.sandbox.isolation import pool_names
from autograder.engine.sandbox.limits import Limits
from autograder.engine.sandbox.student import Sandbox, Student

from .helpers import PROJECT


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
        assert (model.scale, model.bias) == (2.0, 0.5) and locked.refused == ["set scale", "set bias"]
        partly = student.remote("partly", model, ("forward",), settable=("bias",))
        assert student.call("student_code:tamper", None, partly) == 1.0
        assert (model.scale, model.bias) == (2.0, -1.0) and partly.refused == ["set scale"]
        student.close()
    finally:
        sandbox.shutdown()
