"""Student code, round three (issue 17): contained by construction, in both worlds.

Every attack of the white-box review, through a real flow (batch as root, a TA's machine; or
Gradescope's zip + setup.sh + run_autograder), twice: in the world bubblewrap builds (as root here),
and with namespaces refused as a container with Docker's default capabilities refuses them
(``AUTOGRADER_SANDBOX_REFUSE=all``; CI also runs this file with those capabilities really dropped,
under capsh: see .ci/run). What must hold in both: no credit without the work, nothing of the
grader readable, nothing left on the machine, no classmate harmed.
"""

import os
import subprocess
import textwrap
import uuid

import pytest

from autograder.engine.grading.results import load
from autograder.engine.sandbox import failures as F
from autograder.engine.sandbox.launch import REFUSE_ENV, SHARE_ENV, world_refusal
from autograder.engine.sandbox.isolation import USERS_ENV
from autograder.engine.sandbox.limits import Limits
from autograder.engine.sandbox.student import Sandbox, Student

from .helpers import HW2_CLI, PROJECT, solution_files

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="the account switch and namespaces need root")
FALLBACK_USERS = "autograder-student-6,autograder-student-7"


CONTAINER = os.environ.get("AUTOGRADER_TEST_CONTAINER") == "1"  # ./dev test-container: capabilities dropped


@pytest.fixture(params=[pytest.param("built", marks=pytest.mark.built_world), "fallback"])
def world(request, monkeypatch):
    """Grade in the built world, or without namespaces: as if refused, or (./dev test-container)
    really refused, the grader holding only a default Docker container's capabilities."""
    if request.param == "built":
        assert not world_refusal(), world_refusal()
        monkeypatch.delenv(REFUSE_ENV, raising=False)
    else:
        if CONTAINER:
            monkeypatch.delenv(REFUSE_ENV, raising=False)
        else:
            monkeypatch.setenv(REFUSE_ENV, "all")
        monkeypatch.setenv(USERS_ENV, FALLBACK_USERS)
    monkeypatch.delenv(SHARE_ENV, raising=False)
    return request.param


def handout(homework) -> dict:
    return {n: (homework.handout / n).read_text() for n in homework.files}


def at_import(files: dict, code: str) -> dict:
    files = dict(files)
    files["network.py"] = textwrap.dedent(code) + "\n\n" + files["network.py"]
    return files


def batch(source, out, jobs=2) -> dict:
    done = subprocess.run([*HW2_CLI, "batch", str(source), "--out", str(out),
                           "--jobs", str(jobs)], capture_output=True, text=True, timeout=600, cwd=PROJECT)
    assert done.returncode == 0, done.stderr[-3000:]
    return {p.stem: load(str(p)) for p in (out / "results").glob("*.json")}


def everything(results) -> str:
    return results.model_dump_json()


# -- the mount namespace escaped through a descriptor -------------------------------------------

WALKER = """
    import os
    _found, _stolen = set(), None
    for _fd in range(0, 1024):                      # every descriptor this process may hold
        _here = _fd
        for _ in range(64):                         # walk up: openat(fd, "..") until it stops moving
            try:
                _up = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=_here)
            except (OSError, ValueError):
                break
            try:
                _found.update(os.listdir(_up))
                for _name in os.listdir(_up):
                    _path = os.path.join("/proc/self/fd", str(_up), _name, "solution", "network.py")
                    try:
                        _stolen = _stolen or open(_path).read()
                    except OSError:
                        pass
            except OSError:
                pass
            if _here != _fd:
                os.close(_here)
            _here = _up
    print("WALKED", sorted(_found)[:40])
    if _stolen:
        exec(compile(_stolen, "stolen", "exec"))
"""


@root_only
def test_no_descriptor_leads_out_of_the_world_in_batch(homework, make_submission, tmp_path, world):
    """The attack that scored 100/100 in batch: walk up from every open descriptor, find the
    checkout, run solution/. Here a stub doing that earns nothing, and the walk sees no checkout."""
    (tmp_path / "class").mkdir()
    make_submission(at_import(handout(homework), WALKER), name="class/walker")
    make_submission(solution_files(homework), name="class/honest")
    graded = batch(tmp_path / "class", tmp_path / "out", jobs=1)
    assert graded["walker"].score == 0, everything(graded["walker"])[:2000]
    assert graded["honest"].score == 100
    walked = everything(graded["walker"]).split("WALKED [", 1)[1].split("]", 1)[0]
    for name in ("solution", "handout", "autograder", "home", "results"):
        assert f"'{name}'" not in walked, walked


@root_only
def test_walking_up_from_every_descriptor_finds_only_the_world(tmp_path, world):
    """From inside a worker: the descriptors it holds are its own streams and channel, and no
    openat(fd, "..") from any of them reaches a folder of the machine."""
    (tmp_path / "network.py").write_text(textwrap.dedent("""
        import os, stat
        def open_descriptors():
            found = {}
            for fd in range(0, 1024):
                try:
                    found[fd] = stat.S_IFMT(os.fstat(fd).st_mode)
                except OSError:
                    pass
            return found
        def walk_up():
            seen = set()
            for fd in range(0, 1024):
                here = fd
                for _ in range(64):
                    try:
                        up = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=here)
                    except OSError:
                        break
                    try:
                        seen.update(os.listdir(up))
                    except OSError:
                        pass
                    here = up
            return sorted(seen)
        def import_paths():
            import sys
            entries = list(sys.path)
            for module in list(sys.modules.values()):
                entries += [e for e in getattr(module, "__path__", None) or [] if isinstance(e, str)]
            return sorted({int(e.split("/")[4]) for e in entries if e.startswith("/proc/self/fd/")})
    """))
    sandbox = Sandbox(Limits())
    try:
        student = Student(sandbox, {"network.py": str(tmp_path / "network.py")})
        kinds = {int(k): v for k, v in student.call("network:open_descriptors", None).items()}
        folders = {fd for fd, kind in kinds.items() if kind == 0o040000}
        # stdin, stdout, stderr, the channel; outside the world, where the interpreter lies in a folder
        # the account may not enter (/root here), its import paths, which Landlock keeps a walk from
        assert folders == (set() if world == "built" else set(student.call("network:import_paths", None)))
        assert len(kinds) - len(folders) <= 4, kinds
        seen = set(student.call("network:walk_up", None))
        if world == "built":
            assert seen == set()
        else:  # from an import path, Landlock lets it list only what it may read anyway
            from autograder.engine.sandbox.world import readable_outside
            allowed = set()
            for folder in readable_outside():
                if os.path.isdir(folder):
                    allowed.update(os.listdir(folder))
            assert seen <= allowed, sorted(seen - allowed)[:20]
            assert not seen & {"solution", "handout", ".git", "hw2"}
        student.close()
    finally:
        sandbox.shutdown()


@root_only
@pytest.mark.built_world
def test_the_built_world_holds_only_what_it_names(tmp_path, monkeypatch):
    """Its root lists the interpreter's and system libraries' folders, the sandbox code, NumPy, a
    scratch; the checkout, /home, /run, /var and the machine's /tmp do not exist there. (Landlock is
    left off to look: with it, not even the root's listing is readable.)"""
    assert not world_refusal(), "the built world is the sandbox's first mode: as root here it must be had"
    monkeypatch.setenv(REFUSE_ENV, "landlock")
    (tmp_path / "network.py").write_text("import os\ndef ls(p):\n    return sorted(os.listdir(p))\n")
    sandbox = Sandbox(Limits())
    try:
        student = Student(sandbox, {"network.py": str(tmp_path / "network.py")})
        root = set(student.call("network:ls", None, "/"))
        assert root <= {"dev", "etc", "lib", "lib64", "lib32", "opt", "proc", "root", "stage", "tmp", "usr",
                        "work", "bin", "sbin"} | {PROJECT.parts[1]}, root
        for gone in (str(PROJECT / "solution"), str(PROJECT / "autograder" / "hw2"), "/home", "/run", "/var"):
            with pytest.raises(F.StudentException, match="FileNotFoundError"):
                student.call("network:ls", None, gone)
        assert student.call("network:ls", None, "/stage") == []  # detached once the worker had its copy
        assert set(student.call("network:ls", None, "/etc")) == {"ld.so.cache"}
        student.close()
    finally:
        sandbox.shutdown()


# -- what a submission leaves for the next one ---------------------------------------------------

@root_only
def test_a_note_and_shared_memory_left_for_a_later_classmate(homework, make_submission, tmp_path, world):
    """The first submission leaves a note in /tmp, /var/tmp, /run/lock and /dev/shm and 64 MiB in
    /dev/shm; a later one (same grader, --jobs 1) looks for them and prints what it found: nothing,
    and nothing of it is on the machine afterwards."""
    token = uuid.uuid4().hex
    leaver = f"""
        import os
        for _folder in ("/tmp", "/var/tmp", "/run/lock", "/dev/shm"):
            try:
                with open(os.path.join(_folder, "note-{token}"), "w") as _fh:
                    _fh.write("SECRET-NOTE")
            except OSError:
                pass
        try:
            with open("/dev/shm/blob-{token}", "wb") as _fh:
                for _ in range(64):
                    _fh.write(b"x" * (1 << 20))
        except OSError:
            pass
    """
    reader = f"""
        import os
        for _folder in ("/tmp", "/var/tmp", "/run/lock", "/dev/shm"):
            try:
                print("FOUND", open(os.path.join(_folder, "note-{token}")).read())
            except OSError:
                pass
    """
    (tmp_path / "class").mkdir()
    make_submission(at_import(solution_files(homework), leaver), name="class/a_leaver")
    make_submission(at_import(solution_files(homework), reader), name="class/b_reader")
    graded = batch(tmp_path / "class", tmp_path / "out", jobs=1)
    assert "SECRET-NOTE" not in everything(graded["b_reader"])
    assert graded["b_reader"].score == 100 and graded["a_leaver"].score == 100
    for folder in ("/tmp", "/var/tmp", "/run/lock", "/dev/shm"):
        assert not os.path.exists(os.path.join(folder, f"note-{token}"))
    assert not os.path.exists(f"/dev/shm/blob-{token}")


@root_only
def test_filling_the_scratch_harms_no_classmate(homework, make_submission, tmp_path, world):
    """One submission writes all it can into its scratch, /tmp and its temp folder (new files of
    16 MiB, the per-file cap, until refused); honest classmates graded beside it keep full marks."""
    filler = """
        import os, tempfile
        _n = 0
        try:
            _temp = tempfile.gettempdir()
        except OSError:  # (none usable: outside the built world nothing may be made)
            _temp = "/tmp"
        for _folder in (os.getcwd(), "/tmp", _temp):
            for _i in range(200):
                try:
                    with open(os.path.join(_folder, f"fill-{_i}"), "wb") as _fh:
                        for _ in range(16):
                            _fh.write(b"x" * (1 << 20))
                    _n += 1
                except OSError:
                    break
        print("FILLED", _n)
    """
    (tmp_path / "class").mkdir()
    make_submission(at_import(solution_files(homework), filler), name="class/a_filler")
    for name in ("b_honest", "c_honest", "d_honest"):
        make_submission(solution_files(homework), name=f"class/{name}")
    graded = batch(tmp_path / "class", tmp_path / "out", jobs=2)
    assert {k: r.score for k, r in graded.items() if "honest" in k} == \
        {"b_honest": 100, "c_honest": 100, "d_honest": 100}
    text = everything(graded["a_filler"])
    assert "FILLED " in text, text[:3000]
    filled = int(text.split("FILLED ")[1].split("\\n")[0].strip())
    assert filled * 16 <= 64, filled  # at most the quota's worth, whatever the folder


# -- where namespaces are refused ---------------------------------------------------------------

@root_only
def test_no_network_and_no_named_socket(homework, make_submission, gradescope, tmp_path, world):
    """A listening TCP port on the loopback and a Unix socket named by path under /run: student code
    reaches neither (the network namespace and the world's missing /run; without namespaces, the
    seccomp filter refuses every socket), and the results say the network was cut."""
    import socket
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.5)
    path = f"/run/autograder-test-{uuid.uuid4().hex[:8]}.sock"
    named = socket.socket(socket.AF_UNIX)
    named.bind(path)
    os.chmod(path, 0o777)
    named.listen(5)
    named.settimeout(0.5)
    code = f"""
        import socket
        for _address, _family in ((("127.0.0.1", {server.getsockname()[1]}), socket.AF_INET), ({path!r}, socket.AF_UNIX)):
            try:
                _s = socket.socket(_family)
                _s.settimeout(2)
                _s.connect(_address)
                _s.sendall(b"x")
                print("REACHED", _address)
            except OSError as _exc:
                print("REFUSED", type(_exc).__name__)
    """
    try:
        results = gradescope(make_submission(at_import(solution_files(homework), code)))
        for listener in (server, named):
            with pytest.raises(socket.timeout):
                listener.accept()
    finally:
        server.close()
        named.close()
        os.unlink(path)
    assert "REACHED" not in everything(results) and results.score == 100
    assert "network could not be cut off" not in results.output
    assert "seccomp" in results.extra_data["isolation"] and "no seccomp" not in results.extra_data["isolation"]


@root_only
def test_sysv_and_posix_shared_memory_never_outlive_the_run(homework, make_submission, gradescope, world):
    """600 MiB of SysV shared memory once outlived a run where namespaces were refused. Here the
    segments cannot be made (seccomp), or die with the worker's IPC namespace."""
    token = uuid.uuid4().hex
    key = int(token[:6], 16)
    code = f"""
        import ctypes
        _libc = ctypes.CDLL(None, use_errno=True)
        _ids = [_libc.shmget({key} + _i, 100 << 20, 0o1000 | 0o666) for _i in range(6)]
        print("SHM", _ids, ctypes.get_errno())
    """
    results = gradescope(make_submission(at_import(solution_files(homework), code)))
    assert results.score == 100
    with open("/proc/sysvipc/shm") as fh:
        fh.readline()
        keys = {int(line.split()[0]) for line in fh}
    assert not keys & {key + i for i in range(6)}


@pytest.mark.container
def test_the_container_refuses_namespaces_and_the_results_say_so(homework, make_submission, gradescope):
    """With a default Docker container's capabilities the kernel refuses bubblewrap's namespaces; the
    grade goes on in the fallback, and the results say what held (seccomp, Landlock) and why no world."""
    assert "Operation not permitted" in world_refusal(), world_refusal()
    results = gradescope(make_submission(solution_files(homework)))
    assert results.score == 100
    isolation = results.extra_data["isolation"]
    assert "no built root or namespaces (bwrap: Creating new namespace failed: Operation not permitted)" in isolation
    assert "; seccomp;" in isolation and "landlock (ABI" in isolation


@root_only
def test_without_an_account_student_code_runs_as_nobody_never_root(tmp_path, world, monkeypatch):
    """Where no sandbox account can be made (no useradd), student code still never runs as root:
    it runs as nobody, and the results say so."""
    from autograder.engine.sandbox import isolation
    monkeypatch.setattr(isolation, "claim_account", lambda name=None: (None, None))
    (tmp_path / "network.py").write_text("import os\n")
    sandbox = Sandbox(Limits())
    try:
        student = Student(sandbox, {"network.py": str(tmp_path / "network.py")})
        assert student.call("network:os.getuid", None) == 65534
        assert student.call("network:os.getgid", None) == 65534
        assert "runs as nobody (65534)" in sandbox.isolation
        student.close()
    finally:
        sandbox.shutdown()
