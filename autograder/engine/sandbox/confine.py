"""Seccomp and Landlock in the worker: the walls an unprivileged process can put around itself.

Namespaces (isolation.py) need privileges a container may refuse: with Docker's default
capabilities there is no mount, network, IPC or PID namespace, and student code reached the
network and left 600 MiB of SysV shared memory behind (issue 17). These two layers need no
privilege, only no_new_privs, so they hold in both modes; where namespaces exist they are a
second wall behind them.

- seccomp, with libseccomp through `pyseccomp` (ctypes, "API compatible with libseccomp's Python
  bindings"; Debian's python3-seccomp serves the system Python only): default ALLOW, and each
  call in DENIED answers an error. A deny list, not an allow list: NumPy, OpenBLAS and the
  interpreter use a wide set of calls that changes with their versions, while every call named
  here is one student NumPy code never needs. Calls of another ABI (x32, i386 through int 0x80)
  kill the process: the filter knows the native one only. The filter is built once (Confinement()
  in the fork server); each worker only loads it.
- Landlock: every filesystem right of the running ABI is handled (up to ABI 7, the newest this
  module knows); rules grant reading (files and folders) beneath each read-only path, reading and
  writing beneath each read-write path, and nothing else (DEVICES aside). ABI 4+: no TCP bind or
  connect. ABI 6+: no signal to, and no abstract Unix socket of, a process outside the worker's
  domain (the grader, the fork server, another worker). Landlock does not cover stat, chmod/chown,
  SysV IPC, or connecting to a path Unix socket, and a POSIX queue it refuses (EACCES) is made all
  the same: seccomp's rules cover those.

The Landlock binding is this module's own (ctypes over syscalls 444-446, some 60 lines): the
`landlock` package (1.0.0.dev5) handles filesystem rights only (no network rules, no scoping),
never closes its ruleset descriptor, and takes a stale errno for a failure.

Order: Landlock, then seccomp, the last step before student code. The worker must be single-
threaded: Landlock confines the calling thread (and what it starts afterwards) only.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import sys

# -- system calls Python has no function for ------------------------------------------------------

PR_SET_NO_NEW_PRIVS = 38
SECCOMP_GET_ACTION_AVAIL = 2

try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _libc.syscall.restype = ctypes.c_long
except (OSError, TypeError, AttributeError):  # not a POSIX libc: every layer reports itself missing
    _libc = None


def _syscall(number: int, *args) -> int:
    result = _libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def _prctl(option: int, value: int = 0) -> int:
    return _libc.prctl(ctypes.c_int(option), ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0),
                       ctypes.c_ulong(0))


# -- seccomp: what the worker may not call -----------------------------------------------------------

EPERM, ENOSYS = errno.EPERM, errno.ENOSYS
NE, MASKED_EQ = 1, 7  # libseccomp's comparison operators (SCMP_CMP_NE, SCMP_CMP_MASKED_EQ)
AF_UNIX = 1
TIOCSTI, TIOCLINUX = 0x5412, 0x541C
CLONE_NAMESPACES = {"CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
                    "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
                    "CLONE_NEWNET": 0x40000000}


def _calls(names: str, reason: str, error: int = EPERM) -> list:
    return [(name, error, (), reason) for name in names.split()]


# (call, errno returned, conditions on its arguments (all must hold), why student code never needs it).
# A condition is (argument, operator, mask or value, value): MASKED_EQ compares (arg & mask) == value.
DENIED = [
    *_calls("socket", "no network, and no Unix socket by path or abstract name: the worker's channel is already open"),
    ("socketpair", EPERM, ((0, NE, AF_UNIX, 0),), "a pair of Unix sockets reaches no one; nothing else has pairs"),
    *_calls("ptrace", "reading or steering another process (the grader's, the fork server's, a classmate's)"),
    *_calls("process_vm_readv process_vm_writev", "another process's memory"),
    *_calls("process_madvise process_mrelease", "acting on another process's memory"),
    *_calls("kcmp", "comparing other processes' descriptors and memory (a probe for attacks)"),
    *_calls("pidfd_open pidfd_getfd pidfd_send_signal", "pidfd_getfd copies a descriptor out of another process"),
    ("kill", EPERM, ((0, MASKED_EQ, 0x80000000, 0x80000000),), "signals to every process (-1) or a process group: "
     "a grader of the same user (not root) is one"),
    *_calls("keyctl add_key request_key", "the kernel keyrings may hold the grader's keys (and are much attacked)"),
    *_calls("mount umount2 pivot_root chroot", "changing what the file system looks like"),
    *_calls("move_mount open_tree fsopen fsconfig fsmount fspick mount_setattr", "the new mount API, likewise"),
    *_calls("unshare setns", "entering new namespaces (a user namespace grants the rights to mount) or others'"),
    *[("clone", EPERM, ((0, MASKED_EQ, flag, flag),), f"a child in a new namespace ({name})")
      for name, flag in CLONE_NAMESPACES.items()],  # (the flags are argument 0 everywhere but on s390)
    *_calls("clone3", "its flags sit in a struct seccomp cannot read; ENOSYS makes glibc fall back to clone, "
            "whose flags are checked", ENOSYS),
    *_calls("bpf", "kernel programs: a large attack surface"),
    *_calls("perf_event_open", "profiling counters: side channels and many kernel bugs"),
    *_calls("userfaultfd", "stalls the kernel on a page fault, the usual tool to win a kernel race"),
    *_calls("io_uring_setup io_uring_enter io_uring_register",
            "opens, connects and sockets in a queue the filter never sees, and many kernel bugs"),
    *_calls("kexec_load kexec_file_load reboot", "booting another kernel, rebooting"),
    *_calls("init_module finit_module delete_module", "kernel modules"),
    *_calls("swapon swapoff acct quotactl quotactl_fd", "machine-wide settings"),
    *_calls("sethostname setdomainname syslog vhangup", "machine-wide names, the kernel log, terminals"),
    *_calls("settimeofday clock_settime clock_adjtime", "setting the machine's clock"),
    *_calls("open_by_handle_at name_to_handle_at", "opening a file by handle, around every path check"),
    *_calls("iopl ioperm modify_ldt", "hardware ports and segment tables"),
    *_calls("lookup_dcookie uselib ustat sysfs _sysctl nfsservctl", "obsolete calls kept only for old programs"),
    *_calls("mbind set_mempolicy migrate_pages move_pages", "NUMA placement; two of them move others' pages"),
    *_calls("shmget shmat shmdt shmctl semget semop semtimedop semctl msgget msgsnd msgrcv msgctl",
            "SysV IPC outlives the worker without an IPC namespace (600 MiB were left behind)"),
    *_calls("mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr",
            "POSIX message queues, likewise"),
    *_calls("memfd_create memfd_secret", "memory without a file path, beyond the address-space limit"),
    *_calls("mknod mknodat", "device nodes and FIFOs, also where Landlock is missing"),
    *_calls("fanotify_init", "watching file access across the machine"),
    *_calls("execve execveat", "the worker runs Python, never a program: no binary of the student's own (of any "
            "ABI), no setuid helper; subprocess and os.system fail at once"),
    ("personality", EPERM, ((0, NE, 0xFFFFFFFF, 0),), "other execution domains, address randomization off; "
     "asking (0xffffffff) stays"),
    *_calls("setuid setgid setreuid setregid setresuid setresgid setfsuid setfsgid setgroups capset",
            "identities are fixed before student code runs"),
    ("ioctl", EPERM, ((1, MASKED_EQ, 0xFFFFFFFF, TIOCSTI),), "typing into a terminal (CVE-2017-5226)"),
    ("ioctl", EPERM, ((1, MASKED_EQ, 0xFFFFFFFF, TIOCLINUX),), "a console's paste buffer (CVE-2023-28100)"),
]


SONAMES = {"c": "libc.so.6", "seccomp": "libseccomp.so.2"}  # stable: libseccomp's since 2.0


def _import_pyseccomp():
    """pyseccomp finds its libraries with ctypes.util.find_library, which runs ldconfig twice (20-30 ms
    on the fork server's start) and finds nothing in an image without an ld.so cache: the sonames are
    tried first."""
    import ctypes.util
    lookup = ctypes.util.find_library

    def find(name):
        try:
            ctypes.CDLL(SONAMES[name])
            return SONAMES[name]
        except (KeyError, OSError):
            return lookup(name)
    ctypes.util.find_library = find
    try:
        import pyseccomp
    finally:
        ctypes.util.find_library = lookup
    return pyseccomp


def _seccomp_refused(number: int):
    """Why this process could not load a filter, or None: asks seccomp() whether an action exists,
    which changes nothing (a kernel without it, or a container's profile refusing it, answers an error)."""
    action = ctypes.c_uint32(0x80000000)  # SECCOMP_RET_KILL_PROCESS
    try:
        _syscall(number, ctypes.c_uint(SECCOMP_GET_ACTION_AVAIL), ctypes.c_uint(0), ctypes.byref(action))
    except OSError as exc:
        if exc.errno == errno.EOPNOTSUPP:  # a kernel before 4.14: the call exists, that action does not
            return None
        return {errno.ENOSYS: "kernel without seccomp filters", errno.EINVAL: "kernel without seccomp filters",
                }.get(exc.errno, f"seccomp refused ({exc.strerror}: a container's profile?)")
    return None


def _build_filter():
    """(the libseccomp filter, why there is none, the names this libseccomp does not know)."""
    if not sys.platform.startswith("linux"):
        return None, "not Linux", []
    try:
        pyseccomp = _import_pyseccomp()
    except ImportError:
        return None, "no libseccomp binding (pyseccomp is not installed)", []
    except (RuntimeError, OSError):  # pyseccomp raises RuntimeError when libseccomp.so.2 is missing
        return None, "no libseccomp (libseccomp.so.2 not found)", []
    refused = _seccomp_refused(pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, "seccomp"))
    if refused:
        return None, refused, []
    rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    try:  # a call of another ABI ends the process, not just its thread (kernel 4.14+)
        rules.set_attr(pyseccomp.Attr.ACT_BADARCH, pyseccomp.KILL_PROCESS)
    except OSError:
        pass  # libseccomp's default then: the thread
    rules.set_attr(pyseccomp.Attr.CTL_TSYNC, 1)  # every thread, or none
    try:  # a failed load says why (libseccomp 2.5+), not just ECANCELED
        rules.set_attr(pyseccomp.Attr.API_SYSRAWRC, 1)
    except OSError:
        pass
    unknown = []
    for name, error, conditions, _ in DENIED:
        number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name)
        if number == -1:  # unknown to this libseccomp (negative others are its pseudo-calls: accepted)
            unknown.append(name)
            continue
        rules.add_rule(pyseccomp.ERRNO(error), number, *(pyseccomp.Arg(*c) for c in conditions))
    return rules, None, unknown


# -- Landlock ----------------------------------------------------------------------------------------

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # the same on every architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FS_RIGHTS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # those a rule on a file may hold
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2                      # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2           # ABI 6

# No EXECUTE anywhere: seccomp refuses execve, and where it is missing Landlock still keeps every
# program on the machine out. Loading a library (mmap) needs READ_FILE only.
READ_ONLY = READ_FILE | READ_DIR
READ_WRITE = READ_ONLY | WRITE_FILE | TRUNCATE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SYM | \
    MAKE_FIFO | MAKE_SOCK | REFER
# Devices plain Python code opens (print to os.devnull, read random bytes); they hold nothing.
DEVICES = {"/dev/null": READ_FILE | WRITE_FILE | TRUNCATE, "/dev/zero": READ_FILE,
           "/dev/urandom": READ_FILE, "/dev/random": READ_FILE}


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)) in linux/landlock.h: 12 bytes
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi():
    """The kernel's Landlock ABI (1, 2, ...), or why there is none."""
    if not sys.platform.startswith("linux"):
        return "not Linux"
    try:
        return _syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    except OSError as exc:
        return {errno.ENOSYS: "kernel without Landlock (Linux 5.13+ built with it)",
                errno.EOPNOTSUPP: "Landlock disabled at boot (not in the kernel's lsm= list)",
                errno.EPERM: "Landlock refused (a container's seccomp profile?)",
                }.get(exc.errno, f"Landlock unavailable: {exc.strerror}")


def restrict(abi: int, read_only, read_write, write_existing=()) -> None:
    """Landlock this thread (and what it starts): reading beneath read_only, reading and writing
    beneath read_write, writing but not making files beneath write_existing, nothing else. A path that does not exist, or that file modes keep from this
    user, grants nothing (Landlock only takes away); any other failure raises. Every descriptor
    opened here is closed before returning."""
    known = min(abi, max(FS_RIGHTS))
    attr = _RulesetAttr(FS_RIGHTS[known],
                        NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    grants = [(p, READ_ONLY) for p in read_only] + [(p, READ_WRITE) for p in read_write] + \
        [(p, READ_ONLY | WRITE_FILE | TRUNCATE) for p in write_existing] + list(DEVICES.items())
    ruleset = _syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)),
                       ctypes.c_uint32(0))
    try:
        for path, access in grants:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except (FileNotFoundError, PermissionError):
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    access &= FILE_RIGHTS
                rule = _PathBeneathAttr(access & attr.handled_access_fs, fd)
                _syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule),
                         ctypes.c_uint32(0))
            finally:
                os.close(fd)
        if _prctl(PR_SET_NO_NEW_PRIVS, 1) != 0:  # Landlock demands it of an unprivileged process
            code = ctypes.get_errno()
            raise OSError(code, f"no_new_privs: {os.strerror(code)}")
        _syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


def check_grants(paths, secrets=()) -> None:
    """A rule grants everything beneath its folder, and Landlock has no exceptions: refuse one on /, or
    on a folder that holds a secret (a folder inside a secret, such as a virtualenv in the grader's
    checkout, grants only itself)."""
    secrets = [os.path.realpath(s) for s in secrets]
    for path in paths:
        folder = os.path.realpath(path)
        if folder == "/":
            raise ValueError("a Landlock rule on / would grant the whole machine")
        for secret in secrets:
            if secret == folder or secret.startswith(folder.rstrip(os.sep) + os.sep):
                raise ValueError(f"a Landlock rule on {path} would grant the secret {secret}")


def _threads():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # no /proc: a forked worker has the one thread that forked it
        return None


class Confinement:
    """Built once in the fork server; each worker calls apply() as the last step before student code."""

    def __init__(self):
        self.filter, self.seccomp_missing, self.unknown_calls = _build_filter()
        self.abi = landlock_abi()

    def apply(self, read_only, read_write, secrets=(), write_existing=(), refuse=()) -> dict:
        """Landlock, then the seccomp filter. Returns what held, for the results:
        {"seccomp": True | "why not", "landlock": ABI | "why not"}. A layer this machine lacks is
        reported; one it has that fails to apply raises (the worker must not run student code), and
        so does a path that would grant one of `secrets` (checked on every machine alike).
        `write_existing`: folders whose files may be written but where nothing may be made (where no
        tmpfs bounds them, what a worker writes is then its own files, each within the file-size
        limit). `refuse`: layers to leave off, the project's tests' switch (launch.REFUSE_ENV)."""
        read_only, read_write = [str(p) for p in read_only], [str(p) for p in read_write]
        write_existing = [str(p) for p in write_existing]
        check_grants(read_only + read_write + write_existing, secrets)
        why = "refused by AUTOGRADER_SANDBOX_REFUSE"
        held: dict = {"seccomp": why if "seccomp" in refuse else self.seccomp_missing,
                      "landlock": why if "landlock" in refuse else self.abi}
        if isinstance(held["landlock"], int):
            threads = _threads()
            if threads and threads > 1:  # (seccomp is loaded into every thread, or fails)
                raise RuntimeError(f"{threads} threads: Landlock would confine only the calling one")
            restrict(self.abi, read_only, read_write, write_existing)
        if self.filter is not None and "seccomp" not in refuse:
            self.filter.load()
            held["seccomp"] = True
        return held
