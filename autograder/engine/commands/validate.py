"""Does the assignment still hold together? One table of checks, through the real engine.

Staff change tests and solutions every semester; before students see it,
``validate`` grades the solution (full marks), the handout (exactly 0), every
catalogued bug (it must cost its own stage, only the stages it declares, and
its feedback must name the mistake), the solution twice (identical results),
that no hidden test's calls into student code depend on its answers (every
graded folder makes the solution's calls), that the visible tests' inputs on
Gradescope are none of the bundle's recorded ones, that the student bundle's
visible tests say what the grader's say (validate_bundle.py), and checks the suite's shape (visible and hidden tests in every stage,
weights adding up), its time budget and the handout's sync with the solution.
With a fairness corpus (homework.json "corpus", see corpus.py) it also grades
every correct variant (full marks) and every degenerate submission (at most
the points of its work).

A homework's bug catalogue is a Python file named in homework.json that
defines ``BUGS``: objects with ``name``, ``stage``, ``touches``, ``hint`` and
``apply(solution_dir) -> {file name: text}``.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.engine.commands.build import collect_manifest, handout_drift, record_visible_expectations
from autograder.engine.commands.corpus import correct_submissions, degenerate_submissions, excess, not_full_marks
from autograder.engine.commands.pool import grade_folders
from autograder.engine.commands.validate_bundle import compare
from autograder.engine.grading.results import stage_totals
from autograder.engine.grading.results import stage_of
from autograder.engine.grading.verdicts import diverging


@dataclass
class Line:
    check: str
    ok: bool
    detail: str
    more: str = ""  # printed under the table when the check fails: what to look at, whole

def load_bugs(homework) -> list:
    if not homework.known_bugs:
        return []
    path = Path(homework.suite) / homework.known_bugs
    import sys
    name = f"_known_bugs_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return list(module.BUGS)


def _comparable(results) -> list:
    return [(t.number, t.score, t.status, t.output) for t in results.tests]


def validate(homework, jobs: int | None = None) -> list:
    import os
    jobs = jobs or os.cpu_count() or 1
    lines: list = []
    scratch = Path(tempfile.mkdtemp(prefix="validate-"))
    try:
        bugs = load_bugs(homework)
        folders = {"solution": homework.solution, "handout": homework.handout}
        for bug in bugs:
            folder = scratch / bug.name
            folder.mkdir()
            for name, text in bug.apply(homework.solution).items():
                (folder / name).write_text(text)
            folders[bug.name] = folder
        correct = correct_submissions(homework.corpus) if homework.corpus else {}
        degenerate = degenerate_submissions(homework.corpus) if homework.corpus else []
        folders.update({f"correct:{name}": folder for name, folder in correct.items()})
        folders.update({f"degenerate:{case.name}": case.folder for case in degenerate})
        order = list(folders) + ["solution (again)"]
        graded = dict(zip(order, grade_folders(homework, [*folders.values(), homework.solution], jobs, trace=True)))
        if homework.bundle.get("reference_module"):
            as_students = {name: folder for name, folder in folders.items() if not name.startswith("degenerate:")}
            lines_after = [_bundle_line(homework, as_students, jobs, scratch)]
        else:
            lines_after = []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    solution, seconds = graded["solution"]
    lines.append(Line("solution scores full marks", solution.score == solution.max_score,
                      f"{solution.score:g} / {solution.max_score:g}" + _failed(solution)))
    handout, _ = graded["handout"]
    lines.append(Line("handout scores exactly 0", handout.score == 0, f"{handout.score:g} / {handout.max_score:g}"))

    survivors, spills, hints, unhinted = [], [], 0, []
    for bug in bugs:
        results, _ = graded[bug.name]
        totals = stage_totals(results)
        lost = {stage for stage, (got, top) in totals.items() if got < top - 1e-9}
        if bug.stage not in lost:
            survivors.append(bug.name)
        extra = lost - {bug.stage, *bug.touches}
        if extra:
            spills.append(f"{bug.name} also costs {', '.join(sorted(extra))}")
        feedback = [(t.number, t.output) for t in results.tests if stage_of(t) == bug.stage and t.status != "passed"]
        if any(bug.hint in text for _, text in feedback):
            hints += 1
        else:
            shown = "\n".join(f"  {number}: {text[:600]}" for number, text in feedback[:3]) or "  (no failed test)"
            unhinted.append(f"{bug.name}: no feedback of its stage says {bug.hint!r}; what it got:\n{shown}")
    lines.append(Line(f"every catalogued bug loses points in its own stage ({len(bugs)} bugs)",
                      bool(bugs) and not survivors, "survives: " + ", ".join(survivors) if survivors else "all caught"))
    lines.append(Line("no bug costs a stage it does not touch", not spills, "; ".join(spills) or "none"))
    share = hints / len(bugs) if bugs else 0.0
    lines.append(Line("feedback names the mistake", share == 1.0,
                      f"{hints} of {len(bugs)} hints right ({share:.0%})"
                      + (f"; wrong: {', '.join(u.split(':')[0] for u in unhinted)}" if unhinted else ""),
                      "\n\n".join(unhinted)))
    errors = [(name, number, text) for name, (results, *_) in graded.items()
              for number, text in ((results.extra_data or {}).get("internal_errors") or {}).items()]
    lines.append(Line("the suite's own code raised no error", not errors,
                      f"{len(errors)} in {', '.join(sorted({f'{n} ({t})' for n, t, _ in errors})[:6])}" if errors
                      else "none", "\n\n".join(f"{name}, test {number}:\n{text}" for name, number, text in errors[:5])))

    if homework.corpus:
        lines += _corpus_lines(graded, correct, degenerate)

    lines.append(_same_calls_line(graded))
    lines.append(_fresh_inputs_line(homework))
    lines += lines_after

    again, _ = graded["solution (again)"]
    lines.append(Line("two runs give identical results", _comparable(again) == _comparable(solution),
                      "identical" if _comparable(again) == _comparable(solution) else "the runs differ"))

    manifest = collect_manifest(homework)
    problems = []
    for stage in homework.stages:
        kinds = {e["visibility"] == "visible" for e in manifest if e["tags"] == [stage]}
        if kinds != {True, False}:
            problems.append(f"{stage} lacks {'hidden' if True in kinds else 'visible'} tests")
    wrong_tags = [e["number"] for e in manifest if len(e["tags"]) != 1 or stage_of(e) not in homework.stages]
    if wrong_tags:
        problems.append(f"tests without exactly one stage tag: {', '.join(wrong_tags)}")
    total = sum(e["max_score"] for e in manifest)
    if abs(total - homework.total_points) > 1e-9:
        problems.append(f"weights add up to {total:g}, not {homework.total_points:g}")
    lines.append(Line("every stage has visible and hidden tests; weights add up",
                      not problems, "; ".join(problems) or f"{len(manifest)} tests, {total:g} points"))
    lines.append(Line(f"one submission graded within {homework.time_budget_seconds:g} s",
                      seconds <= homework.time_budget_seconds, f"{seconds:.2f} s for the solution"))
    drift = handout_drift(homework)
    lines.append(Line("handout/ is in sync with solution/", not drift,
                      f"differs: {', '.join(drift)} (run: python -m autograder build)" if drift else "in sync"))
    return lines


def _same_calls_line(graded: dict) -> Line:
    """Each hidden test makes the same calls into every graded folder's code as into the solution's
    (up to a call that failed in that code): student code cannot learn a hidden verdict from them."""
    solution, _ = graded["solution"]
    hidden = [t.number for t in solution.tests if t.visibility != "visible"]
    reference = solution.extra_data.get("calls", {})
    differ = []
    for name, (results, _) in graded.items():
        calls = results.extra_data.get("calls", {})
        for number in hidden:
            at = diverging(reference.get(number, []), calls.get(number, []))
            if at is not None:
                differ.append(f"{number} for {name} (call {at + 1})")
    return Line(f"hidden tests call student code the same way whatever its answers ({len(graded)} folders)",
                not differ, "other calls: " + ", ".join(differ[:8]) if differ else "same calls")


def _bundle_line(homework, folders: dict, jobs: int, scratch: Path) -> Line:
    """The student bundle's visible tests, run as students run them, say what the grader says."""
    try:
        differences, missing = compare(homework, folders, jobs, scratch)
    except RuntimeError as exc:  # build refuses to record for a solution that fails visible tests
        return Line("the student bundle's visible tests say what the grader says", False,
                    f"the bundle cannot be built: {str(exc).splitlines()[0]}")
    detail = (f"{len(missing)} replayed value(s) missing, {len(differences)} other message(s) differ"
              if missing or differences else f"same scores and messages ({len(folders)} folders)")
    return Line("the student bundle's visible tests say what the grader says", not missing and not differences,
                detail, "\n".join([*missing[:10], *differences[:10]]))


def _fresh_inputs_line(homework) -> Line:
    """The visible tests' inputs on Gradescope are the submission's own: no call of the reference the
    bundle recorded (what a lookup table could answer) is asked again."""
    if not homework.bundle.get("reference_module"):
        return Line("visible tests draw fresh inputs on Gradescope", True, "no recorded values are shipped")
    keys = [{(name, key) for name, calls in record_visible_expectations(homework, fresh, full_marks=False).items()
             if not name.startswith("__") for key in calls} for fresh in (False, True)]
    repeated = keys[0] & keys[1]
    return Line("visible tests draw fresh inputs on Gradescope", not repeated,
                f"{len(repeated)} of the bundle's {len(keys[0])} recorded calls asked again "
                f"({', '.join(sorted({name for name, _ in repeated}))})" if repeated else
                f"none of the bundle's {len(keys[0])} recorded calls asked again")


def _corpus_lines(graded: dict, correct: dict, degenerate: list) -> list:
    short = {name: not_full_marks(graded[f"correct:{name}"][0]) for name in correct}
    short = {name: text for name, text in short.items() if text}
    over = [(case, graded[f"degenerate:{case.name}"][0]) for case in degenerate]
    over = [f"{case.name} earns {results.score:g} > {case.max:g} (+{excess(results, case):g})"
            for case, results in over if excess(results, case)]
    return [Line(f"correct variants: {len(correct) - len(short)}/{len(correct)} full marks",
                 bool(correct) and not short,
                 "; ".join(f"{name} {text}" for name, text in short.items()) or "all full marks"),
            Line("degenerate submissions: none earns more than its work", bool(degenerate) and not over,
                 "; ".join(over) or f"{len(degenerate)} within their maximum")]


def _failed(results) -> str:
    failed = [t.number for t in results.tests if t.status != "passed"]
    errors = results.extra_data.get("internal_errors") or {}
    why = "; ".join(f"{number}: {text.strip().splitlines()[-1][:300]}" for number, text in list(errors.items())[:2])
    return (f" (failed: {', '.join(failed)})" if failed else "") + (f"; the grader's own errors: {why}" if why else "")


def print_lines(lines: list, console=None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table
    console = console or Console()
    table = Table(title="Assignment validation")
    table.add_column("check")
    table.add_column("", justify="center")
    table.add_column("detail")
    for line in lines:
        table.add_row(line.check, "[green]PASS[/]" if line.ok else "[red]FAIL[/]", escape(line.detail))
    console.print(table)
    for line in lines:
        if not line.ok and line.more:
            console.print(f"[bold]{escape(line.check)}[/]:\n{escape(line.more)}", soft_wrap=True)
    failed = [line.check for line in lines if not line.ok]
    console.print(f"[bold]{'All checks pass.' if not failed else f'{len(failed)} check(s) failed.'}[/]")
