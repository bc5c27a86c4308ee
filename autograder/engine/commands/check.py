"""A student's self-check: the same engine as Gradescope, the visible tests, a table to read."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from autograder.engine.grading.grade import run_suite
from autograder.engine.commands.progress import ProgressPlugin
from autograder.engine.commands.report import print_results, withheld_lines
from autograder.engine.grading.results import write_atomically


def withheld(homework, results) -> dict:
    """Per stage, the tests this run did not include: from the bundle's summary or the suite."""
    path = Path(homework.suite) / "withheld.json"
    if path.exists():
        return json.loads(path.read_text())
    from autograder.engine.commands.build import collect_manifest, withheld_summary
    return withheld_summary(collect_manifest(homework))


def check(homework, submission: str, *, include_hidden: bool = False, json_path: str | None = None,
          console=None) -> int:
    from rich.console import Console

    console = console or Console()
    if not hasattr(os, "fork"):
        console.print("The self-check runs your code in a separate, limited process, which needs Linux or "
                      "macOS. On Windows, run it inside WSL (Windows Subsystem for Linux).")
        return 2
    progress = ProgressPlugin(f"Checking {', '.join(homework.files)}", Console(file=sys.__stderr__))
    notes = []
    results = run_suite(homework, submission, visible_only=not include_hidden, extra_plugins=[progress],
                        log=notes.append)
    if json_path:
        write_atomically(results, json_path)
    print_results(results, console, title=f"{homework.name}: self-check")
    if not include_hidden:
        for line in withheld_lines(withheld(homework, results), homework.hidden_tests):
            console.print(line)
    isolation = results.extra_data.get("isolation", "")
    if isolation:
        console.print(f"[dim]Isolation: {isolation}.[/]")
    return 0 if results.score >= results.max_score - 1e-9 else 1
