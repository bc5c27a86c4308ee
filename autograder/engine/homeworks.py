"""Which homework a command means: a name, a folder, the one a build recorded, or the only one.

A zip or a student bundle carries exactly one homework and records its name
in ``autograder/homework.txt`` (written by build), so nothing there falls back
on a homework the engine would have to know by name.
"""

from __future__ import annotations

from pathlib import Path

RECORD = "homework.txt"  # in the autograder package of a built zip or bundle: the homework's folder name


def present(package: Path) -> list:
    """The homework folders in the autograder package: its subfolders holding a homework.json."""
    return sorted(p.name for p in Path(package).iterdir() if (p / "homework.json").is_file())


def recorded(package: Path) -> str | None:
    path = Path(package) / RECORD
    return path.read_text().strip() or None if path.is_file() else None


def resolve(given: str | None, package: Path) -> Path:
    """The homework folder for --homework GIVEN (a name under the package or a folder), or the default."""
    package = Path(package)
    if given:
        if (package / given / "homework.json").is_file():
            return package / given
        folder = Path(given)
        if (folder / "homework.json").is_file():
            return folder.resolve()
        raise SystemExit(f"--homework {given}: no homework of that name in {package} and no homework.json in "
                         f"that folder" + _which(package))
    name = recorded(package)
    if name:
        return package / name
    names = present(package)
    if len(names) == 1:
        return package / names[0]
    if not names:
        raise SystemExit("there is no homework here yet: make one with python -m autograder new NAME")
    raise SystemExit("several homeworks are here; name one with --homework NAME" + _which(package))


def _which(package: Path) -> str:
    names = present(package)
    return f" (present: {', '.join(names)})" if names else ""
