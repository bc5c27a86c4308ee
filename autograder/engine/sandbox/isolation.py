"""Namespaces, masks and accounts that keep student code away from secrets, classmates and the machine.

Limits (limits.py) bound what a worker may use; this module bounds what it
may see. As root, each worker gets, before any student code runs:

- a private mount namespace where the grader's folder, its package, the
  results and metadata (whatever ``hide`` registered) are covered by empty
  read-only tmpfs (files by /dev/null), and /tmp, /var/tmp, /dev/shm are
  fresh small tmpfs: nothing secret is readable whatever the file modes, and
  nothing written there outlives the worker;
- an IPC namespace (SysV segments, semaphores and queues die with it);
- a PID namespace whose init is the worker, with its own /proc: killing the
  worker kills everything it started, however detached, and it sees (and can
  signal) no other process;
- an empty network namespace;
- an account of its own per concurrent grading (``claim_account``), so two
  submissions graded at once cannot signal or read each other even where the
  namespaces are refused.

Where the kernel refuses a namespace (a container without CAP_SYS_ADMIN, a
laptop without root), the worker says so and the grader falls back to what
file modes, per-job accounts and cleanup by owner can do, and reports what is
missing in the results (``describe``).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import pwd
import shutil
import stat
import subprocess

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18

NAMESPACES = {"mount": CLONE_NEWNS, "ipc": CLONE_NEWIPC, "pid": CLONE_NEWPID, "net": CLONE_NEWNET}
PRIVATE_TEMP = ("/tmp", "/var/tmp", "/dev/shm")
# world-writable places a student could leave files in, swept by owner when there is no mount namespace
SHARED_TEMP = PRIVATE_TEMP + ("/run/lock", "/var/crash", "/dev/mqueue")
TEMP_SIZE = "16m"  # each private temp folder: tmpfs is memory, and Gradescope has 768 MB

# Test and diagnostic switch, read by the grader only (workers get a cleared environment): act as if the
# kernel refused these namespaces ("net,pid" or "all"), to exercise and show the fallbacks.
REFUSE_ENV = "AUTOGRADER_SANDBOX_REFUSE"
# The pool of sandbox accounts, comma-separated (default: autograder-student, autograder-student-2, ...).
USERS_ENV = "AUTOGRADER_SANDBOX_USERS"
POOL_SIZE = 16
LOCK_DIR = "/run/autograder-sandbox"

_HIDDEN: set = set()


def hide(*paths) -> None:
    """Register paths no worker of this process (or of its forks) may read: results, metadata, a class."""
    for path in paths:
        if path and os.path.abspath(str(path)) != "/":
            _HIDDEN.add(os.path.abspath(str(path)))


def hide_output(path) -> None:
    """A file the grader writes (results.json) and, unless it is shared like /tmp or is "/", its
    folder: on Gradescope that folder also holds the log of this very run."""
    path = os.path.abspath(str(path))
    folder = os.path.dirname(path)
    try:
        shared = folder == "/" or bool(os.stat(folder).st_mode & stat.S_IWOTH)
    except OSError:
        shared = True
    hide(path if shared else folder)


def hidden() -> list:
    return sorted(_HIDDEN)


def refused() -> list:
    """The namespaces the test switch says to treat as refused."""
    value = os.environ.get(REFUSE_ENV, "")
    names = {n.strip() for n in value.split(",") if n.strip()}
    return sorted(NAMESPACES) if "all" in names else sorted(names & set(NAMESPACES))


# -- the worker's side (runs in the forked child, as root, before the user switch) -------------------

def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _unshare(flag: int) -> bool:
    try:
        return _libc().unshare(flag) == 0
    except (OSError, AttributeError):
        return False


def _mount(source, target, fstype, flags: int, data=None) -> None:
    enc = (lambda s: None if s is None else str(s).encode())
    if _libc().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def enter_namespaces(refuse=()) -> dict:
    """unshare each namespace on its own, so one refusal leaves the others: {name: bool}.
    The PID namespace applies to the children forked afterwards (see zygote.py)."""
    state = {}
    for name, flag in NAMESPACES.items():
        state[name] = name not in refuse and _unshare(flag)
    if state["mount"]:
        try:
            _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks back to the machine
        except OSError:
            state["mount"] = False
    return state


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def mask(secrets, keep) -> list:
    """In the worker's own mount namespace: cover every secret (empty read-only tmpfs on a folder,
    /dev/null on a file), give it private temp folders, then bind back the folders it needs that
    lay under a mask (its scratch folder, import paths). Returns what could not be covered."""
    keep = [os.path.realpath(k) for k in keep if os.path.isdir(k)]
    held = {k: os.open(k, os.O_RDONLY | os.O_DIRECTORY) for k in keep}
    failed, covered = [], []
    for path in PRIVATE_TEMP:  # first, so a secret inside one is simply gone
        if os.path.isdir(path):
            try:
                _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={TEMP_SIZE},mode=1777")
            except OSError:
                failed.append(path)
    secrets = sorted({os.path.realpath(s) for s in secrets}, key=len)
    _cover(secrets, covered, failed)
    for path, fd in held.items():
        try:
            if not _still_there(path, fd):
                os.makedirs(path, exist_ok=True)
                _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        except OSError:
            failed.append(path)
        finally:
            os.close(fd)
    _cover(secrets, covered, failed)  # a secret inside what was bound back (a package installed in a venv)
    for path in covered:  # read-only once the mount points of what we bound back exist
        try:
            _mount(None, path, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except OSError:
            failed.append(path)
    return failed


def _cover(secrets, covered: list, failed: list) -> None:
    """Cover each secret now visible and not yet covered, parents first (a child of a covered
    folder is then simply gone)."""
    for path in secrets:
        if path in covered or path in failed:
            continue
        try:
            if os.path.isdir(path):
                _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=755")
                covered.append(path)
            elif os.path.exists(path) and not os.path.samefile(path, "/dev/null"):
                _mount("/dev/null", path, None, MS_BIND)
        except OSError:
            failed.append(path)


def _still_there(path: str, fd: int) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


def own_proc() -> bool:
    """In the PID namespace's init: a /proc showing only this namespace's processes."""
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        return True
    except OSError:
        return False


def exposed(secrets, keep) -> list:
    """After the user switch: which secrets can this process still read? (A folder counts when it
    lists anything but the mount points of what was bound back; a file when it yields a byte.)"""
    found = []
    for path in secrets:
        try:
            if os.path.isdir(path):
                kept = {os.path.relpath(k, path).split(os.sep)[0] for k in keep if _under(k, path) and k != path}
                if set(os.listdir(path)) - kept:
                    found.append(path)
            elif os.path.exists(path):
                with open(path, "rb") as fh:
                    if fh.read(1):
                        found.append(path)
        except OSError:
            continue
    return found


# -- the grader's side -------------------------------------------------------------------------------

def pool_names() -> list:
    names = [n.strip() for n in os.environ.get(USERS_ENV, "").split(",") if n.strip()]
    return names or ["autograder-student"] + [f"autograder-student-{i}" for i in range(2, POOL_SIZE + 1)]


def _account(name: str):
    """The account, made on first use (as setup.sh does for the first one)."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    try:
        subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True, timeout=30)
        return pwd.getpwnam(name)
    except (OSError, subprocess.SubprocessError, KeyError):
        return None


def claim_account(name: str | None = None):
    """As root: (an account no other grading on this machine is using, the lock that says so), held
    until the lock's descriptor closes (so a crashed grader frees it). Not root: (None, None)."""
    if os.geteuid() != 0:
        return None, None
    try:
        os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
    except OSError:
        return (_account(name or pool_names()[0]), None)
    busy = []
    for candidate in ([name] if name else pool_names()):
        fd = os.open(os.path.join(LOCK_DIR, candidate + ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            busy.append(candidate)
            continue
        account = _account(candidate)
        if account is not None and account.pw_uid != 0:
            return account, fd
        os.close(fd)
    if busy:  # every account is in use: wait for one rather than share it (or run student code as root)
        candidate = busy[os.getpid() % len(busy)]
        fd = os.open(os.path.join(LOCK_DIR, candidate + ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return _account(candidate), fd
    return None, None


def sweep(uid: int) -> list:
    """Where there was no private namespace: remove what this (per-job) account left behind, SysV IPC
    objects and files in the machine's shared temp folders. Returns what was removed."""
    removed = _remove_ipc(uid)
    for folder in SHARED_TEMP:
        removed += _remove_owned(folder, uid, depth=3)
    return removed


def _remove_ipc(uid: int) -> list:
    libc = _libc()
    removed = []
    for kind, rm in (("shm", lambda i: libc.shmctl(i, 0, None)), ("sem", lambda i: libc.semctl(i, 0, 0)),
                     ("msg", lambda i: libc.msgctl(i, 0, None))):  # IPC_RMID = 0
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                header = fh.readline().split()
                rows = [dict(zip(header, line.split())) for line in fh]
        except OSError:
            continue
        for row in rows:
            if row.get("uid") == str(uid) or row.get("cuid") == str(uid):
                if rm(int(row.get("shmid") or row.get("semid") or row.get("msqid"))) == 0:
                    removed.append(f"{kind} {row.get('key')}")
    return removed


def _remove_owned(folder: str, uid: int, depth: int) -> list:
    """Entries of `folder` owned by uid, removed; world-writable folders of others searched further."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if info.st_uid == uid:
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                try:
                    os.unlink(entry.path)
                except OSError:
                    continue
            removed.append(entry.path)
        elif depth > 1 and stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_IWOTH:
            removed += _remove_owned(entry.path, uid, depth - 1)
    return removed


def reachable_networks() -> str:
    """What student code can reach when the network cut failed: this machine's interfaces."""
    try:
        names = [name for _, name in __import__("socket").if_nameindex()]
    except OSError:
        names = []
    others = [n for n in names if n != "lo"]
    text = "the loopback (every service listening on this machine, 127.0.0.1)"
    return text + (f" and whatever the interfaces {', '.join(others)} reach" if others else "")


def describe(account, root: bool, missing: set, exposed_paths: set) -> tuple:
    """(one line for extra_data, warnings for the results' output) about what isolated this run."""
    if not root:
        return ("not root: student code runs as this user, with limits but without the user switch or "
                "namespaces (it can read what this user can, reach the network, see this user's processes)"), []
    who = (f"student code runs as the unprivileged user {account.pw_name!r}" if account is not None else
           "running as root but no sandbox user could be made: student code runs as root (run setup.sh)")
    warnings = []
    if not missing:
        return who + "; private mount, IPC, PID and network namespaces", warnings
    have = [n for n in ("mount", "ipc", "pid", "net") if n not in missing]
    line = who + (f"; namespaces: {', '.join(have)}" if have else "; no namespaces") + \
        f" (refused: {', '.join(sorted(missing))})"
    if "net" in missing:
        warnings.append("Isolation warning: the network could not be cut off; student code could reach "
                        + reachable_networks() + ".")
    # (a refused mount or PID namespace alone is in `line` only: file modes, the per-job account and the
    # sweep stand in for it, and students on a platform that refuses them need not read about it each time)
    if exposed_paths:
        warnings.append("ISOLATION WARNING: student code could READ these secret paths: "
                        + ", ".join(sorted(exposed_paths))
                        + ". Run setup.sh (chmod -R go-rwx) or grade where namespaces are allowed.")
    return line, warnings
