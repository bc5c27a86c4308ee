"""A fairness corpus: submissions whose grade is known in advance, to prove every grade tells the truth.

The folder homework.json names under "corpus" holds:

    correct/<style>/       correct code in another style: must get full marks
    degenerate/<name>/     a submission doing only part of the work (or none)
    degenerate.json        {name: {"max": points it may earn, "does": what real work it contains}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Degenerate:
    name: str
    folder: Path
    max: float
    does: str


def _folders(path: Path) -> dict:
    return {p.name: p for p in sorted(path.iterdir()) if p.is_dir() and not p.name.startswith(("_", "."))} \
        if path.is_dir() else {}


def correct_submissions(root: Path) -> dict:
    """{style: folder} of the correct submissions."""
    return _folders(Path(root) / "correct")


def degenerate_submissions(root: Path) -> list:
    """Every degenerate submission with its allowed maximum; a folder without an entry (or the reverse) is an error."""
    root = Path(root)
    folders = _folders(root / "degenerate")
    limits = json.loads((root / "degenerate.json").read_text())
    if set(folders) != set(limits):
        raise ValueError(f"{root}: degenerate/ and degenerate.json disagree: "
                         f"folders without an entry {sorted(set(folders) - set(limits))}, "
                         f"entries without a folder {sorted(set(limits) - set(folders))}")
    return [Degenerate(name, folders[name], float(limits[name]["max"]), limits[name]["does"]) for name in folders]


def not_full_marks(results) -> str:
    """'' at full marks, else the score and the failed tests' numbers."""
    if results.score >= results.max_score - 1e-9:
        return ""
    failed = [t.number for t in results.tests if t.status != "passed"]
    return f"{results.score:g} / {results.max_score:g} (failed: {', '.join(failed)})"


def excess(results, case: Degenerate) -> float:
    """How many points more than its work allows (0 when within)."""
    return max(0.0, results.score - case.max)
