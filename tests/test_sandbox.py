"""The sandbox from outside: what a worker process looks like to the kernel."""

import os

import numpy as np
import pytest

from autograder.engine.limits import Limits, sandbox_account
from autograder.engine.sandbox import Sandbox, Student

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
    account = sandbox_account()
    uid = int(open(f"/proc/{worker_pid}/status").read().split("Uid:")[1].split()[0])
    if account is None:
        assert uid == os.getuid()
    else:
        assert uid == account.pw_uid != 0
