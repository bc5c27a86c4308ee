"""Where a class's submissions come from: a Gradescope export (zip or folder) or a folder of folders."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
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


def _safe_extract(zip_path: Path, dest: Path) -> None:
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            target = (dest / info.filename).resolve()
            if not str(target).startswith(str(dest.resolve()) + os.sep) and target != dest.resolve():
                raise ValueError(f"{zip_path}: entry {info.filename!r} escapes the folder")
            if info.external_attr >> 28 == 0o12:  # a symbolic link: never followed, never made
                continue
        archive.extractall(dest)


def _find_root(folder: Path) -> Path:
    """The folder holding the metadata file, or the submissions themselves."""
    if (folder / METADATA).exists():
        return folder
    children = [c for c in folder.iterdir() if not c.name.startswith((".", "__MACOSX"))]
    if len(children) == 1 and children[0].is_dir():
        return _find_root(children[0])
    return folder


def discover(source: str | Path, scratch: Path | None = None) -> list:
    """Every submission in `source`, sorted by id. A zip is unpacked into `scratch`."""
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist")
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise ValueError(f"{source} is neither a folder nor a zip file")
        scratch = Path(scratch or tempfile.mkdtemp(prefix="export-"))
        if scratch.exists():
            shutil.rmtree(scratch)
        scratch.mkdir(parents=True)
        _safe_extract(source, scratch)
        source = scratch
    root = _find_root(source)
    metadata_path = root / METADATA
    submissions = []
    if metadata_path.exists():
        import yaml
        metadata = yaml.safe_load(metadata_path.read_text()) or {}
        if not isinstance(metadata, dict):
            raise ValueError(f"{metadata_path} is not a mapping of submission folders")
        for key, info in metadata.items():
            folder = root / str(key)
            people = [Submitter(str(_symbol(p, "name") or ""), str(_symbol(p, "email") or ""),
                                str(_symbol(p, "sid") or ""))
                      for p in (_symbol(info, "submitters") or []) if isinstance(p, dict)]
            submissions.append(Submission(str(key), folder, people))
    else:
        for child in sorted(root.iterdir()):
            if child.is_dir() and not child.name.startswith((".", "__MACOSX")):
                submissions.append(Submission(child.name, child, []))
    if not submissions:
        raise ValueError(f"no submissions found in {source}")
    return sorted(submissions, key=lambda s: s.id)


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
