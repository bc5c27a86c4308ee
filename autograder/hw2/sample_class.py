"""A made-up class for trying batch grading: the reference, the catalogued bugs and the stubs,
packed as a Gradescope "Export Submissions" (folders plus submission_metadata.yml)."""

from __future__ import annotations

import random
import shutil
import zipfile
from pathlib import Path

from .known_bugs import BUGS


def _variants(solution: Path, handout: Path) -> list:
    correct = {p.name: p.read_text() for p in sorted(solution.glob("*.py"))}
    stubs = {p.name: p.read_text() for p in sorted(handout.glob("*.py"))}
    return [("correct", correct)] * 3 + [(b.name, b.apply(solution)) for b in BUGS] + [("stubs", stubs)]


def make_export(dest: Path, solution: Path, handout: Path, count: int = 60, seed: int = 0,
                as_zip: bool = True) -> Path:
    """Write `count` submissions; returns the zip (or the folder)."""
    rng = random.Random(seed)
    variants = _variants(solution, handout)
    root = Path(dest) / "assignment_export"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    lines = []
    for i in range(count):
        label, files = variants[i % len(variants)] if i < len(variants) else rng.choice(variants)
        sid = 100000 + i
        folder = root / f"submission_{sid}"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text)
        lines += [f"submission_{sid}:", "  :submitters:", f"  - :name: Student {i:03d} ({label})",
                  f"    :sid: '{sid}'", f"    :email: student{i:03d}@example.edu",
                  "  :created_at: 2024-02-10 12:00:00.000000000 -05:00", "  :score: 0.0"]
    (root / "submission_metadata.yml").write_text("\n".join(lines) + "\n")
    if not as_zip:
        return root
    target = Path(dest) / "export.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            archive.write(path, path.relative_to(Path(dest)))
    shutil.rmtree(root)
    return target
