"""Student code against the grader's secrets, its classmates and the machine (issue 11, round two).

Each case runs through a real flow (Gradescope's zip + setup.sh + run_autograder, or the batch
command) twice where it matters: with the namespaces the kernel gives root here, and with them
refused (``AUTOGRADER_SANDBOX_REFUSE``, read by the grader only: workers get a cleared
environment), where file modes, per-job accounts and cleanup by owner must hold instead and the
results must say what is missing. The fallback runs use their own accounts of the pool so that
killing and sweeping by owner never touches another grading on this shared machine.
"""

import json
import os
import subprocess
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from autograder.engine.sandbox import failures as F
from autograder.engine.sandbox.isolation import USERS_ENV
from autograder.engine.sandbox.launch import REFUSE_ENV
from autograder.engine.sandbox.limits import Limits
from autograder.engine.grading.results import load
from autograder.engine.sandbox.student import Sandbox, Student

from .helpers import HW2_CLI, PROJECT, solution_files
from .test_hostile import at_import, shared_dir  # noqa: F401 - a fixture

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="namespaces and accounts need root")
MODES = {"namespaces": "", "fallback": "all"}
FALLBACK_USERS = "autograder-student-8,autograder-student-9"


CONTAINER = os.environ.get("AUTOGRADER_TEST_CONTAINER") == "1"  # ./dev test-container: capabilities dropped


@pytest.fixture(params=[pytest.param("namespaces", marks=pytest.mark.built_world), "fallback"])
def mode(request, monkeypatch):
    """Grade with the kernel's namespaces, or as if it refused them all (really, in ./dev test-container)."""
    monkeypatch.setenv(REFUSE_ENV, "" if CONTAINER else MODES[request.param])
    if MODES[request.param]:
        monkeypatch.setenv(USERS_ENV, FALLBACK_USERS)
    return request.param


def handout(homework) -> dict:
    return {n: (homework.handout / n).read_text() for n in homework.files}


def everything(results) -> str:
    return json.dumps(results.model_dump())


def batch(source, out, jobs=2):
    done = subprocess.run([*HW2_CLI, "batch", str(source), "--out", str(out),
                           "--jobs", str(jobs)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return {p.stem: load(str(p)) for p in (out / "results").glob("*.json")}


# -- grades and secrets -------------------------------------------------------------------------

THIEF = """
    import glob, os
    def _candidates():
        yield {project!r}                       # a checkout's path, as a classmate would guess it
        for cmdline in glob.glob("/proc/*/cmdline"):   # the grader's processes and their arguments
            try:
                for arg in open(cmdline, "rb").read().split(b"\\0"):
                    yield os.path.dirname(arg.decode(errors="ignore"))
            except OSError:
                pass
        for finder in glob.glob("/**/site-packages/__editable__*finder.py", recursive=True):
            try:                                 # an editable install names the package's folder
                for line in open(finder):
                    if "MAPPING" in line and "autograder" in line:
                        yield os.path.dirname(line.split("'autograder': '")[1].split("'")[0])
            except (OSError, IndexError):
                pass
    _stolen = None
    for _folder in _candidates():
        _path = os.path.join(_folder, "solution", "network.py")
        try:
            _stolen = open(_path).read()
            break
        except OSError:
            continue
    if _stolen:
        exec(compile(_stolen, "stolen", "exec"))
"""


@root_only
def test_batch_stub_cannot_reach_the_solution(homework, make_submission, tmp_path, mode):
    """From this world-readable checkout, a stub that finds the grader's folder (a guessed path,
    /proc of the grader's processes, the editable install's finder) and runs the solution: no
    credit with namespaces; without them, every result says loudly that the suite was readable."""
    files = handout(homework)
    files["network.py"] += "\n" + textwrap.dedent(THIEF.format(project=str(PROJECT)))
    (tmp_path / "class").mkdir()
    make_submission(files, name="class/thief")
    make_submission(handout(homework), name="class/stubs")  # (one folder alone would be taken for a wrapper)
    results = batch(tmp_path / "class", tmp_path / "out", jobs=1)["thief"]
    isolation = results.extra_data["isolation"]
    if mode == "namespaces":
        assert results.score == 0
        assert "a built root" in isolation and "no built root" not in isolation
    elif "landlock (ABI" in isolation or not _readable_by_others(PROJECT / "solution" / "network.py"):
        # Landlock (or, without it, a checkout others cannot enter) keeps the suite unread
        assert results.score == 0 and "ISOLATION WARNING" not in results.output
        assert "no built root or namespaces" in isolation
    else:  # no Landlock and a world-readable checkout: file modes cannot hold, and the results say so
        assert "ISOLATION WARNING" in results.output and str(PROJECT) in results.output
        assert "no built root or namespaces" in isolation


def _readable_by_others(path) -> bool:
    """Can a user who is neither owner nor in the group read this file (every folder above searchable)?"""
    import stat
    path = Path(path).resolve()
    return bool(path.stat().st_mode & stat.S_IROTH) and \
        all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents)


LEAKER = """
    import glob
    _seen = []
    for _path in [{metadata!r}, {old!r}]:
        try:
            _seen.append(_path + ": " + open(_path).read())
        except OSError as exc:
            _seen.append(_path + ": " + type(exc).__name__)
    try:
        _seen.append("listing: " + " ".join(__import__("os").listdir({results_dir!r})))
    except OSError as exc:
        _seen.append("listing: " + type(exc).__name__)
    for _cmdline in glob.glob("/proc/*/cmdline"):
        try:
            _text = open(_cmdline, "rb").read().decode(errors="replace").replace("\\0", " ")
        except OSError:
            continue
        if {root!r} in _text and ("results" in _text or "metadata" in _text):
            _seen.append("LEAK-CMDLINE " + _text[:300])
"""


FORWARD = "    def forward(self, y0: np.ndarray, t: int) -> float:"


@root_only
def test_earlier_results_and_metadata_stay_unread(gradescope, homework, make_submission, mode):
    """Gradescope's submission history (hidden tests' output included) and the results folder are
    neither readable nor named on any command line, even with Gradescope's world-searchable
    /autograder (modelled here by opening the fixture's parents); what the student saw is put
    in a failure message."""
    root = gradescope.root
    metadata, old = root / "submission_metadata.json", root / "results" / "old.json"
    metadata.write_text(json.dumps({"previous_submissions": [{"results": {"output": "SECRET-HISTORY"}}]}))
    old.write_text("SECRET-RESULT")
    opened = {p: os.stat(p).st_mode for p in (root, root.parent, root.parent.parent)}
    for path in opened:
        os.chmod(path, 0o755)
    for path, mode_ in ((metadata, 0o644), (old, 0o644), (root / "results", 0o755)):
        os.chmod(path, mode_)
    files = solution_files(homework)
    files["network.py"] = textwrap.dedent(LEAKER.format(metadata=str(metadata), old=str(old), root=str(root),
                                                        results_dir=str(root / "results"))) + \
        "\n" + files["network.py"].replace(FORWARD, FORWARD + "\n        raise ValueError(_seen)", 1)
    assert FORWARD in files["network.py"]
    try:
        results = gradescope(make_submission(files))
    finally:
        metadata.unlink()
        old.unlink()
        for path, mode_ in opened.items():
            os.chmod(path, mode_)
    text = everything(results)
    assert f"{metadata}: " in text and "listing: " in text  # the failure carried what the student saw
    assert "SECRET" not in text and "LEAK-CMDLINE" not in text


@root_only
def test_classmates_graded_at_once_survive_a_killer(homework, make_submission, tmp_path, mode):
    """--jobs 2: a submission that, for seconds, SIGKILLs every process it can see (and kill(-1))
    is graded beside honest copies of the reference: they keep full marks."""
    killer = """
        import os, signal, time
        _end = time.monotonic() + 6
        while time.monotonic() < _end:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            for _pid in os.listdir("/proc"):
                if _pid.isdigit() and int(_pid) not in (os.getpid(), 1):
                    try:
                        os.kill(int(_pid), signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.01)
    """
    (tmp_path / "class").mkdir()
    make_submission(at_import(homework, killer), name="class/a_killer")
    for name in ("b_honest", "c_honest", "d_honest"):
        make_submission(solution_files(homework), name=f"class/{name}")
    graded = batch(tmp_path / "class", tmp_path / "out", jobs=2)
    assert {k: r.score for k, r in graded.items() if "honest" in k} == \
        {"b_honest": 100, "c_honest": 100, "d_honest": 100}


# -- the grader's own survival -----------------------------------------------------------------

def _leaver(token: str) -> str:
    return f"""
        import ctypes, os
        _libc = ctypes.CDLL(None, use_errno=True)
        _id = _libc.shmget({int(token[:6], 16)}, 1 << 20, 0o1000 | 0o666)   # IPC_CREAT
        _sem = _libc.semget({int(token[:6], 16) + 1}, 1, 0o1000 | 0o666)
        for _folder in ("/tmp", "/var/tmp", "/dev/shm"):   # (each may be refused: then nothing is left)
            try:
                with open(os.path.join(_folder, "leak-{token}"), "w") as _fh:
                    _fh.write("left behind")
                os.makedirs(os.path.join(_folder, "leakdir-{token}", "deep"), exist_ok=True)
            except OSError:
                pass
    """


def _sysv_keys() -> set:
    keys = set()
    for kind in ("shm", "sem", "msg"):
        with open(f"/proc/sysvipc/{kind}") as fh:
            fh.readline()
            keys |= {int(line.split()[0]) for line in fh}
    return keys


@root_only
def test_nothing_of_a_submission_is_left(gradescope, homework, make_submission, mode):
    """SysV shared memory and semaphores, files and folders in /tmp, /var/tmp and /dev/shm: gone
    once the submission is graded (with namespaces they never reached the machine)."""
    token = uuid.uuid4().hex
    results = gradescope(make_submission(at_import(homework, _leaver(token))))
    assert results.score == 100
    assert int(token[:6], 16) not in _sysv_keys() and int(token[:6], 16) + 1 not in _sysv_keys()
    for folder in ("/tmp", "/var/tmp", "/dev/shm"):
        assert not os.path.exists(os.path.join(folder, f"leak-{token}"))
        assert not os.path.exists(os.path.join(folder, f"leakdir-{token}"))


HANG = """
import os, time


def hang(beats):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(beats + ".pid", "w") as fh:
                fh.write(str(os.getpid()))
            end = time.monotonic() + 60
            while time.monotonic() < end:
                with open(beats, "a") as fh:
                    fh.write(f"{time.time()}\\n")
                time.sleep(0.05)
            os._exit(0)
        os._exit(0)
    time.sleep(3600)
"""


@root_only
def test_call_timeout_kills_a_detached_daemon_at_once(tmp_path, shared_dir, mode):  # noqa: F811
    """A setsid double-forked daemon started by a call that then hangs dies with the timeout, not
    when the suite ends (with a PID namespace it dies with its init; without, by its account)."""
    (tmp_path / "network.py").write_text(HANG)
    beats = str(shared_dir / "beats")
    sandbox = Sandbox(Limits())
    try:
        student = Student(sandbox, {"network.py": str(tmp_path / "network.py")})
        with pytest.raises(F.TimedOut):
            student.call("network:hang", None, beats, seconds=1.5)
        killed_at = time.time()
        pid = int(open(beats + ".pid").read())
        time.sleep(0.5)
        last = float(open(beats).read().split()[-1])
        assert last < killed_at + 0.1, "the daemon kept running after the timeout"
        if mode == "fallback":  # (inside a PID namespace, the daemon's pid means nothing here)
            assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
        assert student.call("network:time.monotonic", None) > 0  # a fresh worker for what follows
    finally:
        sandbox.shutdown()


@root_only
@pytest.mark.slow
def test_import_timeout_kills_its_daemon_through_gradescope(gradescope, homework, make_submission,
                                                            shared_dir, mode):  # noqa: F811
    """The same through the real flow: the daemon is gone once the import times out, long before
    the suite ends (the attack tests, later, see no new heartbeat)."""
    beats = str(shared_dir / "beats")
    files = solution_files(homework)
    files["network.py"] = HANG + f"\nif not os.path.exists({beats!r}):\n    hang({beats!r})\n\n" + \
        files["network.py"]
    files["attack.py"] = ("import time as _t\nopen(" + repr(beats + ".attack") + ", 'a').write(f'{_t.time()}\\n')\n"
                          + files["attack.py"])
    gradescope(make_submission(files))
    beat_times = [float(t) for t in open(beats).read().split()]
    attack_at = [float(t) for t in open(beats + ".attack").read().split()]
    later = [t for t in attack_at if t > beat_times[0] + 10]  # imports in workers started after the timeout
    assert later, (beat_times[0], attack_at)
    assert beat_times[-1] < min(later)  # alive until the suite ends, it would beat on after them


@root_only
def test_a_failed_network_cut_is_reported(gradescope, homework, make_submission, monkeypatch):
    """Forced: no namespaces, no seccomp filter, no Landlock (an old kernel, an image without
    libseccomp). Student code then reaches the loopback, and the results say so, with what it can
    reach."""
    import socket
    monkeypatch.setenv(REFUSE_ENV, "all,seccomp,landlock")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(10)
    code = f"""
        import socket
        socket.create_connection(("127.0.0.1", {server.getsockname()[1]}), timeout=2).sendall(b"x")
    """
    try:
        results = gradescope(make_submission(at_import(homework, code)))
        server.accept()[0].close()  # it did get through: the warning is no false alarm
    finally:
        server.close()
    assert "network could not be cut off" in results.output and "loopback" in results.output
    assert "no built root or namespaces" in results.extra_data["isolation"]
    assert "no seccomp (refused by AUTOGRADER_SANDBOX_REFUSE)" in results.extra_data["isolation"]


@root_only
@pytest.mark.built_world
def test_workers_get_every_namespace_and_a_private_view(tmp_path, monkeypatch):
    """From outside: the worker is its PID namespace's init, its mount, IPC, network and UTS
    namespaces differ from the grader's, and the grader's folder does not exist from inside. (Without
    Landlock, which would refuse even to list /proc.)"""
    monkeypatch.setenv(REFUSE_ENV, "landlock")
    (tmp_path / "network.py").write_text("import os\n\ndef look(p):\n    return sorted(os.listdir(p))\n")
    sandbox = Sandbox(Limits())
    try:
        student = Student(sandbox, {"network.py": str(tmp_path / "network.py")})
        assert student.call("network:os.getpid", None) == 1
        pid = student.worker.pid
        for ns in ("mnt", "ipc", "net", "uts", "pid_for_children"):
            assert os.readlink(f"/proc/{pid}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}")
        with pytest.raises(F.StudentException, match="FileNotFoundError"):
            student.call("network:look", None, str(PROJECT))
        assert student.call("network:look", None, "/proc")[:1] == ["1"]
        assert student.call("network:os.getppid", None) == 0
        assert "private mount, IPC, PID, network and UTS namespaces" in sandbox.isolation
    finally:
        sandbox.shutdown()


@root_only
def test_concurrent_gradings_get_distinct_accounts(monkeypatch):
    """Two gradings at once never share an account; a released one is reused."""
    from autograder.engine.sandbox.isolation import claim_account
    monkeypatch.setenv(USERS_ENV, FALLBACK_USERS)
    first, lock1 = claim_account()
    second, lock2 = claim_account()
    try:
        assert {first.pw_name, second.pw_name} == set(FALLBACK_USERS.split(","))
        assert 0 not in (first.pw_uid, second.pw_uid) and first.pw_uid != second.pw_uid
    finally:
        os.close(lock1)
    again, lock3 = claim_account()
    os.close(lock2)
    os.close(lock3)
    assert again.pw_name == first.pw_name


@root_only
def test_a_grading_waits_for_whichever_account_frees_and_never_forever(monkeypatch):
    """All accounts busy: a claim takes the first one freed, whichever it is (the second here); if
    none frees in time, it fails with a reason instead of hanging (an idle sibling of the same batch
    may hold one for good)."""
    import threading
    from autograder.engine.sandbox.isolation import claim_account
    monkeypatch.setenv(USERS_ENV, FALLBACK_USERS)
    first, lock1 = claim_account()
    second, lock2 = claim_account()
    try:
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="stayed in use"):
            claim_account(wait=0.3)
        assert time.monotonic() - started < 5
        threading.Timer(0.2, os.close, [lock2]).start()
        account, lock3 = claim_account(wait=10)
        assert account.pw_name == second.pw_name
        os.close(lock3)
    finally:
        os.close(lock1)
