"""Results as people read them: a score table per stage, with each failure's feedback."""

from __future__ import annotations

from collections import OrderedDict

from .results import Results

STAGE_ORDER = ("setup", "forward", "backward", "update", "attack")


def stage_of(test) -> str:
    return test.tags[0] if test.tags else "other"


def stage_totals(results: Results) -> "OrderedDict[str, tuple]":
    totals: "OrderedDict[str, list]" = OrderedDict()
    for test in results.tests:
        entry = totals.setdefault(stage_of(test), [0.0, 0.0])
        entry[0] += test.score
        entry[1] += test.max_score
    return OrderedDict((k, tuple(v)) for k, v in totals.items())


def print_results(results: Results, console=None, show_passed: bool = True, title: str = "Score by test") -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=title, show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("test")
    table.add_column("points", justify="right")
    table.add_column("", justify="center")
    for test in results.tests:
        mark = "[green]pass[/]" if test.status == "passed" else "[red]FAIL[/]"
        if test.status == "passed" and not show_passed:
            continue
        hidden = "" if test.visibility == "visible" else " [dim](hidden)[/]"
        table.add_row(test.number, test.name + hidden, f"{test.score:g} / {test.max_score:g}", mark)
        if test.output and test.status != "passed":
            table.add_row("", f"[dim]{_escape(test.output)}[/]", "", "")
    console.print(table)
    stages = Table(title="Score by stage")
    stages.add_column("stage")
    stages.add_column("points", justify="right")
    for stage, (score, top) in stage_totals(results).items():
        stages.add_row(stage, f"{score:g} / {top:g}")
    console.print(stages)
    if results.output:
        console.print(_escape(results.output))
    console.print(f"[bold]Total: {results.score:g} / {results.max_score:g}[/]")


def withheld_lines(summary: dict) -> list:
    """What a visible-only run did not include, so full marks here is not read as full marks."""
    if not summary:
        return []
    tests = sum(v["tests"] for v in summary.values())
    points = sum(v["points"] for v in summary.values())
    parts = ", ".join(f"{stage} {v['tests']} ({v['points']:g} pts)" for stage, v in summary.items())
    return [f"[bold yellow]Gradescope also runs {tests} hidden tests worth {points:g} points[/] "
            f"(per stage: {parts}); they use other sizes, real images and the trained network."]


def _escape(text: str) -> str:
    from rich.markup import escape
    return escape(text)
