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
