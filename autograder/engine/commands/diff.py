"""What a regrade changed: every submission whose total moved, by how much, and which tests flipped."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from autograder.engine.commands.report import csv_text
from autograder.engine.grading.results import Results, number_key


@dataclass
class Change:
    id: str
    names: str
    old: float
    new: float
    flipped: list  # "5.3 failed->passed", ...


def changes(old: dict, new: dict, names: dict | None = None) -> list:
    """old, new: submission id -> Results. Submissions in both whose total or any test changed."""
    names = names or {}
    out = []
    for sid in sorted(set(old) & set(new)):
        before = {t.number: t for t in old[sid].tests}
        after = {t.number: t for t in new[sid].tests}
        flipped = []
        for number in sorted(set(before) | set(after), key=number_key):
            b, a = before.get(number), after.get(number)
            if b is None or a is None:
                flipped.append(f"{number} {'added' if b is None else 'removed'}")
            elif b.status != a.status or abs(b.score - a.score) > 1e-9:
                flipped.append(f"{number} {b.status}->{a.status}" if b.status != a.status
                               else f"{number} {b.score:g}->{a.score:g}")
        if flipped or abs(old[sid].score - new[sid].score) > 1e-9:
            out.append(Change(sid, names.get(sid, ""), old[sid].score, new[sid].score, flipped))
    return sorted(out, key=lambda c: (-abs(c.new - c.old), c.id))


def load_folder(folder: Path) -> dict:
    return {p.stem: Results.model_validate_json(p.read_text()) for p in sorted((Path(folder) / "results").glob("*.json"))}


def write_csv(found: list, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "submitters", "old total", "new total", "tests flipped"])
        for c in found:
            # text cells made inert for spreadsheets; the totals stay numbers
            writer.writerow([csv_text(c.id), csv_text(c.names), f"{c.old:g}", f"{c.new:g}",
                             csv_text("; ".join(c.flipped))])


def print_changes(found: list, console=None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    console = console or Console()
    if not found:
        console.print("No submission's grade changed.")
        return
    table = Table(title=f"{len(found)} submission(s) changed")
    for column in ("id", "submitters", "old", "new", "change", "tests flipped"):
        table.add_column(column)
    for c in found:
        table.add_row(c.id, escape(c.names), f"{c.old:g}", f"{c.new:g}", f"{c.new - c.old:+g}",
                      escape(", ".join(c.flipped)))
    console.print(table)
