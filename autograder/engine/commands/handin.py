"""A student's handin file (Autolab's handin.tar or handin.zip, or one source file) unpacked safely.

Only regular files are taken, under their own name inside the folder (no absolute path, no "..", no
link, device or fifo), each at most MAX_FILE_BYTES and all together MAX_TOTAL_BYTES in at most
MAX_FILES files: a handin is a few small source files, and a crafted archive costs nothing more.
What was left out is returned, to be shown to the student.
"""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 16 * 2**20
MAX_TOTAL_BYTES = 64 * 2**20
MAX_FILES = 1000


class HandinError(ValueError):
    """The handin cannot be read at all (the message is the student's to read)."""


def _safe_name(name: str) -> str | None:
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".")]
    if not parts or parts[0] == "/" or ".." in parts or any(":" in p or "\0" in p for p in parts):
        return None
    return "/".join(parts)


def unpack_handin(handin: Path, dest: Path, files: list) -> list:
    """Unpack `handin` into `dest`; returns the notes on what was left out. A single source file
    named as one of the homework's `files` (or handin.py, when the homework has one file) is that file."""
    handin, dest = Path(handin), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if not handin.is_file():
        raise HandinError(f"no handin file was found ({handin.name})")
    if tarfile.is_tarfile(handin):
        return _from_tar(handin, dest)
    if zipfile.is_zipfile(handin):
        return _from_zip(handin, dest)
    if handin.suffix == ".py":
        name = handin.name if handin.name in files or len(files) != 1 else files[0]
        if handin.stat().st_size > MAX_FILE_BYTES:
            raise HandinError(f"{handin.name} is larger than {MAX_FILE_BYTES // 2**20} MiB")
        shutil.copyfile(handin, dest / name)
        return []
    raise HandinError(f"{handin.name} is neither a tar nor a zip archive: hand in {', '.join(files)} "
                      f"in a .tar or .zip")


class _Budget:
    def __init__(self):
        self.files, self.bytes, self.notes = 0, 0, []

    def admit(self, name: str | None, raw: str, size: int, regular: bool) -> bool:
        if name is None:
            self.notes.append(f"left out {raw!r}: not a plain relative name")
        elif not regular:
            self.notes.append(f"left out {name}: not a regular file")
        elif size > MAX_FILE_BYTES:
            self.notes.append(f"left out {name}: larger than {MAX_FILE_BYTES // 2**20} MiB")
        elif self.files >= MAX_FILES or self.bytes + size > MAX_TOTAL_BYTES:
            self.notes.append(f"left out {name}: the handin is over its limits ({MAX_FILES} files, "
                              f"{MAX_TOTAL_BYTES // 2**20} MiB)")
        else:
            self.files, self.bytes = self.files + 1, self.bytes + size
            return True
        return False

    def write(self, stream, dest: Path, name: str, size: int) -> None:
        """One member; a member that cannot be written (a file where a folder is) is left out alone."""
        try:
            _write(stream, dest / name, size)
        except (OSError, HandinError) as exc:
            self.notes.append(f"left out {name}: {exc}")


def _write(stream, target: Path, limit: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        copied = 0
        while chunk := stream.read(2**20):
            copied += len(chunk)
            if copied > limit:
                raise HandinError(f"{target.name} grew past its stated size")
            out.write(chunk)


def _from_tar(handin: Path, dest: Path) -> list:
    budget = _Budget()
    try:
        with tarfile.open(handin) as archive:
            for member in archive:
                if member.isdir():
                    continue
                name = _safe_name(member.name)
                if budget.admit(name, member.name, member.size, member.isreg()):
                    budget.write(archive.extractfile(member), dest, name, member.size)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise HandinError(f"{handin.name} could not be read as a tar archive ({exc})") from exc
    return budget.notes


def _from_zip(handin: Path, dest: Path) -> list:
    budget = _Budget()
    try:
        with zipfile.ZipFile(handin) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                kind = (info.external_attr >> 16) & 0o170000
                name = _safe_name(info.filename)
                if budget.admit(name, info.filename, info.file_size, kind in (0, 0o100000)):
                    with archive.open(info) as stream:
                        budget.write(stream, dest, name, info.file_size)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
        raise HandinError(f"{handin.name} could not be read as a zip archive ({exc})") from exc
    return budget.notes
