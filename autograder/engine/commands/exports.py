"""Where a class's submissions come from: a Gradescope export (zip or folder) or a folder of folders."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.engine.commands.unpack import METADATA, WHOLE_EXPORT, unpack

__all__ = ["METADATA", "WHOLE_EXPORT", "Flag", "Submission", "Submitter", "discover", "discover_export",
           "load_metadata", "safe_id", "shard"]


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


MAX_METADATA_BYTES = 32 * 2**20  # a class of thousands needs a few MiB


@dataclass
class Flag:
    """A submission (or the export) that could not be graded as it is, and why."""
    id: str
    reason: str


def _find_root(folder: Path) -> Path:
    """The folder holding the metadata file, or the submissions themselves."""
    if (folder / METADATA).exists():
        return folder
    children = [c for c in folder.iterdir() if _visible(c.name)]
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


def _folder_problem(root: Path, key: str, lost: dict) -> str:
    """Why the folder a metadata entry names cannot be graded ("" if it can, or if `lost` says why not)."""
    folder = root / key
    if root.resolve() not in folder.resolve().parents or ".." in Path(key).parts or Path(key).is_absolute():
        return f"its folder {key!r} is outside the export"
    try:
        there = folder.is_dir()
    except (OSError, ValueError):  # a name too long for this filesystem, say
        there = False
    if not there and Path(key).parts[0] not in lost:
        return f"its folder {key!r} is not in the export"
    return ""


def _from_metadata(root: Path, metadata: dict, flags: list, lost: dict) -> list:
    """Submissions named in the metadata; those whose folder is missing or escapes are flagged."""
    taken: set = set()
    out = []
    for key, info in metadata.items():
        key = _text(key) or "?"
        sid = safe_id(key, taken)
        problem = _folder_problem(root, key, lost)
        if problem:
            flags.append(Flag(sid, problem))
            continue
        people = [Submitter(_text(_symbol(p, "name")), _text(_symbol(p, "email")), _text(_symbol(p, "sid")))
                  for p in (_symbol(info, "submitters") or []) if isinstance(p, dict)]
        out.append(Submission(sid, root / key, people))
    return out


def _visible(name: str) -> bool:
    return not name.startswith((".", "__MACOSX"))


def _from_folders(root: Path, lost: dict) -> list:
    """Every visible subfolder is a submission, without names (also one that `lost` says was not unpacked)."""
    names = {key for key in lost if key != WHOLE_EXPORT}
    if root.is_dir():
        names |= {child.name for child in root.iterdir() if child.is_dir() and not child.is_symlink()}
    taken: set = set()
    return [Submission(safe_id(name, taken), root / name, []) for name in sorted(names) if _visible(name)]


def _flag_lost(lost: dict, root: Path, submissions: list, flags: list) -> list:
    """Flag the submissions whose folder lost a zip member (or was not unpacked); they are not graded.
    The rest, returned."""
    by_key: dict = {}
    for s in submissions:
        by_key.setdefault(s.folder.relative_to(root).parts[0], []).append(s.id)
    stopped = set()
    for key, lines in sorted(lost.items()):
        more = f" (and {len(lines) - 3:,} more)" if len(lines) > 3 else ""
        for sid in by_key.get(key, [WHOLE_EXPORT]):
            flags.append(Flag(sid, "; ".join(lines[:3]) + more + ": skipped"))
            stopped.add(sid)
    return [s for s in submissions if s.id not in stopped]


def discover_export(source: str | Path, scratch: Path | None = None) -> tuple:
    """(submissions sorted by id, [Flag]). A zip is unpacked into `scratch` (see unpack.py).

    A submission that cannot be graded safely as it is (a refused or failed zip
    member, an upload over its caps, a missing or escaping folder) is flagged and
    left out; a metadata file that cannot be read safely is flagged and the folders
    are graded without names. Only a source that holds no submission at all is an error.
    """
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist")
    lost: dict = {}
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise ValueError(f"{source} is neither a folder nor a zip file")
        unpacked = Path(scratch or tempfile.mkdtemp(prefix="export-"))
        if unpacked.exists():
            shutil.rmtree(unpacked)
        unpacked.mkdir(parents=True)
        root, lost = unpack(source, unpacked)
    else:
        root = _find_root(source)
    flags: list = []
    submissions = None
    if (root / METADATA).is_file():
        try:
            submissions = _from_metadata(root, load_metadata(root / METADATA), flags, lost)
        except (ValueError, OSError) as exc:
            flags.append(Flag(WHOLE_EXPORT, f"{METADATA} was not used: {exc}. The submission folders "
                                            "were graded without names, emails or SIDs."))
    if submissions is None:
        submissions = _from_folders(root, lost)
    submissions = _flag_lost(lost, root, submissions, flags)
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
