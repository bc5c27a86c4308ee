"""A made-up class for trying batch grading, for any homework: its reference, its catalogued bugs and
its stubs, packed as a Gradescope "Export Submissions" (folders plus submission_metadata.yml)."""

from __future__ import annotations

import random
import shutil
import zipfile
from pathlib import Path

def _variants(homework) -> list:
    from autograder.engine.commands.validate import load_bugs
    correct = {name: (Path(homework.solution) / name).read_text() for name in homework.files}
    stubs = {name: (Path(homework.handout) / name).read_text() for name in homework.files
             if (Path(homework.handout) / name).exists()}
    return [("correct", correct)] * 3 + [(b.name, b.apply(homework.solution)) for b in load_bugs(homework)] + \
        [("stubs", stubs)]


def make_export(dest: Path, homework, count: int = 60, seed: int = 0, as_zip: bool = True) -> Path:
    """Write `count` submissions (a third of the first few correct, one per catalogued bug, the stubs,
    then drawn from those with `seed`); returns the zip (or the folder)."""
    if count < 1:
        raise ValueError("a sample class needs at least one submission")
    rng = random.Random(seed)
    variants = _variants(homework)
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
