"""`validate --mutants`: the suite tested by mutants of the reference solution, for any homework.

Each mutant (engine/mutation/generate.py) is graded exactly as run_autograder grades, in the batch's
pool of warm graders, and probed (engine/mutation/probe.py): the homework's scenario run on it and
compared with the reference's. Then, per mutant:

    fair          equivalent (every probed output as the reference's) and full marks
    false negative  equivalent, yet it lost points: the suite fails correct behaviour
    caught        live, and it lost points in the stage its edit sits in
    escaped       live, and it lost nothing in its own stage
    collateral    live, and it also lost points in a stage whose probed outputs are all right
    engine error  the grader or the probe broke on it

An escaped or collateral mutant may be accepted, by id, with a reason, in the homework's accepted
file (homework.json "mutation": {"accepted": ...}); anything else fails the sweep.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.engine.commands.pool import grade_folders
from autograder.engine.grading.results import stage_totals
from autograder.engine.mutation.generate import Mutant, mutants, sample
from autograder.engine.mutation.probe import changed_stages

KINDS = ("fair", "false negative", "caught", "escaped", "collateral", "engine error")


@dataclass
class Verdict:
    mutant: Mutant
    equivalent: bool
    changed: dict                  # stage -> the probed outputs that differ from the reference's
    lost: dict                     # stage -> points lost
    failed: list                   # the tests it failed (number: first line)
    kinds: list = field(default_factory=list)   # of KINDS (caught and collateral may go together)
    accepted: str = ""             # the reason its escape or collateral loss is accepted
    collateral: list = field(default_factory=list)
    error: str = ""

    def as_dict(self) -> dict:
        return {**self.mutant.as_dict(), "equivalent": self.equivalent, "changed": self.changed,
                "lost": self.lost, "failed": self.failed, "kinds": self.kinds, "accepted": self.accepted,
                "collateral": self.collateral, "error": self.error}

    @property
    def problem(self) -> bool:
        """Does this mutant fail the sweep?"""
        return bool({"false negative", "engine error"} & set(self.kinds)) or \
            (bool({"escaped", "collateral"} & set(self.kinds)) and not self.accepted)


@dataclass
class Sweep:
    verdicts: list
    total: int                     # mutants the solution has in all
    seed: int
    unused_acceptances: list       # ids accepted in the file that no mutant of this sweep has

    @property
    def ok(self) -> bool:
        return not any(v.problem for v in self.verdicts)

    def table(self, stages) -> list:
        """[(stage, mutants, equivalent, caught, escaped, collateral, of those accepted, false negatives,
        engine errors)]."""
        rows = []
        for stage in [*stages, "all"]:
            mine = [v for v in self.verdicts if stage == "all" or v.mutant.stage == stage]
            count = lambda kind: sum(kind in v.kinds for v in mine)  # noqa: E731
            rows.append((stage, len(mine), sum(v.equivalent for v in mine), count("caught"), count("escaped"),
                         count("collateral"), sum(bool(v.accepted) for v in mine), count("false negative"),
                         count("engine error")))
        return rows

    def caught_share(self) -> tuple:
        live = [v for v in self.verdicts if not v.equivalent and "engine error" not in v.kinds]
        return sum("caught" in v.kinds for v in live), len(live)


def accepted_survivors(homework) -> dict:
    """{mutant id: reason} from the homework's accepted file (none when it does not exist)."""
    path = Path(homework.suite) / homework.mutation.accepted
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                             for k, v in data.items()):
        raise ValueError(f"{path}: expected {{mutant id: the reason it is accepted}}, each reason written out")
    return data


def sweep(homework, count: int | None = None, seed: int = 0, jobs: int | None = None, progress=None) -> Sweep:
    """Generate, grade, probe and judge the mutants (`count` drawn with `seed`; all when None).
    `progress`: a batch_progress.BatchProgress (start(total), advance(what, score)), or None."""
    config = homework.mutation
    if config is None:
        raise ValueError(f"{homework.suite}/homework.json has no 'mutation' (its probe scenario and stages): "
                         f"see docs/writing-a-homework.md")
    everything = mutants(homework.solution, list(homework.files), config.regions)
    chosen = sample(everything, count, seed)
    accepted = accepted_survivors(homework)
    originals = {name: (Path(homework.solution) / name).read_text() for name in homework.files}
    scratch = Path(tempfile.mkdtemp(prefix="mutants-"))
    os.chmod(scratch, 0o755)
    try:
        folders = [homework.solution]
        for i, mutant in enumerate(chosen):
            folder = scratch / f"m{i}"
            folder.mkdir()
            os.chmod(folder, 0o755)
            for name, text in mutant.apply(originals).items():
                (folder / name).write_text(text)
                os.chmod(folder / name, 0o644)
            folders.append(folder)
        if progress:
            progress.start(len(folders))
        advance = (lambda i, score: progress.advance(f"mutant {i}" if i else "the solution", score)) \
            if progress else None
        graded = grade_folders(homework, folders, jobs or os.cpu_count() or 1, trace=True, probe=True,
                               progress=advance)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    reference, _, reference_probe = graded[0]
    if reference.score < reference.max_score or "__error__" in reference_probe:
        raise RuntimeError("the reference solution itself does not score full marks or cannot be probed: "
                           "run validate first")
    verdicts = [judge(m, results, outputs, reference_probe, config, accepted)
                for m, (results, _, outputs) in zip(chosen, graded[1:])]
    unused = sorted(set(accepted) - {m.id for m in everything})
    return Sweep(verdicts, len(everything), seed, unused)


def judge(mutant: Mutant, results, outputs: dict, reference_probe: dict, config, accepted: dict) -> Verdict:
    internal = (results.extra_data or {}).get("internal_errors") or {}
    lost = {stage: round(top - got, 6) for stage, (got, top) in stage_totals(results).items() if got < top - 1e-9}
    failed = [f"{t.number}: {(t.output or '').splitlines()[0][:160] if t.output else ''}"
              for t in results.tests if t.status != "passed"]
    if "__error__" in outputs or internal:
        error = outputs.get("__error__") or "\n".join(f"{k}: {v[-800:]}" for k, v in internal.items())
        return Verdict(mutant, False, {}, lost, failed, ["engine error"], error=error)
    changed = changed_stages(reference_probe, outputs, config.rel, config.abs)
    verdict = Verdict(mutant, not changed, changed, lost, failed)
    if not changed:
        verdict.kinds.append("fair" if not lost else "false negative")
        return verdict
    verdict.kinds.append("caught" if mutant.stage in lost else "escaped")
    verdict.collateral = sorted(stage for stage in lost if stage != mutant.stage and stage not in changed)
    if verdict.collateral:
        verdict.kinds.append("collateral")
    if {"escaped", "collateral"} & set(verdict.kinds):
        verdict.accepted = accepted.get(mutant.id, "")
    return verdict


# -- the report ---------------------------------------------------------------------------------

def write_report(result: Sweep, homework, folder: Path) -> tuple:
    """REPORT.json (every mutant) and REPORT.md (the table, then each mutant that fails or is
    accepted, with its diff) in `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"homework": homework.name, "seed": result.seed, "mutants in all": result.total,
            "swept": len(result.verdicts), "ok": result.ok, "unused acceptances": result.unused_acceptances,
            "mutants": [v.as_dict() for v in result.verdicts]}
    json_path, md_path = folder / "mutants.json", folder / "mutants.md"
    json_path.write_text(json.dumps(data, indent=1))
    lines = [f"# Mutation analysis: {homework.name}", "",
             f"{len(result.verdicts)} of the solution's {result.total} mutants (seed {result.seed}). "
             f"Live mutants caught in their own stage: {'%d of %d' % result.caught_share()}.", "",
             "| stage | mutants | equivalent | caught | escaped | collateral | accepted | false negatives | engine errors |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in result.table(homework.stages)]
    for title, pick in (("False negatives (equivalent, yet failed)", lambda v: "false negative" in v.kinds),
                        ("Engine errors", lambda v: "engine error" in v.kinds),
                        ("Escaped or collateral, not accepted", lambda v: v.problem and not
                         {"false negative", "engine error"} & set(v.kinds)),
                        ("Accepted", lambda v: bool(v.accepted))):
        chosen = [v for v in result.verdicts if pick(v)]
        if not chosen:
            continue
        lines += ["", f"## {title} ({len(chosen)})"]
        for v in chosen:
            lines += ["", f"### `{v.mutant.id}`: {', '.join(v.kinds)}", "", "```diff", v.mutant.diff(), "```"]
            if v.changed:
                lines.append("Probed outputs that differ: " + "; ".join(f"{stage}: {', '.join(names[:4])}"
                                                                       for stage, names in v.changed.items()))
            if v.lost:
                lines.append("Points lost: " + ", ".join(f"{s} {p:g}" for s, p in v.lost.items()))
            if v.collateral:
                lines.append("Collateral: " + ", ".join(v.collateral))
            if "false negative" in v.kinds:
                lines += ["Tests that failed it:", *(f"- {f}" for f in v.failed)]
            if v.error:
                lines.append(f"Error: {v.error}")
            if v.accepted:
                lines.append(f"Accepted: {v.accepted}")
    if result.unused_acceptances:
        lines += ["", "## Accepted ids no mutant has (stale?)", *(f"- `{i}`" for i in result.unused_acceptances)]
    md_path.write_text("\n".join(lines) + "\n")
    return json_path, md_path


def print_table(result: Sweep, homework, console) -> None:
    from rich.table import Table
    table = Table(title=f"validate --mutants: {len(result.verdicts)} of {result.total} mutants (seed {result.seed})")
    for column in ("stage", "mutants", "equiv.", "caught", "escaped", "collat.", "accepted", "false neg.",
                   "engine err."):
        table.add_column(column)
    for row in result.table(homework.stages):
        table.add_row(*(str(cell) for cell in row))
    console.print(table)
    caught, live = result.caught_share()
    console.print(f"live mutants caught in their own stage: {caught} of {live}")
    problems = [v for v in result.verdicts if v.problem]
    for v in problems[:20]:
        console.print(f"[red]{', '.join(v.kinds)}[/red] {v.mutant.id}\n{v.mutant.diff()}")
    if len(problems) > 20:
        console.print(f"... and {len(problems) - 20} more (see the report)")
    console.print("The sweep passes." if result.ok else f"The sweep fails: {len(problems)} mutants to look at.")
