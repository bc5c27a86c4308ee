"""An export zip unpacked one submission folder at a time, each within caps of its own.

One student's upload never stops or starves the class: every member error
(a name too long, a folder over a file, a duplicate, a failed CRC, a full
disk: any exception while writing it) costs only the submission it belongs
to, and each ``submission_<id>/`` folder has its own member and byte caps.
The export-wide bounds only protect the machine; submissions are unpacked
smallest share first, so when a bound is reached the ones left out are the
largest uploads, each flagged with that reason, while all that fit are
unpacked.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

METADATA = "submission_metadata.yml"
WHOLE_EXPORT = "(export)"  # whose members lie outside every submission folder

# Caps on what one submission's folder may unpack to. A Gradescope upload is a
# few small files; these leave room for data files and notebooks, and stop a
# 1 MiB zip (deflate reaches about 1,000:1) from filling the TA's disk. Each can
# be raised for a class that needs it with the environment variable named next to it.
MAX_MEMBER_BYTES = 64 * 2**20  # AUTOGRADER_EXPORT_MAX_MEMBER_MB: one file
MAX_SUBMISSION_BYTES = 256 * 2**20  # AUTOGRADER_EXPORT_MAX_SUBMISSION_MB: four files at the cap
MAX_SUBMISSION_MEMBERS = 10_000  # AUTOGRADER_EXPORT_MAX_SUBMISSION_MEMBERS: files and folders
# Bounds on the whole export, for the machine's sake only: a class of 1,000 honest
# uploads unpacks to some MiB and some thousands of files. Reaching one leaves out
# the largest uploads (see the module's text), never an honest classmate's.
MAX_TOTAL_BYTES = 2 * 2**30  # AUTOGRADER_EXPORT_MAX_TOTAL_MB
MAX_MEMBERS = 100_000  # AUTOGRADER_EXPORT_MAX_MEMBERS
_CHUNK = 2**20


def _cap(variable: str, default: int, unit: int = 1) -> int:
    """A cap, or the TA's override of it from the environment."""
    value = os.environ.get(variable, "").strip()
    try:
        return int(float(value) * unit) if value else default
    except ValueError:
        raise ValueError(f"{variable}={value!r} is not a number") from None


@dataclass
class Caps:
    member: int
    submission: int
    submission_members: int
    total: int
    members: int

    @classmethod
    def from_env(cls) -> "Caps":
        return cls(_cap("AUTOGRADER_EXPORT_MAX_MEMBER_MB", MAX_MEMBER_BYTES, 2**20),
                   _cap("AUTOGRADER_EXPORT_MAX_SUBMISSION_MB", MAX_SUBMISSION_BYTES, 2**20),
                   _cap("AUTOGRADER_EXPORT_MAX_SUBMISSION_MEMBERS", MAX_SUBMISSION_MEMBERS),
                   _cap("AUTOGRADER_EXPORT_MAX_TOTAL_MB", MAX_TOTAL_BYTES, 2**20),
                   _cap("AUTOGRADER_EXPORT_MAX_MEMBERS", MAX_MEMBERS))


@dataclass
class _Folder:
    """The members of one top-level folder of the export (a submission's), or of the export itself."""
    key: str
    members: list = field(default_factory=list)
    declared: int = 0  # bytes, as the headers say (zipfile never unpacks more: it stops there, and the CRC fails)
    problems: list = field(default_factory=list)

    def share(self, caps: Caps) -> float:
        """How much of the machine's bounds it would take: the largest are unpacked last."""
        return max(self.declared / max(caps.total, 1), len(self.members) / max(caps.members, 1))


def _shown(name: str) -> str:
    """A member's name for a TA's report: quoted, and shortened when hundreds of bytes long."""
    return repr(name if len(name) <= 120 else name[:70] + "..." + name[-40:])


def _parts(name: str) -> tuple:
    """A member's path as this filesystem will take it ("/" separates; "a//./b" is a/b)."""
    parts = name.split("/")
    if "" in parts or "." in parts:
        parts = [p for p in parts if p not in ("", ".")]
    return tuple(parts)


_DRIVE = re.compile(r"[A-Za-z]:")
_SEPARATORS = re.compile(r"[\\/]")


def _escape(info: zipfile.ZipInfo) -> str:
    """Why a member may not be written at all ("" if it may): links, escapes, odd files.

    The name alone decides: no link is ever written, so a path without ".." or a
    root stays inside the fresh folder it is unpacked into.
    """
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "is a symbolic link (never followed, never made)"
    if "\0" in name or name.startswith(("/", "\\")) or _DRIVE.match(name) \
            or ".." in name and ".." in _SEPARATORS.split(name):
        return "has a path that leaves the export (absolute or with ..)"
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: a zip made without Unix modes
        return "is not a regular file or folder"
    return ""


@dataclass
class _Member:
    info: zipfile.ZipInfo
    parts: tuple  # where its name puts it (a refused one's: up to its first "..", drive or root)
    escape: str  # why it may never be written ("" if it may)

    @classmethod
    def of(cls, info: zipfile.ZipInfo) -> "_Member":
        escape = _escape(info)
        if not escape:
            return cls(info, _parts(info.filename), "")
        parts: list = []
        for number, part in enumerate(_SEPARATORS.split(info.filename)):
            if part == ".." or ":" in part or "\0" in part or (part == "" and number == 0):
                break
            if part not in ("", "."):
                parts.append(part)
        return cls(info, tuple(parts), escape)


class _Limits:
    """What this filesystem allows in a name and a path (Linux: 255 and 4,096 bytes, with the NUL)."""

    def __init__(self, dest: Path):
        self.dest = os.fsencode(str(dest))
        self.name = self._conf(dest, "PC_NAME_MAX", 255)
        self.path = self._conf(dest, "PC_PATH_MAX", 4096)

    @staticmethod
    def _conf(dest: Path, key: str, default: int) -> int:
        try:
            return os.pathconf(dest, key) or default
        except (OSError, ValueError, AttributeError):
            return default

    def problem(self, member: _Member) -> str:
        try:
            names = [os.fsencode(part) for part in member.parts]
        except UnicodeError:
            return "has a name that is not valid text on this filesystem"
        for name in names:
            if len(name) > self.name:
                return f"has a name of {len(name):,} bytes, over the {self.name:,} this filesystem allows"
        length = len(self.dest) + sum(len(name) + 1 for name in names)
        if length >= self.path:
            return f"has a path of {length:,} bytes once unpacked, over the {self.path - 1:,} this system allows"
        return ""


def _root(members: list) -> tuple:
    """The folder holding the metadata file, or the submission folders (as exports.find_root does on
    disk, where refused members are never written)."""
    names = [(m.parts, m.info.is_dir()) for m in members if not m.escape]
    prefix: tuple = ()
    while True:
        n = len(prefix)
        below = [(parts, is_dir) for parts, is_dir in names if len(parts) > n and parts[:n] == prefix]
        if any(parts[n] == METADATA for parts, _ in below):
            return prefix
        children = {parts[n] for parts, _ in below if not parts[n].startswith((".", "__MACOSX"))}
        if len(children) != 1:
            return prefix
        (child,) = children
        if not any(parts[n] == child and (len(parts) > n + 1 or is_dir) for parts, is_dir in below):
            return prefix
        prefix += (child,)


def _folders(infos: list) -> tuple:
    """(root, the export's own _Folder, [a _Folder per top-level folder below root])."""
    members = [_Member.of(info) for info in infos]
    root = _root(members)
    n = len(root)
    export = _Folder(WHOLE_EXPORT)
    by_key: dict = {}
    for member in members:
        below = len(member.parts) - n  # a refused member's name may go on after its folder: inside it
        inside = member.parts[:n] == root and (below > 1 or below == 1 and (member.info.is_dir() or member.escape))
        folder = by_key.setdefault(member.parts[n], _Folder(member.parts[n])) if inside else export
        folder.members.append(member)
        folder.declared += member.info.file_size
    return root, export, list(by_key.values())


def _member_problem(member: _Member, caps: Caps, limits: _Limits) -> str:
    """Why a member is refused before any byte of any member of its folder is written ("" if not)."""
    problem = member.escape or limits.problem(member)
    if not problem and member.info.file_size > caps.member:
        problem = (f"declares {member.info.file_size:,} bytes, over the {caps.member:,} allowed per file "
                   "(AUTOGRADER_EXPORT_MAX_MEMBER_MB)")
    return problem


def _folder_problem(folder: _Folder, caps: Caps) -> str:
    """Why a submission's upload as a whole is over its own caps ("" if it is not)."""
    if len(folder.members) > caps.submission_members:
        return (f"its upload has {len(folder.members):,} files and folders, over the "
                f"{caps.submission_members:,} allowed per submission (AUTOGRADER_EXPORT_MAX_SUBMISSION_MEMBERS)")
    if folder.declared > caps.submission:
        return (f"its upload unpacks to {folder.declared:,} bytes, over the {caps.submission:,} allowed "
                "per submission (AUTOGRADER_EXPORT_MAX_SUBMISSION_MB)")
    return ""


def _clash(dest: Path, name: str, is_dir: bool) -> str:
    """What is in the way of a member that could not be written, as a TA would say it ("" if nothing)."""
    parts = _parts(name)
    path = dest
    for depth, part in enumerate(parts, 1):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return ""
        if depth < len(parts) and not stat.S_ISDIR(mode):
            return f"lies inside {'/'.join(parts[:depth])!r}, which is a file, not a folder"
    if stat.S_ISDIR(mode):
        return "" if is_dir else "is a file over a folder of the same name"
    if is_dir:
        return "is a folder over a file of the same name"
    return "has the name of another member (a duplicate, or a name differing only in case on this filesystem)"


_ERRNO_REASONS = {
    errno.ENAMETOOLONG: "has a name too long for this filesystem",
    errno.EILSEQ: "has a name this filesystem cannot hold",
    errno.EINVAL: "has a name this filesystem cannot hold",
    errno.ENOSPC: "could not be written: the disk the export is unpacked to is full",
    errno.EDQUOT: "could not be written: the disk quota where the export is unpacked is used up",
}


def _reason(exc: BaseException, dest: Path, info: zipfile.ZipInfo) -> str:
    """Why writing a member failed, in a TA's words, from whatever it raised."""
    if isinstance(exc, OverflowError):
        return "unpacks to more bytes than its header says, past a cap"
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
        return "is damaged in the zip (its CRC check failed)"
    if isinstance(exc, OSError):
        if exc.errno in (errno.EEXIST, errno.EISDIR, errno.ENOTDIR):
            try:
                clash = _clash(dest, info.filename, info.is_dir())
            except Exception:  # noqa: BLE001 - only the wording is at stake
                clash = ""
            if clash:
                return clash
        if exc.errno in _ERRNO_REASONS:
            return _ERRNO_REASONS[exc.errno]
        return f"could not be written ({type(exc).__name__}: {exc.strerror or exc})"
    return f"could not be unpacked ({type(exc).__name__}: {str(exc)[:120]})"


def _write(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int) -> int:
    """Write one member, never over anything (O_EXCL: a duplicate or a folder of its name fails);
    the bytes that really came out (counted, at most `limit`); a partly written file is removed."""
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)  # a file of its name is in the way: FileExistsError
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    sink = os.fdopen(os.open(target, flags, 0o644), "wb")
    written = 0
    try:
        with sink, archive.open(info) as source:
            while True:
                chunk = source.read(_CHUNK)
                if not chunk:
                    return written
                written += len(chunk)
                if written > limit:
                    raise OverflowError
                sink.write(chunk)
    except BaseException:
        try:
            os.unlink(target)
        except OSError:
            pass
        raise


class _Budget:
    """What the export-wide bounds have left."""

    def __init__(self, caps: Caps):
        self.caps, self.bytes, self.members = caps, caps.total, caps.members

    def refusal(self, folder: _Folder) -> str:
        if len(folder.members) > self.members:
            return (f"not unpacked: its {len(folder.members):,} files and folders would take the export past "
                    f"{self.caps.members:,}, the bound that protects this machine (AUTOGRADER_EXPORT_MAX_MEMBERS); "
                    "the largest uploads were left out")
        if folder.declared > self.bytes:
            return (f"not unpacked: its {folder.declared:,} bytes would take the export past "
                    f"{self.caps.total:,} bytes unpacked, the bound that protects this machine's disk "
                    "(AUTOGRADER_EXPORT_MAX_TOTAL_MB); the largest uploads were left out")
        return ""


def _unpack_folder(archive: zipfile.ZipFile, folder: _Folder, members: list, dest: Path, caps: Caps,
                   budget: _Budget) -> None:
    """Write `members` of a folder, stopping at the first failure (recorded: the folder is lost)."""
    written_here = 0
    for member in members:
        info = member.info
        limit = min(caps.member, caps.submission - written_here, budget.bytes)
        budget.members -= 1
        try:
            written = _write(archive, info, dest / info.filename, limit)
        except Exception as exc:  # noqa: BLE001 - any failure of one member costs its submission only
            folder.problems.append(f"zip member {_shown(info.filename)} {_reason(exc, dest, info)}")
            return
        written_here += written
        budget.bytes -= written


def _refused(folder: _Folder, caps: Caps, limits: _Limits) -> list:
    """Each member's reason to be refused before anything is written (see _member_problem)."""
    return [f"zip member {_shown(m.info.filename)} {problem}" for m in folder.members
            if (problem := _member_problem(m, caps, limits))]


def unpack(zip_path: Path, dest: Path) -> tuple:
    """(root, lost): unpack what is safe into the fresh folder `dest`.

    root: the folder holding the metadata file or the submission folders.
    lost: {top-level folder name below root, or WHOLE_EXPORT: [why, one line per problem]}; a folder
    named there lost members (or was not unpacked at all) and must not be graded. Outside the
    submission folders only the metadata file is written: nothing else there is ever read.
    """
    caps = Caps.from_env()
    limits = _Limits(dest)
    budget = _Budget(caps)
    with zipfile.ZipFile(zip_path) as archive:
        root, export, folders = _folders(archive.infolist())
        export.problems = _refused(export, caps, limits)
        metadata = [m for m in export.members if m.parts == root + (METADATA,) and not m.info.is_dir()
                    and not _member_problem(m, caps, limits)]
        _unpack_folder(archive, export, metadata, dest, caps, budget)  # a second one fails: a duplicate
        for folder in sorted(folders, key=lambda f: (f.share(caps), f.key)):
            problem = _folder_problem(folder, caps)
            folder.problems = [problem] if problem else _refused(folder, caps, limits)
            if not folder.problems:
                problem = budget.refusal(folder)
                if problem:
                    folder.problems.append(problem)
                else:
                    _unpack_folder(archive, folder, folder.members, dest, caps, budget)
    lost = {f.key: f.problems for f in (export, *folders) if f.problems}
    return dest.joinpath(*root), lost
