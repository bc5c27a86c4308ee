"""Accounts, sweeping and the account of what protected a run: the parts of isolation that are not the world.

world.py builds the root a worker sees and its namespaces; confine.py adds
seccomp and Landlock; this module keeps what holds in every world:

- an account of its own per concurrent grading (``claim_account``), so two
  submissions graded at once cannot signal or read each other even where
  namespaces are refused;
- where there is no built world, sweeping what that account left on the
  machine (SysV IPC objects, files in world-writable folders, ``sweep``) and
  a check, after the switch, that no secret the command registered
  (``hide``) is readable (``exposed``);
- one line and the warnings that say which protections held (``describe``).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import pwd
import shutil
import stat
import subprocess
import time

# world-writable places a student could leave files in, swept by owner when there is no built world
SHARED_TEMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/crash", "/dev/mqueue")

# The pool of sandbox accounts, comma-separated (default: autograder-student, autograder-student-2, ...).
USERS_ENV = "AUTOGRADER_SANDBOX_USERS"
POOL_SIZE = 16
LOCK_DIR = "/run/autograder-sandbox"
CLAIM_WAIT = 600.0  # seconds a grading waits for a free account (Gradescope's whole run has 10 minutes)

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


def exposed(secrets) -> list:
    """In a worker outside the built world, after the switch and the confinement: which secrets can
    it still read? (A folder counts when it lists anything; a file when it yields a byte.)"""
    found = []
    for path in secrets:
        try:
            if os.path.isdir(path):
                if os.listdir(path):
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


def claim_account(name: str | None = None, wait: float = CLAIM_WAIT):
    """As root: (an account no other grading on this machine is using, the lock that says so), held
    until the lock's descriptor closes (so a crashed grader frees it). Not root: (None, None).

    When every account is in use it waits for whichever frees first (never for one in particular:
    that one may belong to an idle sibling of this very batch), at most `wait` seconds, then raises:
    a grading fails with a reason rather than hang, share an account, or run student code as root."""
    if os.geteuid() != 0:
        return None, None
    try:
        os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
    except OSError:
        return (_account(name or pool_names()[0]), None)
    candidates = [name] if name else pool_names()
    deadline, pause = time.monotonic() + wait, 0.01
    while True:
        busy = False
        for candidate in candidates:
            fd = os.open(os.path.join(LOCK_DIR, candidate + ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                busy = True
                continue
            account = _account(candidate)
            if account is not None and account.pw_uid != 0:
                return account, fd
            os.close(fd)
        if not busy:
            return None, None
        if time.monotonic() >= deadline:
            raise RuntimeError(f"all {len(candidates)} sandbox accounts ({', '.join(candidates[:3])}, ...) stayed "
                               f"in use for {wait:.0f} s: fewer gradings at once (--jobs), or more accounts "
                               f"({USERS_ENV})")
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def sweep(uid: int) -> list:
    """Where there was no private namespace: remove what this (per-job) account left behind, SysV IPC
    objects and files in the machine's shared temp folders. Returns what was removed."""
    removed = _remove_ipc(uid)
    for folder in SHARED_TEMP:
        removed += _remove_owned(folder, uid, depth=3)
    return removed


def _remove_ipc(uid: int) -> list:
    libc = ctypes.CDLL(None, use_errno=True)
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
    """What student code can reach when neither a network namespace nor seccomp cut it off."""
    try:
        names = [name for _, name in __import__("socket").if_nameindex()]
    except OSError:
        names = []
    others = [n for n in names if n != "lo"]
    text = "the loopback (every service listening on this machine, 127.0.0.1)"
    return text + (f" and whatever the interfaces {', '.join(others)} reach" if others else "")


def _layer(name: str, value) -> str:
    if value is True:
        return name
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{name} (ABI {value})"
    return f"no {name} ({value})"


def describe(account, root: bool, built: bool, refusal: str, held: dict, exposed_paths: set,
             held_paths=()) -> tuple:
    """(one line for extra_data, warnings for the results' output): which protections held for
    every worker of this run, and which did not and why."""
    layers = [_layer(name, held.get(name, "no worker ran")) for name in ("seccomp", "landlock")]
    if built:
        world = ("a built root (bubblewrap: interpreter, NumPy and a private scratch, nothing else) with "
                 "private mount, IPC, PID, network and UTS namespaces")
    else:
        world = f"no built root or namespaces ({refusal})"
    if not root:
        who = "not root: student code runs as this user, without the user switch"
    elif account is not None:
        who = f"student code runs as the unprivileged user {account.pw_name!r}"
    else:
        who = ("no sandbox account could be made (run setup.sh): student code runs as nobody (65534), "
               "shared with any grading running at once")
    line = "; ".join([who, world, *layers])
    warnings = []
    if not built and held.get("seccomp") is not True:
        landlock = held.get("landlock")
        if isinstance(landlock, int) and not isinstance(landlock, bool) and landlock >= 4:
            warnings.append("Isolation warning: only TCP could be cut off (Landlock; no network namespace, "
                            "no seccomp filter); student code could send UDP to " + reachable_networks() + ".")
        else:
            warnings.append("Isolation warning: the network could not be cut off (no network namespace, no "
                            "seccomp filter, no Landlock); student code could reach " + reachable_networks() + ".")
    if held_paths:
        warnings.append("Isolation warning: the interpreter's import paths " + ", ".join(sorted(held_paths))
                        + " were reached through open descriptors, without Landlock to bound a walk up from them.")
    if exposed_paths:
        warnings.append("ISOLATION WARNING: student code could READ these secret paths: "
                        + ", ".join(sorted(exposed_paths))
                        + ". Run setup.sh (chmod -R go-rwx) or grade where namespaces are allowed.")
    return line, warnings
