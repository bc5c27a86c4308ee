"""Hostile and malformed submissions, graded through the real Gradescope flow.

Each case is a small submission built from the reference solution (so the
stages it does not attack keep full marks) or from the handout, plus hostile
code. Expected everywhere: no forged credit, the grader survives, no process
outlives the run, results.json valid and written by the grader.
"""

import json
import os
import textwrap
import time

import pytest

from autograder.engine.grading.results import Results

from .helpers import solution_files, stage_scores

STAGES = ("setup", "forward", "backward", "update", "attack")


def with_forward(homework, body: str, prelude: str = "") -> dict:
    """The solution, with Network.forward replaced by `body` (indented 4) and code run at import."""
    files = solution_files(homework)
    files["network.py"] += "\n\n" + textwrap.dedent(prelude) + "\n\ndef _hostile_forward(self, y0, t):\n" + \
        textwrap.indent(textwrap.dedent(body), "    ") + "\n\nNetwork.forward = _hostile_forward\n"
    return files


def at_import(homework, code: str, base: str = "solution") -> dict:
    files = solution_files(homework) if base == "solution" else \
        {n: (homework.handout / n).read_text() for n in homework.files}
    files["network.py"] = textwrap.dedent(code) + "\n\n" + files["network.py"]
    return files


def only(results, *stages) -> None:
    """Exactly these stages lost points; every other stage kept full marks."""
    lost = {s for s, (got, top) in stage_scores(results).items() if got < top}
    assert lost == set(stages), {t.number: t.output[:200] for t in results.tests if t.status != "passed"}


def outputs(results, stage) -> str:
    return "\n".join(t.output for t in results.tests if t.tags == [stage])


@pytest.fixture
def shared_dir(monkeypatch):
    """A folder the sandbox user can write to, shared with every worker through the test switch
    (launch.SHARE_ENV: bound into the built world, or writable under Landlock), so a test can watch
    student code from outside."""
    import shutil
    import tempfile
    from autograder.engine.sandbox.launch import SHARE_ENV
    parent = "/run" if os.geteuid() == 0 and os.access("/run", os.W_OK) else None  # (a worker's /tmp is its own)
    folder = tempfile.mkdtemp(prefix="hostile-", dir=parent)
    os.chmod(folder, 0o777)
    monkeypatch.setenv(SHARE_ENV, folder)
    yield __import__("pathlib").Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


def assert_dead(pidfile) -> None:
    """Lines "<pid namespace> <pid in it>", written by student code (inside a PID namespace of its
    own, its pid means nothing here): no live process may match one."""
    if not os.path.exists(pidfile):
        return
    wanted = {(ns, int(pid)) for ns, pid in (line.split() for line in open(pidfile).read().splitlines())}
    alive = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            ns = os.readlink(f"/proc/{entry}/ns/pid")
            inner = [line for line in open(f"/proc/{entry}/status") if line.startswith("NSpid:")][0].split()[-1]
        except (OSError, IndexError):
            continue
        if (ns, int(inner)) in wanted and _state(int(entry)) != "Z":
            alive.append(int(entry))
    assert not alive, f"processes outlived the run: {alive}"


def _state(pid) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def valid_and_ours(gradescope, manifest_len=None):
    raw = json.loads((gradescope.root / "results" / "results.json").read_text())
    results = Results.model_validate(raw)
    manifest = json.loads((gradescope.root / "source" / "manifest.json").read_text())
    assert [t.number for t in results.tests] == [m["number"] for m in manifest]
    return results


# -- forward ends the program, in every way Python offers -----------------------

EXITS = {
    "sys_exit": "import sys; sys.exit(0)",
    "os_exit": "import os; os._exit(0)",
    "keyboard_interrupt": "raise KeyboardInterrupt",
    "custom_base_exception": "class Escape(BaseException): pass\nraise Escape('bye')",
    "unittest_skip": "import unittest; raise unittest.SkipTest('skip me')",
    "pytest_skip": "import pytest; pytest.skip('skip me')",
    "pytest_exit": "import pytest; pytest.exit('bye', returncode=0)",
    "str_raises": "class Bad(Exception):\n    def __str__(self): raise RuntimeError('no')\nraise Bad()",
    "huge_message": "raise ValueError('x' * 50_000_000)",
    "memory_hog": "import numpy as np; big = np.ones(10**10); return float(big.sum())",
    "nan": "return float('nan')",
    "eq_always_true": "class Liar(float):\n    def __eq__(self, o): return True\n    __hash__ = float.__hash__\nreturn Liar(1.0)",
    "object_with_float": "class Fake:\n    def __float__(self): return 1.0\n    def __eq__(self, o): return True\nreturn Fake()",
    "scalar_array": "import numpy as np; return np.array([0.5])",
}


@pytest.mark.parametrize("case", sorted(EXITS))
def test_forward_sabotage_costs_only_forward(case, gradescope, homework, make_submission):
    results = gradescope(make_submission(with_forward(homework, EXITS[case])))
    valid_and_ours(gradescope)
    only(results, "forward", "backward", "update")
    text = outputs(results, "forward")
    assert "Traceback" not in text and "autograder/" not in text
    assert len(json.dumps(results.model_dump())) < 2_000_000


BACKWARDS = {
    "ndarray_subclass_with_array_function": """
        import numpy as np
        class Sneaky(np.ndarray):
            def __array_function__(self, func, types, args, kwargs):
                return True
            def __eq__(self, other):
                return np.ones(self.shape, dtype=bool)
        grads = _original_backward(self, lr)
        return {k: np.asarray(v).view(Sneaky) for k, v in grads.items()}
    """,
    "scalars_that_broadcast": """
        _original_backward(self, lr)
        return {k: 0.0 for k in ("y2", "a2", "w2", "b2", "y1", "a1", "w1", "b1", "y0")}
    """,
}


@pytest.mark.parametrize("case", sorted(BACKWARDS))
def test_lying_gradients_earn_nothing(case, gradescope, homework, make_submission):
    files = solution_files(homework)
    files["network.py"] += ("\n\n_original_backward = Network.backward\n\n\ndef _hostile_backward(self, lr=0.0):\n"
                            + textwrap.indent(textwrap.dedent(BACKWARDS[case]), "    ")
                            + "\n\nNetwork.backward = _hostile_backward\n")
    results = gradescope(make_submission(files))
    valid_and_ours(gradescope)
    gradients = [t for t in results.tests if t.tags == ["backward"] and t.number != "3.3"]
    assert all(t.score == 0 for t in gradients)  # (3.3 checks only that lr=0 leaves the weights alone)
    text = outputs(results, "backward")
    assert ("subclass of np.ndarray" if "subclass" in case else "received a float") in text
    scores = stage_scores(results)
    assert scores["setup"][0] == scores["setup"][1] and scores["forward"][0] == scores["forward"][1]
    assert scores["attack"][0] == scores["attack"][1]


def test_exit_messages_say_what_happened(gradescope, homework, make_submission):
    results = gradescope(make_submission(with_forward(homework, EXITS["os_exit"])))
    assert "exited with status 0" in outputs(results, "forward")
    results = gradescope(make_submission(with_forward(homework, EXITS["memory_hog"])))
    assert "MemoryError" in outputs(results, "forward")


# -- forged results --------------------------------------------------------------

def test_forged_results_then_os_exit(gradescope, homework, make_submission):
    forged = gradescope.root / "results" / "results.json"
    body = f"""
        import json, os
        try:
            with open({str(forged)!r}, "w") as fh:
                json.dump({{"score": 1000, "tests": []}}, fh)
        except OSError:
            pass
        os._exit(0)
    """
    results = gradescope(make_submission(with_forward(homework, body)))
    ours = valid_and_ours(gradescope)
    assert ours.score == results.score < 100
    only(results, "forward", "backward", "update")


def test_fake_json_and_scores_on_stdout(gradescope, homework, make_submission):
    code = """
        print('{"score": 100, "tests": [{"score": 100, "max_score": 100}]}')
        print("Total: 100 / 100")
    """
    results = gradescope(make_submission(at_import(homework, code, base="handout")))
    assert valid_and_ours(gradescope).score == 0 == results.score


def test_daemon_and_atexit_cannot_rewrite_results_later(gradescope, homework, make_submission, shared_dir):
    pidfile = shared_dir / "pids"
    forged = gradescope.root / "results" / "results.json"
    code = f"""
        import atexit, json, os, time
        def _forge():
            try:
                with open({str(forged)!r}, "w") as fh:
                    json.dump({{"score": 1000, "tests": []}}, fh)
            except OSError:
                pass
        atexit.register(_forge)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                with open({str(pidfile)!r}, "a") as fh:
                    fh.write(f"{{os.readlink('/proc/self/ns/pid')}} {{os.getpid()}}\\n")
                time.sleep(2)
                _forge()
                os._exit(0)
            os._exit(0)
    """
    results = gradescope(make_submission(at_import(homework, code)))
    assert results.score == 100
    time.sleep(2.5)
    assert_dead(pidfile)
    assert valid_and_ours(gradescope).score == 100


# -- monkeypatching and snooping --------------------------------------------------

def test_monkeypatching_numpy_and_builtins_gains_nothing(gradescope, homework, make_submission):
    code = """
        import builtins, numpy as np, numpy.testing
        np.allclose = lambda *a, **k: True
        np.array_equal = lambda *a, **k: True
        numpy.testing.assert_allclose = lambda *a, **k: None
        builtins.isinstance = lambda *a: True
        builtins.abs = lambda x: 0
    """
    results = gradescope(make_submission(at_import(homework, code, base="handout")))
    assert results.score == 0


def test_reading_the_grader_source_finds_nothing(gradescope, homework, make_submission):
    source = gradescope.root / "source"
    code = f"""
        import os
        _found = {{}}
        for _path in ({str(source / "solution" / "network.py")!r}, {str(source / "autograder" / "hw2" / "reference.py")!r}):
            try:
                _found[_path] = open(_path).read()
            except OSError:
                pass
        _text = _found.get({str(source / "solution" / "network.py")!r})
        if _text:
            exec(_text)   # a stolen reference would define Network here
    """
    files = {n: (homework.handout / n).read_text() for n in homework.files}
    files["network.py"] = files["network.py"] + "\n" + textwrap.dedent(code)
    results = gradescope(make_submission(files))
    if os.geteuid() == 0:
        assert results.score == 0
    assert source.exists()


def test_deleting_the_source_folder_fails(gradescope, homework, make_submission):
    source = gradescope.root / "source"
    code = f"""
        import shutil
        shutil.rmtree({str(source)!r}, ignore_errors=True)
    """
    results = gradescope(make_submission(at_import(homework, code)))
    assert source.exists() and (source / "run_autograder").exists()
    assert results.score == 100


def test_network_is_cut_off(gradescope, homework, make_submission):
    import socket
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    code = f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"leak")
        except OSError:
            pass
    """
    results = gradescope(make_submission(at_import(homework, code)))
    assert results.score == 100
    if os.geteuid() == 0:
        with pytest.raises(socket.timeout):
            server.accept()
    server.close()


# -- resources ---------------------------------------------------------------------

def test_fork_many_sleeping_children(gradescope, homework, make_submission, shared_dir):
    pidfile = shared_dir / "pids"
    code = f"""
        import os, time
        for _ in range(300):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(120)
                os._exit(0)
            with open({str(pidfile)!r}, "a") as fh:
                fh.write(f"{{os.readlink('/proc/self/ns/pid')}} {{pid}}\\n")
    """
    results = gradescope(make_submission(at_import(homework, code)))
    assert results.score == 100
    assert_dead(pidfile)
    if os.geteuid() == 0:
        assert len(open(pidfile).read().splitlines()) < 100  # the process limit held


def test_200_mb_of_output_with_escapes(gradescope, homework, make_submission):
    code = """
        import os
        _junk = (b"\\x1b[31mred\\x1b[0m \\xff\\xfe not utf-8 \\x1b]0;title\\x07" * 1000)
        for _ in range(200_000_000 // len(_junk)):
            os.write(1, _junk)
    """
    results = gradescope(make_submission(at_import(homework, code)))
    assert results.score == 100
    raw = (gradescope.root / "results" / "results.json").read_text(encoding="utf-8")
    assert len(raw) < 500_000
    assert "\x1b" not in raw and "\\u001b" not in raw


def test_writing_a_2_gb_file_is_stopped(gradescope, homework, make_submission):
    code = """
        with open("big.bin", "wb") as _fh:
            for _ in range(2048):
                _fh.write(b"\\0" * (1 << 20))
    """
    results = gradescope(make_submission(at_import(homework, code)))
    only(results, "setup", "forward", "backward", "update")
    assert "importing network.py raised" in outputs(results, "setup")


def test_shipped_conftest_sitecustomize_and_numpy_are_ignored(gradescope, homework, make_submission, shared_dir):
    marker = shared_dir / "marker"
    touch = f"open({str(marker)!r}, 'a').write('loaded\\n')\n"
    files = {n: (homework.handout / n).read_text() for n in homework.files}
    files["conftest.py"] = touch + "def pytest_runtest_makereport(item, call):\n    pass\n"
    files["sitecustomize.py"] = touch
    files["usercustomize.py"] = touch
    files["numpy.py"] = touch + "raise SystemExit('fake numpy')\n"
    files["evil.pth"] = "import os; " + touch
    results = gradescope(make_submission(files))
    assert results.score == 0
    assert not marker.exists()


# -- malformed submissions ----------------------------------------------------------

def test_empty_submission(gradescope, make_submission):
    results = gradescope(make_submission({}))
    assert results.score == 0
    assert "empty" in results.output
    assert "network.py was not found" in outputs(results, "forward")


def test_syntax_error_names_the_line(gradescope, homework, make_submission):
    files = solution_files(homework)
    files["network.py"] = files["network.py"].replace("self.t = int(t)", "self.t = int(t))")
    results = gradescope(make_submission(files))
    only(results, "setup", "forward", "backward", "update")
    line = next(i for i, l in enumerate(files["network.py"].splitlines(), 1) if "int(t))" in l)
    assert f"line {line}" in outputs(results, "forward")
    assert "SyntaxError" in outputs(results, "forward")


def test_files_in_a_subfolder_are_found(gradescope, homework, make_submission):
    files = {f"hw2/{n}": t for n, t in solution_files(homework).items()}
    results = gradescope(make_submission(files))
    assert results.score == 100
    assert "hw2/" in results.output


def test_notebook_instead_of_python_files(gradescope, make_submission):
    results = gradescope(make_submission({"hw2.ipynb": json.dumps({"cells": [], "nbformat": 4})}))
    assert results.score == 0
    assert "notebook" in outputs(results, "forward")


def test_import_of_a_missing_package(gradescope, homework, make_submission):
    results = gradescope(make_submission(at_import(homework, "import torch")))
    only(results, "setup", "forward", "backward", "update")
    assert "No module named 'torch'" in outputs(results, "setup")
    assert "standard library and NumPy" in outputs(results, "setup")


# -- the slow ones: real timeouts -------------------------------------------------------

@pytest.mark.slow
def test_infinite_loop_ignoring_signals_is_graded_quickly(gradescope, homework, make_submission):
    body = """
        import signal
        for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            pass
    """
    started = time.monotonic()
    results = gradescope(make_submission(with_forward(homework, body)))
    assert time.monotonic() - started < 60  # one 10 s timeout, then every call to forward fails at once
    only(results, "forward", "backward", "update")
    assert "did not finish within" in outputs(results, "forward")


@pytest.mark.slow
def test_sleep_at_import_costs_one_timeout(gradescope, homework, make_submission):
    started = time.monotonic()
    results = gradescope(make_submission(at_import(homework, "import time\ntime.sleep(3600)")))
    assert time.monotonic() - started < 60
    only(results, "setup", "forward", "backward", "update")
    assert "importing network.py did not finish" in outputs(results, "setup")
