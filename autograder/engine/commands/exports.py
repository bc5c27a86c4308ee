"""Where a class's submissions come from: a Gradescope export (zip or folder) or a folder of folders."""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

METADATA = "submission_metadata.yml"


@dataclass
class Submitter:
    name: str = ""
    email: str = ""
    sid: str = ""


@dataclass
class Submission:
    id: str
    folder: Path
    submitters: list = field(default_factory=list)

    @property
    def names(self) -> str:
        return "; ".join(s.name for s in self.submitters if s.name)

    def as_dict(self) -> dict:
        return {"id": self.id, "submitters": [vars(s) for s in self.submitters]}


def _symbol(mapping: dict, key: str):
    """Gradescope writes Ruby symbols: ':name'. Accept both spellings."""
    if not isinstance(mapping, dict):
        return None
    return mapping.get(f":{key}", mapping.get(key))


# Caps on what an export may unpack to. A Gradescope export holds a few small
# files per student; these leave room for a class that also uploads data files,
# and stop a 1 MiB zip from filling the TA's disk. Each can be raised for a class
# that needs it with the environment variable named next to it.
MAX_MEMBER_BYTES = 64 * 2**20  # AUTOGRADER_EXPORT_MAX_MEMBER_MB
MAX_TOTAL_BYTES = 2 * 2**30  # AUTOGRADER_EXPORT_MAX_TOTAL_MB
MAX_MEMBERS = 100_000  # AUTOGRADER_EXPORT_MAX_MEMBERS
MAX_METADATA_BYTES = 32 * 2**20  # a class of thousands needs a few MiB
WHOLE_EXPORT = "(export)"  # what a flag names when no single submission is at fault
_CHUNK = 2**20


@dataclass
class Flag:
    """A submission (or the export) that could not be graded as it is, and why."""
    id: str
    reason: str


def _cap(variable: str, default: int, unit: int = 1) -> int:
    """A cap, or the TA's override of it from the environment."""
    value = os.environ.get(variable, "").strip()
    try:
        return int(float(value) * unit) if value else default
    except ValueError:
        raise ValueError(f"{variable}={value!r} is not a number") from None


def _member_problem(info: zipfile.ZipInfo, dest: Path) -> str:
    """Why a member may not be extracted at all ("" if it may): links, escapes, odd files."""
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "is a symbolic link (never followed, never made)"
    if "\0" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) \
            or ".." in re.split(r"[\\/]", name):
        return "has a path that leaves the export (absolute or with ..)"
    target = (dest / name).resolve()
    if not target.is_relative_to(dest.resolve()):
        return "has a path that leaves the export"
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):  # 0: a zip made without Unix modes
        return "is not a regular file or folder"
    return ""


def _copy_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int) -> int:
    """Write a member, counting the bytes that really come out (headers can lie); at most `limit`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with archive.open(info) as source, os.fdopen(fd, "wb") as sink:
        while True:
            chunk = source.read(_CHUNK)
            if not chunk:
                return written
            written += len(chunk)
            if written > limit:
                raise OverflowError
            sink.write(chunk)


@dataclass
class _Caps:
    member: int
    total: int
    count: int


def _caps() -> _Caps:
    return _Caps(_cap("AUTOGRADER_EXPORT_MAX_MEMBER_MB", MAX_MEMBER_BYTES, 2**20),
                 _cap("AUTOGRADER_EXPORT_MAX_TOTAL_MB", MAX_TOTAL_BYTES, 2**20),
                 _cap("AUTOGRADER_EXPORT_MAX_MEMBERS", MAX_MEMBERS))


def _refusal(info: zipfile.ZipInfo, number: int, dest: Path, caps: _Caps, total: int) -> str:
    """Why a member is refused before any byte of it is written ("" if it is not)."""
    problem = _member_problem(info, dest)
    if not problem and number >= caps.count:
        problem = f"is past the first {caps.count:,} members of the export"
    if not problem and info.file_size > caps.member:
        problem = f"declares {info.file_size:,} bytes, over the {caps.member:,} allowed per file"
    if not problem and total + info.file_size > caps.total:
        problem = f"would take the export past {caps.total:,} bytes unpacked"
    return problem


def _extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, limit: int) -> tuple:
    """(bytes written, "") or (0, why not); a partly written file is removed."""
    target = dest / info.filename
    if info.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        return 0, ""
    try:
        return _copy_capped(archive, info, target, limit), ""
    except OverflowError:
        problem = "unpacks to more than its header says, past a cap"
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
        problem = f"could not be unpacked ({type(exc).__name__}: {str(exc)[:120]})"
    if target.is_file() and not target.is_symlink():
        target.unlink()
    return 0, problem


def _safe_extract(zip_path: Path, dest: Path) -> list:
    """Unpack what is safe; [(member name, why it was skipped)] for the rest.

    A bad member (link, traversal, over a cap, corrupt) is skipped on its own,
    so one student's upload never stops the class.
    """
    caps = _caps()
    skipped, total = [], 0
    with zipfile.ZipFile(zip_path) as archive:
        for number, info in enumerate(archive.infolist()):
            problem = _refusal(info, number, dest, caps, total)
            if not problem:
                written, problem = _extract_member(archive, info, dest, min(caps.member, caps.total - total))
                total += written
            if problem:
                skipped.append((info.filename, problem))
    return skipped


def _find_root(folder: Path) -> Path:
    """The folder holding the metadata file, or the submissions themselves."""
    if (folder / METADATA).exists():
        return folder
    children = [c for c in folder.iterdir() if not c.name.startswith((".", "__MACOSX"))]
    if len(children) == 1 and children[0].is_dir():
        return _find_root(children[0])
    return folder


def _no_alias_loader():
    """Safe YAML without aliases: 618 bytes of nested aliases can stand for gigabytes.

    (PyYAML is a staff-only dependency, so it is imported here, not at the top.)
    """
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed here",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
    return NoAliasLoader


def load_metadata(path: Path) -> dict:
    """submission_metadata.yml as a mapping; ValueError (a TA-readable reason) if it is not one."""
    size = path.stat().st_size
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"it is {size:,} bytes, over the {MAX_METADATA_BYTES:,} allowed")
    import yaml
    try:
        metadata = yaml.load(path.read_text(encoding="utf-8", errors="replace"), Loader=_no_alias_loader())
    except yaml.YAMLError as exc:
        raise ValueError(f"it is not plain YAML ({' '.join(str(exc).split())[:300]})") from None
    if not isinstance(metadata, dict):
        raise ValueError("it is not a mapping of submission folders")
    return metadata


def _text(value) -> str:
    """A name, email or SID: plain text only (a list or mapping here is not one)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return str(value)[:300]


def safe_id(raw: str, taken: set) -> str:
    """A submission id that is a plain file name (results/<id>.json), unique among `taken`."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", str(raw))[:100].lstrip(".") or "submission"
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name}-{n}", n + 1
    taken.add(unique)
    return unique


def _folder_problem(root: Path, key: str) -> str:
    """Why the folder a metadata entry names cannot be graded ("" if it can)."""
    folder = root / key
    if root.resolve() not in folder.resolve().parents or ".." in Path(key).parts or Path(key).is_absolute():
        return f"its folder {key!r} is outside the export"
    if not folder.is_dir():
        return f"its folder {key!r} is not in the export"
    return ""


def _from_metadata(root: Path, metadata: dict, flags: list) -> list:
    """Submissions named in the metadata; those whose folder is missing or escapes are flagged."""
    taken: set = set()
    out = []
    for key, info in metadata.items():
        key = _text(key) or "?"
        sid = safe_id(key, taken)
        problem = _folder_problem(root, key)
        if problem:
            flags.append(Flag(sid, problem))
            continue
        people = [Submitter(_text(_symbol(p, "name")), _text(_symbol(p, "email")), _text(_symbol(p, "sid")))
                  for p in (_symbol(info, "submitters") or []) if isinstance(p, dict)]
        out.append(Submission(sid, root / key, people))
    return out


def _from_folders(root: Path) -> list:
    """Every visible subfolder is a submission, without names."""
    taken: set = set()
    return [Submission(safe_id(child.name, taken), child, [])
            for child in sorted(root.iterdir())
            if child.is_dir() and not child.is_symlink() and not child.name.startswith((".", "__MACOSX"))]


def _owner(member: str, unpacked: Path, root: Path, by_folder: dict) -> str:
    """The id of the submission a zip member belongs to, or WHOLE_EXPORT."""
    parts = []
    for part in re.split(r"[\\/]", member):
        if part in ("..", "") or ":" in part:
            break
        parts.append(part)
    path = unpacked.joinpath(*parts) if parts else unpacked
    try:
        relative = path.relative_to(root).parts
    except ValueError:
        return WHOLE_EXPORT
    return by_folder.get(relative[0], WHOLE_EXPORT) if relative else WHOLE_EXPORT


def _flag_skipped(skipped: list, unpacked: Path, root: Path, submissions: list, flags: list) -> list:
    """Flag the submissions that lost a zip member; they are not graded. The rest, returned."""
    by_folder = {s.folder.name: s.id for s in submissions}
    reasons: dict = {}
    for member, problem in skipped:
        reasons.setdefault(_owner(member, unpacked, root, by_folder), []).append(f"{member!r} {problem}")
    for sid, lines in sorted(reasons.items()):
        more = f" (and {len(lines) - 3:,} more)" if len(lines) > 3 else ""
        flags.append(Flag(sid, "zip member " + "; ".join(lines[:3]) + more + ": skipped"))
    return [s for s in submissions if s.id not in reasons]


def discover_export(source: str | Path, scratch: Path | None = None) -> tuple:
    """(submissions sorted by id, [Flag]). A zip is unpacked into `scratch`.

    A submission that cannot be graded safely as it is (a refused zip member,
    a missing or escaping folder) is flagged and left out; a metadata file
    that cannot be read safely is flagged and the folders are graded without
    names. Only a source that holds no submission at all is an error.
    """
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist")
    skipped: list = []
    unpacked = source
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise ValueError(f"{source} is neither a folder nor a zip file")
        unpacked = Path(scratch or tempfile.mkdtemp(prefix="export-"))
        if unpacked.exists():
            shutil.rmtree(unpacked)
        unpacked.mkdir(parents=True)
        skipped = _safe_extract(source, unpacked)
    root = _find_root(unpacked)
    flags: list = []
    submissions = None
    if (root / METADATA).is_file():
        try:
            submissions = _from_metadata(root, load_metadata(root / METADATA), flags)
        except (ValueError, OSError) as exc:
            flags.append(Flag(WHOLE_EXPORT, f"{METADATA} was not used: {exc}. The submission folders "
                                            "were graded without names, emails or SIDs."))
    if submissions is None:
        submissions = _from_folders(root)
    submissions = _flag_skipped(skipped, unpacked, root, submissions, flags)
    if not submissions and not flags:
        raise ValueError(f"no submissions found in {source}")
    return sorted(submissions, key=lambda s: s.id), flags


def discover(source: str | Path, scratch: Path | None = None) -> list:
    """Every submission in `source` that can be graded, sorted by id (see discover_export)."""
    return discover_export(source, scratch)[0]


def shard(submissions: list, spec: str | None) -> list:
    """The K-th of N deterministic slices (K from 1), e.g. '2/8'."""
    if not spec:
        return submissions
    try:
        k, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise ValueError(f"--shard takes K/N with whole numbers, e.g. 1/4 (got {spec!r})") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {spec}: K must be between 1 and N")
    return [s for i, s in enumerate(submissions) if i % n == k - 1]
