"""Results as people read them: a score table per stage, with each failure's feedback."""

from __future__ import annotations

import re

from autograder.engine.grading.results import Results, number_key, stage_of, stage_totals

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


def print_plain(results: Results, file=None) -> None:
    """The same results as plain lines, for a log (Gradescope's autograder output): no table to
    lay out, and no rich to import (a tenth of a second of every run)."""
    lines = []
    for test in results.tests:
        hidden = "" if test.visibility == "visible" else " (hidden)"
        lines.append(f"{test.number:>6}  {'pass' if test.status == 'passed' else 'FAIL'}  "
                     f"{test.score:g} / {test.max_score:g}  {test.name}{hidden}")
    lines.append("by stage: " + ", ".join(f"{stage} {score:g} / {top:g}"
                                          for stage, (score, top) in stage_totals(results).items()))
    if results.output:
        lines.append(results.output)
    lines.append(f"Total: {results.score:g} / {results.max_score:g}")
    print("\n".join(lines), file=file)


def withheld_lines(summary: dict, what: str = "") -> list:
    """What a visible-only run did not include, so full marks here is not read as full marks; `what`:
    the homework's words on what the hidden tests use (homework.json's hidden_tests)."""
    if not summary:
        return []
    tests = sum(v["tests"] for v in summary.values())
    points = sum(v["points"] for v in summary.values())
    parts = ", ".join(f"{stage} {v['tests']} ({v['points']:g} pts)" for stage, v in summary.items())
    return [f"[bold yellow]Gradescope also runs {tests} hidden tests worth {points:g} points[/] "
            f"(per stage: {parts})" + (f"; {what.strip().rstrip('.')}." if what.strip() else ".")]


def _escape(text: str) -> str:
    from rich.markup import escape
    return escape(text)


# -- a whole class ---------------------------------------------------------------
#
# Names, emails, SIDs and ids come from submitters, test names and failure
# messages partly from student code: every text cell of a report is made inert
# for the program that opens it (a spreadsheet, a Markdown/HTML viewer).

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value) -> str:
    """A text cell a spreadsheet shows as text, never runs: OWASP's leading single quote.

    Only for cells of text (ids, names, emails, SIDs, labels). Score cells are
    written as numbers and left alone, so -0 or -1.5 stay numbers.
    """
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#!~|{}])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}


def md_cell(value, limit: int = 300) -> str:
    """Text safe in a Markdown table cell: one line, no HTML, no link, no table break.

    Control characters and newlines become spaces; & < > " become entities;
    Markdown punctuation and pipes are backslash-escaped (so no [link](...),
    no emphasis); "://" and "www." get a zero-width space so nothing autolinks.
    """
    text = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", str(value)).strip()
    if len(text) > limit:
        text = text[:limit] + "..."
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = "".join(_HTML.get(c, c) for c in text)
    return re.sub(r"(?i)(:/)(/)|(www)(\.)", lambda m: (m[1] or m[3]) + "\u200b" + (m[2] or m[4]), text)


def flagged_section(flags) -> list:
    """Markdown lines for the submissions left out of grading, and why (nothing if none)."""
    if not flags:
        return []
    lines = ["## Flagged", "",
             f"{len(flags)} problem(s) kept something out of grading; each needs a person to look at it.", "",
             "| submission | why |", "|---|---|"]
    for flag in flags:
        sid, reason = (flag["id"], flag["reason"]) if isinstance(flag, dict) else (flag.id, flag.reason)
        lines.append(f"| {md_cell(sid)} | {md_cell(reason, 1000)} |")
    return lines

def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return re.sub(r"-?\d+\.\d+(e-?\d+)?", "#", line)[:160]  # numbers vary; the message is what repeats


def write_grades_csv(graded: list, path) -> None:
    """One row per submission: id, submitters, total, each stage, each test."""
    import csv
    tests = sorted({(t.number, t.name) for _, r in graded for t in r.tests},
                   key=lambda nt: number_key(nt[0]))
    stages = list(dict.fromkeys(stage_of(t) for _, r in graded for t in r.tests))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "names", "emails", "sids", "total", *map(csv_text, stages),
                         *(csv_text(f"{n} {name}") for n, name in tests)])
        for submission, results in graded:
            by_stage = stage_totals(results)
            by_test = {t.number: t.score for t in results.tests}
            people = submission.submitters
            writer.writerow([csv_text(submission.id), csv_text("; ".join(s.name for s in people)),
                             csv_text("; ".join(s.email for s in people)),
                             csv_text("; ".join(s.sid for s in people)), f"{results.score:g}",
                             *(f"{by_stage.get(s, (0, 0))[0]:g}" for s in stages),
                             *(f"{by_test[n]:g}" if n in by_test else "" for n, _ in tests)])


def class_statistics(graded: list) -> dict:
    import statistics
    totals = [r.score for _, r in graded]
    tests: dict = {}
    failures: dict = {}
    for _, results in graded:
        for t in results.tests:
            entry = tests.setdefault(t.number, {"name": t.name, "passed": 0, "count": 0, "max": t.max_score})
            entry["count"] += 1
            entry["passed"] += t.status == "passed"
            if t.status != "passed" and t.output:
                key = (t.number, _first_line(t.output))
                failures[key] = failures.get(key, 0) + 1
    return {
        "count": len(totals),
        "mean": statistics.fmean(totals) if totals else 0.0,
        "median": statistics.median(totals) if totals else 0.0,
        "stdev": statistics.pstdev(totals) if totals else 0.0,
        "min": min(totals, default=0.0), "max": max(totals, default=0.0),
        "full_marks": sum(1 for _, r in graded if r.score >= r.max_score - 1e-9),
        "tests": tests,
        "failures": sorted(failures.items(), key=lambda kv: -kv[1]),
        "top": graded[0][1].max_score if graded else 0.0,
    }


def write_summary_md(graded: list, path, extra_sections=(), flagged=()) -> dict:
    """The class's statistics, flagged submissions, pass rates and common failures; every cell escaped."""
    stats = class_statistics(graded)
    lines = ["# Class summary", "",
             f"{stats['count']} submissions graded; total out of {stats['top']:g}.", "",
             *flagged_section(flagged), *([""] if flagged else []),
             "| mean | median | std | min | max | full marks |", "|---|---|---|---|---|---|",
             f"| {stats['mean']:.2f} | {stats['median']:.2f} | {stats['stdev']:.2f} | {stats['min']:g} | "
             f"{stats['max']:g} | {stats['full_marks']} |", "",
             "## Pass rate of every test", "", "| # | test | pass rate |", "|---|---|---|"]
    for number, t in sorted(stats["tests"].items(),
                            key=lambda kv: number_key(kv[0])):
        lines.append(f"| {md_cell(number)} | {md_cell(t['name'])} | {t['passed'] / max(1, t['count']):.0%} |")
    lines += ["", "## Most common failure messages", "", "| # | message (numbers as #) | submissions |",
              "|---|---|---|"]
    for (number, message), count in stats["failures"][:20]:
        lines.append(f"| {md_cell(number)} | {md_cell(message)} | {count} |")
    for section in extra_sections:
        lines += ["", *section]
    from pathlib import Path
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return stats


def write_scores_png(graded: list, path) -> None:
    """A histogram of totals and the pass rate of every test."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = class_statistics(graded)
    totals = [r.score for _, r in graded]
    numbers = sorted(stats["tests"], key=number_key)
    rates = [stats["tests"][n]["passed"] / max(1, stats["tests"][n]["count"]) for n in numbers]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [1, 2]})
    left.hist(totals, bins=20, range=(0, stats["top"] or 1), color="#4a7ab5", edgecolor="white")
    left.set(title=f"Totals ({len(totals)} submissions)", xlabel="score", ylabel="submissions")
    right.bar(range(len(numbers)), rates, color="#5a9e6f")
    right.set_xticks(range(len(numbers)), numbers, rotation=90, fontsize=7)
    right.set(title="Pass rate per test", ylim=(0, 1), ylabel="share passed")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_class_reports(graded: list, out, extra_sections=(), flagged=()) -> list:
    from pathlib import Path
    out = Path(out)
    write_grades_csv(graded, out / "grades.csv")
    write_summary_md(graded, out / "summary.md", extra_sections, flagged)
    write_scores_png(graded, out / "scores.png")
    return [out / "grades.csv", out / "summary.md", out / "scores.png"]
