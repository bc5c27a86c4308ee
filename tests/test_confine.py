"""Seccomp and Landlock in a forked worker (sandbox/confine.py): each forbidden thing fails with its
errno, plain NumPy work still runs.

A probe process is forked from the test and, as root, first switches to a sandbox account as the
worker does (claim_account, drop_privileges); it is also run as a plain process. It forks a process
of its own user before the layers go on (outside their domain, as the grader and other workers are),
applies them, then tries each thing below and reports what happened. The places it tries are open to
it by file modes (a world-readable file, world-writable folders, sockets anyone may connect to), so
only the layers stand in the way: a control run with no layer shows every forbidden thing succeed.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import socket
import sys
import sysconfig
import tempfile
import threading
import time

import numpy as np
import pytest

from autograder.engine.sandbox import confine

# as the fork server does: the stdlib may be out of the sandbox account's reach (an interpreter under /root)
np.random.default_rng(0)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp and Landlock are Linux's")

CONFINEMENT = confine.Confinement()
ABI = CONFINEMENT.abi if isinstance(CONFINEMENT.abi, int) else 0
ROOT = os.geteuid() == 0
MODES = ["account", "plain"] if ROOT else ["plain"]

needs_seccomp = pytest.mark.skipif(CONFINEMENT.filter is None, reason=f"seccomp: {CONFINEMENT.seccomp_missing}")
needs_landlock = pytest.mark.skipif(not ABI, reason=f"Landlock: {CONFINEMENT.abi}")

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.ptrace.restype = ctypes.c_long
libc.process_vm_readv.restype = ctypes.c_ssize_t
CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
PTRACE_ATTACH, PTRACE_DETACH = 16, 17


try:  # the numbers of the calls Python has no function for, from libseccomp's tables where it is here
    import pyseccomp
    NR = {name: pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name) for name in ("clone", "keyctl")}
except (ImportError, RuntimeError, OSError):
    NR = {"x86_64": {"clone": 56, "keyctl": 250}, "aarch64": {"clone": 220, "keyctl": 219}}.get(os.uname().machine, {})


# -- the world the probe sees ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def world():
    base = tempfile.mkdtemp(prefix="confine-")
    os.chmod(base, 0o755)
    paths = {name: os.path.join(base, name) for name in ("secret", "open", "scratch", "lib")}
    paths["private"] = os.path.join(base, "private")  # root's alone
    for name, mode in (("secret", 0o755), ("open", 0o777), ("scratch", 0o777), ("lib", 0o777), ("private", 0o700)):
        os.mkdir(paths[name])
        os.chmod(paths[name], mode)
    with open(os.path.join(paths["secret"], "notes.txt"), "w") as fh:
        fh.write("a classmate's answers")
    os.chmod(os.path.join(paths["secret"], "notes.txt"), 0o644)
    with open(os.path.join(paths["lib"], "confine_probe_module.py"), "w") as fh:
        fh.write("ANSWER = 42\n")
    os.chmod(os.path.join(paths["lib"], "confine_probe_module.py"), 0o644)
    listeners = []
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    paths["tcp_port"] = tcp.getsockname()[1]
    paths["unix"] = os.path.join(base, "grader.sock")
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(paths["unix"])
    os.chmod(paths["unix"], 0o777)
    paths["abstract"] = f"\0autograder-confine-{os.getpid()}-{os.path.basename(base)}"
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(paths["abstract"])
    for listener in (tcp, unix, abstract):
        listener.listen(64)
        listeners.append(listener)
    paths["read_only"] = _interpreter_paths() + [paths["lib"]]
    account = lock = None
    if ROOT:
        from autograder.engine.sandbox.isolation import claim_account
        account, lock = claim_account()
        assert account is not None, "no sandbox account could be made"
    paths["account"] = account
    yield paths
    for mode in MODES:  # Landlock alone answers EACCES yet leaves the queue made
        for layers in LAYERS:
            libc.mq_unlink(_queue_name(paths, mode, layers))
    for listener in listeners:
        listener.close()
    if lock is not None:
        os.close(lock)
    shutil.rmtree(base, ignore_errors=True)


LAYERS = ("none", "seccomp", "landlock", "both")


def _queue_name(world, mode: str, layers: str) -> bytes:
    return f"/autograder-confine-{os.path.basename(os.path.dirname(world['scratch']))}-{mode}-{layers}".encode()


def _interpreter_paths() -> list:
    return sorted({sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")})


# -- running something in a forked process -----------------------------------------------------------

def in_fork(fn, *args):
    """fn(*args) in a forked child: its JSON-able value, or {"raised": "Type: message"}."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            try:
                out = {"value": fn(*args)}
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                out = {"raised": f"{type(exc).__name__}: {exc}"}
            data = json.dumps(out).encode()
            while data:
                data = data[os.write(write_end, data):]
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as pipe:
        for chunk in iter(lambda: pipe.read(65536), b""):
            chunks.append(chunk)
    os.waitpid(pid, 0)
    assert chunks, "the probe died before reporting"
    return json.loads(b"".join(chunks))


def _outcome(fn) -> str:
    """'ok', or the errno's name."""
    try:
        fn()
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))


def _in_subprocess(fn) -> str:
    """fn in a child of the probe (it inherits the layers): for what would change the probe itself."""
    pid = os.fork()
    if pid == 0:
        try:
            fn()
            os._exit(0)
        except OSError as exc:
            os._exit(exc.errno if 0 < exc.errno < 255 else 255)
        except BaseException:  # noqa: BLE001
            os._exit(255)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return "ok" if code == 0 else errno.errorcode.get(code, f"exit {code}")


def _check(result) -> None:
    if result == -1:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


# -- the probes --------------------------------------------------------------------------------------

def _connect(family, address):
    with socket.socket(family) as sock:
        sock.connect(address)


def _ptrace(target: int):
    _check(libc.ptrace(ctypes.c_long(PTRACE_ATTACH), ctypes.c_long(target), None, None))
    os.waitpid(target, os.WUNTRACED)
    libc.ptrace(ctypes.c_long(PTRACE_DETACH), ctypes.c_long(target), None, None)


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]


def _read_memory(target: int, buffer):
    """Read the target's copy of `buffer` (it was forked from us: same address)."""
    mine = ctypes.create_string_buffer(len(buffer))
    local = _Iovec(ctypes.cast(mine, ctypes.c_void_p), len(buffer))
    remote = _Iovec(ctypes.cast(buffer, ctypes.c_void_p), len(buffer))
    _check(libc.process_vm_readv(target, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0))
    assert mine.raw == buffer.raw


def _shmget():
    shmid = libc.shmget(0, 4096, 0o1000 | 0o600)  # IPC_PRIVATE, IPC_CREAT
    _check(shmid)
    libc.shmctl(shmid, 0, None)  # IPC_RMID


def _mq_open(name: bytes):
    queue = libc.mq_open(name, os.O_CREAT | os.O_RDWR, ctypes.c_uint(0o600), None)
    _check(queue)
    libc.mq_close(queue)
    libc.mq_unlink(name)


def _memfd():
    os.close(os.memfd_create("probe"))


def _mount(target: str):
    os.makedirs(target, exist_ok=True)
    _check(libc.mount(b"none", target.encode(), b"tmpfs", ctypes.c_ulong(0), b"size=4k"))
    libc.umount2(target.encode(), 0)


def _unshare():
    _check(libc.unshare(CLONE_NEWUSER))


def _clone_new_user(number: int):
    pid = libc.syscall(ctypes.c_long(number), ctypes.c_ulong(CLONE_NEWUSER | SIGCHLD), None, None, None, None)
    if pid == 0:
        os._exit(0)
    _check(pid)
    os.waitpid(pid, 0)


def _keyctl(number: int):
    _check(libc.syscall(ctypes.c_long(number), ctypes.c_long(0), ctypes.c_long(-3), ctypes.c_long(0)))


def _read(path: str):
    with open(path) as fh:
        fh.read()


def _write(path: str):
    with open(path, "w") as fh:
        fh.write("left behind")


def _numpy():
    a = np.random.default_rng(0).normal(size=(64, 64)) + 8 * np.eye(64)
    assert np.allclose(a @ np.linalg.inv(a), np.eye(64))
    assert np.allclose(np.fft.ifft(np.fft.fft(a[0])).real, a[0])  # an extension loaded only now


def _scratch(folder: str):
    path = os.path.join(folder, "work", "out.txt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write("mine")
    with open(path) as fh:
        assert fh.read() == "mine"
    os.replace(path, path + ".done")
    os.remove(path + ".done")


def _import(folder: str):
    sys.path.insert(0, folder)
    import confine_probe_module
    assert confine_probe_module.ANSWER == 42


def _thread():
    seen = []
    worker = threading.Thread(target=seen.append, args=(1,))
    worker.start()
    worker.join()
    assert seen == [1]


def _fork():
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7


def _print_and_raise():
    print("printed under confinement", flush=True)
    try:
        raise ValueError("raised under confinement")
    except ValueError:
        pass
    with open(os.devnull, "w") as fh:
        fh.write("nothing")
    left, right = socket.socketpair()
    left.sendall(b"x")
    assert right.recv(1) == b"x"
    left.close()
    right.close()


FORBIDDEN = ["socket_inet", "tcp_connect", "unix_path_connect", "unix_abstract_connect", "ptrace",
             "process_vm_readv", "shmget", "mq_open", "memfd_create", "mount", "unshare", "clone_new_user",
             "execve", "keyctl", "read_outside", "list_outside", "write_outside", "write_read_only",
             "signal_outside", "signal_everyone"]
ALLOWED = ["numpy", "scratch_write_read", "import_read_only", "thread", "fork", "print_raise_devnull"]


def probe(world, mode: str, layers: str) -> dict:
    """In a forked child: the user switch (account mode), the layers, then every probe."""
    def run():
        read_only = world["read_only"]
        if mode == "account":  # as the fork server does: import paths the account cannot enter (an
            # interpreter under /root, a clone in a folder only root may enter) reached by descriptors
            from autograder.engine.sandbox.forkserver import hold_import_paths, reach_import_paths
            from autograder.engine.sandbox.limits import drop_privileges
            held_paths = hold_import_paths()
            drop_privileges(world["account"].pw_uid, world["account"].pw_gid)
            read_only = read_only + reach_import_paths(held_paths)
            # leaving root made us undumpable, which alone refuses ptrace: dumpable, as a not-root grader is
            libc.prctl(4, 1)  # PR_SET_DUMPABLE
        os.chdir(world["scratch"])
        secret = ctypes.create_string_buffer(b"the grader's memory", 64)
        prober = os.getpid()
        neighbour = os.fork()  # same user, outside the domain: as the grader is to a plain-process worker
        if neighbour == 0:  # it holds none of our descriptors and ends with us: once confined we may not
            os.closerange(3, 65536)  # kill it, and Landlock's scope even stops a parent-death signal
            while os.getppid() == prober:
                time.sleep(0.05)
            os._exit(0)
        held, me = None, os.getpid()  # each run writes names of its own (runs as root and as the account)
        try:
            if layers == "both":
                held = CONFINEMENT.apply(read_only, [world["scratch"]], secrets=[world["secret"]])
            elif layers == "seccomp":
                CONFINEMENT.filter.load()
            elif layers == "landlock":
                confine.restrict(ABI, read_only, [world["scratch"]])
            found = {
                "socket_inet": _outcome(lambda: socket.socket(socket.AF_INET).close()),
                "tcp_connect": _outcome(lambda: _connect(socket.AF_INET, ("127.0.0.1", world["tcp_port"]))),
                "unix_path_connect": _outcome(lambda: _connect(socket.AF_UNIX, world["unix"])),
                "unix_abstract_connect": _outcome(lambda: _connect(socket.AF_UNIX, world["abstract"])),
                "ptrace": _outcome(lambda: _ptrace(neighbour)),
                "process_vm_readv": _outcome(lambda: _read_memory(neighbour, secret)),
                "shmget": _outcome(_shmget),
                "mq_open": _outcome(lambda: _mq_open(_queue_name(world, mode, layers))),
                "memfd_create": _outcome(_memfd),
                "mount": _in_subprocess(lambda: _mount(os.path.join(world["scratch"], "mnt"))),
                "unshare": _in_subprocess(_unshare),
                "clone_new_user": _in_subprocess(lambda: _clone_new_user(NR["clone"])),
                "execve": _in_subprocess(lambda: os.execv("/bin/true", ["true"])),
                "keyctl": _outcome(lambda: _keyctl(NR["keyctl"])),
                "read_outside": _outcome(lambda: _read(os.path.join(world["secret"], "notes.txt"))),
                "list_outside": _outcome(lambda: os.listdir(world["secret"])),
                "write_outside": _outcome(lambda: _write(os.path.join(world["open"], f"note-{me}.txt"))),
                "write_read_only": _outcome(lambda: _write(os.path.join(world["lib"], f"planted_{me}.py"))),
                "signal_outside": _outcome(lambda: os.kill(neighbour, 0)),
                "signal_parent": _outcome(lambda: os.kill(os.getppid(), 0)),
                "signal_everyone": _outcome(lambda: os.kill(-1, 0)),
                "numpy": _outcome(_numpy),
                "scratch_write_read": _outcome(lambda: _scratch(os.path.join(world["scratch"], str(me)))),
                "import_read_only": _outcome(lambda: _import(world["lib"])),
                "thread": _outcome(_thread),
                "fork": _outcome(_fork),
                "print_raise_devnull": _outcome(_print_and_raise),
            }
            return {"held": held, "found": found}
        finally:
            try:
                os.kill(neighbour, 9)
                os.waitpid(neighbour, 0)
            except OSError:
                pass
    result = in_fork(run)
    assert "value" in result, result
    return result["value"]


@pytest.fixture(scope="module")
def outcomes(world):
    """(mode, layers) -> what the probe found, each run once."""
    cache: dict = {}

    def get(mode: str, layers: str) -> dict:
        if (mode, layers) not in cache:
            cache[mode, layers] = probe(world, mode, layers)
        return cache[mode, layers]
    return get


# What stops each forbidden thing, and with which errno.
BY_SECCOMP = {name: "EPERM" for name in ["socket_inet", "tcp_connect", "unix_path_connect", "unix_abstract_connect",
                                         "ptrace", "process_vm_readv", "shmget", "mq_open", "memfd_create", "mount",
                                         "unshare", "clone_new_user", "execve", "keyctl", "signal_everyone"]}
BY_LANDLOCK = {"read_outside": "EACCES", "list_outside": "EACCES", "write_outside": "EACCES",
               "write_read_only": "EACCES", "execve": "EACCES",  # no right to execute anything
               "ptrace": "EPERM", "process_vm_readv": "EPERM",  # a process outside the domain
               "tcp_connect": "EACCES",  # ABI 4
               "signal_outside": "EPERM", "unix_abstract_connect": "EPERM"}  # ABI 6
LANDLOCK_ABI = {"tcp_connect": 4, "signal_outside": 6, "unix_abstract_connect": 6}
# With both layers the first to refuse answers: seccomp's errors come first, Landlock's where seccomp has none.
BOTH = {**{k: v for k, v in BY_LANDLOCK.items() if k not in BY_SECCOMP}, **BY_SECCOMP}


# -- both layers, as the worker applies them ---------------------------------------------------------

@needs_seccomp
@needs_landlock
@pytest.mark.parametrize("mode", MODES)
def test_both_layers_hold_and_say_so(outcomes, mode):
    assert outcomes(mode, "both")["held"] == {"seccomp": True, "landlock": ABI}


@needs_seccomp
@needs_landlock
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("attempt", FORBIDDEN)
def test_forbidden_under_both_layers(outcomes, mode, attempt):
    if ABI < LANDLOCK_ABI.get(attempt, 0) and attempt not in BY_SECCOMP:
        pytest.skip(f"Landlock ABI {ABI} has no rule for {attempt}")
    assert outcomes(mode, "both")["found"][attempt] == BOTH[attempt]


@needs_seccomp
@needs_landlock
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("work", ALLOWED)
def test_student_work_runs_under_both_layers(outcomes, mode, work):
    assert outcomes(mode, "both")["found"][work] == "ok"


@needs_landlock
@pytest.mark.skipif(ABI < 6, reason="signal scoping needs Landlock ABI 6")
def test_plain_worker_cannot_signal_the_grader(outcomes):
    """Not root, the worker runs as the grader's own user: only the scope keeps kill() off it."""
    assert outcomes("plain", "both")["found"]["signal_parent"] == "EPERM"
    assert outcomes("plain", "none")["found"]["signal_parent"] == "ok"


# -- each layer alone: each holds where the other is missing ------------------------------------------

@needs_seccomp
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("attempt", sorted(BY_SECCOMP))
def test_seccomp_alone(outcomes, mode, attempt):
    assert outcomes(mode, "seccomp")["found"][attempt] == BY_SECCOMP[attempt]


@needs_landlock
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("attempt", sorted(BY_LANDLOCK))
def test_landlock_alone(outcomes, mode, attempt):
    if ABI < LANDLOCK_ABI.get(attempt, 0):
        pytest.skip(f"Landlock ABI {ABI} has no rule for {attempt}")
    assert outcomes(mode, "landlock")["found"][attempt] == BY_LANDLOCK[attempt]


@pytest.mark.parametrize("mode", MODES)
def test_without_layers_every_attempt_succeeds(outcomes, mode):
    """The control: the probes are real, and only the layers stop them (as the sandbox account, a
    mount still needs root)."""
    found = outcomes(mode, "none")["found"]
    refused_anyway = {"mount": "EPERM", "signal_parent": "EPERM"} if mode == "account" else {}  # root's
    if not _can_mount():  # not root, or root with Docker's default capabilities
        refused_anyway["mount"] = "EPERM"
    assert {k: v for k, v in found.items() if v != "ok"} == refused_anyway


def _can_mount() -> bool:
    with open("/proc/self/status") as fh:
        effective = next(int(line.split()[1], 16) for line in fh if line.startswith("CapEff:"))
    return bool(effective & (1 << 21))  # CAP_SYS_ADMIN


# -- what apply() leaves, and where it refuses ---------------------------------------------------------

def _open_fds() -> list:
    found = []
    for fd in range(1024):
        try:
            os.fstat(fd)
            found.append(fd)
        except OSError:
            continue
    return found


def test_apply_keeps_no_descriptor(world):
    """Every descriptor apply() opened (rule paths, the ruleset) is closed: a folder's descriptor
    left open would let student code walk up from it with openat(fd, "..")."""
    def run():
        before = _open_fds()
        held = CONFINEMENT.apply(world["read_only"], [world["scratch"]])
        return before, _open_fds(), held
    before, after, held = in_fork(run)["value"]
    assert after == before
    assert held == {"seccomp": CONFINEMENT.seccomp_missing or True, "landlock": CONFINEMENT.abi}


@needs_landlock
def test_apply_refuses_a_second_thread(world):
    """Landlock confines the calling thread only: a worker with another thread would leave it free."""
    def run():
        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
        try:
            return CONFINEMENT.apply(world["read_only"], [world["scratch"]])
        finally:
            stop.set()
    assert in_fork(run)["raised"].startswith("RuntimeError: 2 threads")


@needs_landlock
@pytest.mark.skipif(not ROOT, reason="needs root to switch to the sandbox account")
def test_a_path_the_account_cannot_reach_grants_nothing(world):
    """File modes already keep the account from a root-only folder: its rule is left out, the rest hold."""
    inner = os.path.join(world["private"], "inner")

    def run():
        from autograder.engine.sandbox.limits import drop_privileges
        drop_privileges(world["account"].pw_uid, world["account"].pw_gid)
        held = CONFINEMENT.apply(world["read_only"] + [inner], [world["scratch"]])
        return held, _outcome(lambda: os.listdir(inner)), _outcome(lambda: os.listdir(world["secret"]))
    os.makedirs(inner, exist_ok=True)
    held, private, secret = in_fork(run)["value"]
    assert held["landlock"] == ABI and (private, secret) == ("EACCES", "EACCES")


@needs_seccomp
def test_a_filter_that_cannot_be_loaded_stops_the_worker(world):
    """Fail closed: seccomp was there when the fork server built the filter, and loading it fails
    (here a filter loaded before refuses seccomp()): apply raises, no student code runs."""
    import pyseccomp

    def run():
        blocker = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        blocker.add_rule(pyseccomp.ERRNO(errno.EACCES), "seccomp")
        blocker.load()
        return CONFINEMENT.apply(world["read_only"], [world["scratch"]])
    raised = in_fork(run)["raised"]
    assert raised.startswith(("PermissionError", "OSError")), raised  # ECANCELED from a libseccomp before 2.5


def test_a_rule_that_would_grant_a_secret_is_refused_everywhere(world):
    """Checked before any layer, on every machine alike: a rule on / or on a folder holding a secret
    (the grader's checkout above its virtualenv, say) stops the worker."""
    checkout = os.path.dirname(world["lib"])
    with pytest.raises(ValueError, match="whole machine"):
        CONFINEMENT.apply(["/usr/../"], [])
    with pytest.raises(ValueError, match="would grant the secret"):
        CONFINEMENT.apply([checkout], [world["scratch"]], secrets=[world["secret"]])
    with pytest.raises(ValueError, match="would grant the secret"):
        CONFINEMENT.apply([world["lib"]], [world["secret"] + "/"], secrets=[world["secret"]])
    confine.check_grants([world["lib"]], secrets=[checkout])  # a folder inside a secret grants only itself


def test_a_missing_layer_is_reported_not_raised(monkeypatch, world):
    """No libseccomp.so.2 (macOS, a minimal image) and a kernel without Landlock: apply() says so."""
    import ctypes.util
    real = ctypes.util.find_library
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "seccomp" else real(name))
    monkeypatch.setitem(confine.SONAMES, "seccomp", "libseccomp-absent.so.0")
    monkeypatch.delitem(sys.modules, "pyseccomp", raising=False)

    def no_landlock(*args):
        raise OSError(errno.ENOSYS, "Function not implemented")
    monkeypatch.setattr(confine, "_syscall", no_landlock)
    bare = confine.Confinement()
    assert bare.filter is None and bare.seccomp_missing == "no libseccomp (libseccomp.so.2 not found)"
    assert bare.abi.startswith("kernel without Landlock")
    held = in_fork(bare.apply, world["read_only"], [world["scratch"]])["value"]
    assert held == {"seccomp": "no libseccomp (libseccomp.so.2 not found)", "landlock": bare.abi}


# calls of Linux 5.6 and later, which an older libseccomp may not know (then they are not filtered)
RECENT = {"pidfd_getfd", "process_madvise", "process_mrelease", "memfd_secret", "mount_setattr", "quotactl_fd",
          "close_range", "faccessat2", "epoll_pwait2", "landlock_create_ruleset"}


@needs_seccomp
def test_every_rule_has_a_reason_and_a_call_libseccomp_knows():
    assert all(reason and len(reason) < 160 for *_, reason in confine.DENIED)
    assert set(CONFINEMENT.unknown_calls) <= RECENT, CONFINEMENT.unknown_calls


# -- every row of the table, as the kernel sees it ----------------------------------------------------

# Arguments that keep a call harmless should a rule be missing (the sweep runs as the sandbox account,
# where the kernel refuses what needs root): no PTRACE_TRACEME, no private IPC object made or removed.
HARMLESS = {"ptrace": (PTRACE_ATTACH, 0), "shmget": (1, 0, 0), "semget": (1, 0, 0), "msgget": (1, 0),
            "shmctl": (-1, 0, 0), "semctl": (-1, 0, 0), "msgctl": (-1, 0, 0), "setns": (-1, 0)}


def _arguments(name: str, conditions) -> list:
    args = list(HARMLESS.get(name, ())) + [0] * 6
    for index, op, a, b in conditions:  # arguments the rule's conditions match
        args[index] = b if op == confine.MASKED_EQ else (0 if a != 0 else 1)
    if name == "clone":
        args[0] |= SIGCHLD
    return args[:6]


@needs_seccomp
def test_every_rule_reaches_the_kernel(monkeypatch, world):
    """Each row of DENIED, called with arguments its conditions match, answers the row's error: here
    an errno no call returns on its own (EHWPOISON), so a refusal by the kernel cannot pass for one."""
    unique = 133  # EHWPOISON (not in the errno module)
    monkeypatch.setattr(confine, "DENIED", [(n, unique, c, r) for n, _, c, r in confine.DENIED])
    marked = confine.Confinement()
    import pyseccomp
    calls = [(n, pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, n), _arguments(n, c))
             for n, _, c, _ in confine.DENIED if n not in marked.unknown_calls]

    def run():
        if ROOT:
            from autograder.engine.sandbox.limits import drop_privileges
            drop_privileges(world["account"].pw_uid, world["account"].pw_gid)
        marked.filter.load()
        found = []
        for name, number, args in calls:
            result = libc.syscall(ctypes.c_long(number), *(ctypes.c_long(a) for a in args))
            if name == "clone" and result == 0:
                os._exit(0)
            found.append([name, args, result, ctypes.get_errno() if result == -1 else None])
        return found
    found = in_fork(run)["value"]
    assert len(found) == len(calls) > 100
    assert [f for f in found if f[2:] != [-1, unique]] == []


@needs_seccomp
def test_clone3_answers_enosys_so_threads_fall_back_to_clone(world):
    import pyseccomp
    number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, "clone3")

    def run():
        CONFINEMENT.filter.load()
        result = libc.syscall(ctypes.c_long(number), None, ctypes.c_long(0))
        return result, ctypes.get_errno()
    assert in_fork(run)["value"] == [-1, errno.ENOSYS]
