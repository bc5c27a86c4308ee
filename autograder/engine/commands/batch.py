"""A TA's commands end to end: grade a class, merge shards, diff two gradings (the CLI only parses)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from autograder.engine.commands import diff as regrade_diff
from autograder.engine.commands.pool import STATE, Batch, merge, names_in
from autograder.engine.commands.batch_progress import BatchProgress
from autograder.engine.commands.report import md_cell, write_class_reports


def grade_class(homework, source, out: Path, *, jobs=None, shard=None, regrade=None, similarity=False,
                threshold: float = 0.6) -> list:
    """Grade, report what a regrade changed, compare submissions if asked, write the reports."""
    runner = Batch(homework, out)
    done = runner.run(source, jobs=jobs, shard_spec=shard, regrade=regrade, progress=BatchProgress())
    print(f"graded {len(done['graded'])}, skipped {len(done['skipped'])} already graded by this build",
          file=sys.stderr)
    for flag in done["flagged"]:
        print(f"flagged {flag.id}: {flag.reason}", file=sys.stderr)
    written, sections = [], []
    if done["old"]:
        new = {sid: res for sid, res in regrade_diff.load_folder(runner.out).items() if sid in done["old"]}
        found = regrade_diff.changes(done["old"], new, runner.names())
        regrade_diff.print_changes(found)
        regrade_diff.write_csv(found, runner.out / "regrade.csv")
        written.append(runner.out / "regrade.csv")
    if similarity:
        from autograder.engine.commands import similarity as similar
        pairs = similar.compare(done["submissions"], list(homework.files), homework.handout,
                                runner.out / "similarity.html")
        names = {sid: md_cell(name) for sid, name in runner.names().items()}  # submitters' text, inert
        sections.append(similar.summary_section(pairs, names, threshold))
        written.append(runner.out / "similarity.html")
    return written + write_class_reports(runner.collected(), runner.out, sections, done["flagged"])


def merge_shards(homework, folders: list, out: Path) -> list:
    runner = Batch(homework, merge(folders, out))
    return write_class_reports(runner.collected(), runner.out, flagged=runner.state.get("flagged", []))


def diff_folders(old: Path, new: Path) -> Path:
    """Print what changed between two batch outputs; write NEW/regrade.csv."""
    before, after = regrade_diff.load_folder(old), regrade_diff.load_folder(new)
    if not before or not after:
        raise SystemExit(f"diff: {old if not before else new} holds no results/*.json (a batch --out folder?)")
    names = names_in(json.loads((new / STATE).read_text())) if (new / STATE).exists() else {}
    found = regrade_diff.changes(before, after, names)
    regrade_diff.print_changes(found)
    regrade_diff.write_csv(found, new / "regrade.csv")
    return new / "regrade.csv"
